#include "inflight_descriptors.h"

#include <cerrno>
#include <csignal>
#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

namespace forkless {
namespace {

// Three descriptors per exchange, one exchange per helper at a time (at most
// 64 helpers), two per helper being started, and a margin. The table cannot
// fill up within the helper limit (a full one would leave a descriptor
// unregistered, as before this existed).
constexpr int kSlots = 5 * 64 + 16;

pthread_mutex_t fork_lock = PTHREAD_MUTEX_INITIALIZER;
int registered[kSlots];  // descriptor + 1; 0 is a free slot (valid zeroed)

// Holds the fork lock with every signal blocked, for the scope.
class fork_fence {
 public:
  fork_fence() {
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous_);
    pthread_mutex_lock(&fork_lock);
  }
  ~fork_fence() {
    pthread_mutex_unlock(&fork_lock);
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  fork_fence(const fork_fence&) = delete;
  fork_fence& operator=(const fork_fence&) = delete;

 private:
  sigset_t previous_;
};

void add(int fd) {
  for (int& slot : registered) {
    if (slot == 0) {
      slot = fd + 1;
      return;
    }
  }
}

void remove(int fd) {
  for (int& slot : registered) {
    if (slot == fd + 1) {
      slot = 0;
      return;
    }
  }
}

void before_fork() { pthread_mutex_lock(&fork_lock); }
void after_fork_in_parent() { pthread_mutex_unlock(&fork_lock); }
void after_fork_in_child() {
  for (int& slot : registered) {
    if (slot != 0) close(slot - 1);
    slot = 0;
  }
  pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
  fork_lock = fresh;
}

}  // namespace

void inflight_descriptors_at_load() { pthread_atfork(&before_fork, &after_fork_in_parent, &after_fork_in_child); }

int open_inflight_pipe(int fds[2]) {
  fork_fence fence;
  if (pipe2(fds, O_CLOEXEC) != 0) return -1;
  add(fds[0]);
  add(fds[1]);
  return 0;
}

int open_inflight_cwd() {
  fork_fence fence;
  int fd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) add(fd);
  return fd;
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
  add(*shim_end);
  add(*helper_end);
  return 0;
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
