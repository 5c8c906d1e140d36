// The caller's settings that belong to a whole process or its memory map,
// which a child inherits natively: THP-disable (PR_SET_THP_DISABLE),
// coredump_filter and oom_score_adj. The helper's child shares the helper's
// memory map until it execs, so it cannot set these for itself alone: the
// map flags are the helper's, and an oom_score_adj written by a process
// sharing a map is written to every process sharing it. So the helper takes
// the caller's values itself, before the clone; the child inherits them and
// its exec keeps them (the new map copies the flags).
#pragma once

#include "protocol.h"
#include "spawn_request.h"

namespace forkless::helper {

// Makes the helper's settings the caller's where they differ, and records
// what it took in *own. Returns context_step::none, or the first step it
// could not take (then *error says why: lowering oom_score_adj needs
// CAP_SYS_RESOURCE, as it would for the caller).
wire::context_step take_process_settings(const wire::process_context& caller, wire::process_context* own,
                                         int* error);

}  // namespace forkless::helper
