// The library's per-thread memory: one block per thread, in the front
// library's initial-exec TLS (zero at every thread's start, no allocation,
// usable from a signal handler and from an emulated fork child). The core
// keeps no TLS of its own: a library loaded with dlopen would take it from
// the little static TLS glibc keeps spare for all such libraries.
//
// Each part is the room of one module's record, which stays private to its
// .cpp file: thread_block_part checks there that the record fits. The sizes
// are today's records rounded up, so that a field added does not at once
// break the build of the other library.
#pragma once

#include <cstddef>

#include "thread_state.h"

namespace forkless {

struct thread_block {
  thread_state state;                                // thread_state.h
  alignas(16) unsigned char fork_call[384];          // fork/fork_emulation.cpp (280 bytes)
  alignas(16) unsigned char emulated_child[384];     // fork/emulated_child.cpp (296 bytes)
  alignas(16) unsigned char stack_window[64];        // fork/stack_window.cpp (48 bytes)
  alignas(16) unsigned char identity_cache[256];     // helper_client/helper_identity.cpp (224 bytes)
  char context_reason[48];                           // helper_client/helper_spawn.cpp
  char fallback_reason[64];                          // helper_client/helper_spawn.cpp
};

// This thread's block (the front's, or the unit tests' own).
thread_block& this_thread_block();

// A module's record in its room of this thread's block.
template <typename Record, size_t Bytes>
Record& thread_block_part(unsigned char (&room)[Bytes]) {
  static_assert(sizeof(Record) <= Bytes, "the record outgrew its room in thread_block");
  static_assert(alignof(Record) <= 16, "thread_block's rooms are 16-byte aligned");
  return *reinterpret_cast<Record*>(room);
}

}  // namespace forkless
