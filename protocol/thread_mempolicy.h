// The calling thread's NUMA memory policy, read the same way by the shim
// (the caller's, for the request) and the helper (its own, the baseline).
#pragma once

#include <cstdint>

namespace forkless::wire {

// Fills mode (get_mempolicy's, flags included) and nodes (kNodeMaskBytes).
// False when the policy cannot be read into that mask (more nodes than it
// holds). A kernel without NUMA has one policy for all: MPOL_DEFAULT, no nodes.
bool read_mempolicy(int32_t* mode, uint8_t* nodes);

}  // namespace forkless::wire
