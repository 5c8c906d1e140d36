// Credentials and descriptor renumbering in the child of an emulated fork.
//
// Hazards, and how each is handled:
// - glibc's set*id and setgroups wrappers apply the change to every thread
//   of the process (__nptl_setxid): they signal the parent's other threads
//   and wait for them under the parent's locks. The emulated child is a
//   process of its own that shares the parent's memory and thread list, so
//   that would deadlock (or change the parent's threads' credentials). In
//   the child they are single-process raw system calls, as in the children
//   of glibc's and musl's posix_spawn.
// - libuv's fcntl(F_DUPFD_CLOEXEC) renumbering stores its results where the
//   parent will read them (emulated_child.h): at a site that renumbers in
//   place the descriptor moves and the call returns its argument.
// Every interposer here takes back an environ the child assigned
// (emulated_child.h) first. Outside an emulated child each is libc's call.
#include <fcntl.h>
#include <grp.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>

#include "fork/emulated_child.h"
#include "real_libc.h"
#include "thread_state.h"

using namespace forkless;

namespace {

bool in_emulated_child() {
  if (!this_thread_state().in_emulated_child) return false;
  emulated_child_take_environ();
  return true;
}

int raw_result(long result) { return static_cast<int>(result); }

// seteuid(-1)/setegid(-1) is EINVAL in glibc, not "leave it".
constexpr unsigned kUnchangedId = static_cast<unsigned>(-1);

int fcntl_in_child(int fd, int cmd, unsigned long argument) {
  int result = emulated_child_renumber(fd, cmd, static_cast<int>(argument));
  if (result != kRenumberNotHandled) return result;
  return real::fcntl64(fd, cmd, argument);
}

}  // namespace

extern "C" {

int setuid(uid_t uid) {
  if (in_emulated_child()) return raw_result(syscall(SYS_setuid, uid));
  return real::setuid(uid);
}

int setgid(gid_t gid) {
  if (in_emulated_child()) return raw_result(syscall(SYS_setgid, gid));
  return real::setgid(gid);
}

int seteuid(uid_t uid) {
  if (in_emulated_child()) {
    if (uid == kUnchangedId) {
      errno = EINVAL;
      return -1;
    }
    return raw_result(syscall(SYS_setresuid, kUnchangedId, uid, kUnchangedId));
  }
  return real::seteuid(uid);
}

int setegid(gid_t gid) {
  if (in_emulated_child()) {
    if (gid == kUnchangedId) {
      errno = EINVAL;
      return -1;
    }
    return raw_result(syscall(SYS_setresgid, kUnchangedId, gid, kUnchangedId));
  }
  return real::setegid(gid);
}

int setreuid(uid_t real_id, uid_t effective) {
  if (in_emulated_child()) return raw_result(syscall(SYS_setreuid, real_id, effective));
  return real::setreuid(real_id, effective);
}

int setregid(gid_t real_id, gid_t effective) {
  if (in_emulated_child()) return raw_result(syscall(SYS_setregid, real_id, effective));
  return real::setregid(real_id, effective);
}

int setresuid(uid_t real_id, uid_t effective, uid_t saved) {
  if (in_emulated_child()) return raw_result(syscall(SYS_setresuid, real_id, effective, saved));
  return real::setresuid(real_id, effective, saved);
}

int setresgid(gid_t real_id, gid_t effective, gid_t saved) {
  if (in_emulated_child()) return raw_result(syscall(SYS_setresgid, real_id, effective, saved));
  return real::setresgid(real_id, effective, saved);
}

int setgroups(size_t count, const gid_t* groups) {
  if (in_emulated_child()) return raw_result(syscall(SYS_setgroups, count, groups));
  return real::setgroups(count, groups);
}

int fcntl(int fd, int cmd, ...) {
  va_list arguments;
  va_start(arguments, cmd);
  unsigned long argument = va_arg(arguments, unsigned long);
  va_end(arguments);
  if (in_emulated_child()) return fcntl_in_child(fd, cmd, argument);
  return real::fcntl(fd, cmd, argument);
}

int fcntl64(int fd, int cmd, ...) {
  va_list arguments;
  va_start(arguments, cmd);
  unsigned long argument = va_arg(arguments, unsigned long);
  va_end(arguments);
  if (in_emulated_child()) return fcntl_in_child(fd, cmd, argument);
  return real::fcntl64(fd, cmd, argument);
}

int dup2(int from, int to) {
  if (in_emulated_child()) return real::dup2(emulated_child_dup_source(from, to), to);
  return real::dup2(from, to);
}

int dup3(int from, int to, int flags) {
  if (in_emulated_child()) return real::dup3(emulated_child_dup_source(from, to), to, flags);
  return real::dup3(from, to, flags);
}

}  // extern "C"
