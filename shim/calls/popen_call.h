// popen()/pclose() with glibc 2.36's semantics: modes "r"/"w" with optional
// "e", anything else EINVAL; a pipe made close-on-exec and the child's end
// moved off its standard number first when needed; the child closes the
// streams of earlier popen() calls still open (POSIX), whichever route made
// them (popen_streams.h); the parent's end loses close-on-exec unless "e"; a
// failed spawn gives NULL with ENOMEM. pclose (and fclose, which glibc's
// pclose is) of a stream the library made closes it and waits for the
// child, retrying on EINTR; a stream libc's popen made goes to libc's
// pclose; any other stream to libc.
#pragma once

#include <cstdio>

namespace forkless {

struct call_report;

// popen's mode, as glibc 2.36's _IO_new_popen reads it: any run of 'r', 'w'
// and 'e' (repeats and any order allowed) naming exactly one of 'r' and 'w'.
// False for anything else (another character, both, neither, ""), which
// popen reports as EINVAL; *out is then left alone. mode must not be null
// (glibc reads it unchecked too).
struct popen_mode {
  bool read;     // 'r': the caller reads the child's standard output
  bool cloexec;  // 'e': the caller's end stays close-on-exec
};
bool parse_popen_mode(const char* mode, popen_mode* out);

// Called once the route is the helper. When the helper cannot serve it the
// call is made natively (report->via_helper false).
FILE* popen_via_helper(const char* command, const char* mode, call_report* report);

// Called when the route is native: libc's popen, unless a stream the
// library made is open, which libc's popen child would not close; the child
// is then made with posix_spawn, glibc's way, closing it.
FILE* popen_natively(const char* command, const char* mode);

// True if stream is a recorded popen stream; then *result is pclose's result.
bool close_our_stream(FILE* stream, int* result);
// Whether any popen stream is recorded (lock-free: fclose's fast path).
bool have_popen_streams();

}  // namespace forkless
