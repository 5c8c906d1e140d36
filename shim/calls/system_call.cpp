#include "system_call.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cancellable_wait.h"
#include "helper_client/context_capture.h"
#include "helper_client/helper_spawn.h"
#include "interpose/real_libc.h"
#include "support/fork_safe_lock.h"

extern char** environ;

namespace forkless {
namespace {

int system_users = 0;  // under shim_lock::system_dispositions
struct sigaction saved_intr, saved_quit;

void ignore_interrupts() {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  locked held(shim_lock::system_dispositions);
  if (system_users++ == 0) {
    sigaction(SIGINT, &ignore, &saved_intr);
    sigaction(SIGQUIT, &ignore, &saved_quit);
  }
}

void restore_interrupts() {
  locked held(shim_lock::system_dispositions);
  if (--system_users == 0) {
    sigaction(SIGINT, &saved_intr, nullptr);
    sigaction(SIGQUIT, &saved_quit, nullptr);
  }
}

void on_cancel(void* argument) {
  pid_t child = *static_cast<pid_t*>(argument);
  kill(child, SIGKILL);
  while (real::waitpid(child, nullptr, 0) < 0 && errno == EINTR) {
  }
  restore_interrupts();
}

}  // namespace

int system_via_helper(const char* line, call_report* report) {
  ignore_interrupts();
  sigset_t chld, previous;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, &previous);

  sigset_t reset;
  sigemptyset(&reset);
  if (saved_intr.sa_handler != SIG_IGN) sigaddset(&reset, SIGINT);
  if (saved_quit.sa_handler != SIG_IGN) sigaddset(&reset, SIGQUIT);

  char shell_name[] = "sh", dash_c[] = "-c";
  char* argv[] = {shell_name, dash_c, const_cast<char*>(line), nullptr};
  spawn_plan plan;
  plan.path = "/bin/sh";
  plan.argv = argv;
  plan.envp = environ;
  plan.attributes.flags = wire::attr_setsigdef | wire::attr_setsigmask;
  plan.attributes.signal_default = signal_bits(reset);
  plan.attributes.signal_mask = signal_bits(previous);
  spawn_result result = spawn_via_helper(plan);
  report_result(result, report);

  pid_t pid = -1;
  int error = 0;
  if (result.outcome == spawn_outcome::fallback) {
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setsigmask(&attributes, &previous);
    posix_spawnattr_setsigdefault(&attributes, &reset);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    error = real::posix_spawn(&pid, "/bin/sh", nullptr, &attributes, argv, environ);
    posix_spawnattr_destroy(&attributes);
  } else if (result.outcome == spawn_outcome::failed) {
    error = result.error;
  } else {
    pid = result.child_pid;
  }

  int status;
  if (error == 0) {
    report->child = pid;
    if (forkless_cancellable_wait(real::waitpid_address(), pid, &status, &on_cancel, &pid) != pid) status = -1;
  } else {
    status = W_EXITCODE(127, 0);
  }
  restore_interrupts();
  sigprocmask(SIG_SETMASK, &previous, nullptr);
  if (error != 0) errno = error;
  return status;
}

}  // namespace forkless
