// Call-stack inspection (site matching of fork(), FORKLESS_LOG=2 backtraces)
// through libgcc's unwinder, linked in statically: the library still needs
// nothing but libc at load time, and unwinding opens no descriptor and
// starts no thread. Frames are found from the loaded objects' unwind tables
// (.eh_frame); a walk ends at the first frame that has none (JIT code).
//
// All functions may take locks (the dynamic loader's, through
// dl_iterate_phdr) and map files: never call them between a clone and the
// exec that follows.
#pragma once

#include <cstddef>
#include <cstdint>

namespace forkless {

// Return addresses of the callers of capture_backtrace: ips[0] is the address
// capture_backtrace returns to when skip is 0; skip drops that many more
// frames. Returns the number stored (64 at most).
int capture_backtrace(void** ips, int max, int skip);

// One frame of the calling thread: ip is the address execution resumes at in
// that frame (a return address, except for the innermost frame), sp the
// stack pointer of the frame at that point. The top of frame i (its canonical
// frame address) is frames[i + 1].sp.
struct stack_frame {
  uintptr_t ip;
  uintptr_t sp;
};

// Like capture_backtrace, with stack pointers: frames[0] is the caller of
// capture_frames when skip is 0.
int capture_frames(stack_frame* frames, int max, int skip);

// The function holding the return address ip (looked up at ip - 1, the call
// instruction): the extent [*start, *end) and name of the function symbol
// covering it, from the dynamic symbol table, else from the file's .symtab.
// False (name "") when no symbol covers it.
bool proc_extent(void* ip, uintptr_t* start, uintptr_t* end, char* name, size_t name_len);

}  // namespace forkless
