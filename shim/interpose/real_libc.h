// The libc functions the shim interposes, resolved once with dlsym(RTLD_NEXT).
//
// How to add an interposer (one pattern for all of them):
//   1. Add a line X(return_type, name, (parameter types)) to FORKLESS_LIBC_FUNCTIONS.
//   2. Define the extern "C" function in the interposers file of its concern;
//      keep it thin: open a shim_scope, call real::name() when
//      scope.pass_through(), else call the C++ core.
//   3. Add the name to libforkless.map, the only symbols the library exports.
// real::name resolves on first use (an interposer may run before our
// constructor, from another library's constructor) and rejects a result that
// is our own definition, so a broken link order can never recurse forever:
// it then answers ENOSYS instead.
#pragma once

#include <csignal>
#include <cstdio>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#define FORKLESS_LIBC_FUNCTIONS(X)                                                        \
  X(int, system, (const char*))                                                           \
  X(FILE*, popen, (const char*, const char*))                                             \
  X(int, pclose, (FILE*))                                                                 \
  X(int, fclose, (FILE*))                                                                 \
  X(int, posix_spawn, (pid_t*, const char*, const posix_spawn_file_actions_t*,            \
                       const posix_spawnattr_t*, char* const*, char* const*))             \
  X(int, posix_spawnp, (pid_t*, const char*, const posix_spawn_file_actions_t*,           \
                        const posix_spawnattr_t*, char* const*, char* const*))            \
  X(int, posix_spawn_file_actions_init, (posix_spawn_file_actions_t*))                    \
  X(int, posix_spawn_file_actions_destroy, (posix_spawn_file_actions_t*))                 \
  X(int, posix_spawn_file_actions_addopen,                                                \
    (posix_spawn_file_actions_t*, int, const char*, int, mode_t))                         \
  X(int, posix_spawn_file_actions_addclose, (posix_spawn_file_actions_t*, int))           \
  X(int, posix_spawn_file_actions_adddup2, (posix_spawn_file_actions_t*, int, int))       \
  X(int, posix_spawn_file_actions_addchdir_np, (posix_spawn_file_actions_t*, const char*)) \
  X(int, posix_spawn_file_actions_addfchdir_np, (posix_spawn_file_actions_t*, int))       \
  X(int, posix_spawn_file_actions_addclosefrom_np, (posix_spawn_file_actions_t*, int))    \
  X(int, posix_spawn_file_actions_addtcsetpgrp_np, (posix_spawn_file_actions_t*, int))    \
  X(pid_t, fork, (void))                                                                  \
  X(pid_t, wait, (int*))                                                                  \
  X(pid_t, waitpid, (pid_t, int*, int))                                                   \
  X(pid_t, wait3, (int*, int, struct rusage*))                                            \
  X(pid_t, wait4, (pid_t, int*, int, struct rusage*))                                     \
  X(int, waitid, (idtype_t, id_t, siginfo_t*, int))                                       \
  X(int, execve, (const char*, char* const*, char* const*))                               \
  X(int, execv, (const char*, char* const*))                                              \
  X(int, execvp, (const char*, char* const*))                                             \
  X(int, execvpe, (const char*, char* const*, char* const*))                              \
  X(int, fexecve, (int, char* const*, char* const*))                                      \
  X(int, execveat, (int, const char*, char* const*, char* const*, int))                   \
  X(void, exit, (int))                                                                    \
  X(mode_t, umask, (mode_t))                                                              \
  X(int, unshare, (int))                                                                  \
  X(int, setns, (int, int))                                                               \
  X(int, prctl, (int, unsigned long, unsigned long, unsigned long, unsigned long))        \
  X(long, syscall, (long, ...))                                                           \
  X(pid_t, _Fork, (void))                                                                 \
  X(int, sigprocmask, (int, const sigset_t*, sigset_t*))                                  \
  X(int, pthread_sigmask, (int, const sigset_t*, sigset_t*))                              \
  X(int, setuid, (uid_t))                                                                 \
  X(int, setgid, (gid_t))                                                                 \
  X(int, seteuid, (uid_t))                                                                \
  X(int, setegid, (gid_t))                                                                \
  X(int, setreuid, (uid_t, uid_t))                                                        \
  X(int, setregid, (gid_t, gid_t))                                                        \
  X(int, setresuid, (uid_t, uid_t, uid_t))                                                \
  X(int, setresgid, (gid_t, gid_t, gid_t))                                                \
  X(int, setgroups, (size_t, const gid_t*))                                               \
  X(int, fcntl, (int, int, ...))                                                          \
  X(int, fcntl64, (int, int, ...))                                                        \
  X(int, dup2, (int, int))                                                                \
  X(int, dup3, (int, int, int))

namespace forkless::real {

// For each function: its signature type, the resolved address (never null:
// a missing or self-resolving symbol gives a stub that fails with ENOSYS) and
// a forwarding call real::name(args...).
#define FORKLESS_DECLARE_REAL(ret, name, params)         \
  using name##_signature = ret params;                    \
  name##_signature* name##_address();                     \
  template <typename... Args>                             \
  inline ret name(Args... args) {                         \
    return name##_address()(args...);                     \
  }
FORKLESS_LIBC_FUNCTIONS(FORKLESS_DECLARE_REAL)
#undef FORKLESS_DECLARE_REAL

// Address of libc's definition (nullptr if missing), for code that must jump
// to it without a frame of its own (the fork entry).
void* address_of(const char* name);

// Resolves every function above now (dlsym takes the dynamic loader's lock:
// the child of an emulated fork, which shares the parent's memory, must
// never be the one to take it).
void resolve_all();

}  // namespace forkless::real
