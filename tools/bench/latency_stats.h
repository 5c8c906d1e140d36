// Percentiles of per-spawn times. Nearest-rank percentiles: with few samples
// (slow native forks) p99 is simply the largest, which is what we want to
// show rather than an interpolated value no spawn ever took.
#pragma once

#include <cstddef>
#include <vector>

namespace forkless_bench {

struct latency_summary {
  size_t count = 0;
  double p50_us = 0, p99_us = 0, mean_us = 0, max_us = 0;
};

latency_summary summarize_ns(std::vector<long long> samples_ns);
double median_of(std::vector<double> values);

}  // namespace forkless_bench
