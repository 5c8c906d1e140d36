// The signal FORKLESS_MODE=auto routes system/popen/posix_spawn by: how busy
// this process keeps the processors it may run on.
//
// glibc 2.36 spawns vfork-style: natively a spawn costs the same at any
// process size, and the helper route adds a fixed cost (the request, the
// helper's wake-up and checks, about 0.15-0.2 ms). The helper route wins
// only where the process's own threads keep every processor it may use busy:
// a woken helper, which has slept, then gets a processor sooner than the
// caller's vfork child does (measured: docs/benchmark.md).
//
// Cost per call: a CLOCK_MONOTONIC read (vDSO), and at most once per
// kPressureSampleNs a CLOCK_PROCESS_CPUTIME_ID and a sched_getaffinity
// system call. No /proc read.
#pragma once

namespace forkless {

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
