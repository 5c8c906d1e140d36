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
//  - With SIGCHLD ignored (SIG_IGN or SA_NOCLDWAIT) an exiting child is
//    reaped by the kernel and never reported: a wait for any child returns
//    ECHILD once none is left. A helper never leaves, so the kernel would
//    block for ever. There the wait blocks on one real child at a time
//    (waitid by pid with WNOWAIT: the same EINTR and SA_RESTART behaviour),
//    and looks again when it reports or is gone. Limit: while it blocks on
//    one child, a stop or continue of another (WUNTRACED, WCONTINUED) is
//    reported only once the first one reports or goes.
//  - These functions are async-signal-safe (they may run in a SIGCHLD
//    handler): no locks, no allocation; the helper table is lock-free.
#include "wait_hiding.h"

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "helper_client/helper_pool.h"
#include "helper_client/inflight_descriptors.h"
#include "interpose/real_libc.h"
#include "policy/thread_probe.h"
#include "support/linux_dirent.h"

namespace forkless {

bool pid_list_reader::take(char c, pid_t* pid) {
  if (c >= '0' && c <= '9') {
    if (digits_ < sizeof number_ - 1) number_[digits_++] = c;
    return false;
  }
  return finish(pid);
}

bool pid_list_reader::finish(pid_t* pid) {
  if (digits_ == 0) return false;
  number_[digits_] = '\0';
  digits_ = 0;
  *pid = static_cast<pid_t>(atoi(number_));
  return true;
}

namespace {

enum class presence { some, none, unknown };

// Reading a children file: the digits of a pid may straddle two reads.
struct children_scan {
  pid_list_reader reader;
  pid_t other;  // the first pid listed that is not a helper's
};

bool scan_children(const char* data, size_t length, void* context) {
  auto* scan = static_cast<children_scan*>(context);
  pid_t pid = 0;
  for (size_t i = 0; i < length; ++i) {
    if (scan->reader.take(data[i], &pid) && !is_helper_pid(pid)) {
      scan->other = pid;
      return false;
    }
  }
  return true;
}

// Does the children file at path list a pid that is not a helper? The first
// such pid goes to *other.
presence children_file_has_other(const char* path, pid_t* other) {
  children_scan scan{};
  if (scan_inflight_file(path, &scan_children, &scan) != 0) return presence::unknown;
  pid_t last = 0;
  if (scan.other == 0 && scan.reader.finish(&last) && !is_helper_pid(last)) scan.other = last;
  if (scan.other == 0) return presence::none;
  *other = scan.other;
  return presence::some;
}

presence task_has_other_child(const char* tid, pid_t* other) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%s/children", tid);
  return children_file_has_other(path, other);
}

presence other_child_presence(pid_t* other) {
  // Most often the waiting thread made the child itself, or is the only
  // thread: one file, not every thread's.
  presence mine = children_file_has_other("/proc/thread-self/children", other);
  if (mine == presence::some || (mine == presence::none && count_threads() == 1)) return mine;
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
      presence task = task_has_other_child(entry->d_name, other);
      if (task == presence::some) result = presence::some;
      if (task == presence::unknown) result = presence::unknown;
    }
    if (result != presence::none) break;
  }
  close_inflight(&directory);
  return result;
}

bool only_helpers_remain() {
  pid_t other = 0;
  return other_child_presence(&other) == presence::none;
}

// Does the kernel reap exiting children itself (SIGCHLD ignored or
// SA_NOCLDWAIT)?
bool children_reaped_by_kernel() {
  struct sigaction now {};
  if (sigaction(SIGCHLD, nullptr, &now) != 0) return false;
  return now.sa_handler == SIG_IGN || (now.sa_flags & SA_NOCLDWAIT);
}

// With the kernel reaping children, blocks until a real child reports an
// event (with WNOWAIT: it is collected by the caller's loop) or is gone.
// Returns 0 to look again, 1 when only helpers remain, -1 with errno (EINTR).
int block_on_a_real_child(int event_flags) {
  pid_t other = 0;
  presence children = other_child_presence(&other);
  if (children == presence::none) return 1;
  if (children == presence::unknown || other <= 0) return 0;
  siginfo_t info{};
  // __WALL: a child with another exit signal is listed too, and must not
  // make this loop spin on ECHILD.
  if (real::waitid(P_PID, static_cast<id_t>(other), &info, event_flags | WNOWAIT | __WALL) == 0 || errno == ECHILD)
    return 0;
  return -1;
}

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


// What a waitid() options word waits for: every bit but WNOHANG and WNOWAIT,
// which each pass sets itself (a bit the kernel does not know still reaches
// it, and fails with EINVAL as natively).
int events_of_waitid(int options) { return options & ~(WNOHANG | WNOWAIT); }

enum class peek_result { real_child, nothing_yet, failed };

// The common part of every "wait for any child" with the helpers hidden:
// peeks (WNOWAIT) at the next event of `events`, takes a helper's out of the
// way, blocks on one real child at a time when the kernel reaps children
// itself, and fails with ECHILD once only helpers remain. real_child: *peek
// holds a real child's event, still to be taken; nothing_yet: WNOHANG and
// none (*peek zeroed, as the kernel leaves it); failed: errno is set.
peek_result peek_real_child(int events, bool nohang, siginfo_t* peek) {
  for (;;) {
    if (!nohang && only_helpers_remain()) {
      errno = ECHILD;
      return peek_result::failed;
    }
    bool kernel_reaps = !nohang && children_reaped_by_kernel();
    *peek = siginfo_t{};
    if (real::waitid(P_ALL, 0, peek, events | WNOWAIT | (kernel_reaps || nohang ? WNOHANG : 0)) != 0) {
      return peek_result::failed;
    }
    if (peek->si_pid == 0 && kernel_reaps) {
      int blocked = block_on_a_real_child(events);
      if (blocked < 0) return peek_result::failed;
      if (blocked > 0) {
        errno = ECHILD;
        return peek_result::failed;
      }
      continue;
    }
    if (peek->si_pid == 0) {
      if (only_helpers_remain()) {
        errno = ECHILD;
        return peek_result::failed;
      }
      return peek_result::nothing_yet;
    }
    if (is_helper_pid(peek->si_pid)) {
      consume_helper_event(peek->si_pid, events);
      continue;
    }
    return peek_result::real_child;
  }
}

}  // namespace

pid_t wait4_hiding_helpers(pid_t pid, int* status, int options, struct rusage* usage) {
  if (pid != -1 || !any_helper_pids()) return real::wait4(pid, status, options, usage);
  int events = event_flags_of(options);
  for (;;) {
    siginfo_t peek{};
    peek_result found = peek_real_child(events, (options & WNOHANG) != 0, &peek);
    if (found == peek_result::failed) return -1;
    if (found == peek_result::nothing_yet) return 0;
    pid_t got = real::wait4(peek.si_pid, status, options | WNOHANG, usage);
    if (got == peek.si_pid) return got;
    if (got < 0 && errno != ECHILD) return -1;
  }
}

int waitid_hiding_helpers(idtype_t type, id_t id, siginfo_t* info, int options) {
  if (type != P_ALL || !any_helper_pids()) return real::waitid(type, id, info, options);
  for (;;) {
    siginfo_t peek{};
    peek_result found = peek_real_child(events_of_waitid(options), (options & WNOHANG) != 0, &peek);
    if (found == peek_result::failed) return -1;
    if (found == peek_result::nothing_yet) {
      if (info) *info = peek;
      return 0;
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
