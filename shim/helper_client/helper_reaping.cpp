// Ending helpers.
//
// Hazards, and how each is handled:
//  - A helper is the program's child (it must be: the children it makes
//    with CLONE_PARENT are the program's), so its exit sends the program
//    SIGCHLD and leaves a zombie. The clone exit signal cannot be 0 instead:
//    exec resets it to SIGCHLD, and children made with CLONE_PARENT inherit
//    it. So a helper exits only when the shim ends it, here: killed (SIGKILL
//    ends a stopped or wedged one too) and reaped by pid with every signal
//    blocked in the calling thread; the SIGCHLD the exits raised is then
//    taken back with sigtimedwait. Not when SIGCHLD was already pending, nor
//    when a real child is waiting to be reaped: its SIGCHLD may be the same,
//    merged, signal. Limit: in a program with several threads, one that does
//    not block SIGCHLD may take the signal before it is taken back (README).
//  - A helper's pid is ours until we reap it, so kill cannot reach another
//    process; except when the program ignores SIGCHLD and the kernel reaps
//    at once: a pid that is no longer our child (ECHILD) is forgotten, not
//    killed.
//  - Bounded: a killed process exits within a millisecond unless it is in
//    an uninterruptible sleep, and the program's exec or exit must not wait
//    for that (kReapDeadlineMs). Such a helper stays hidden; a later sweep
//    reaps it.
#include "helper_reaping.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helper_pool.h"
#include "interpose/real_libc.h"
#include "policy/config.h"
#include "policy/diagnostics.h"

namespace forkless {
namespace {

// A killed helper exits in well under a millisecond; a second covers a
// loaded machine, and only one stuck in an uninterruptible sleep exceeds it.
constexpr long kReapDeadlineNs = 1000L * 1000 * 1000;
// Between looks at the killed helpers: short against their exit time.
constexpr long kReapPollNs = 100L * 1000;
// Helpers given up on between two calls: at most every slot's, twice over
// (a slot may be retired again before the queue is ended).
constexpr int kDoomedCapacity = 2 * kMaxHelpersLimit;
// Most helpers one call ends: every pid the pool hides (an exec, an exit).
constexpr int kMostEnded = 256;

std::atomic<pid_t> doomed[kDoomedCapacity];

// Is a child other than a helper waiting to be reaped (its SIGCHLD may be
// merged with the helpers')?
bool real_child_waitable(siginfo_t* found = nullptr) {
  siginfo_t info{};
  if (real::waitid(P_ALL, 0, &info, WEXITED | WSTOPPED | WCONTINUED | WNOHANG | WNOWAIT) != 0) return false;
  if (info.si_pid <= 0 || is_helper_pid(info.si_pid)) return false;
  if (found != nullptr) *found = info;
  return true;
}

// Takes back the SIGCHLD the helpers' exits raised. A signal from another
// process (a real child whose exit merged with none of ours) is put back.
void take_back_sigchld(const pid_t* ended, int count) {
  sigset_t child;
  sigemptyset(&child);
  sigaddset(&child, SIGCHLD);
  siginfo_t info{};
  timespec now{};
  if (sigtimedwait(&child, &info, &now) != SIGCHLD) return;
  bool ours = false;
  for (int i = 0; i < count; ++i) ours = ours || info.si_pid == ended[i];
  if (ours) {
    // A real child that ended between the check and the take-back merged
    // its SIGCHLD into ours: it is given back, with that child's details.
    // (One ending later raises its own.)
    siginfo_t waiting{};
    if (!real_child_waitable(&waiting)) return;
    info = waiting;
    info.si_signo = SIGCHLD;
  }
  syscall(SYS_rt_sigqueueinfo, getpid(), SIGCHLD, &info);
}

}  // namespace

void end_helpers(const pid_t* pids, int count) {
  if (count <= 0) return;
  int saved = errno;
  sigset_t all, previous, pending;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  sigpending(&pending);
  bool already_pending = sigismember(&pending, SIGCHLD);
  pid_t left[kMostEnded];
  pid_t ended[kMostEnded];
  int left_count = 0, ended_count = 0;
  for (int i = 0; i < count && left_count < kMostEnded; ++i) {
    int status;
    pid_t got = real::waitpid(pids[i], &status, WNOHANG);
    if (got == 0) {
      kill(pids[i], SIGKILL);
      left[left_count++] = pids[i];
    } else if (got == pids[i] || errno == ECHILD) {
      forget_helper_pid(pids[i]);
    }
  }
  long deadline = monotonic_ns() + kReapDeadlineNs;
  while (left_count > 0) {
    for (int i = 0; i < left_count;) {
      int status;
      pid_t got = real::waitpid(left[i], &status, WNOHANG);
      if (got == left[i] || (got < 0 && errno == ECHILD)) {
        forget_helper_pid(left[i]);
        ended[ended_count++] = left[i];
        left[i] = left[--left_count];
      } else {
        ++i;
      }
    }
    if (left_count == 0 || monotonic_ns() > deadline) break;
    timespec pause{0, kReapPollNs};
    nanosleep(&pause, nullptr);
  }
  if (!already_pending && ended_count > 0 && !real_child_waitable()) take_back_sigchld(ended, ended_count);
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  errno = saved;
}

void doom_helper(pid_t pid) {
  if (pid <= 0) return;
  for (auto& entry : doomed) {
    pid_t empty = 0;
    if (entry.compare_exchange_strong(empty, pid)) return;
  }
  // Full: the pid stays hidden and the pool's sweep reaps it once it exits.
}

void end_doomed_helpers() {
  pid_t pids[kDoomedCapacity];
  int count = 0;
  for (auto& entry : doomed) {
    pid_t pid = entry.exchange(0);
    if (pid > 0) pids[count++] = pid;
  }
  end_helpers(pids, count);
}

void forget_doomed_helpers() {
  for (auto& entry : doomed) entry.store(0);
}

}  // namespace forkless
