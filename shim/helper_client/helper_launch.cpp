// Starting the helper process without making the program wait for its exec.
//
// Hazards, and how each is handled:
//  - libc's posix_spawn would block the calling thread (the constructor, or a
//    program's first spawn) until the helper's exec completes, a few hundred
//    microseconds. Instead the child is cloned with CLONE_VM and no
//    CLONE_VFORK, on a stack of its own, and the caller goes on at once. A
//    failed exec shows later as a helper that never says hello.
//  - The child shares the caller's memory and TLS while the caller keeps
//    running: it must not write anything the caller uses. So it makes only
//    raw system calls (inline assembly, which never touch errno), reads its
//    arguments from the launch block, and writes nothing but its own stack.
//    Nothing of the launch block is freed until the helper's hello proves
//    the exec happened (or the helper is gone).
//  - Every signal is blocked across the clone, so no handler of the program
//    can run in the child; the child unblocks all just before exec.
//  - The descriptor table is the child's own (no CLONE_FILES): it keeps only
//    the channel (as 3) and /dev/null on 0-2 before exec.
//  - x86-64 only: elsewhere libc's posix_spawn is used.
#include "helper_launch.h"

#include <cerrno>
#include <cstdint>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <spawn.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "interpose/real_libc.h"

namespace forkless {
namespace {

constexpr size_t kLaunchBytes = 64 * 1024;
constexpr int kChannelInHelper = 3;

struct launch_block {
  int channel;
  char path[4096];
  char name[32];
  char channel_argument[32];
  char owner_argument[32];
  char* argv[4];
  char* envp[1];
};

#if defined(__x86_64__)

long raw_syscall(long number, long a1 = 0, long a2 = 0, long a3 = 0, long a4 = 0) {
  long result;
  register long r10 __asm__("r10") = a4;
  __asm__ volatile("syscall"
                   : "=a"(result)
                   : "a"(number), "D"(a1), "S"(a2), "d"(a3), "r"(r10)
                   : "rcx", "r11", "memory");
  return result;
}

[[noreturn]] void raw_exit(int status) {
  for (;;) raw_syscall(SYS_exit, status);
}

int launch_child(void* argument) {
  const auto* block = static_cast<const launch_block*>(argument);
  raw_syscall(SYS_setpgid, 0, 0);
  if (block->channel == kChannelInHelper) {
    raw_syscall(SYS_fcntl, kChannelInHelper, F_SETFD, 0);
  } else if (raw_syscall(SYS_dup2, block->channel, kChannelInHelper) != kChannelInHelper) {
    raw_exit(127);
  }
  static const char null_device[] = "/dev/null";
  for (int fd = 0; fd <= 2; ++fd) {
    long opened = raw_syscall(SYS_open, reinterpret_cast<long>(null_device), fd == 0 ? O_RDONLY : O_WRONLY);
    if (opened < 0) raw_exit(127);
    if (opened != fd) {
      raw_syscall(SYS_dup2, opened, fd);
      if (opened > kChannelInHelper) raw_syscall(SYS_close, opened);
    }
  }
  raw_syscall(SYS_close_range, kChannelInHelper + 1, ~0u, 0);
  uint64_t none = 0;
  raw_syscall(SYS_rt_sigprocmask, SIG_SETMASK, reinterpret_cast<long>(&none), 0, sizeof none);
  raw_syscall(SYS_execve, reinterpret_cast<long>(block->path), reinterpret_cast<long>(block->argv),
              reinterpret_cast<long>(block->envp));
  raw_exit(127);
}

#endif

}  // namespace

pid_t launch_helper_process(const char* path, int channel, int* error, void** launch_memory) {
  *launch_memory = nullptr;
  if (strlen(path) >= sizeof(launch_block::path)) {
    *error = ENAMETOOLONG;
    return -1;
  }
#if defined(__x86_64__)
  void* memory = mmap(nullptr, kLaunchBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (memory == MAP_FAILED) {
    *error = errno;
    return -1;
  }
  auto* block = static_cast<launch_block*>(memory);
  block->channel = channel;
  strcpy(block->path, path);
  strcpy(block->name, "forkless-helper");
  strcpy(block->channel_argument, "--channel=3");
  snprintf(block->owner_argument, sizeof block->owner_argument, "--owner=%d", static_cast<int>(getpid()));
  block->argv[0] = block->name;
  block->argv[1] = block->channel_argument;
  block->argv[2] = block->owner_argument;
  block->argv[3] = nullptr;
  block->envp[0] = nullptr;
  char* stack_top = static_cast<char*>(memory) + kLaunchBytes;
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous);
  pid_t pid = clone(launch_child, stack_top, CLONE_VM | SIGCHLD, block);
  int clone_error = errno;
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  if (pid < 0) {
    munmap(memory, kLaunchBytes);
    *error = clone_error;
    return -1;
  }
  *launch_memory = memory;
  return pid;
#else
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  posix_spawn_file_actions_init(&actions);
  posix_spawnattr_init(&attributes);
  posix_spawn_file_actions_adddup2(&actions, channel, kChannelInHelper);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addclosefrom_np(&actions, kChannelInHelper + 1);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setpgroup(&attributes, 0);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
  char channel_argument[] = "--channel=3";
  char owner_argument[32];
  snprintf(owner_argument, sizeof owner_argument, "--owner=%d", static_cast<int>(getpid()));
  char name[] = "forkless-helper";
  char* argv[] = {name, channel_argument, owner_argument, nullptr};
  char* envp[] = {nullptr};
  pid_t pid = -1;
  *error = real::posix_spawn(&pid, path, &actions, &attributes, argv, envp);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  return *error == 0 ? pid : -1;
#endif
}

void release_launch_memory(void* launch_memory) {
  if (launch_memory) munmap(launch_memory, kLaunchBytes);
}

}  // namespace forkless
