#include "inflight_descriptors.h"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

namespace forkless {
namespace {

// Two descriptors per spawning thread (its status pipe, made before it waits
// for a helper), one more per exchange, two per helper being started, one
// per file being read. When
// the table is full the call goes native rather than leave a descriptor
// unregistered.
constexpr int kSlots = 1024;

pthread_mutex_t fork_lock = PTHREAD_MUTEX_INITIALIZER;
int registered[kSlots];  // descriptor + 1; 0 is a free slot (valid zeroed)
sigset_t mask_before_fork;  // the forking thread's, while it holds the lock

// Holds the fork lock with every signal blocked and cancellation off, for
// the scope: a handler that forks cannot run while the lock is held, and a
// cancellation (close and open are cancellation points; the library has no
// exceptions, so no destructor would run) cannot leave it held.
class fork_fence {
 public:
  fork_fence() {
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &previous_cancel_);
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous_mask_);
    pthread_mutex_lock(&fork_lock);
  }
  ~fork_fence() {
    pthread_mutex_unlock(&fork_lock);
    pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
    pthread_setcancelstate(previous_cancel_, nullptr);
  }
  fork_fence(const fork_fence&) = delete;
  fork_fence& operator=(const fork_fence&) = delete;

 private:
  sigset_t previous_mask_;
  int previous_cancel_;
};

void remove(int fd) {
  for (int& slot : registered) {
    if (slot == fd + 1) {
      slot = 0;
      return;
    }
  }
}

// Registers all of fds, or none: with the table full, closes them all and
// fails with EMFILE. Called with the fork lock held.
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

// The prepare handler blocks signals too: glibc runs the handlers with the
// program's mask, and a handler that forked between prepare and parent
// would wait for the lock its own thread holds.
void before_fork() {
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  pthread_mutex_lock(&fork_lock);
  mask_before_fork = previous;
}
void after_fork_in_parent() {
  sigset_t previous = mask_before_fork;
  pthread_mutex_unlock(&fork_lock);
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}
void after_fork_in_child() {
  for (int& slot : registered) {
    if (slot != 0) close(slot - 1);
    slot = 0;
  }
  pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
  fork_lock = fresh;
  pthread_sigmask(SIG_SETMASK, &mask_before_fork, nullptr);
}

}  // namespace

void inflight_descriptors_at_load() { pthread_atfork(&before_fork, &after_fork_in_parent, &after_fork_in_child); }

int open_inflight_pipe(int fds[2]) {
  fork_fence fence;
  if (pipe2(fds, O_CLOEXEC) != 0) return -1;
  return register_or_close(fds, 2) ? 0 : -1;
}

int open_inflight_file(const char* path, int flags, unsigned mode) {
  fork_fence fence;
  int fd = open(path, flags | O_CLOEXEC, static_cast<mode_t>(mode));
  return fd >= 0 && register_or_close(&fd, 1) ? fd : -1;
}

int open_inflight_cwd() { return open_inflight_file(".", O_PATH | O_DIRECTORY); }

ssize_t read_inflight_file(const char* path, char* buffer, size_t capacity) {
  int fd = open_inflight_file(path, O_RDONLY);
  if (fd < 0) return -1;
  size_t total = 0;
  while (total < capacity) {
    ssize_t got = read(fd, buffer + total, capacity - total);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    total += static_cast<size_t>(got);
  }
  close_inflight(&fd);
  return static_cast<ssize_t>(total);
}

int open_inflight_channel(int floor, int* shim_end, int* helper_end) {
  fork_fence fence;
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
  fork_fence fence;
  remove(fd);
}

void close_inflight(int* fd) {
  if (*fd < 0) return;
  fork_fence fence;
  remove(*fd);
  close(*fd);
  *fd = -1;
}

}  // namespace forkless
