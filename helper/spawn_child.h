// Creating one child for a request: clone it as the caller's child, apply the
// caller's context, the spawn attributes and file actions, then exec.
#pragma once

#include <cstddef>

#include "helper_baseline.h"
#include "spawn_request.h"

namespace forkless::helper {

// received[] holds the request's descriptors (spawn_request.h: cwd, the
// status pipe's two ends, then the child's table). When a child is created it
// reports to the caller itself through the status pipe; this returns once it
// has exec'd or exited, and true. Without a child it returns false with the
// reply to send. Never exits the helper. baseline's process-wide settings
// become the caller's (process_settings.h).
bool spawn_for_request(const wire::spawn_request& request, int* received, size_t received_count,
                       helper_baseline& baseline, int channel, wire::spawn_reply* reply);

// Allocates the child's stack; call once at start. False if no memory.
bool prepare_child_stack();

}  // namespace forkless::helper
