// posix_spawn()/posix_spawnp() through the helper, with glibc 2.36's
// contract: the return value is the error number (0 on success, never -1
// with errno); *pid is written only on success; the caller's errno is left
// alone; posix_spawnp searches the caller's PATH as it is at the call (glibc's
// child reads the parent's environment, not envp), "/bin:/usr/bin" when PATH
// is unset; a file that is not executable (ENOEXEC) is an error, never run
// by a shell. Every attribute flag is carried (POSIX_SPAWN_USEVFORK is a
// no-op in glibc 2.36, and here). Whatever cannot be done exactly goes to
// libc's own posix_spawn, and report->reason says why.
#pragma once

#include <spawn.h>
#include <sys/types.h>

#include "helper_client/helper_spawn.h"

namespace forkless {

struct spawn_call {
  pid_t* pid;
  const char* file;
  const posix_spawn_file_actions_t* file_actions;
  const posix_spawnattr_t* attributes;
  char* const* argv;
  char* const* envp;
  bool search_path;  // posix_spawnp
};

// The helper path (the route was decided already). Returns what
// posix_spawn returns.
int posix_spawn_via_helper(const spawn_call& call, call_report* report);

// The request's attributes from libc's attribute object (nullptr: none).
wire::spawn_attributes attributes_from(const posix_spawnattr_t* attributes);

// The libc call the shim stands for.
int posix_spawn_natively(const spawn_call& call);

}  // namespace forkless
