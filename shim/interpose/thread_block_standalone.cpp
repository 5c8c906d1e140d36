// The per-thread block of a program that links the core directly (the unit
// tests): its own initial-exec TLS, as the front library keeps it.
#include "thread_block.h"

namespace forkless {
namespace {
__attribute__((tls_model("initial-exec"))) thread_local thread_block block;
}

thread_block& this_thread_block() { return block; }

}  // namespace forkless
