#include "owner_watch.h"

#include <cerrno>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace forkless::helper {

int watch_owner(pid_t owner, bool* gone) {
  *gone = false;
  if (owner <= 0) return -1;
  // pidfd_open's descriptor is close-on-exec: no child gets it.
  int watch = static_cast<int>(syscall(SYS_pidfd_open, owner, 0));
  // Checked after the pidfd exists: had the owner died first, we would have
  // been given to a reaper, and a pidfd of a recycled pid is never opened.
  if (getppid() != owner) *gone = true;
  return watch;
}

bool wait_for_request(int channel, int owner_watch) {
  for (;;) {
    pollfd watch[2] = {{channel, POLLIN, 0}, {owner_watch, POLLIN, 0}};
    int ready = poll(watch, owner_watch >= 0 ? 2 : 1, -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) return true;  // the receive reports what is wrong
    if (owner_watch >= 0 && watch[1].revents) return false;
    if (watch[0].revents) return true;
  }
}

void wait_for_owner_to_go(int owner_watch) {
  if (owner_watch < 0) return;
  for (;;) {
    pollfd watch = {owner_watch, POLLIN, 0};
    int ready = poll(&watch, 1, -1);
    if (ready > 0 || (ready < 0 && errno != EINTR)) return;
  }
}

}  // namespace forkless::helper
