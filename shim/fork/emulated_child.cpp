#include "emulated_child.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace forkless {
namespace {

constexpr size_t kPathMax = 128;
// glibc's internal signals (SIGCANCEL, SIGSETXID): pthread_sigmask never lets
// a program block them, so neither does the recorded mask.
constexpr int kLibcInternalSignals[] = {32, 33};

struct child_state {
  sigset_t wanted;
  bool exec_tried;
  char path[kPathMax];
};

__attribute__((tls_model("initial-exec"))) thread_local child_state this_child;

void drop_internal_signals(sigset_t* set) {
  for (int signal_number : kLibcInternalSignals) sigdelset(set, signal_number);
}

}  // namespace

int raw_signal_mask(int how, const sigset_t* set, sigset_t* old) {
  // The kernel's sigset is _NSIG bits, 8 bytes on Linux; glibc's is larger.
  return static_cast<int>(syscall(SYS_rt_sigprocmask, how, set, old, _NSIG / 8));
}

void block_all_signals(sigset_t* old) {
  sigset_t all;
  sigfillset(&all);
  raw_signal_mask(SIG_SETMASK, &all, old);
}

void emulated_child_begin(const sigset_t& caller_mask) {
  this_child.wanted = caller_mask;
  this_child.exec_tried = false;
  this_child.path[0] = '\0';
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

void emulated_child_before_exec(const char* path) {
  if (path != nullptr) {
    size_t length = strnlen(path, kPathMax - 1);
    memcpy(this_child.path, path, length);
    this_child.path[length] = '\0';
  }
  this_child.exec_tried = true;
  raw_signal_mask(SIG_SETMASK, &this_child.wanted, nullptr);
}

void emulated_child_exec_failed() { block_all_signals(nullptr); }

const char* emulated_child_exec_path() {
  return this_child.exec_tried && this_child.path[0] != '\0' ? this_child.path : nullptr;
}

}  // namespace forkless
