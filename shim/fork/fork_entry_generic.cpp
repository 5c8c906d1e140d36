// The core's fork() and _Fork() where there is no emulating entry (every
// architecture but x86-64): always the native fork, logged as such.
#if !defined(__x86_64__)

#include "fork_emulation.h"

extern "C" {
pid_t fork(void) { return forkless_fork_without_emulation(forkless::fork_entry_fork); }
pid_t _Fork(void) { return forkless_fork_without_emulation(forkless::fork_entry_underscore); }
}

#endif
