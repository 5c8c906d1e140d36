// "forkless-bench startup": the start-up cost of a short program with the
// library preloaded (helper started eagerly or lazily) against native, and,
// with --floor-lib, with an empty library preloaded: what any preload costs.
// forkless-bench itself runs natively here; only the measured program gets
// LD_PRELOAD. The variants run round-robin, each run starting one variant
// later (native, empty, eager, lazy; empty, eager, lazy, native; ...), so
// that drift in the machine's state, and the after-effects of the variant
// before, hit them alike. Hazard: with eager
// start the program starts its helper from a constructor; the helper outlives
// the program briefly (until it sees EOF). That is not part of the time, and
// it must not overlap the next variant's run either (it would be charged to
// it): this process is a child subreaper, so the orphaned helper becomes its
// child, and every run ends with all such descendants reaped, untimed.
#include <sys/prctl.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <vector>

#include "child_process.h"
#include "commands.h"
#include "json_line.h"
#include "latency_stats.h"
#include "spawn_api.h"

namespace forkless_bench {

namespace {
struct startup_variant {
  const char* name;
  std::vector<std::string> env;
  std::vector<long long> samples_ns;
  long failures = 0;
};
// Reaps the measured program's orphaned descendants (an eager helper exits
// as soon as it sees EOF); gives up after 2 s on one that lingers.
void reap_leftovers() {
  long long deadline = monotonic_ns() + 2000000000LL;
  for (;;) {
    pid_t pid = waitpid(-1, nullptr, WNOHANG);
    if (pid < 0 && errno != EINTR) return;  // ECHILD: none left
    if (pid == 0) {
      if (monotonic_ns() > deadline) return;
      usleep(200);
    }
  }
}

}  // namespace

int run_startup_cost(bench_args& args) {
  std::string lib = args.text("lib", "");
  std::string floor_lib = args.text("floor-lib", "");
  std::string label = args.text("name", "program");
  long runs = static_cast<long>(args.number("runs", 100));
  if (!args.error().empty() || args.command().empty()) {
    std::fprintf(stderr, "forkless-bench startup: %s\n",
                 args.error().empty() ? "give the program after --" : args.error().c_str());
    return 2;
  }
  std::vector<startup_variant> variants;
  variants.push_back({"native", clean_environment({}), {}, 0});
  if (!floor_lib.empty()) variants.push_back({"empty", clean_environment({"LD_PRELOAD=" + floor_lib}), {}, 0});
  if (!lib.empty()) {
    // "eager" is the default (no FORKLESS_HELPER_START): the program starts
    // its helper at load, and its descendants, which inherit the variable the
    // library then sets, start theirs lazily. FORKLESS_HELPER_START=eager
    // would make every process of a pipeline start one.
    variants.push_back({"eager", clean_environment({"LD_PRELOAD=" + lib}), {}, 0});
    variants.push_back({"lazy", clean_environment({"LD_PRELOAD=" + lib, "FORKLESS_HELPER_START=lazy"}), {}, 0});
  }
  for (startup_variant& variant : variants) {  // warm-up, not counted; shows loader errors
    if (run_child(args.command(), variant.env, nullptr, false) != 0)
      std::fprintf(stderr, "forkless-bench startup: %s (%s) did not exit 0\n", label.c_str(), variant.name);
  }
  prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  for (long run = 0; run < runs; ++run) {
    // Each run starts with the next variant: a variant that always followed
    // another (lazy after eager, whose helper has just exited) would carry
    // its after-effects on caches and CPUs alone.
    for (size_t turn = 0; turn < variants.size(); ++turn) {
      startup_variant& variant = variants[(static_cast<size_t>(run) + turn) % variants.size()];
      long long start = monotonic_ns();
      int status = run_child(args.command(), variant.env, nullptr, true);
      variant.samples_ns.push_back(monotonic_ns() - start);
      if (status != 0) ++variant.failures;
      reap_leftovers();
    }
  }
  double native_p50 = summarize_ns(variants[0].samples_ns).p50_us;
  for (startup_variant& variant : variants) {
    latency_summary summary = summarize_ns(variant.samples_ns);
    json_line line;
    line.add("kind", "startup").add("program", label).add("variant", variant.name)
        .add("runs", static_cast<long>(summary.count)).add("failures", variant.failures)
        .add("p50_us", summary.p50_us).add("p99_us", summary.p99_us).add("mean_us", summary.mean_us)
        .add("ratio_p50", native_p50 > 0 ? summary.p50_us / native_p50 : -1.0);
    std::printf("%s\n", line.str().c_str());
  }
  return 0;
}

}  // namespace forkless_bench
