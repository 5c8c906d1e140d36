// Calls that change what a helper cannot carry (helper_identity.h), seen as
// they are made: through libc's unshare, setns and prctl, and through libc's
// syscall(), which is how the Landlock, seccomp and keyring libraries (and
// programs without a libc wrapper) make them.
//
// - unshare, setns, seccomp, and prctl's seccomp, no_new_privs, bounding-set
//   and ambient-set options bump identity_generation, so the next spawn
//   compares the costly part again.
// - landlock_restrict_self: a Landlock domain cannot be read back, nor
//   compared between threads (it is the calling thread's: a helper started
//   by one thread would pass its domain, or the lack of one, to another's
//   children). Once a thread of the process has restricted itself, every
//   spawn of the process goes native (reason fallback_landlock); a native
//   child gets its caller's domain from the kernel. Fork emulation is not
//   affected: its child is cloned from the calling thread itself.
// A system call made with the bare instruction is not seen (README Limits);
// credentials and namespaces are read on every call regardless.
//
// Hazard: syscall() is interposed by a C function with a frame of its own.
// That is safe because no call that shares the caller's stack can work
// through syscall() even natively (a CLONE_VM|CLONE_VFORK child returning
// from it overwrites the parent's return address), and every other clone
// copies the memory.
#pragma once

namespace forkless {

// After libc's syscall(number, arguments...) returned result.
void note_raw_system_call(long number, long first_argument, long result);

// After prctl(option, ...) returned result.
void note_prctl(int option, int result);

// True once any thread of this process made a Landlock domain.
bool landlock_restricted();

// What a call means for the identity, the pure part of the two notes above.
enum class restriction_effect {
  none,
  compare_again,    // the costly part may have changed: bump identity_generation
  landlock_domain,  // a Landlock domain was made: spawn natively from now on
};
// prctl(option, ...), whatever its result (a comparison too many costs one
// status read; one too few could let a child escape a restriction its
// caller took).
restriction_effect prctl_effect(int option);
// syscall(number, first_argument, ...) that returned result: a Landlock
// domain only when landlock_restrict_self succeeded; SYS_prctl as prctl.
restriction_effect system_call_effect(long number, long first_argument, long result);

}  // namespace forkless
