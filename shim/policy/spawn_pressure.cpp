#include "spawn_pressure.h"

#include <sched.h>
#include <time.h>

#include <atomic>

#include "diagnostics.h"

namespace forkless {
namespace {

// How old a sample may be before the next call takes a new one: long enough
// that the two system calls are paid at most 100 times a second, short enough
// to follow a process whose threads start or stop working.
constexpr long kPressureSampleNs = 10 * 1000 * 1000;

// The last sample; a data race between threads costs at worst one sample
// more or one value older, so relaxed atomics suffice.
std::atomic<int> spawns_in_flight{0};
std::atomic<long> sampled_cpu_ns{0};
std::atomic<long> sampled_wall_ns{0};
std::atomic<int> last_busy_percent{-1};

long clock_ns(clockid_t clock) {
  timespec now{};
  if (clock_gettime(clock, &now) != 0) return -1;
  return now.tv_sec * 1000000000L + now.tv_nsec;
}

int allowed_processors() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return -1;
  return CPU_COUNT(&allowed);
}

}  // namespace

int busy_percent_between(long cpu_ns_before, long cpu_ns_now, long wall_ns_before, long wall_ns_now,
                         int processors) {
  long wall = wall_ns_now - wall_ns_before;
  long cpu = cpu_ns_now - cpu_ns_before;
  if (processors <= 0 || wall <= 0 || cpu < 0) return -1;
  long percent = cpu * 100 / (wall * processors);
  return percent > 100 ? 100 : static_cast<int>(percent);
}

void spawn_started() { spawns_in_flight.fetch_add(1, std::memory_order_relaxed); }
void spawn_finished() { spawns_in_flight.fetch_sub(1, std::memory_order_relaxed); }

int other_spawns_in_flight() {
  int others = spawns_in_flight.load(std::memory_order_relaxed) - 1;
  return others > 0 ? others : 0;
}

void start_pressure_sampling() {
  long wall = monotonic_ns();
  long cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
  if (cpu < 0) return;
  sampled_cpu_ns.store(cpu, std::memory_order_relaxed);
  sampled_wall_ns.store(wall, std::memory_order_relaxed);
}

int busy_percent() {
  int last = last_busy_percent.load(std::memory_order_relaxed);
  long wall = monotonic_ns();
  long before_wall = sampled_wall_ns.load(std::memory_order_relaxed);
  if (wall - before_wall < kPressureSampleNs) return last;
  long cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
  if (cpu < 0) return last;
  long before_cpu = sampled_cpu_ns.load(std::memory_order_relaxed);
  sampled_cpu_ns.store(cpu, std::memory_order_relaxed);
  sampled_wall_ns.store(wall, std::memory_order_relaxed);
  // Without a first sample (its clocks failed) this one only starts the
  // window. One far older than the sample period (an idle stretch) measures
  // the whole stretch, which is what the processors have been doing.
  if (before_wall == 0) return last;
  int busy = busy_percent_between(before_cpu, cpu, before_wall, wall, allowed_processors());
  last_busy_percent.store(busy, std::memory_order_relaxed);
  return busy;
}

}  // namespace forkless
