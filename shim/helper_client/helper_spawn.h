// spawn_via_helper: one spawn through a helper, with the caller's context.
#pragma once

#include <sys/types.h>

#include "policy/diagnostics.h"
#include "policy/route.h"

#include "spawn_request.h"

namespace forkless {

struct spawn_plan {
  const char* path;
  const char* search_path = nullptr;  // non-null: posix_spawnp's search in this PATH
  char* const* argv;
  char* const* envp;
  wire::spawn_attributes attributes{};
  const wire::file_action* actions = nullptr;
  uint32_t action_count = 0;
  // Close-on-exec descriptors the file actions name: sent along so the child
  // has them (still close-on-exec) exactly as a native child would.
  const int* action_fds = nullptr;
  uint32_t action_fd_count = 0;
};

enum class spawn_outcome {
  spawned,   // child_pid runs the program
  failed,    // the spawn failed as libc's would: error is its errno (child reaped)
  fallback,  // the helper could not do it exactly: make the native call (reason says why)
};

struct spawn_result {
  spawn_outcome outcome;
  pid_t child_pid;
  int error;
  const char* reason;
  // spawned: the errno glibc's child would have left in the caller (its
  // failed calls before the exec that worked: a PATH miss, addopen's close
  // of a free number), 0 when it would have left errno alone.
  int errno_left = 0;
};

spawn_result spawn_via_helper(const spawn_plan& plan);

// What a spawning call tells diagnostics about itself.
struct call_report {
  bool via_helper = false;   // false: the helper could not serve it (fell back)
  const char* reason = "-";
  pid_t child = -1;
  int errno_left = 0;        // posix_spawn*: errno as glibc's call leaves it (0: unchanged)
};

// Fills report from a result (reason "fallback_<why>" when it fell back).
void report_result(const spawn_result& result, call_report* report);

// The diagnostics line of a spawning call, from its route and report: the
// route's reason unless the report has its own (a fallback, a spawn error).
void log_spawn_call(api_kind api, const route_decision& route, const call_report& report, long started_us,
                    const char* argv0, pid_t child);

}  // namespace forkless
