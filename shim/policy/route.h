// route_for_call: which way a spawning call goes.
//
// The decision is a pure function (decide_route) of the settings, the thread
// count, the process's processor use, what libc's own call costs, and the
// calling thread's state, so unit tests can drive it; the convenience
// overload gathers the inputs from the process.
//
// FORKLESS_MODE=auto, for system/popen/posix_spawn*: the helper only where
// it is the faster exact route now. glibc's own calls are vfork-style (their
// cost does not grow with the process) and cheaper than the helper's round
// trip, except for a lone caller while the process's threads keep every
// processor it may use busy (spawn_pressure.h); a libc whose call forks
// always loses to the helper. fork() keeps its rule: emulation where the site allows it, while
// other threads run.
#pragma once

#include "config.h"
#include "diagnostics.h"

namespace forkless {

// Processor use, in percent of the processors the process may run on, from
// which the helper route is faster than glibc's vfork-style spawn for a lone
// caller: the processors are saturated, so a woken helper is scheduled
// sooner than the caller's child. Two busy threads on two processors measure
// 80-100 % (the spawning thread's waits and the children take a share); one
// measures about 50 %, where native is faster (docs/benchmark.md, "auto").
inline constexpr int kSaturatedBusyPercent = 75;

struct route_decision {
  route_kind route;    // helper (system/popen/posix_spawn*), emulated (fork) or native
  const char* reason;  // static string for the reason= field
  int threads;         // thread count seen, -1 if unknown
};

struct route_inputs {
  const settings* config;
  api_kind api;
  int threads;               // count_threads()
  bool in_emulated_child;    // spawning from an emulated fork or vfork child
  int busy_percent = -1;     // busy_percent(), -1 unknown
  int others_in_flight = 0;  // other_spawns_in_flight()
  bool libc_forks = false;   // libc's own call for this api copies the address space
};

route_decision decide_route(const route_inputs& inputs);
route_decision route_for_call(api_kind api);

// Whether this libc's own call for api forks: glibc before 2.24
// (posix_spawn) or 2.29 (system, popen, which spawn through posix_spawn
// since). Pure, for a version string such as "2.36".
bool libc_call_forks(api_kind api, const char* glibc_version);

}  // namespace forkless
