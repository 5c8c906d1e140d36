// The core's definitions of the interposed functions (the front library
// calls them through the table it gets from forkless_core_attach): each
// converts arguments and errno and calls the C++ core; decisions live in the
// core (route.h, *_call.h).
#include <cerrno>
#include <cstdarg>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#include "calls/popen_call.h"
#include "calls/routed_spawn.h"
#include "calls/system_call.h"
#include "calls/wait_hiding.h"
#include "helper_client/context_capture.h"
#include "helper_client/helper_identity.h"
#include "helper_client/helper_spawn.h"
#include "helper_client/restriction_watch.h"
#include "policy/diagnostics.h"
#include "policy/route.h"
#include "policy/spawn_pressure.h"
#include "real_libc.h"
#include "thread_state.h"

using namespace forkless;


extern "C" {

int system(const char* line) {
  return routed_spawn(
      api_kind::system, "sh", [&] { return real::system(line); }, [&] { return real::system(line); },
      [&](call_report* report, shim_scope& scope) {
        // glibc: "is a shell available?" is system("exit 0") == 0.
        int status = line == nullptr ? system_via_helper("exit 0", report) == 0 : system_via_helper(line, report);
        scope.keep_errno();
        return status;
      },
      [](int, const call_report& report) { return report.child; });
}

FILE* popen(const char* command, const char* mode) {
  return routed_spawn(
      api_kind::popen, "sh", [&] { return real::popen(command, mode); },
      [&] { return popen_natively(command, mode); },
      [&](call_report* report, shim_scope& scope) {
        FILE* stream = popen_via_helper(command, mode, report);
        scope.keep_errno();
        return stream;
      },
      [](FILE*, const call_report& report) { return report.child; });
}

int pclose(FILE* stream) {
  shim_scope scope;
  int result;
  if (!scope.pass_through() && close_our_stream(stream, &result)) {
    scope.keep_errno();
    return result;
  }
  result = real::pclose(stream);
  scope.keep_errno();
  return result;
}

int fclose(FILE* stream) {
  // glibc's pclose is its fclose: closing a popen stream with fclose also
  // waits for its child and returns the status.
  if (have_popen_streams()) {
    shim_scope scope;
    int result;
    if (!scope.pass_through() && close_our_stream(stream, &result)) {
      scope.keep_errno();
      return result;
    }
  }
  return real::fclose(stream);
}

// The waits: a child sharing the parent's memory (emulated fork, vfork) has
// none of its helpers; its waits are its own, and the hiding tables are the
// parent's.
pid_t wait(int* status) {
  if (shared_memory_child()) return real::wait(status);
  shim_scope scope;
  pid_t result = wait4_hiding_helpers(-1, status, 0, nullptr);
  if (result < 0) scope.keep_errno();
  return result;
}

pid_t waitpid(pid_t pid, int* status, int options) {
  if (shared_memory_child()) return real::waitpid(pid, status, options);
  shim_scope scope;
  pid_t result = wait4_hiding_helpers(pid, status, options, nullptr);
  if (result < 0) scope.keep_errno();
  return result;
}

pid_t wait3(int* status, int options, struct rusage* usage) {
  if (shared_memory_child()) return real::wait3(status, options, usage);
  shim_scope scope;
  pid_t result = wait4_hiding_helpers(-1, status, options, usage);
  if (result < 0) scope.keep_errno();
  return result;
}

pid_t wait4(pid_t pid, int* status, int options, struct rusage* usage) {
  if (shared_memory_child()) return real::wait4(pid, status, options, usage);
  shim_scope scope;
  pid_t result = wait4_hiding_helpers(pid, status, options, usage);
  if (result < 0) scope.keep_errno();
  return result;
}

int waitid(idtype_t type, id_t id, siginfo_t* info, int options) {
  if (shared_memory_child()) return real::waitid(type, id, info, options);
  shim_scope scope;
  int result = waitid_hiding_helpers(type, id, info, options);
  if (result < 0) scope.keep_errno();
  return result;
}

// Calls that change what a helper cannot carry (helper_identity.h): they
// bump the identity generation so the next spawn compares again.
mode_t umask(mode_t mask) {
  mode_t previous = real::umask(mask);
  // The tracked umask is the parent's: a child sharing its memory sets only
  // its own (no CLONE_FS).
  if (shared_memory_child()) return previous;
  note_umask(mask);
  return previous;
}

int unshare(int flags) {
  int result = real::unshare(flags);
  if (shared_memory_child()) return result;
  int error = errno;
  identity_generation.fetch_add(1);
  errno = error;
  return result;
}

int setns(int fd, int type) {
  int result = real::setns(fd, type);
  if (shared_memory_child()) return result;
  int error = errno;
  identity_generation.fetch_add(1);
  errno = error;
  return result;
}

int prctl(int option, ...) {
  va_list arguments;
  va_start(arguments, option);
  unsigned long a2 = va_arg(arguments, unsigned long), a3 = va_arg(arguments, unsigned long),
                a4 = va_arg(arguments, unsigned long), a5 = va_arg(arguments, unsigned long);
  va_end(arguments);
  int result = real::prctl(option, a2, a3, a4, a5);
  // A child sharing the parent's memory changes only itself.
  if (shared_memory_child()) return result;
  int error = errno;
  note_prctl(option, result);
  errno = error;
  return result;
}

// libc's syscall() with up to six arguments (all it passes on), each read
// as a long, as libc's own reads them.
long syscall(long number, ...) {
  va_list arguments;
  va_start(arguments, number);
  long a[6];
  for (long& argument : a) argument = va_arg(arguments, long);
  va_end(arguments);
  long result = real::syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
  if (shared_memory_child()) return result;
  int error = errno;
  note_raw_system_call(number, a[0], result);
  errno = error;
  return result;
}

}  // extern "C"
