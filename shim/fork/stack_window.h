// The calling thread's stack, as the emulated fork needs it: where it ends,
// and a per-thread buffer holding a copy of the caller's window of it.
//
// The child of an emulated fork runs on the parent's stack, in the parent's
// own frames: code compiled for fork() treats the child branch as never
// returning, so it may reuse stack slots the parent still needs. The window
// [entry_sp, top) is copied before the clone and copied back when the parent
// resumes.
#pragma once

#include <cstddef>
#include <cstdint>

namespace forkless {

// At most this much of the stack is kept (from the entry stack pointer up).
inline constexpr size_t kStackWindowMax = 256 * 1024;

// Upper end of the calling thread's stack above sp, excluding the thread's
// static TLS and descriptor when they sit on top of its stack (threads
// created by glibc). Computed once per thread (pthread_getattr_np, which
// reads /proc/self/maps for the main thread). False, with a reason for
// diagnostics, when sp lies on no stack the shim can tell.
bool stack_top_above(uintptr_t sp, uintptr_t* top, const char** reason);

// The end of the mapping that holds address, from the complete lines of a
// piece of /proc/self/maps text ("begin-end perms offset ...", lower-case
// hex; a line that does not start so is passed over). Pure. consumed is
// how far the complete lines scanned reach: the rest of the piece is the
// start of a line the next piece completes.
struct maps_scan {
  bool found;
  uintptr_t top;    // the mapping's end, when found
  size_t consumed;  // bytes of complete lines before the match, or of all complete lines
};
maps_scan scan_maps_lines(const char* text, size_t length, uintptr_t address);

// Room after the window in the same mapping for the emulated child's own
// bookkeeping (emulated_child.cpp's renumbering table): the child may write
// only memory the parent does not use, and must not map any. Only the pages
// a child writes are ever touched.
inline constexpr size_t kEmulationScratchBytes = 512 * 1024;

// Makes sure the calling thread's buffer exists (an mmap of kStackWindowMax
// plus kEmulationScratchBytes,
// made once per thread, unmapped when the thread exits). Never allocates
// with malloc.
bool stack_snapshot_ready();

// Copies [from, to) into the buffer (to - from <= kStackWindowMax) ...
void stack_snapshot_take(uintptr_t from, uintptr_t to);
// ... and back. Async-signal-safe.
void stack_snapshot_restore();

// The scratch room of the calling thread's buffer (stack_snapshot_ready()
// first), kEmulationScratchBytes long.
void* emulation_scratch();

}  // namespace forkless
