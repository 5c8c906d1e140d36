// A waitpid that is a cancellation point with a clean-up, as glibc's
// system() has: if the thread is cancelled while waiting, on_cancel(arg) runs
// (it kills and reaps the child and restores the signal dispositions).
// Written in C and built with -fexceptions, so the clean-up runs during the
// cancellation unwind; the rest of the shim is C++ without exceptions.
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
