// A waitpid that is a cancellation point with a clean-up, as glibc's
// system() has: if the thread is cancelled while waiting, on_cancel(arg) runs
// (it kills and reaps the child and restores the signal dispositions).
// Written in C and built WITHOUT -fexceptions: pthread_cleanup_push then
// registers a setjmp buffer with glibc, and the cancellation unwind (driven
// by the system's libgcc_s) longjmps into it. With -fexceptions the clean-up
// would need a personality routine, and the library's own one (libgcc is
// linked statically, so that only libc is needed at load) cannot drive that
// unwind: the program aborted when a thread in system() was cancelled.
// The rest of the shim is C++ without exceptions; the unwind passes through
// its frames by their call-frame information alone.
#pragma once

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef pid_t (*forkless_waitpid_fn)(pid_t, int*, int);

// Waits for pid, retrying on EINTR. Returns waitpid's result.
pid_t forkless_cancellable_wait(forkless_waitpid_fn waitpid_fn, pid_t pid, int* status,
                                void (*on_cancel)(void*), void* arg);

#ifdef __cplusplus
}
#endif
