// What the front library (libforkless.so, preloaded into every process) and
// the core (libforkless-core.so, loaded by the front when a process first
// needs it) hand each other. Both are built from one tree and installed side
// by side; the version check refuses a core of another build shape.
#pragma once

#include "interposed_functions.h"
#include "thread_block.h"

namespace forkless {

// Raised whenever a field below or the meaning of one changes.
constexpr int kFrontAbiVersion = 1;

struct front_services {
  int abi_version;
  int interposed;             // interposed_count of the front
  unsigned long block_bytes;  // sizeof(thread_block) of the front
  // This thread's block, in the front's initial-exec TLS (a library loaded
  // with dlopen must not take static TLS of its own: other libraries may
  // need the little there is).
  thread_block* (*block_of_thread)();
  // The definition after the front's (libc's, or another preloaded
  // library's): resolved with dlsym(RTLD_NEXT) from the front, as a
  // preloaded interposer does, once; all of them by resolve_all_next.
  void* (*next)(int index);
  void (*resolve_all_next)();
  // The core's fork handlers, run from the front's one pthread_atfork
  // registration (made at the front's load, before the program's own, so
  // that the core's prepare runs last and its child handler first, whenever
  // the core is loaded).
  void (*set_fork_handlers)(void (*prepare)(), void (*parent)(), void (*child)());
};

// The core's one export. Fills entries[index] with the core's definition of
// each interposed function; false if the core cannot serve this front.
extern "C" typedef bool core_attach_function(const front_services* front, void** entries);
constexpr char kCoreAttachName[] = "forkless_core_attach";
// The core's file, beside the front's.
constexpr char kCoreFileName[] = "libforkless-core.so";

}  // namespace forkless
