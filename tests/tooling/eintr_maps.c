/* A preload (before libforkless.so) that makes the first read() of
 * /proc/<pid>/maps in the process fail with EINTR, as a read interrupted by
 * a signal handler without SA_RESTART does: the library must try again. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int injected;

ssize_t read(int fd, void* buffer, size_t count) {
  static ssize_t (*real_read)(int, void*, size_t);
  if (!real_read) real_read = (ssize_t(*)(int, void*, size_t))dlsym(RTLD_NEXT, "read");
  if (!injected) {
    char link[64], target[256];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t length = readlink(link, target, sizeof target - 1);
    if (length > 5) {
      target[length] = '\0';
      if (strncmp(target, "/proc/", 6) == 0 && strcmp(target + length - 5, "/maps") == 0) {
        injected = 1;
        errno = EINTR;
        return -1;
      }
    }
  }
  return real_read(fd, buffer, count);
}
