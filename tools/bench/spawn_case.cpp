// "forkless-bench run": one process touches the memory once, then for each
// writer count, API and number of concurrent callers measures a no-spawn
// writer baseline and a spawn phase, printing one JSON line per case.
// Hazards:
//  - after a native fork every page is write-protected; the next write to
//    each faults. After a fork phase the main thread rewrites every page once
//    so that the next baseline and the next case do not pay for the last one
//    (callers should list fork last: it disturbs what follows it).
//  - a phase ends after --spawns spawns or --max-seconds, whichever first, but
//    every caller makes at least one spawn, so slow cases still give numbers.
//  - with one caller the main thread spawns (no extra thread), so with no
//    writers the process is single-threaded, as a real one would be;
//    FORKLESS_MODE=auto then rightly stays native (the route column says so).
#include <sys/resource.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include "commands.h"
#include "dirty_writers.h"
#include "json_line.h"
#include "latency_stats.h"
#include "route_tally.h"
#include "spawn_api.h"
#include "touched_memory.h"

namespace forkless_bench {
namespace {

struct case_settings {
  double gib = 0.1;
  page_kind pages = page_kind::small;
  long spawns = 50;
  double max_seconds = 1.0;
  double baseline_seconds = 0.2;
  long fds = 0;
  std::string program = "/bin/true";
  std::string tag = "-";
  double hang_seconds = 60;
};

struct phase_result {
  std::vector<long long> totals_ns, calls_ns;
  long failures = 0;
  double seconds = 0;
};

// Watchdog: a spawn that never completes (a broken library can leave a pipe
// open forever) must not hang the whole matrix. If no spawn completed for
// --hang-seconds, say so and leave with status 3.
std::atomic<long long> last_progress_ns{0};
std::atomic<const char*> current_api{"-"};

void start_watchdog(double hang_seconds) {
  last_progress_ns.store(monotonic_ns());
  std::thread([hang_seconds] {
    auto limit = static_cast<long long>(hang_seconds * 1e9);
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      if (monotonic_ns() - last_progress_ns.load() > limit) {
        std::fprintf(stderr, "forkless-bench: api=%s: no spawn completed within %g s; giving up\n",
                     current_api.load(), hang_seconds);
        _exit(3);
      }
    }
  }).detach();
}

phase_result spawn_phase(spawn_api api, unsigned callers, const case_settings& settings) {
  current_api.store(spawn_api_name(api));
  last_progress_ns.store(monotonic_ns());
  std::atomic<long> tickets{0};
  long long deadline = monotonic_ns() + static_cast<long long>(settings.max_seconds * 1e9);
  std::vector<phase_result> per_caller(callers);
  auto caller = [&](phase_result& mine) {
    for (bool first = true;; first = false) {
      if (tickets.fetch_add(1) >= settings.spawns) return;
      if (!first && monotonic_ns() > deadline) return;
      spawn_timing timing = spawn_once(api, settings.program.c_str());
      last_progress_ns.store(monotonic_ns());
      mine.totals_ns.push_back(timing.total_ns);
      mine.calls_ns.push_back(timing.call_ns);
      if (!timing.ok) ++mine.failures;
    }
  };
  long long start = monotonic_ns();
  if (callers == 1) {
    caller(per_caller[0]);
  } else {
    std::vector<std::thread> threads;
    for (phase_result& mine : per_caller) threads.emplace_back(caller, std::ref(mine));
    for (std::thread& thread : threads) thread.join();
  }
  phase_result all;
  all.seconds = static_cast<double>(monotonic_ns() - start) / 1e9;
  for (phase_result& mine : per_caller) {
    all.totals_ns.insert(all.totals_ns.end(), mine.totals_ns.begin(), mine.totals_ns.end());
    all.calls_ns.insert(all.calls_ns.end(), mine.calls_ns.begin(), mine.calls_ns.end());
    all.failures += mine.failures;
  }
  return all;
}

double writer_rate(const dirty_writers& writers, double seconds) {
  uint64_t before = writers.pages_written();
  long long start = monotonic_ns();
  std::this_thread::sleep_for(std::chrono::microseconds(static_cast<long>(seconds * 1e6)));
  double elapsed = static_cast<double>(monotonic_ns() - start) / 1e9;
  return static_cast<double>(writers.pages_written() - before) / elapsed;
}

// Waits until the writers have written as many pages as the region holds
// (one pass each), so that the first baseline is their steady rate.
void let_writers_pass(const dirty_writers& writers, size_t pages, double cap_seconds) {
  uint64_t target = writers.pages_written() + pages;
  long long deadline = monotonic_ns() + static_cast<long long>(cap_seconds * 1e9);
  while (writers.pages_written() < target && monotonic_ns() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

// Writes every page once, taking the copy-on-write faults a fork left behind.
void rewrite_pages(const touched_memory& memory) {
  if (populate_writable(memory.data(), memory.size())) return;
  for (size_t offset = 0; offset < memory.size(); offset += 4096) {
    auto* byte = reinterpret_cast<volatile unsigned char*>(memory.data() + offset);
    *byte = static_cast<unsigned char>(*byte + 1);
  }
}

long minor_faults(int who) {
  rusage usage{};
  getrusage(who, &usage);
  return usage.ru_minflt;
}

// Opens `count` inheritable descriptors (dups of /dev/null); false on failure.
bool open_descriptors(long count, std::vector<int>* opened) {
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  rlim_t needed = static_cast<rlim_t>(count) + 64;
  if (limit.rlim_cur < needed) {
    limit.rlim_cur = needed <= limit.rlim_max ? needed : limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  int first = open("/dev/null", O_RDONLY);
  if (first < 0) return false;
  opened->push_back(first);
  while (static_cast<long>(opened->size()) < count) {
    int copy = dup(first);
    if (copy < 0) return false;
    opened->push_back(copy);
  }
  return true;
}

bool read_settings(bench_args& args, case_settings* settings) {
  settings->gib = args.number("gib", settings->gib);
  std::string pages = args.text("pages", "small");
  if (pages != "small" && pages != "huge") {
    std::fprintf(stderr, "forkless-bench: --pages must be small or huge\n");
    return false;
  }
  settings->pages = pages == "huge" ? page_kind::huge : page_kind::small;
  settings->spawns = static_cast<long>(args.number("spawns", static_cast<double>(settings->spawns)));
  settings->max_seconds = args.number("max-seconds", settings->max_seconds);
  settings->baseline_seconds = args.number("baseline-seconds", settings->baseline_seconds);
  settings->fds = static_cast<long>(args.number("fds", 0));
  settings->program = args.text("program", settings->program);
  settings->tag = args.text("tag", settings->tag);
  settings->hang_seconds = args.number("hang-seconds", settings->hang_seconds);
  if (settings->spawns < 1) settings->spawns = 1;
  return true;
}

}  // namespace

int run_spawn_cases(bench_args& args) {
  case_settings settings;
  if (!read_settings(args, &settings)) return 2;
  std::vector<spawn_api> apis;
  for (const std::string& name : args.list("apis", "posix_spawn")) {
    spawn_api api;
    if (!parse_spawn_api(name, &api)) {
      std::fprintf(stderr, "forkless-bench: unknown api '%s'\n", name.c_str());
      return 2;
    }
    apis.push_back(api);
  }
  std::vector<double> writer_counts = args.numbers("writers", "0");
  std::vector<double> caller_counts = args.numbers("callers", "1");
  if (!args.error().empty()) {
    std::fprintf(stderr, "forkless-bench: %s\n", args.error().c_str());
    return 2;
  }

  std::vector<int> descriptors;
  if (settings.fds > 0 && !open_descriptors(settings.fds, &descriptors)) {
    std::fprintf(stderr, "forkless-bench: could not open %ld descriptors\n", settings.fds);
    return 1;
  }
  touched_memory memory;
  if (!memory.allocate(static_cast<size_t>(settings.gib * (1 << 30)), settings.pages)) {
    std::fprintf(stderr, "forkless-bench: could not map %.2f GiB\n", settings.gib);
    return 1;
  }
  resident_memory resident = read_resident_memory();
  bool preloaded = forkless_preloaded();

  start_watchdog(settings.hang_seconds);
  // Warm-up, untimed: the first spawns of a fresh process pay for loading
  // and first-touching things (and, under forkless, for the first helper).
  for (int warm = 0; warm < 3; ++warm) spawn_once(spawn_api::posix_spawn, settings.program.c_str());

  dirty_writers writers;
  route_tally tally;
  for (double writer_count : writer_counts) {
    writers.start(memory.data(), memory.size(), static_cast<unsigned>(writer_count));
    if (writers.count()) let_writers_pass(writers, memory.size() / 4096, 3.0);
    for (spawn_api api : apis) {
      for (double caller_count : caller_counts) {
        unsigned callers = caller_count < 1 ? 1 : static_cast<unsigned>(caller_count);
        double baseline = writers.count() ? writer_rate(writers, settings.baseline_seconds) : 0;
        long self_faults = minor_faults(RUSAGE_SELF);
        long child_faults = minor_faults(RUSAGE_CHILDREN);
        uint64_t pages_before = writers.pages_written();
        tally.begin();
        phase_result phase = spawn_phase(api, callers, settings);
        double during = static_cast<double>(writers.pages_written() - pages_before) / phase.seconds;
        double spawned = static_cast<double>(phase.totals_ns.size());
        self_faults = minor_faults(RUSAGE_SELF) - self_faults;
        child_faults = minor_faults(RUSAGE_CHILDREN) - child_faults;
        route_counts routes = tally.collect();
        latency_summary total = summarize_ns(phase.totals_ns);
        latency_summary call = summarize_ns(phase.calls_ns);

        json_line line;
        line.add("tag", settings.tag).add("api", spawn_api_name(api)).add("gib", settings.gib)
            .add("pages", settings.pages == page_kind::huge ? "huge" : "small")
            .add("writers", static_cast<int>(writers.count())).add("callers", static_cast<int>(callers))
            .add("fds", settings.fds).add("preloaded", preloaded ? 1 : 0)
            .add("spawns", static_cast<long>(total.count)).add("failures", phase.failures)
            .add("p50_us", total.p50_us).add("p99_us", total.p99_us).add("mean_us", total.mean_us)
            .add("call_p50_us", call.p50_us).add("phase_s", phase.seconds).add("spawns_per_s", spawned / phase.seconds)
            .add("writer_baseline_pps", baseline).add("writer_during_pps", during)
            .add("writer_ratio", baseline > 0 ? during / baseline : -1.0)
            .add("minflt_per_spawn", static_cast<double>(self_faults) / spawned)
            .add("child_minflt_per_spawn", static_cast<double>(child_faults) / spawned)
            .add("rss_mib", resident.rss_mib).add("thp_mib", resident.huge_mib)
            .add("route_helper", routes.logging ? routes.helper : -1L)
            .add("route_emulated", routes.logging ? routes.emulated : -1L)
            .add("route_native", routes.logging ? routes.native : -1L);
        std::printf("%s\n", line.str().c_str());
        std::fflush(stdout);
        if (api == spawn_api::fork_exec) rewrite_pages(memory);
      }
    }
    writers.stop();
  }
  for (int descriptor : descriptors) close(descriptor);
  return 0;
}

}  // namespace forkless_bench
