// The five ways forkless-bench starts a child, each timed from the call to
// the reaped child. Hazards: the fork+exec site is an exported, never-inlined
// function (forkless_bench_fork_exec) so that forkless can be told it execs
// promptly (FORKLESS_FORK_SITES=forkless_bench_fork_exec); between fork/vfork
// and exec the child makes only async-signal-safe calls (execv, _exit).
#pragma once

#include <string>
#include <sys/types.h>

extern "C" pid_t forkless_bench_fork_exec(const char* path, char* const argv[]);
extern "C" pid_t forkless_bench_vfork_exec(const char* path, char* const argv[]);

namespace forkless_bench {

enum class spawn_api { fork_exec, vfork_exec, posix_spawn, system, popen };

// "fork", "vfork", "posix_spawn", "system", "popen"; false if unknown.
bool parse_spawn_api(const std::string& name, spawn_api* api);
const char* spawn_api_name(spawn_api api);

struct spawn_timing {
  long long call_ns = 0;   // until the API call returned (fork, posix_spawn, popen)
  long long total_ns = 0;  // until the child had exited and was reaped
  bool ok = false;         // the child ran and exited 0
};

// Runs `program` (no arguments) once through `api`.
spawn_timing spawn_once(spawn_api api, const char* program);

long long monotonic_ns();

}  // namespace forkless_bench
