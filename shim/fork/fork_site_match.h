// Matching a fork() call against the site lists, from the caller's frames.
//
// The decision for one chain of return addresses is cached: a repeat costs
// one unwind (libgcc's _Unwind_Backtrace, about 2 us for 12 frames) and a
// table lookup. The first time a chain is seen, each frame is named through
// the function symbol covering it, which may read the file's ELF symbol
// table (tens of microseconds to milliseconds, once).
#pragma once

#include <cstddef>
#include <cstdint>

#include "fork_site_rules.h"

namespace forkless {

// How many caller frames are looked at (frame 0 is the function calling fork).
inline constexpr int kSiteFrames = 6;
inline constexpr size_t kSiteNameMax = 96;

struct site_match {
  site_verdict verdict = site_verdict::unlisted;
  int depth = -1;              // frame of the deciding function, -1 when none
  char site[kSiteNameMax] = {};   // the deciding function, else frame 0's function
  // For exec_bound: upper end of the stack the child may write in place of
  // the parent (the listed function's frame and its stack arguments), 0 when
  // it could not be told.
  uintptr_t frame_top = 0;
};

// return_address: where fork() returns to; entry_sp: the stack pointer at
// fork's entry (pointing at that return address). False when the caller's
// frames cannot be found (no unwind information).
bool match_fork_site(void* return_address, uintptr_t entry_sp, const char* extra_sites,
                     site_match* out);

}  // namespace forkless
