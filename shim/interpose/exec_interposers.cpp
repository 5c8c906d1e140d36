// The exec family, exit(), sigprocmask() and pthread_sigmask(): what the
// child of an emulated fork needs from them, and the exec hook of the helper
// pool everywhere else.
//
// In the child of an emulated fork (in_emulated_child), see emulated_child.h:
// - exec*: the parent's environ is put back and the child's passed to the
//   exec explicitly (execv and execvp take environ; the PATH search of
//   execvp/execvpe reads the environ the child set, as
//   glibc's does); caught signals are reset and the wanted mask put in place
//   just before the exec; a failed exec goes on in a real fork of the child;
// - exit() becomes _exit(): atexit handlers and stdio buffers are the
//   parent's;
// - sigprocmask/pthread_sigmask record the wanted mask instead of applying it.
// In a vfork child of the program every call is libc's own.
// Elsewhere exec* first shuts the helper pool down (every helper killed and
// reaped, so none is left as a child of the new image; none started until
// the exec returns, which it does only when it failed) and reports to a
// learning parent.
// execl, execle and execlp are the front library's: it gathers their lists
// on the stack and calls execv, execve and execvp here.
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>

#include "fork/emulated_child.h"
#include "fork/exec_search.h"
#include "fork/fork_learn.h"
#include "helper_client/helper_pool.h"
#include "real_libc.h"
#include "thread_state.h"

namespace forkless {
namespace {

int real_execve(const char* path, char* const argv[], char* const envp[]) {
  return real::execve(path, argv, envp);
}

// exec(env) runs the exec with the environment it is given: the child's in
// an emulated child, environ elsewhere (calls naming their own environment
// ignore it).
template <typename Exec>
int exec_through_shim(const char* path, Exec exec) {
  if (this_thread_state().in_emulated_child) {
    emulated_child_take_environ();
    saved_handlers saved;
    emulated_child_before_exec(path, &saved);
    int result = exec(emulated_child_environ());
    int exec_errno = errno;
    emulated_child_exec_failed(saved);
    emulated_child_continue_in_real_fork();
    errno = exec_errno;
    return result;
  }
  bool observed = false;
  {
    shim_scope scope;
    if (!scope.pass_through()) {
      learn_child_exec_attempt();
      helpers_before_exec();
      observed = true;
    }
  }
  int result = exec(environ);
  if (observed) {
    int exec_errno = errno;
    {
      shim_scope scope;
      learn_child_exec_failed();
      helpers_after_failed_exec();
    }
    errno = exec_errno;
  }
  return result;
}

// An environment the call names: environ, named after the emulated child
// assigned it and it was taken back, is the child's.
char* const* child_envp(char* const* envp) {
  return this_thread_state().in_emulated_child ? emulated_child_envp(envp) : envp;
}

// execvp's search with environ as it is for this call: the child's own in an
// emulated child, where environ is the parent's again.
int execvp_with(const char* file, char* const argv[], char* const envp[], char* const* path_env) {
  if (!this_thread_state().in_emulated_child) return real::execvpe(file, argv, envp);
  return exec_searching_path(file, argv, envp, path_env, &real_execve);
}

}  // namespace
}  // namespace forkless

using namespace forkless;

extern "C" {

int execve(const char* path, char* const argv[], char* const envp[]) {
  return exec_through_shim(path, [&](char**) { return real::execve(path, argv, child_envp(envp)); });
}

int execv(const char* path, char* const argv[]) {
  return exec_through_shim(path, [&](char** env) { return real::execve(path, argv, env); });
}

int execvp(const char* file, char* const argv[]) {
  return exec_through_shim(file, [&](char** env) { return execvp_with(file, argv, env, env); });
}

int execvpe(const char* file, char* const argv[], char* const envp[]) {
  return exec_through_shim(file, [&](char** env) { return execvp_with(file, argv, child_envp(envp), env); });
}

int fexecve(int fd, char* const argv[], char* const envp[]) {
  return exec_through_shim(argv != nullptr ? argv[0] : nullptr,
                           [&](char**) { return real::fexecve(fd, argv, child_envp(envp)); });
}

int execveat(int dirfd, const char* path, char* const argv[], char* const envp[], int flags) {
  return exec_through_shim(path,
                           [&](char**) { return real::execveat(dirfd, path, argv, child_envp(envp), flags); });
}

void exit(int status) noexcept {
  thread_state& state = this_thread_state();
  if (state.in_emulated_child) _exit(status);
  if (state.vfork_depth == 0) learn_child_exit_called();
  real::exit(status);
  _exit(status);  // only if libc's exit could not be found
}

int sigprocmask(int how, const sigset_t* set, sigset_t* old) noexcept {
  if (this_thread_state().in_emulated_child) {
    emulated_child_take_environ();
    int error = emulated_child_set_mask(how, set, old);
    if (error == 0) return 0;
    errno = error;
    return -1;
  }
  return real::sigprocmask(how, set, old);
}

int pthread_sigmask(int how, const sigset_t* set, sigset_t* old) noexcept {
  if (this_thread_state().in_emulated_child) {
    emulated_child_take_environ();
    return emulated_child_set_mask(how, set, old);
  }
  return real::pthread_sigmask(how, set, old);
}

}  // extern "C"
