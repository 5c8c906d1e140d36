// The C++ side of the fork() entry (fork_entry_x86_64.S).
//
//   fork():  forkless_fork_prepare(return_address, entry_sp, kind)
//              plain, native -> tail call forkless_fork_native(kind, prepared):
//                   an ordinary fork (plain: untouched and unlogged)
//              emulate -> clone(CLONE_VM | CLONE_VFORK | SIGCHLD) on the same stack
//                   child:  returns 0 to the caller (all signals blocked)
//                   parent: forkless_fork_resume(clone result)
//
// prepare takes every decision and all the state the parent needs back
// before the clone; the child then runs in the caller's frames, so nothing of
// the entry's own stack survives the clone: resume works from TLS only.
#pragma once

#include <sys/types.h>

#include <cstdint>

namespace forkless {

enum fork_entry_kind : int {
  fork_entry_fork = 0,   // fork, __fork: atfork handlers on the native path
  fork_entry_underscore = 1,  // _Fork: none
};

// What forkless_fork_prepare decided (the values fork_entry_x86_64.S tests).
enum fork_prepared : int {
  fork_prepared_plain = 0,    // libc's fork, nothing recorded
  fork_prepared_emulate = 1,
  fork_prepared_native = 2,   // libc's fork, logged (and observed in learn mode)
};

}  // namespace forkless

extern "C" {
__attribute__((visibility("hidden"))) int forkless_fork_prepare(void* return_address, uintptr_t entry_sp,
                                                               int kind);
__attribute__((visibility("hidden"))) pid_t forkless_fork_resume(long clone_result);
__attribute__((visibility("hidden"))) pid_t forkless_fork_native(int kind, int prepared);
// Architectures without the entry: the native fork, logged as such.
__attribute__((visibility("hidden"))) pid_t forkless_fork_without_emulation(int kind);
}
