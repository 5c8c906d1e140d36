#include "cancellable_wait.h"

#include <errno.h>
#include <pthread.h>

pid_t forkless_cancellable_wait(forkless_waitpid_fn waitpid_fn, pid_t pid, int* status,
                                void (*on_cancel)(void*), void* arg) {
  pid_t result;
  pthread_cleanup_push(on_cancel, arg);
  do
    result = waitpid_fn(pid, status, 0);
  while (result < 0 && errno == EINTR);
  pthread_cleanup_pop(0);
  return result;
}
