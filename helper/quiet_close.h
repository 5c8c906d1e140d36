// Closing a descriptor without touching errno, for the helper while a
// CLONE_VM child runs on its memory: the child shares errno (the same TLS)
// and reads it after each of its own failing calls, so the helper must not
// write it then. glibc's close() writes errno when it fails (a FUSE or NFS
// flush can fail even for a descriptor one holds), and so does syscall():
// only the bare instruction leaves it alone. One place per architecture.
#pragma once

#include <sys/syscall.h>

namespace forkless::helper {

// True when this architecture can close quietly.
inline constexpr bool kCanCloseQuietly =
#if defined(__x86_64__) || defined(__aarch64__)
    true;
#else
    false;
#endif

// Closes fd with the raw system call (where kCanCloseQuietly; elsewhere it
// does nothing and the caller closes fd later, once the child is done).
inline void close_quietly(int fd) {
#if defined(__x86_64__)
  long result;
  asm volatile("syscall" : "=a"(result) : "0"(long{SYS_close}), "D"(long{fd}) : "rcx", "r11", "memory");
  (void)result;
#elif defined(__aarch64__)
  register long number asm("x8") = SYS_close;
  register long argument asm("x0") = fd;
  asm volatile("svc 0" : "+r"(argument) : "r"(number) : "memory");
#else
  (void)fd;
#endif
}

}  // namespace forkless::helper
