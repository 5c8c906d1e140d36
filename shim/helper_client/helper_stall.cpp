#include "helper_stall.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <poll.h>
#include <time.h>

#include "inflight_descriptors.h"
#include "policy/diagnostics.h"

namespace forkless {
namespace {

long monotonic_ms() { return monotonic_ns() / 1000000L; }

}  // namespace

bool helper_stopped(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  char buffer[512];
  ssize_t got = read_inflight_file(path, buffer, sizeof buffer - 1);
  if (got <= 0) return false;
  buffer[got] = '\0';
  return stat_shows_stopped(buffer);
}

bool stat_shows_stopped(const char* stat) {
  const char* paren = strrchr(stat, ')');
  if (!paren || paren[1] != ' ') return false;
  return paren[2] == 'T' || paren[2] == 't';
}

helper_wait wait_on_helper(int fd, short events, pid_t helper, int deadline_ms) {
  long started = monotonic_ms();
  for (;;) {
    int timeout = kStalledCheckMs;
    if (deadline_ms >= 0) {
      long left = deadline_ms - (monotonic_ms() - started);
      if (left < timeout) timeout = left > 0 ? static_cast<int>(left) : 0;
    }
    pollfd watch = {fd, events, 0};
    int ready = poll(&watch, 1, timeout);
    if (ready > 0) return helper_wait::ready;
    if (ready < 0 && errno != EINTR) return helper_wait::ready;  // let the caller's I/O report it
    if (ready < 0) continue;
    if (helper_stopped(helper)) {
      kill(helper, SIGKILL);
      return helper_wait::killed;
    }
    if (deadline_ms >= 0 && monotonic_ms() - started >= deadline_ms) {
      kill(helper, SIGKILL);
      return helper_wait::expired;
    }
  }
}

}  // namespace forkless
