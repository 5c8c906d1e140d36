// Diagnostics: one line of key=value tokens per intercepted call, a summary
// per api and route at exit (FORKLESS_LOG=1), plus the caller's backtrace
// (FORKLESS_LOG=2). Lines go to FORKLESS_LOG_FILE (appended with O_APPEND and
// one write per line, so many processes can share it) or to stderr.
// Nothing is ever written unless FORKLESS_LOG asked for it.
#pragma once

#include <sys/types.h>

namespace forkless {

enum class api_kind { system, popen, posix_spawn, posix_spawnp, fork, count_ };
enum class route_kind { helper, emulated, native, count_ };

const char* api_name(api_kind api);
const char* route_name(route_kind route);

struct call_record {
  api_kind api;
  route_kind route;
  const char* reason = "-";   // why this route (e.g. "threads", "single_thread", "mode_native")
  int threads = -1;
  long us = -1;               // duration of the spawn as the caller saw it
  pid_t child = -1;
  const char* argv0 = nullptr;
  const char* site = nullptr; // fork: the matched call site, else nullptr
};

bool diagnostics_enabled();

// Opens FORKLESS_LOG_FILE now rather than at the first line (diagnostics.cpp
// says when and why); call after the settings are read.
void open_log_file_at_load();
// Records the call in the summary and, when enabled, writes its line.
void log_call(const call_record& record);
// A free-form line ("forkless[PID]: <text>"), for warnings and notes.
void log_note(const char* text);
// Writes the summary (called once at exit).
void log_summary();
// In the child of a real fork(): the counts so far are the parent's.
void reset_summary_counts();

// CLOCK_MONOTONIC in nanoseconds (the library's deadlines and waits) and in
// microseconds (the us= field).
long monotonic_ns();
long monotonic_us();

// The process's resident size in MiB (/proc/self/statm), -1 if unknown.
long resident_mb();

// The resident size in MiB a /proc/<pid>/statm text (terminated) shows: its
// second field, in pages of page_bytes. -1 when the text does not start
// with two numbers.
long resident_mb_from_statm(const char* statm, long page_bytes);

}  // namespace forkless
