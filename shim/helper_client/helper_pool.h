// helper_pool: the helpers of this process — starting them, lending one to a
// call at a time, retiring the ones that died or drifted, and hiding them
// from the program's wait calls.
#pragma once

#include <sys/types.h>

namespace forkless {

struct helper_lease {
  int slot = -1;
  int channel = -1;  // the shim's end, checked before use
  pid_t pid = -1;
  int pinned_cpu = -1;  // the CPU the helper was last moved to (helper_spawn), kept by the pool
};

// Lends a helper that serves the calling thread exactly (same credentials,
// namespaces, root, ...), starting one when needed and allowed. False with a
// reason for diagnostics when there is none (the caller then goes native).
// acquire_helper holds a slot reserved across cancellation points (a
// helper's start, its hello): call it, release_helper and everything
// between with cancellation off (as helper_spawn's spawn_via_helper does),
// or a cancelled thread keeps the slot or the lease for good. (The pool's
// lock itself turns cancellation off while held: fork_safe_lock.h.) A call
// that finds every helper lent waits for one without the lock, with its
// signal mask as it was.
bool acquire_helper(helper_lease* lease, const char** reason);

// Returns the helper; `broken` retires it (its channel failed, it died, or it
// answered nonsense), so the next call starts or uses another.
void release_helper(helper_lease* lease, bool broken);

// For the wait interposers (lock-free, async-signal-safe): is pid one of our
// helpers, live or dead but not yet reaped?
bool is_helper_pid(pid_t pid);
bool any_helper_pids();
// The wait interposers reaped it: stop hiding it.
void forget_helper_pid(pid_t pid);

// Where the library's long-lived descriptors go (helper channels, the log
// file): F_DUPFD_CLOEXEC's floor, high under the soft RLIMIT_NOFILE so the
// program's own numbers stay free.
int high_descriptor_floor();

// forkless-helper's path, beside the library (FORKLESS_HELPER_RELPATH);
// empty when it cannot be told. Found once (dladdr), then a pointer read.
const char* helper_program_path();

// Library set-up, from the constructor (after fork_safe_locks_at_load):
// register the pool's reset in a forked child, and locate the helper program
// and start the first helper when the start rule says eager.
void helper_pool_at_load();

// Called by the exec interposers before the program replaces itself: every
// helper, lent to another thread or not, is killed and reaped (bounded, the
// SIGCHLD taken back: helper_reaping.h), so none is left behind as a stray
// child of the new program image; none is started until the exec returns.
void helpers_before_exec();
// The exec failed: helpers may be started again.
void helpers_after_failed_exec();

// At a normal exit (the library's destructor): every helper is ended the
// same way, so that none outlives the program (a subreaper would reap it).
void helpers_at_exit();

}  // namespace forkless
