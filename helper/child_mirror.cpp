#include "child_mirror.h"

#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>

namespace forkless::helper {
namespace {

// Status when the fork cannot be waited for (as a shell for a command that
// could not run).
constexpr int kCannotMirror = 127;

volatile pid_t mirrored = 0;

void pass_on(int signal_number) {
  if (mirrored > 0) kill(mirrored, signal_number);
}

}  // namespace

int mirror_child(const char* pid_text) {
  char* end = nullptr;
  long pid = strtol(pid_text, &end, 10);
  if (end == pid_text || *end != '\0' || pid <= 0) return kCannotMirror;
  mirrored = static_cast<pid_t>(pid);
  syscall(SYS_close_range, 0U, ~0U, 0U);

  struct sigaction action {};
  action.sa_handler = SIG_DFL;
  sigaction(SIGCHLD, &action, nullptr);
  sigemptyset(&action.sa_mask);
  action.sa_handler = pass_on;
  action.sa_flags = SA_RESTART;
  for (int signal_number = 1; signal_number < NSIG; ++signal_number) {
    if (signal_number == SIGKILL || signal_number == SIGSTOP || signal_number == SIGCHLD) continue;
    struct sigaction current {};
    if (sigaction(signal_number, nullptr, &current) != 0 || current.sa_handler == SIG_IGN) continue;
    sigaction(signal_number, &action, nullptr);
  }
  // The emulated child exec'd this with every signal blocked.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);

  int status = 0;
  while (waitpid(mirrored, &status, 0) < 0) {
    if (errno != EINTR) return kCannotMirror;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  int signal_number = WTERMSIG(status);
  action.sa_handler = SIG_DFL;
  action.sa_flags = 0;
  sigaction(signal_number, &action, nullptr);
  raise(signal_number);
  return 128 + signal_number;  // a signal whose default is to be ignored
}

}  // namespace forkless::helper
