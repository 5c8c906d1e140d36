// Call-stack inspection through libunwind, loaded with dlopen("libunwind.so.8")
// the first time something asks (site matching of fork(), FORKLESS_LOG=2
// backtraces). The library itself links nothing but libc: when libunwind is
// missing every function here answers "unknown" (0 frames, false).
//
// All functions may allocate and take locks (dlopen, libunwind's caches):
// never call them between a clone and the exec that follows.
#pragma once

#include <cstddef>
#include <cstdint>

namespace forkless {

// True once libunwind is loaded (loads it on first call).
bool unwinder_available();

// Return addresses of the callers of capture_backtrace: ips[0] is the address
// capture_backtrace returns to when skip is 0; skip drops that many more
// frames. Returns the number stored (0 when libunwind is unavailable).
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

// The procedure holding the return address ip (looked up at ip - 1, the call
// instruction): its extent [*start, *end) from the unwind tables (start_ip,
// end_ip of unw_get_proc_info) and its symbol name (from the ELF symbol
// tables, .symtab when the file has one, else .dynsym). Name is "" when
// unknown; returns false when no procedure holds ip.
bool proc_extent(void* ip, uintptr_t* start, uintptr_t* end, char* name, size_t name_len);

}  // namespace forkless
