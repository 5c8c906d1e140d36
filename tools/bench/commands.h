// The sub-commands of forkless-bench (see main.cpp for their usage text).
#pragma once

#include "bench_args.h"

namespace forkless_bench {

int run_spawn_cases(bench_args& args);   // "run": the measurement matrix cases
int run_startup_cost(bench_args& args);  // "startup": short programs, native vs preloaded
int run_demo(bench_args& args);          // "demo": the seed scenario, side by side

}  // namespace forkless_bench
