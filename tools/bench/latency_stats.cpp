// Nearest-rank percentiles; see latency_stats.h.
#include "latency_stats.h"

#include <algorithm>
#include <cmath>

namespace forkless_bench {

static size_t rank_index(size_t count, double fraction) {
  auto rank = static_cast<size_t>(std::ceil(fraction * static_cast<double>(count)));
  return rank == 0 ? 0 : rank - 1;
}

latency_summary summarize_ns(std::vector<long long> samples_ns) {
  latency_summary summary;
  summary.count = samples_ns.size();
  if (samples_ns.empty()) return summary;
  std::sort(samples_ns.begin(), samples_ns.end());
  double total = 0;
  for (long long sample : samples_ns) total += static_cast<double>(sample);
  summary.p50_us = static_cast<double>(samples_ns[rank_index(samples_ns.size(), 0.50)]) / 1e3;
  summary.p99_us = static_cast<double>(samples_ns[rank_index(samples_ns.size(), 0.99)]) / 1e3;
  summary.mean_us = total / static_cast<double>(samples_ns.size()) / 1e3;
  summary.max_us = static_cast<double>(samples_ns.back()) / 1e3;
  return summary;
}

double median_of(std::vector<double> values) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  size_t middle = values.size() / 2;
  return values.size() % 2 == 1 ? values[middle] : (values[middle - 1] + values[middle]) / 2;
}

}  // namespace forkless_bench
