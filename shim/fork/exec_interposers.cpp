// The exec family, exit(), sigprocmask() and pthread_sigmask(): what the
// child of an emulated fork needs from them, and the exec hook of the helper
// pool everywhere else.
//
// In the child of an emulated fork (in_emulated_child):
// - exec*: the signal mask the child asked for is put in place just before
//   the exec, and every signal blocked again if the exec fails (the child
//   still runs on the parent's memory);
// - exit() becomes _exit(): atexit handlers and stdio buffers are the
//   parent's;
// - sigprocmask/pthread_sigmask record the wanted mask instead of applying it.
// Elsewhere exec* first shuts the helper pool down (every helper killed and
// reaped, so none is left as a child of the new image; none started until
// the exec returns, which it does only when it failed) and reports to a
// learning parent.
//
// execl, execle and execlp gather their arguments on the stack (alloca, as
// glibc does): the emulated child must not allocate.
#include <alloca.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdarg>
#include <cstdlib>

#include "../real_libc.h"
#include "../thread_state.h"
#include "emulated_child.h"
#include "fork_learn.h"

#if __has_include("../helper_pool.h")
#include "../helper_pool.h"
#else
namespace forkless {
void helpers_before_exec();
void helpers_after_failed_exec();
}
#endif

namespace forkless {
namespace {

template <typename Exec>
int exec_through_shim(const char* path, Exec exec) {
  if (this_thread_state().in_emulated_child) {
    emulated_child_before_exec(path);
    int result = exec();
    int exec_errno = errno;
    emulated_child_exec_failed();
    errno = exec_errno;
    return result;
  }
  bool helpers_ended = false;
  {
    shim_scope scope;
    if (!scope.pass_through()) {
      learn_child_exec_attempt();
      helpers_before_exec();
      helpers_ended = true;
    }
  }
  int result = exec();
  if (helpers_ended) {
    shim_scope scope;  // keeps the exec's errno
    helpers_after_failed_exec();
  }
  return result;
}

// Counts the arguments after arg0 up to the terminating null pointer.
size_t count_list(const char* arg0, va_list args) {
  size_t count = arg0 != nullptr ? 1 : 0;
  if (arg0 != nullptr) {
    while (va_arg(args, const char*) != nullptr) ++count;
  }
  return count;
}

void fill_list(char** argv, const char* arg0, size_t count, va_list args) {
  argv[0] = const_cast<char*>(arg0);
  for (size_t i = 1; i < count; ++i) argv[i] = va_arg(args, char*);
  argv[count] = nullptr;
}

}  // namespace
}  // namespace forkless

using namespace forkless;

// The interposers are the library's exports (the rest is hidden).
#pragma GCC visibility push(default)
extern "C" {

int execve(const char* path, char* const argv[], char* const envp[]) {
  return exec_through_shim(path, [&] { return real::execve(path, argv, envp); });
}

int execv(const char* path, char* const argv[]) {
  return exec_through_shim(path, [&] { return real::execv(path, argv); });
}

int execvp(const char* file, char* const argv[]) {
  return exec_through_shim(file, [&] { return real::execvp(file, argv); });
}

int execvpe(const char* file, char* const argv[], char* const envp[]) {
  return exec_through_shim(file, [&] { return real::execvpe(file, argv, envp); });
}

int fexecve(int fd, char* const argv[], char* const envp[]) {
  return exec_through_shim(argv != nullptr ? argv[0] : nullptr,
                           [&] { return real::fexecve(fd, argv, envp); });
}

int execveat(int dirfd, const char* path, char* const argv[], char* const envp[], int flags) {
  return exec_through_shim(path, [&] { return real::execveat(dirfd, path, argv, envp, flags); });
}

int execl(const char* path, const char* arg0, ...) {
  va_list args;
  va_start(args, arg0);
  size_t count = count_list(arg0, args);
  va_end(args);
  auto** argv = static_cast<char**>(alloca((count + 1) * sizeof(char*)));
  va_start(args, arg0);
  fill_list(argv, arg0, count, args);
  va_end(args);
  return exec_through_shim(path, [&] { return real::execve(path, argv, environ); });
}

int execlp(const char* file, const char* arg0, ...) {
  va_list args;
  va_start(args, arg0);
  size_t count = count_list(arg0, args);
  va_end(args);
  auto** argv = static_cast<char**>(alloca((count + 1) * sizeof(char*)));
  va_start(args, arg0);
  fill_list(argv, arg0, count, args);
  va_end(args);
  return exec_through_shim(file, [&] { return real::execvp(file, argv); });
}

int execle(const char* path, const char* arg0, ...) {
  va_list args;
  va_start(args, arg0);
  size_t count = count_list(arg0, args);
  va_end(args);
  auto** argv = static_cast<char**>(alloca((count + 1) * sizeof(char*)));
  va_start(args, arg0);
  fill_list(argv, arg0, count, args);
  // The environment follows the terminating null pointer.
  if (count > 0) va_arg(args, char*);
  char* const* envp = va_arg(args, char* const*);
  va_end(args);
  return exec_through_shim(path, [&] { return real::execve(path, argv, envp); });
}

void exit(int status) noexcept {
  if (this_thread_state().in_emulated_child) _exit(status);
  learn_child_exit_called();
  real::exit(status);
  _exit(status);  // only if libc's exit could not be found
}

int sigprocmask(int how, const sigset_t* set, sigset_t* old) noexcept {
  if (this_thread_state().in_emulated_child) {
    int error = emulated_child_set_mask(how, set, old);
    if (error == 0) return 0;
    errno = error;
    return -1;
  }
  return real::sigprocmask(how, set, old);
}

int pthread_sigmask(int how, const sigset_t* set, sigset_t* old) noexcept {
  if (this_thread_state().in_emulated_child) return emulated_child_set_mask(how, set, old);
  return real::pthread_sigmask(how, set, old);
}

}  // extern "C"
#pragma GCC visibility pop
