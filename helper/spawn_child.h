// Creating one child for a request: clone it as the caller's child, apply the
// caller's context, the spawn attributes and file actions, then exec.
#pragma once

#include <cstddef>

#include "helper_baseline.h"
#include "spawn_request.h"

namespace forkless::helper {

// received[0] is the caller's cwd, received[1 + i] the source of request.fds[i].
// Fills reply; never throws, never exits the helper.
void spawn_for_request(const wire::spawn_request& request, int* received, size_t received_count,
                       const helper_baseline& baseline, wire::spawn_reply* reply);

// Allocates the child's stack; call once at start. False if no memory.
bool prepare_child_stack();

}  // namespace forkless::helper
