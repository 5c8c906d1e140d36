// The signals FORKLESS_MODE=auto routes system/popen/posix_spawn by: how busy
// this process keeps the processors it may run on, and how many of its
// spawns are in flight.
//
// glibc 2.36 spawns vfork-style: natively a spawn costs the same at any
// process size, and the helper route adds a fixed cost (the request, the
// helper's wake-up and checks, about 0.15-0.2 ms). The helper route wins
// where the process's own threads keep every processor it may use busy and
// one thread spawns: a woken helper, which has slept, then gets a processor
// at once, while the caller's vfork child waits for one (measured,
// docs/benchmark.md: 0.2-0.6x native with two busy threads on two
// processors). With other spawns in flight meanwhile it does not (1.0-1.4x).
//
// Cost per call: two relaxed atomic updates and a CLOCK_MONOTONIC read
// (vDSO); at most once per kPressureSampleNs a CLOCK_PROCESS_CPUTIME_ID and
// a sched_getaffinity system call. No /proc read.
#pragma once

namespace forkless {

// Around every intercepted system/popen/posix_spawn*, whatever the route.
void spawn_started();
void spawn_finished();
// This process's spawns in progress, the caller's own excluded.
int other_spawns_in_flight();

// spawn_started/spawn_finished for a scope.
class spawn_in_flight {
 public:
  spawn_in_flight() { spawn_started(); }
  ~spawn_in_flight() { spawn_finished(); }
  spawn_in_flight(const spawn_in_flight&) = delete;
  spawn_in_flight& operator=(const spawn_in_flight&) = delete;
};

// Takes the first sample (from the library's constructor), so that the first
// spawn already measures a window: the time since the process started.
void start_pressure_sampling();

// The process's processor use over the last sample window, in percent of
// the processors it may run on; -1 while unknown (the first window).
int busy_percent();

// The pure part: busy percent from two samples of process CPU time and of
// the monotonic clock, over the processors allowed (-1 when they say
// nothing).
int busy_percent_between(long cpu_ns_before, long cpu_ns_now, long wall_ns_before, long wall_ns_now,
                         int processors);

}  // namespace forkless
