// The extern "C" layer of posix_spawn, posix_spawnp and the
// posix_spawn_file_actions_* calls: each converts arguments and errno and
// calls the core (posix_spawn_call.h, spawn_file_actions.h).
//
// The file-action interposers call libc first, so libc's object is always
// complete and valid (for a fallback, or for a call made with the library
// disabled), return exactly what libc returned, and note the action only
// when libc accepted it. In an emulated fork child nothing is noted (its
// memory is the parent's; the record then no longer matches libc's object
// and the parent's spawn with it goes to libc).
#include <cerrno>
#include <spawn.h>

#include "calls/posix_spawn_call.h"
#include "calls/routed_spawn.h"
#include "calls/spawn_file_actions.h"
#include "policy/diagnostics.h"
#include "policy/route.h"
#include "policy/spawn_pressure.h"
#include "real_libc.h"
#include "thread_state.h"

using namespace forkless;

namespace {

using wire::file_action_kind;

int spawn_entry(api_kind api, const spawn_call& call) {
  return routed_spawn(
      api, call.file, [&] { return posix_spawn_natively(call); }, [&] { return posix_spawn_natively(call); },
      [&](call_report* report, shim_scope& scope) {
        int result = posix_spawn_via_helper(call, report);
        if (!report->via_helper)
          scope.keep_errno();  // libc made the call: its errno stands
        else if (report->errno_left != 0)
          scope.set_result_errno(report->errno_left);  // as glibc's child, which shares errno, leaves it
        return result;
      },
      [&](int result, const call_report& report) { return result == 0 && call.pid ? *call.pid : report.child; });
}

// libc's result as is; the action is noted when libc accepted it.
int noted(shim_scope& scope, posix_spawn_file_actions_t* object, int result, const wire::file_action& action) {
  scope.keep_errno();
  if (result == 0 && !scope.pass_through()) note_file_action(object, action);
  return result;
}

wire::file_action action_of(file_action_kind kind, int fd, int new_fd = 0, const char* path = nullptr,
                            int oflag = 0, mode_t mode = 0) {
  return wire::file_action{static_cast<uint32_t>(kind), fd, new_fd, oflag, static_cast<uint32_t>(mode), path};
}

}  // namespace

extern "C" {

int posix_spawn(pid_t* pid, const char* path, const posix_spawn_file_actions_t* file_actions,
                const posix_spawnattr_t* attributes, char* const argv[], char* const envp[]) {
  return spawn_entry(api_kind::posix_spawn, spawn_call{pid, path, file_actions, attributes, argv, envp, false});
}

int posix_spawnp(pid_t* pid, const char* file, const posix_spawn_file_actions_t* file_actions,
                 const posix_spawnattr_t* attributes, char* const argv[], char* const envp[]) {
  return spawn_entry(api_kind::posix_spawnp, spawn_call{pid, file, file_actions, attributes, argv, envp, true});
}

int posix_spawn_file_actions_init(posix_spawn_file_actions_t* object) {
  shim_scope scope;
  int result = real::posix_spawn_file_actions_init(object);
  scope.keep_errno();
  if (result == 0 && !scope.pass_through()) note_file_actions_init(object);
  return result;
}

int posix_spawn_file_actions_destroy(posix_spawn_file_actions_t* object) {
  shim_scope scope;
  int result = real::posix_spawn_file_actions_destroy(object);
  scope.keep_errno();
  if (!scope.pass_through()) note_file_actions_destroy(object);
  return result;
}

int posix_spawn_file_actions_addopen(posix_spawn_file_actions_t* object, int fd, const char* path, int oflag,
                                     mode_t mode) {
  shim_scope scope;
  return noted(scope, object, real::posix_spawn_file_actions_addopen(object, fd, path, oflag, mode),
               action_of(file_action_kind::open, fd, 0, path, oflag, mode));
}

int posix_spawn_file_actions_addclose(posix_spawn_file_actions_t* object, int fd) {
  shim_scope scope;
  return noted(scope, object, real::posix_spawn_file_actions_addclose(object, fd),
               action_of(file_action_kind::close, fd));
}

int posix_spawn_file_actions_adddup2(posix_spawn_file_actions_t* object, int fd, int new_fd) {
  shim_scope scope;
  return noted(scope, object, real::posix_spawn_file_actions_adddup2(object, fd, new_fd),
               action_of(file_action_kind::dup2, fd, new_fd));
}

int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t* object, const char* path) {
  shim_scope scope;
  return noted(scope, object, real::posix_spawn_file_actions_addchdir_np(object, path),
               action_of(file_action_kind::chdir, 0, 0, path));
}

int posix_spawn_file_actions_addfchdir_np(posix_spawn_file_actions_t* object, int fd) {
  shim_scope scope;
  return noted(scope, object, real::posix_spawn_file_actions_addfchdir_np(object, fd),
               action_of(file_action_kind::fchdir, fd));
}

int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t* object, int from) {
  shim_scope scope;
  return noted(scope, object, real::posix_spawn_file_actions_addclosefrom_np(object, from),
               action_of(file_action_kind::closefrom, from));
}

int posix_spawn_file_actions_addtcsetpgrp_np(posix_spawn_file_actions_t* object, int fd) {
  shim_scope scope;
  return noted(scope, object, real::posix_spawn_file_actions_addtcsetpgrp_np(object, fd),
               action_of(file_action_kind::tcsetpgrp, fd));
}

}  // extern "C"
