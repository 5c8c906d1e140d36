#include "emulated_child.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "emulation_slot.h"
#include "helper_client/helper_pool.h"
#include "interpose/real_libc.h"
#include "interpose/thread_block.h"
#include "interpose/thread_state.h"
#include "stack_window.h"

namespace forkless {
namespace {

constexpr size_t kPathMax = 128;
// glibc's internal signals (SIGCANCEL, SIGSETXID): pthread_sigmask never lets
// a program block them, so neither does the recorded mask.
constexpr int kLibcInternalSignals[] = {32, 33};
// Descriptors one libuv child may renumber in place (one per stdio entry
// whose descriptor is numbered below the entry): as many as the scratch
// memory holds. More fail with EMFILE, which libuv reports as the spawn's
// error (no libuv child moves 65536 descriptors).
constexpr int kRenumberedMax = static_cast<int>(kEmulationScratchBytes / sizeof(descriptor_move));
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
  int renumbered_count;
  descriptor_move* moves;  // kRenumberedMax entries of scratch memory
};

// forkless-helper, for the mirror: found before the first clone.
const char* mirror_path = "";
constexpr char kMirrorOption[] = "--mirror-child";

child_state& this_child() { return thread_block_part<child_state>(this_thread_block().emulated_child); }

// glibc's sigdelset refuses the internal signals (EINVAL, the set left as
// it was), so their bits are cleared directly: signal n is bit n - 1 of the
// set's words, as the kernel reads it.
void drop_internal_signals(sigset_t* set) {
  constexpr int kWordBits = 8 * sizeof set->__val[0];
  for (int signal_number : kLibcInternalSignals)
    set->__val[(signal_number - 1) / kWordBits] &= ~(1ul << ((signal_number - 1) % kWordBits));
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

void emulated_child_begin(const sigset_t& caller_mask, char** parent_environ, bool renumber_in_place,
                          void* scratch) {
  this_child().wanted = caller_mask;
  this_child().exec_tried = false;
  this_child().path[0] = '\0';
  this_child().parent_environ = parent_environ;
  this_child().child_environ = nullptr;
  this_child().renumber_in_place = renumber_in_place;
  this_child().renumbered_count = 0;
  this_child().moves = static_cast<descriptor_move*>(scratch);
}

void format_pid(pid_t pid, char (&text)[16]) {
  char reversed[16];
  int length = 0;
  unsigned value = static_cast<unsigned>(pid);
  do {
    reversed[length++] = static_cast<char>('0' + value % 10);
    value /= 10;
  } while (value != 0 && length < 15);
  for (int i = 0; i < length; ++i) text[i] = reversed[length - 1 - i];
  text[length] = '\0';
}

int change_wanted_mask(sigset_t* wanted, int how, const sigset_t* set, sigset_t* old) {
  sigset_t previous = *wanted;
  if (set != nullptr) {
    sigset_t change = *set;
    drop_internal_signals(&change);
    switch (how) {
      case SIG_BLOCK:
        sigorset(wanted, wanted, &change);
        break;
      case SIG_UNBLOCK:
        for (int signal_number = 1; signal_number < _NSIG; ++signal_number) {
          if (sigismember(&change, signal_number) == 1) sigdelset(wanted, signal_number);
        }
        break;
      case SIG_SETMASK:
        *wanted = change;
        break;
      default:
        return EINVAL;
    }
  }
  if (old != nullptr) *old = previous;
  return 0;
}

bool reset_before_exec(int signal_number, __sighandler_t handler) {
  if (signal_number == SIGKILL || signal_number == SIGSTOP) return false;
  return handler != SIG_DFL && handler != SIG_IGN;
}

renumber_action renumber_plan(int cmd, bool table_ready, int moves_made, int moves_max) {
  if ((cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC) || !table_ready) return renumber_action::libc;
  return moves_made >= moves_max ? renumber_action::refuse : renumber_action::move_in_place;
}

int dup_source_after_moves(const descriptor_move* moves, int count, int from, int to) {
  if (from == to) return from;
  for (int i = count - 1; i >= 0; --i) {
    if (moves[i].from == from) return moves[i].to;
  }
  return from;
}

int emulated_child_set_mask(int how, const sigset_t* set, sigset_t* old) {
  return change_wanted_mask(&this_child().wanted, how, set, old);
}

void emulated_child_take_environ() {
  if (environ == this_child().parent_environ) return;
  this_child().child_environ = environ;
  environ = this_child().parent_environ;
}

char** emulated_child_environ() {
  return this_child().child_environ != nullptr ? this_child().child_environ : environ;
}

void emulated_child_before_exec(const char* path, saved_handlers* saved) {
  if (path != nullptr) {
    size_t length = strnlen(path, kPathMax - 1);
    memcpy(this_child().path, path, length);
    this_child().path[length] = '\0';
  }
  this_child().exec_tried = true;
  saved_handlers::entry fallback{};
  fallback.handler = reinterpret_cast<unsigned long>(SIG_DFL);
  for (int signal_number = 1; signal_number < _NSIG; ++signal_number) {
    saved->reset[signal_number] = false;
    saved_handlers::entry& old = saved->action[signal_number];
    if (raw_sigaction(signal_number, nullptr, &old) != 0) continue;
    if (!reset_before_exec(signal_number, reinterpret_cast<__sighandler_t>(old.handler))) continue;
    if (raw_sigaction(signal_number, &fallback, nullptr) == 0) saved->reset[signal_number] = true;
  }
  raw_signal_mask(SIG_SETMASK, &this_child().wanted, nullptr);
}

void emulated_child_exec_failed(const saved_handlers& saved) {
  block_all_signals(nullptr);
  for (int signal_number = 1; signal_number < _NSIG; ++signal_number) {
    if (saved.reset[signal_number]) raw_sigaction(signal_number, &saved.action[signal_number], nullptr);
  }
}

void emulated_child_locate_mirror() { mirror_path = helper_program_path(); }

void emulated_child_continue_in_real_fork() {
  // libc's fork: the atfork handlers run as for any fork, so the new process
  // is an ordinary fork child (malloc, stdio and the library's own state made
  // consistent for one thread). They run here as in any thread of the
  // parent, whose thread is suspended until this process execs or ends: the
  // flag is cleared for them (and stays cleared: this process only becomes
  // the mirror from here).
  this_thread_state().in_emulated_child = false;
  // SIGCHLD at its default here from before the fork, so that an ignored
  // SIGCHLD (or SA_NOCLDWAIT) cannot reap the fork unseen however soon it
  // ends; the fork gets the child's own disposition back.
  saved_handlers::entry child_sigchld{};
  saved_handlers::entry fallback{};
  fallback.handler = reinterpret_cast<unsigned long>(SIG_DFL);
  bool sigchld_saved = raw_sigaction(SIGCHLD, &fallback, &child_sigchld) == 0;
  pid_t pid = real::fork();
  if (pid == 0) {
    if (sigchld_saved) raw_sigaction(SIGCHLD, &child_sigchld, nullptr);
    emulation_slot_reset_in_child();
    if (this_child().child_environ != nullptr) environ = this_child().child_environ;
    raw_signal_mask(SIG_SETMASK, &this_child().wanted, nullptr);
    return;
  }
  if (pid < 0) _exit(kCannotRunStatus);
  // The mirror: an exec releases the parent now and keeps this pid. Its
  // environment is empty (no library in it), its arguments on this stack.
  char pid_text[16];
  format_pid(pid, pid_text);
  if (mirror_path[0] != '\0') {
    char* argv[] = {const_cast<char*>("forkless-helper"), const_cast<char*>(kMirrorOption), pid_text, nullptr};
    char* envp[] = {nullptr};
    syscall(SYS_execve, mirror_path, argv, envp);
  }
  // No mirror: wait here (the parent stays suspended until the fork ends).
  int status = 0;
  while (syscall(SYS_wait4, pid, &status, 0, nullptr) < 0) {
    if (errno != EINTR) _exit(kCannotRunStatus);
  }
  end_as(status);
}

char* const* emulated_child_envp(char* const* envp) {
  if (this_child().child_environ != nullptr && envp == this_child().parent_environ) return this_child().child_environ;
  return envp;
}

int emulated_child_renumber(int from, int cmd, int minimum) {
  bool table_ready = this_child().renumber_in_place && this_child().moves != nullptr;
  switch (renumber_plan(cmd, table_ready, this_child().renumbered_count, kRenumberedMax)) {
    case renumber_action::libc:
      return kRenumberNotHandled;
    case renumber_action::refuse:
      errno = EMFILE;
      return -1;
    case renumber_action::move_in_place:
      break;
  }
  int moved = static_cast<int>(syscall(SYS_fcntl, from, cmd, minimum));
  if (moved < 0) return -1;
  this_child().moves[this_child().renumbered_count++] = descriptor_move{from, moved};
  return from;
}

int emulated_child_dup_source(int from, int to) {
  return dup_source_after_moves(this_child().moves, this_child().renumbered_count, from, to);
}

const char* emulated_child_exec_path() {
  return this_child().exec_tried && this_child().path[0] != '\0' ? this_child().path : nullptr;
}

bool emulated_child_took_environ() { return this_child().child_environ != nullptr; }

}  // namespace forkless
