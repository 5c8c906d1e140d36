// popen()/pclose() through the helper, with glibc 2.36's semantics: modes
// "r"/"w" with optional "e", anything else EINVAL; a pipe made close-on-exec
// and the child's end moved off its standard number first when needed; the
// child closes the streams of earlier popen() calls still open (POSIX), with
// the list locked across the spawn; the parent's end loses close-on-exec
// unless "e"; a failed spawn gives NULL with ENOMEM. pclose (and fclose, which
// glibc's pclose is) of one of our streams closes it and waits for the child,
// retrying on EINTR; any other stream goes to libc.
#pragma once

#include <cstdio>

namespace forkless {

struct call_report;

// Called once the route is the helper. When the helper cannot serve it the
// call is made by libc's popen (report->via_helper false).
FILE* popen_via_helper(const char* command, const char* mode, call_report* report);

// True if stream is ours; then *result is pclose's result.
bool close_our_stream(FILE* stream, int* result);
bool have_our_streams();

}  // namespace forkless
