// fork(), __fork() and _Fork() of the front where there is no assembly
// entry (every architecture but x86-64): the core's entry there is the
// native fork in any case, so a call through a frame of ours changes
// nothing it looks at. vfork() is not interposed there.
#if !defined(__x86_64__)

#include <unistd.h>

extern "C" __attribute__((visibility("hidden"))) void* forkless_front_fork_target(int underscore);

extern "C" {
__attribute__((visibility("default"))) pid_t fork(void) {
  return reinterpret_cast<pid_t (*)()>(forkless_front_fork_target(0))();
}
__attribute__((visibility("default"))) pid_t __fork(void) {
  return reinterpret_cast<pid_t (*)()>(forkless_front_fork_target(0))();
}
__attribute__((visibility("default"))) pid_t _Fork(void) {
  return reinterpret_cast<pid_t (*)()>(forkless_front_fork_target(1))();
}
}

#endif
