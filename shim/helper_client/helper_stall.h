// Waiting on a helper without ever waiting for ever: a helper that is
// stopped (SIGSTOP, a tracer) or wedged holds a call up only until the next
// stall check, then it is killed and the call goes native.
#pragma once

#include <sys/types.h>

namespace forkless {

// How often a wait on a helper looks at whether the helper is stopped: a
// running helper answers within microseconds, so a second of silence is
// already far outside normal, yet rare enough to cost nothing.
inline constexpr int kStalledCheckMs = 1000;

// True when the helper is stopped (or traced to a stop), as /proc says.
bool helper_stopped(pid_t pid);

// Whether a /proc/<pid>/stat text (terminated) shows a stopped task: state
// 'T' (stopped) or 't' (tracing stop), the field after the last ')' (the
// command name between the parentheses may hold any byte, ')' included).
// False for a text without that shape.
bool stat_shows_stopped(const char* stat);

enum class helper_wait {
  ready,    // the descriptor is ready (or hung up: the helper is gone)
  killed,   // the helper was stopped: it has been sent SIGKILL
  expired,  // the deadline passed: the helper has been sent SIGKILL
};

// Polls fd for `events` until it is ready. Every kStalledCheckMs without it,
// a stopped helper is killed; after deadline_ms (-1: no deadline) a running
// but silent one is killed too. The helper is alive and unreaped whenever
// it is killed here (stopped, or its channel not hung up), so its pid cannot
// belong to another process.
helper_wait wait_on_helper(int fd, short events, pid_t helper, int deadline_ms);

}  // namespace forkless
