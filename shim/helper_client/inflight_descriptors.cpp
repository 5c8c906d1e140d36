#include "inflight_descriptors.h"

#include <cerrno>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/fork_safe_lock.h"

namespace forkless {
namespace {

// Two descriptors per spawning thread (its status pipe, made before it waits
// for a helper), one more per exchange, two per helper being started, one
// per file being read. When
// the table is full the call goes native rather than leave a descriptor
// unregistered.
constexpr int kSlots = 1024;

int registered[kSlots];  // descriptor + 1; 0 is a free slot (valid zeroed)

void remove(int fd) {
  for (int& slot : registered) {
    if (slot == fd + 1) {
      slot = 0;
      return;
    }
  }
}

// Registers all of fds, or none: with the table full, closes them all and
// fails with EMFILE. Called with the table's lock held.
bool register_or_close(const int* fds, int count) {
  int added = 0;
  for (int& slot : registered) {
    if (added == count) break;
    if (slot == 0) slot = fds[added++] + 1;
  }
  if (added == count) return true;
  for (int i = 0; i < count; ++i) {
    if (i < added) remove(fds[i]);
    close(fds[i]);
  }
  errno = EMFILE;
  return false;
}

// In a forked child (the table is consistent: fork's prepare handler held
// its lock), every registered descriptor is the parent's moment's: closed.
void close_registered_in_child() {
  for (int& slot : registered) {
    if (slot != 0) close(slot - 1);
    slot = 0;
  }
}

}  // namespace

void inflight_descriptors_at_load() { at_fork_child(&close_registered_in_child); }

int open_inflight_pipe(int fds[2]) {
  locked fence(shim_lock::inflight_descriptors);
  if (pipe2(fds, O_CLOEXEC) != 0) return -1;
  return register_or_close(fds, 2) ? 0 : -1;
}

int open_inflight_file(const char* path, int flags, unsigned mode) {
  locked fence(shim_lock::inflight_descriptors);
  int fd = open(path, flags | O_CLOEXEC, static_cast<mode_t>(mode));
  return fd >= 0 && register_or_close(&fd, 1) ? fd : -1;
}

int open_inflight_cwd() { return open_inflight_file(".", O_PATH | O_DIRECTORY); }

ssize_t read_inflight_file(const char* path, char* buffer, size_t capacity) {
  locked fence(shim_lock::inflight_descriptors);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  size_t total = 0;
  while (total < capacity) {
    ssize_t got = read(fd, buffer + total, capacity - total);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    total += static_cast<size_t>(got);
  }
  close(fd);
  return static_cast<ssize_t>(total);
}

int scan_inflight_file(const char* path, bool (*piece)(const char* data, size_t length, void* context),
                       void* context) {
  locked fence(shim_lock::inflight_descriptors);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  // One page: what procfs hands out per read.
  char buffer[4096];
  int result = 0;
  for (;;) {
    ssize_t got = read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) result = -1;
    if (got <= 0 || !piece(buffer, static_cast<size_t>(got), context)) break;
  }
  close(fd);
  return result;
}

int open_inflight_channel(int floor, int* shim_end, int* helper_end) {
  locked fence(shim_lock::inflight_descriptors);
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) return -1;
  *shim_end = fcntl(pair[0], F_DUPFD_CLOEXEC, floor);
  *helper_end = *shim_end >= 0 ? fcntl(pair[1], F_DUPFD_CLOEXEC, floor) : -1;
  int error = errno;
  close(pair[0]);
  close(pair[1]);
  if (*helper_end < 0) {
    if (*shim_end >= 0) close(*shim_end);
    *shim_end = -1;
    errno = error;
    return -1;
  }
  int ends[2] = {*shim_end, *helper_end};
  if (register_or_close(ends, 2)) return 0;
  *shim_end = *helper_end = -1;
  return -1;
}

void settle_inflight(int fd) {
  locked fence(shim_lock::inflight_descriptors);
  remove(fd);
}

void close_inflight(int* fd) {
  if (*fd < 0) return;
  locked fence(shim_lock::inflight_descriptors);
  remove(*fd);
  close(*fd);
  *fd = -1;
}

}  // namespace forkless
