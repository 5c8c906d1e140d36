// The timed spawn paths; see spawn_api.h.
#include "spawn_api.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <ctime>

extern char** environ;

extern "C" __attribute__((noinline, visibility("default")))
pid_t forkless_bench_fork_exec(const char* path, char* const argv[]) {
  pid_t pid = fork();
  if (pid == 0) {
    execv(path, argv);
    _exit(127);
  }
  return pid;
}

extern "C" __attribute__((noinline, visibility("default")))
pid_t forkless_bench_vfork_exec(const char* path, char* const argv[]) {
  pid_t pid = vfork();
  if (pid == 0) {
    execv(path, argv);
    _exit(127);
  }
  return pid;
}

namespace forkless_bench {

struct api_name { spawn_api api; const char* name; };
static constexpr api_name api_names[] = {
    {spawn_api::fork_exec, "fork"},     {spawn_api::vfork_exec, "vfork"},
    {spawn_api::posix_spawn, "posix_spawn"}, {spawn_api::system, "system"},
    {spawn_api::popen, "popen"},
};

bool parse_spawn_api(const std::string& name, spawn_api* api) {
  for (const api_name& entry : api_names) {
    if (name == entry.name) {
      *api = entry.api;
      return true;
    }
  }
  return false;
}

const char* spawn_api_name(spawn_api api) {
  for (const api_name& entry : api_names)
    if (entry.api == api) return entry.name;
  return "?";
}

long long monotonic_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1000000000LL + now.tv_nsec;
}

static bool exited_zero(int status) { return WIFEXITED(status) && WEXITSTATUS(status) == 0; }

static bool reap(pid_t pid) {
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return false;
  }
  return exited_zero(status);
}

spawn_timing spawn_once(spawn_api api, const char* program) {
  char* argv[] = {const_cast<char*>(program), nullptr};
  spawn_timing timing;
  long long start = monotonic_ns();
  switch (api) {
    case spawn_api::fork_exec:
    case spawn_api::vfork_exec: {
      pid_t pid = api == spawn_api::fork_exec ? forkless_bench_fork_exec(program, argv)
                                              : forkless_bench_vfork_exec(program, argv);
      timing.call_ns = monotonic_ns() - start;
      timing.ok = pid > 0 && reap(pid);
      break;
    }
    case spawn_api::posix_spawn: {
      pid_t pid = -1;
      int error = ::posix_spawn(&pid, program, nullptr, nullptr, argv, environ);
      timing.call_ns = monotonic_ns() - start;
      timing.ok = error == 0 && reap(pid);
      break;
    }
    case spawn_api::system: {
      int status = ::system(program);
      timing.call_ns = monotonic_ns() - start;
      timing.ok = status != -1 && exited_zero(status);
      break;
    }
    case spawn_api::popen: {
      FILE* pipe = ::popen(program, "r");
      timing.call_ns = monotonic_ns() - start;
      if (pipe != nullptr) {
        char sink[256];
        while (std::fread(sink, 1, sizeof sink, pipe) > 0) {
        }
        timing.ok = exited_zero(pclose(pipe));
      }
      break;
    }
  }
  timing.total_ns = monotonic_ns() - start;
  return timing;
}

}  // namespace forkless_bench
