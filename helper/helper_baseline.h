// What the helper itself looks like, captured once at start: the child it
// clones starts as a copy of this, so applying the caller's context only
// needs the steps where the caller differs from it.
#pragma once

#include "spawn_request.h"

namespace forkless::helper {

struct helper_baseline {
  wire::process_context context;  // the helper's own values, in the request's terms
};

// Captures the helper's current state (call after its own set-up).
void capture_baseline(helper_baseline* baseline);

// Signals the helper ignores for itself (job control, SIGPIPE): bit n-1 = signal n.
uint64_t helper_ignored_signals();

}  // namespace forkless::helper
