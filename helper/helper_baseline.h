// What the helper itself looks like, captured once at start: the child it
// clones starts as a copy of this, so applying the caller's context only
// needs the steps where the caller differs from it.
#pragma once

#include "spawn_request.h"

namespace forkless::helper {

struct helper_baseline {
  // The helper's own values, in the request's terms. The memory-map and
  // process-wide settings (thp_disable, oom_score_adj, coredump_filter) are
  // the helper's current ones: it takes the caller's itself before a clone
  // (spawn_child.cpp), and they stay until another caller's differ.
  wire::process_context context;
};

// Captures the helper's current state (call after its own set-up).
void capture_baseline(helper_baseline* baseline);

// Signals the helper ignores for itself (job control, SIGPIPE): bit n-1 = signal n.
uint64_t helper_ignored_signals();

}  // namespace forkless::helper
