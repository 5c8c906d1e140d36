// The core's per-thread block is the front's (thread_block.h): this file is
// linked into libforkless-core.so only; whatever links the core directly
// links thread_block_standalone.cpp instead.
#include "front_link.h"
#include "thread_block.h"

namespace forkless {

thread_block& this_thread_block() { return *serving_front()->block_of_thread(); }

}  // namespace forkless
