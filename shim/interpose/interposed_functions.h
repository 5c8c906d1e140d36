// The one table of the libc functions forkless interposes. Everything that
// lists them is made from it: the front library's exports, its export map
// (libforkless.map.in), the core's entry table and the core's calls to libc
// (real_libc.h).
//
// X(shape, return_type, name, (parameters), (arguments)):
//   loads   - a spawn call: the front loads the core first, if it may
//             (front/front.cpp says when), then calls the core's entry;
//   passes  - the core's entry once the core is loaded, else libc's: the
//             call matters to forkless only when the core has state (its
//             helpers, an emulated child, a recorded popen stream);
//   written - the front's stub is written out by hand (variadic in libc,
//             or exit, which never returns); routed as "passes";
//   entry   - fork() and _Fork(): assembly entries in both libraries
//             (front/front_entry_x86_64.S, fork/fork_entry_x86_64.S), so
//             that the core sees the program's own stack.
// The front also exports execl, execle and execlp (their lists become an
// argv on the stack and go to execv, execve and execvp), vfork and the
// aliases __fork and __vfork.
//
// How to add an interposer: one line here; its core definition (extern "C",
// in the file of its concern, first statement a shim_scope or the
// shared_memory_child() rule of thread_state.h); nothing else.
#pragma once

#include <csignal>
#include <cstdio>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#define FORKLESS_INTERPOSED_FUNCTIONS(X)                                                             \
  X(loads, int, system, (const char* a), (a))                                                        \
  X(loads, FILE*, popen, (const char* a, const char* b), (a, b))                                     \
  X(passes, int, pclose, (FILE * a), (a))                                                            \
  X(passes, int, fclose, (FILE * a), (a))                                                            \
  X(loads, int, posix_spawn,                                                                         \
    (pid_t * a, const char* b, const posix_spawn_file_actions_t* c, const posix_spawnattr_t* d,     \
     char* const* e, char* const* f),                                                                \
    (a, b, c, d, e, f))                                                                              \
  X(loads, int, posix_spawnp,                                                                        \
    (pid_t * a, const char* b, const posix_spawn_file_actions_t* c, const posix_spawnattr_t* d,     \
     char* const* e, char* const* f),                                                                \
    (a, b, c, d, e, f))                                                                              \
  X(loads, int, posix_spawn_file_actions_init, (posix_spawn_file_actions_t * a), (a))                \
  X(passes, int, posix_spawn_file_actions_destroy, (posix_spawn_file_actions_t * a), (a))            \
  X(passes, int, posix_spawn_file_actions_addopen,                                                   \
    (posix_spawn_file_actions_t * a, int b, const char* c, int d, mode_t e), (a, b, c, d, e))        \
  X(passes, int, posix_spawn_file_actions_addclose, (posix_spawn_file_actions_t * a, int b), (a, b)) \
  X(passes, int, posix_spawn_file_actions_adddup2, (posix_spawn_file_actions_t * a, int b, int c),   \
    (a, b, c))                                                                                       \
  X(passes, int, posix_spawn_file_actions_addchdir_np,                                               \
    (posix_spawn_file_actions_t * a, const char* b), (a, b))                                         \
  X(passes, int, posix_spawn_file_actions_addfchdir_np, (posix_spawn_file_actions_t * a, int b),     \
    (a, b))                                                                                          \
  X(passes, int, posix_spawn_file_actions_addclosefrom_np, (posix_spawn_file_actions_t * a, int b),  \
    (a, b))                                                                                          \
  X(passes, int, posix_spawn_file_actions_addtcsetpgrp_np, (posix_spawn_file_actions_t * a, int b),  \
    (a, b))                                                                                          \
  X(entry, pid_t, fork, (void), ())                                                                  \
  X(entry, pid_t, _Fork, (void), ())                                                                 \
  X(passes, pid_t, wait, (int* a), (a))                                                              \
  X(passes, pid_t, waitpid, (pid_t a, int* b, int c), (a, b, c))                                     \
  X(passes, pid_t, wait3, (int* a, int b, struct rusage* c), (a, b, c))                              \
  X(passes, pid_t, wait4, (pid_t a, int* b, int c, struct rusage* d), (a, b, c, d))                  \
  X(passes, int, waitid, (idtype_t a, id_t b, siginfo_t* c, int d), (a, b, c, d))                    \
  X(passes, int, execve, (const char* a, char* const* b, char* const* c), (a, b, c))                 \
  X(passes, int, execv, (const char* a, char* const* b), (a, b))                                     \
  X(passes, int, execvp, (const char* a, char* const* b), (a, b))                                    \
  X(passes, int, execvpe, (const char* a, char* const* b, char* const* c), (a, b, c))                \
  X(passes, int, fexecve, (int a, char* const* b, char* const* c), (a, b, c))                        \
  X(passes, int, execveat, (int a, const char* b, char* const* c, char* const* d, int e),            \
    (a, b, c, d, e))                                                                                 \
  X(written, void, exit, (int a), (a))                                                               \
  X(passes, mode_t, umask, (mode_t a), (a))                                                          \
  X(passes, int, unshare, (int a), (a))                                                              \
  X(passes, int, setns, (int a, int b), (a, b))                                                      \
  X(written, int, prctl, (int, ...), ())                                                             \
  X(written, long, syscall, (long, ...), ())                                                         \
  X(passes, int, sigprocmask, (int a, const sigset_t* b, sigset_t* c), (a, b, c))                    \
  X(passes, int, pthread_sigmask, (int a, const sigset_t* b, sigset_t* c), (a, b, c))                \
  X(passes, int, setuid, (uid_t a), (a))                                                             \
  X(passes, int, setgid, (gid_t a), (a))                                                             \
  X(passes, int, seteuid, (uid_t a), (a))                                                            \
  X(passes, int, setegid, (gid_t a), (a))                                                            \
  X(passes, int, setreuid, (uid_t a, uid_t b), (a, b))                                               \
  X(passes, int, setregid, (gid_t a, gid_t b), (a, b))                                               \
  X(passes, int, setresuid, (uid_t a, uid_t b, uid_t c), (a, b, c))                                  \
  X(passes, int, setresgid, (gid_t a, gid_t b, gid_t c), (a, b, c))                                  \
  X(passes, int, setgroups, (size_t a, const gid_t* b), (a, b))                                      \
  X(written, int, fcntl, (int, int, ...), ())                                                        \
  X(written, int, fcntl64, (int, int, ...), ())                                                      \
  X(passes, int, dup2, (int a, int b), (a, b))                                                       \
  X(passes, int, dup3, (int a, int b, int c), (a, b, c))

namespace forkless {

// Each function's index in the tables of both libraries.
enum interposed_index : int {
#define FORKLESS_INDEX(shape, ret, name, params, args) index_##name,
  FORKLESS_INTERPOSED_FUNCTIONS(FORKLESS_INDEX)
#undef FORKLESS_INDEX
      interposed_count
};

}  // namespace forkless
