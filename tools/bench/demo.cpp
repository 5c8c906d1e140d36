// "forkless-bench demo --lib PATH": the seed scenario of the project. A
// process with about 1 GiB touched and 2 busy worker threads spawns /bin/true
// through system(), popen() and fork()+exec(); once natively, once with the
// library preloaded (FORKLESS_MODE=auto), legs interleaved and repeated, and
// the medians printed side by side. Each leg is this program re-executed
// ("run" sub-command) so that the native leg never has the library loaded.
// Hazards: a library that cannot be loaded makes ld.so print a warning and
// carry on natively, so the forkless leg reports whether libforkless was
// actually mapped, and a last short untimed leg logs (FORKLESS_LOG) which
// route each call took, and the demo fails loudly instead of showing native
// figures twice. The timed legs do not log: a logged call costs tens of
// microseconds more.
#include <unistd.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "child_process.h"
#include "commands.h"
#include "json_line.h"
#include "latency_stats.h"

namespace forkless_bench {
namespace {

const char* const demo_apis[] = {"system", "popen", "fork"};
const char* const demo_labels[] = {"system()", "popen()", "fork()+exec()"};

struct demo_figures {
  std::vector<double> p50_us, writer_ratio;
  long helper = 0, emulated = 0, native = 0;
  bool preloaded = true;
};

std::string format_time(double us) {
  char text[32];
  if (us < 10000) std::snprintf(text, sizeof text, "%.2f ms", us / 1e3);
  else std::snprintf(text, sizeof text, "%.1f ms", us / 1e3);
  return text;
}

std::string route_text(const demo_figures& figures) {
  long total = figures.helper + figures.emulated + figures.native;
  if (total == 0) return "no calls logged";
  const char* main = figures.helper >= figures.emulated && figures.helper >= figures.native ? "helper"
                     : figures.emulated >= figures.native ? "emulated" : "native";
  long count = std::string(main) == "helper" ? figures.helper
               : std::string(main) == "emulated" ? figures.emulated : figures.native;
  return std::string(main) + " " + std::to_string(count) + "/" + std::to_string(total);
}

// Runs one leg; adds its figures per api. Returns false if the leg failed.
bool run_leg(const std::vector<std::string>& argv, const std::vector<std::string>& env,
             std::map<std::string, demo_figures>* figures) {
  std::string output;
  int status = run_child(argv, env, &output, false);
  if (status != 0) return false;
  std::istringstream lines(output);
  std::string line;
  while (std::getline(lines, line)) {
    std::string api = json_value(line, "api");
    if (api.empty()) continue;
    demo_figures& mine = (*figures)[api];
    mine.p50_us.push_back(json_number(line, "p50_us", 0));
    mine.writer_ratio.push_back(json_number(line, "writer_ratio", 0));
    // -1: the leg did not log its routes
    mine.helper += std::max(0L, static_cast<long>(json_number(line, "route_helper", 0)));
    mine.emulated += std::max(0L, static_cast<long>(json_number(line, "route_emulated", 0)));
    mine.native += std::max(0L, static_cast<long>(json_number(line, "route_native", 0)));
    if (json_number(line, "preloaded", 0) == 0) mine.preloaded = false;
  }
  return true;
}

}  // namespace

int run_demo(bench_args& args) {
  std::string lib = args.text("lib", "");
  long spawns = static_cast<long>(args.number("spawns", 30));
  long rounds = static_cast<long>(args.number("rounds", 2));
  double gib = args.number("gib", 1.0);
  if (!args.error().empty()) {
    std::fprintf(stderr, "forkless-bench demo: %s\n", args.error().c_str());
    return 2;
  }
  if (lib.empty() || access(lib.c_str(), R_OK) != 0) {
    std::fprintf(stderr, "forkless demo: the library '%s' does not exist or is not readable; "
                 "build it first (cmake --build build) or pass --lib PATH\n", lib.c_str());
    return 2;
  }
  char log_path[] = "/tmp/forkless-demo-XXXXXX";
  int log_fd = mkstemp(log_path);
  if (log_fd < 0) {
    std::perror("forkless demo: temporary log file");
    return 1;
  }
  close(log_fd);

  std::vector<std::string> argv = {self_path(), "run", "--gib", std::to_string(gib), "--pages", "small",
                                   "--writers", "2", "--callers", "1", "--apis", "system,popen,fork",
                                   "--spawns", std::to_string(spawns), "--max-seconds", "2",
                                   "--baseline-seconds", "0.3", "--hang-seconds", "10", "--tag", "demo"};
  std::vector<std::string> native_env = clean_environment({});
  std::vector<std::string> forkless_vars = {"LD_PRELOAD=" + lib, "FORKLESS_MODE=auto",
                                            "FORKLESS_FORK_SITES=forkless_bench_fork_exec"};
  std::vector<std::string> forkless_env = clean_environment(forkless_vars);
  forkless_vars.insert(forkless_vars.end(), {"FORKLESS_LOG=1", std::string("FORKLESS_LOG_FILE=") + log_path});
  std::vector<std::string> route_check_env = clean_environment(forkless_vars);
  std::vector<std::string> route_check_argv = argv;
  *(std::find(route_check_argv.begin(), route_check_argv.end(), "--spawns") + 1) = "3";

  std::printf("forkless demo: %.1f GiB touched (4 KiB pages), 2 worker threads writing it,\n"
              "/bin/true spawned %ld times per API per leg; native and forkless legs interleaved, %ld rounds.\n",
              gib, spawns, rounds);
  std::map<std::string, demo_figures> native, forkless;
  for (long round = 0; round < rounds; ++round) {
    std::printf("  round %ld/%ld ...\n", round + 1, rounds);
    std::fflush(stdout);
    bool native_first = round % 2 == 1;  // forkless first: an unusable library fails fast
    for (int leg = 0; leg < 2; ++leg) {
      bool is_native = (leg == 0) == native_first;
      if (!run_leg(argv, is_native ? native_env : forkless_env, is_native ? &native : &forkless)) {
        std::fprintf(stderr, "forkless demo: the %s leg failed (see messages above)%s\n",
                     is_native ? "native" : "forkless",
                     is_native ? "" : "; the library is not usable in this process");
        unlink(log_path);
        return 1;
      }
      if (!is_native && !forkless["system"].preloaded) {
        std::fprintf(stderr, "forkless demo: %s was not loaded into the forkless leg (see the "
                     "loader's message above); the library is not usable\n", lib.c_str());
        unlink(log_path);
        return 1;
      }
    }
  }
  std::map<std::string, demo_figures> routes;
  bool checked = run_leg(route_check_argv, route_check_env, &routes);
  unlink(log_path);
  if (!checked) {
    std::fprintf(stderr, "forkless demo: the route-check leg failed (see messages above)\n");
    return 1;
  }

  long logged = 0;  // calls the library saw (auto may leave them to libc: still its decision)
  std::printf("\n%-15s %31s %21s\n", "", "per-spawn latency (median)", "worker throughput");
  std::printf("%-15s %10s %10s %8s %10s %9s   %s\n", "API", "native", "forkless", "ratio", "native",
              "forkless", "forkless route");
  for (size_t index = 0; index < sizeof demo_apis / sizeof demo_apis[0]; ++index) {
    const demo_figures& mine = native[demo_apis[index]];
    const demo_figures& theirs = forkless[demo_apis[index]];
    const demo_figures& route = routes[demo_apis[index]];
    if (index < 2) logged += route.helper + route.native;
    double native_us = median_of(mine.p50_us), forkless_us = median_of(theirs.p50_us);
    std::printf("%-15s %10s %10s %7.2fx %9.0f%% %8.0f%%   %s\n", demo_labels[index],
                format_time(native_us).c_str(), format_time(forkless_us).c_str(),
                native_us > 0 ? forkless_us / native_us : 0.0, 100 * median_of(mine.writer_ratio),
                100 * median_of(theirs.writer_ratio), route_text(route).c_str());
  }
  std::printf("\nratio = forkless / native (below 1: forkless is faster). Worker throughput is the\n"
              "workers' rate while spawning, relative to their rate just before with no spawning.\n"
              "forkless route: from a last short leg with FORKLESS_LOG=1 (the timed legs do not log).\n");
  if (logged == 0) {
    std::fprintf(stderr, "forkless demo: the library saw no system()/popen() call; "
                 "it is not usable here\n");
    return 1;
  }
  return 0;
}

}  // namespace forkless_bench
