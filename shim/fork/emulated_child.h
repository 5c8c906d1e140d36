// State of the child of an emulated fork, kept in the calling thread's TLS:
// the child runs on that thread's memory (CLONE_VM without CLONE_SETTLS), so
// the parent reads back what the child left there once it resumes.
//
// While the child runs, every signal stays blocked in it. Its own
// sigprocmask/pthread_sigmask calls are recorded as the mask it wants
// instead of being applied; the exec family puts that mask in place just
// before the exec and blocks everything again if the exec fails.
#pragma once

#include <csignal>

namespace forkless {

// Parent, before the clone: the child starts wanting the caller's mask.
void emulated_child_begin(const sigset_t& caller_mask);

// Child: sigprocmask/pthread_sigmask semantics on the recorded mask.
// Returns 0 or an error number (EINVAL).
int emulated_child_set_mask(int how, const sigset_t* set, sigset_t* old);

// Child: around each exec attempt (path is remembered for diagnostics).
void emulated_child_before_exec(const char* path);
void emulated_child_exec_failed();

// Parent, after it resumed: the last program the child tried to exec, or
// nullptr.
const char* emulated_child_exec_path();

// The calling thread's signal mask, through the system call itself (neither
// glibc's filtering of its internal signals nor our interposer).
int raw_signal_mask(int how, const sigset_t* set, sigset_t* old);
void block_all_signals(sigset_t* old);

}  // namespace forkless
