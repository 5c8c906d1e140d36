// The core's calls to the definitions it interposes (libc's, or those of a
// library preloaded after forkless): real::name(args...), for every function
// of interposed_functions.h.
//
// Each resolves on first use and is then kept. Served by the front library,
// the core takes the front's resolution (dlsym(RTLD_NEXT) from the front,
// which is where the interposed chain goes on); linked directly (the unit
// tests), it resolves with dlsym(RTLD_NEXT) itself. A result that is one of
// forkless's own definitions is rejected, so a broken link order can never
// recurse forever: the call then answers ENOSYS instead.
#pragma once

#include "interposed_functions.h"

namespace forkless::real {

// For each function: its signature type, the resolved address (never null:
// a missing or self-resolving symbol gives a stub that fails with ENOSYS) and
// a forwarding call real::name(args...).
#define FORKLESS_DECLARE_REAL(shape, ret, name, params, arguments) \
  using name##_signature = ret params;                              \
  name##_signature* name##_address();                               \
  template <typename... Args>                                       \
  inline ret name(Args... forwarded) {                              \
    return name##_address()(forwarded...);                          \
  }
FORKLESS_INTERPOSED_FUNCTIONS(FORKLESS_DECLARE_REAL)
#undef FORKLESS_DECLARE_REAL

// Resolves every function above now (dlsym takes the dynamic loader's lock:
// the child of an emulated fork, which shares the parent's memory, must
// never be the one to take it).
void resolve_all();

}  // namespace forkless::real
