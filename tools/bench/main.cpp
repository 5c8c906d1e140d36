// forkless-bench: measures spawning from a large, busy process, natively or
// (when run with LD_PRELOAD=libforkless.so) through forkless. The driver
// tools/bench/run-matrix runs it both ways and compares; "demo" compares
// both ways itself. Output is one JSON object per line, for machines.
#include <cstdio>
#include <cstring>

#include "commands.h"

namespace {

const char usage[] =
    "usage: forkless-bench run [--gib G] [--pages small|huge] [--writers 0,1,4] [--callers 1,4]\n"
    "                          [--apis fork,vfork,posix_spawn,system,popen] [--spawns N]\n"
    "                          [--max-seconds S] [--baseline-seconds S] [--fds N]\n"
    "                          [--program PATH] [--tag TEXT] [--hang-seconds S]\n"
    "       forkless-bench startup [--lib PATH] [--floor-lib PATH] [--runs N] [--name LABEL] -- COMMAND [ARG...]\n"
    "       forkless-bench demo --lib PATH [--spawns N] [--rounds R] [--gib G]\n"
    "run: one JSON line per (writers, api, callers) case; the route is whatever this\n"
    "process is (preload libforkless.so to measure forkless).\n";

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
    std::fputs(usage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  forkless_bench::bench_args args;
  if (!args.parse(argc, argv, 2)) {
    std::fprintf(stderr, "forkless-bench: %s\n%s", args.error().c_str(), usage);
    return 2;
  }
  if (std::strcmp(argv[1], "run") == 0) return forkless_bench::run_spawn_cases(args);
  if (std::strcmp(argv[1], "startup") == 0) return forkless_bench::run_startup_cost(args);
  if (std::strcmp(argv[1], "demo") == 0) return forkless_bench::run_demo(args);
  std::fprintf(stderr, "forkless-bench: unknown command '%s'\n%s", argv[1], usage);
  return 2;
}
