// system() through the helper, with glibc 2.36's semantics (Debian's, which
// restores the calling thread's mask on every return): SIGINT and SIGQUIT
// ignored in the caller while any system() runs (reference-counted across
// threads), SIGCHLD blocked in the calling thread while it waits; the child
// gets the caller's original mask and SIGINT/SIGQUIT at default unless they
// were ignored; status 127 when the shell cannot run, with errno set.
#pragma once

namespace forkless {

struct call_report;

// Called by the interposer once the route is the helper. Falls back to the
// same steps with libc's posix_spawn when the helper cannot serve the call.
int system_via_helper(const char* line, call_report* report);

}  // namespace forkless
