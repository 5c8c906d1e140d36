#include "emulated_child.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "../real_libc.h"
#include "../thread_state.h"

namespace forkless {
namespace {

constexpr size_t kPathMax = 128;
// glibc's internal signals (SIGCANCEL, SIGSETXID): pthread_sigmask never lets
// a program block them, so neither does the recorded mask.
constexpr int kLibcInternalSignals[] = {32, 33};
// Descriptors one libuv child may renumber in place: one per stdio entry
// whose descriptor is numbered below the entry (a child needing more goes on
// in a real fork, see emulated_child_renumber).
constexpr int kRenumberedMax = 128;
// The kernel's sigset_t: _NSIG bits.
constexpr size_t kKernelSigsetBytes = _NSIG / 8;
// Status of a shell that could not run the command.
constexpr int kCannotRunStatus = 127;

struct child_state {
  sigset_t wanted;
  bool exec_tried;
  char path[kPathMax];
  char** parent_environ;
  char** child_environ;   // the environ the child assigned, once taken
  bool renumber_in_place;
  int renumbered;
  int renumbered_from[kRenumberedMax];
  int renumbered_to[kRenumberedMax];
};

__attribute__((tls_model("initial-exec"))) thread_local child_state this_child;

void drop_internal_signals(sigset_t* set) {
  for (int signal_number : kLibcInternalSignals) sigdelset(set, signal_number);
}

long raw_sigaction(int signal_number, const saved_handlers::entry* action, saved_handlers::entry* old) {
  return syscall(SYS_rt_sigaction, signal_number, action, old, kKernelSigsetBytes);
}

// Ends this process as the real fork ended: with its exit status, or killed
// by its signal (the default action, unblocked for the occasion).
[[noreturn]] void end_as(int status) {
  if (WIFSIGNALED(status)) {
    int signal_number = WTERMSIG(status);
    saved_handlers::entry fallback{};
    fallback.handler = reinterpret_cast<unsigned long>(SIG_DFL);
    raw_sigaction(signal_number, &fallback, nullptr);
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, signal_number);
    raw_signal_mask(SIG_UNBLOCK, &only, nullptr);
    syscall(SYS_tgkill, syscall(SYS_getpid), syscall(SYS_gettid), signal_number);
    _exit(128 + signal_number);  // a signal whose default is to be ignored
  }
  _exit(WIFEXITED(status) ? WEXITSTATUS(status) : kCannotRunStatus);
}

}  // namespace

int raw_signal_mask(int how, const sigset_t* set, sigset_t* old) {
  return static_cast<int>(syscall(SYS_rt_sigprocmask, how, set, old, kKernelSigsetBytes));
}

void block_all_signals(sigset_t* old) {
  sigset_t all;
  sigfillset(&all);
  raw_signal_mask(SIG_SETMASK, &all, old);
}

void emulated_child_begin(const sigset_t& caller_mask, char** parent_environ, bool renumber_in_place) {
  this_child.wanted = caller_mask;
  this_child.exec_tried = false;
  this_child.path[0] = '\0';
  this_child.parent_environ = parent_environ;
  this_child.child_environ = nullptr;
  this_child.renumber_in_place = renumber_in_place;
  this_child.renumbered = 0;
}

int emulated_child_set_mask(int how, const sigset_t* set, sigset_t* old) {
  sigset_t previous = this_child.wanted;
  if (set != nullptr) {
    sigset_t change = *set;
    drop_internal_signals(&change);
    switch (how) {
      case SIG_BLOCK:
        sigorset(&this_child.wanted, &this_child.wanted, &change);
        break;
      case SIG_UNBLOCK:
        for (int signal_number = 1; signal_number < _NSIG; ++signal_number) {
          if (sigismember(&change, signal_number) == 1) sigdelset(&this_child.wanted, signal_number);
        }
        break;
      case SIG_SETMASK:
        this_child.wanted = change;
        break;
      default:
        return EINVAL;
    }
  }
  if (old != nullptr) *old = previous;
  return 0;
}

void emulated_child_take_environ() {
  if (environ == this_child.parent_environ) return;
  this_child.child_environ = environ;
  environ = this_child.parent_environ;
}

char** emulated_child_environ() {
  return this_child.child_environ != nullptr ? this_child.child_environ : environ;
}

void emulated_child_before_exec(const char* path, saved_handlers* saved) {
  if (path != nullptr) {
    size_t length = strnlen(path, kPathMax - 1);
    memcpy(this_child.path, path, length);
    this_child.path[length] = '\0';
  }
  this_child.exec_tried = true;
  saved_handlers::entry fallback{};
  fallback.handler = reinterpret_cast<unsigned long>(SIG_DFL);
  for (int signal_number = 1; signal_number < _NSIG; ++signal_number) {
    saved->reset[signal_number] = false;
    if (signal_number == SIGKILL || signal_number == SIGSTOP) continue;
    saved_handlers::entry& old = saved->action[signal_number];
    if (raw_sigaction(signal_number, nullptr, &old) != 0) continue;
    auto handler = reinterpret_cast<__sighandler_t>(old.handler);
    if (handler == SIG_DFL || handler == SIG_IGN) continue;
    if (raw_sigaction(signal_number, &fallback, nullptr) == 0) saved->reset[signal_number] = true;
  }
  raw_signal_mask(SIG_SETMASK, &this_child.wanted, nullptr);
}

void emulated_child_exec_failed(const saved_handlers& saved) {
  block_all_signals(nullptr);
  for (int signal_number = 1; signal_number < _NSIG; ++signal_number) {
    if (saved.reset[signal_number]) raw_sigaction(signal_number, &saved.action[signal_number], nullptr);
  }
}

void emulated_child_continue_in_real_fork() {
  // libc's fork: the atfork handlers run as for any fork, so the new process
  // is an ordinary fork child (malloc, stdio and the library's own state made
  // consistent for one thread). They run here as in any thread of the
  // parent, whose thread is suspended until this process ends: the flag is
  // cleared for them (and stays cleared: this process only waits from here).
  this_thread_state().in_emulated_child = false;
  pid_t pid = real::fork();
  if (pid == 0) {
    if (this_child.child_environ != nullptr) environ = this_child.child_environ;
    raw_signal_mask(SIG_SETMASK, &this_child.wanted, nullptr);
    return;
  }
  if (pid < 0) _exit(kCannotRunStatus);
  int status = 0;
  while (syscall(SYS_wait4, pid, &status, 0, nullptr) < 0) {
    if (errno != EINTR) _exit(kCannotRunStatus);
  }
  end_as(status);
}

int emulated_child_renumber(int from, int cmd, int minimum) {
  if (!this_child.renumber_in_place) return -2;
  if (this_child.renumbered == kRenumberedMax) {
    emulated_child_continue_in_real_fork();
    return -2;  // in the real fork: the ordinary call
  }
  int moved = static_cast<int>(syscall(SYS_fcntl, from, cmd, minimum));
  if (moved < 0) return -1;
  this_child.renumbered_from[this_child.renumbered] = from;
  this_child.renumbered_to[this_child.renumbered] = moved;
  ++this_child.renumbered;
  return from;
}

int emulated_child_dup_source(int fd) {
  for (int i = this_child.renumbered - 1; i >= 0; --i) {
    if (this_child.renumbered_from[i] == fd) return this_child.renumbered_to[i];
  }
  return fd;
}

const char* emulated_child_exec_path() {
  return this_child.exec_tried && this_child.path[0] != '\0' ? this_child.path : nullptr;
}

bool emulated_child_took_environ() { return this_child.child_environ != nullptr; }

}  // namespace forkless
