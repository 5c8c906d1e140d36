// route_for_call: which way a spawning call goes.
//
// The decision is a pure function (decide_route) of the settings, the thread
// count and the calling thread's state, so unit tests can drive it; the
// convenience overload gathers the inputs from the process.
#pragma once

#include "config.h"
#include "diagnostics.h"

namespace forkless {

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
};

route_decision decide_route(const route_inputs& inputs);
route_decision route_for_call(api_kind api);

}  // namespace forkless
