// Hazards, and how each is handled:
//  - The kernel offers no "any child but these". So the wait first peeks
//    (waitid with WNOWAIT) at whichever child is ready; a helper's event is
//    consumed silently, anything else is then collected by pid with WNOHANG
//    (if another thread took it first, the wait simply looks again).
//  - A blocking wait with only helpers left would block forever where the
//    native call fails with ECHILD, so before blocking it checks that a
//    child other than a helper exists (/proc/self/task/*/children). Limit: if
//    another thread reaps that last child while this one is already blocked,
//    this one stays blocked until a helper exits (documented).
//  - These functions are async-signal-safe (they may run in a SIGCHLD
//    handler): no locks, no allocation; the helper table is lock-free.
#include "wait_hiding.h"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helper_pool.h"
#include "inflight_descriptors.h"
#include "linux_dirent.h"
#include "real_libc.h"

namespace forkless {
namespace {

enum class presence { some, none, unknown };

// Does the task's children file list a pid that is not a helper?
presence task_has_other_child(const char* tid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%s/children", tid);
  int fd = open_inflight_file(path, O_RDONLY);
  if (fd < 0) return presence::unknown;
  char buffer[1024];
  char number[16];
  size_t digits = 0;
  presence found = presence::none;
  for (;;) {
    ssize_t got = read(fd, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) found = presence::unknown;
    if (got <= 0) break;
    for (ssize_t i = 0; i < got; ++i) {
      char c = buffer[i];
      if (c >= '0' && c <= '9') {
        if (digits < sizeof number - 1) number[digits++] = c;
        continue;
      }
      if (digits) {
        number[digits] = '\0';
        digits = 0;
        if (!is_helper_pid(static_cast<pid_t>(atoi(number)))) found = presence::some;
      }
    }
    if (found == presence::some) break;
  }
  if (digits && found != presence::some) {
    number[digits] = '\0';
    if (!is_helper_pid(static_cast<pid_t>(atoi(number)))) found = presence::some;
  }
  close_inflight(&fd);
  return found;
}

presence other_child_presence() {
  int directory = open_inflight_file("/proc/self/task", O_RDONLY | O_DIRECTORY);
  if (directory < 0) return presence::unknown;
  alignas(8) char buffer[2048];
  presence result = presence::none;
  for (;;) {
    long got = syscall(SYS_getdents64, directory, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      if (got < 0) result = presence::unknown;
      break;
    }
    for (long offset = 0; offset < got && result != presence::some;) {
      auto* entry = reinterpret_cast<linux_dirent64*>(buffer + offset);
      offset += entry->d_reclen;
      if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
      presence task = task_has_other_child(entry->d_name);
      if (task == presence::some) result = presence::some;
      if (task == presence::unknown) result = presence::unknown;
    }
    if (result != presence::none) break;
  }
  close_inflight(&directory);
  return result;
}

bool only_helpers_remain() { return other_child_presence() == presence::none; }

void consume_helper_event(pid_t pid, int event_flags) {
  siginfo_t info{};
  int result = real::waitid(P_PID, static_cast<id_t>(pid), &info, event_flags | WNOHANG);
  bool ended = result == 0 && info.si_pid == pid &&
               (info.si_code == CLD_EXITED || info.si_code == CLD_KILLED || info.si_code == CLD_DUMPED);
  if (ended || (result != 0 && errno == ECHILD)) forget_helper_pid(pid);
}

int event_flags_of(int options) {
  int flags = WEXITED;
  if (options & WUNTRACED) flags |= WSTOPPED;
  if (options & WCONTINUED) flags |= WCONTINUED;
  return flags | (options & (__WALL | __WCLONE | __WNOTHREAD));
}

}  // namespace

pid_t wait4_hiding_helpers(pid_t pid, int* status, int options, struct rusage* usage) {
  if (pid != -1 || !any_helper_pids()) return real::wait4(pid, status, options, usage);
  int events = event_flags_of(options);
  for (;;) {
    if (!(options & WNOHANG) && only_helpers_remain()) {
      errno = ECHILD;
      return -1;
    }
    siginfo_t peek{};
    if (real::waitid(P_ALL, 0, &peek, events | WNOWAIT | (options & WNOHANG)) != 0) return -1;
    if (peek.si_pid == 0) {
      if (only_helpers_remain()) {
        errno = ECHILD;
        return -1;
      }
      return 0;
    }
    if (is_helper_pid(peek.si_pid)) {
      consume_helper_event(peek.si_pid, events);
      continue;
    }
    pid_t got = real::wait4(peek.si_pid, status, options | WNOHANG, usage);
    if (got == peek.si_pid) return got;
    if (got < 0 && errno != ECHILD) return -1;
  }
}

int waitid_hiding_helpers(idtype_t type, id_t id, siginfo_t* info, int options) {
  if (type != P_ALL || !any_helper_pids()) return real::waitid(type, id, info, options);
  for (;;) {
    if (!(options & WNOHANG) && only_helpers_remain()) {
      errno = ECHILD;
      return -1;
    }
    siginfo_t peek{};
    if (real::waitid(P_ALL, 0, &peek, options | WNOWAIT) != 0) return -1;
    if (peek.si_pid == 0) {
      if (only_helpers_remain()) {
        errno = ECHILD;
        return -1;
      }
      if (info) *info = peek;
      return 0;
    }
    if (is_helper_pid(peek.si_pid)) {
      consume_helper_event(peek.si_pid, options & (WEXITED | WSTOPPED | WCONTINUED | __WALL | __WCLONE | __WNOTHREAD));
      continue;
    }
    if (options & WNOWAIT) {
      if (info) *info = peek;
      return 0;
    }
    siginfo_t taken{};
    int result = real::waitid(P_PID, static_cast<id_t>(peek.si_pid), &taken, options | WNOHANG);
    if (result == 0 && taken.si_pid == peek.si_pid) {
      if (info) *info = taken;
      return 0;
    }
    if (result != 0 && errno != ECHILD) return -1;
  }
}

}  // namespace forkless
