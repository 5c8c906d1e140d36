// fork() emulation: the decisions before the clone, the parent's resume
// after it, and the native path.
//
// Hazards (see also fork_entry_x86_64.S):
// - The child shares the parent's memory and TLS. Everything it may change
//   that the parent relies on is saved here before the clone and put back in
//   resume: the caller's stack window (stack_window.h), environ (libuv
//   assigns it in the child), errno, in_emulated_child, the signal mask.
// - All signals are blocked from before the clone until the child execs (a
//   handler running in the child would run on the parent's memory) and in the
//   parent until resume has restored everything.
// - Between clone and exec nothing allocates, locks or logs: the child only
//   runs the caller's code and our exec/exit/sigprocmask interposers.
// - pthread_atfork handlers do not run for an emulated fork, as for vfork.
// - A fork from inside the shim, from an emulated child (nested) or with
//   FORKLESS=0 goes to libc untouched and unlogged.
// - One emulated child at a time in the process (emulation_slot.h).
// - Every libc function the child calls through the library's table is
//   resolved before the first clone: dlsym takes the dynamic loader's lock.
//   (Lazily bound calls of the library's own, such as strnlen, bind through
//   _dl_fixup in the child, which takes no lock, as in any vfork child.)
#include "fork_emulation.h"

#include <fcntl.h>
#include <linux/futex.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "emulated_child.h"
#include "emulation_slot.h"
#include "fork_learn.h"
#include "fork_site_match.h"
#include "fork_site_rules.h"
#include "interpose/real_libc.h"
#include "interpose/thread_block.h"
#include "interpose/thread_state.h"
#include "policy/config.h"
#include "policy/diagnostics.h"
#include "policy/route.h"
#include "stack_window.h"

namespace forkless {
namespace {

// A single-threaded process this large (resident) has its known sites
// emulated too: fork() there costs milliseconds (page tables, write
// protection), the emulation about as much as posix_spawn.
constexpr long kLargeProcessMiB = 256;

std::atomic<bool> reals_resolved{false};

// One fork call of this thread, from prepare to resume (or to the native
// fork). TLS: the child overwrites the entry's stack, never this.
struct fork_call {
  int kind;
  bool log;
  bool emulate;
  int learn_slot;
  int saved_errno;
  char** saved_environ;
  sigset_t caller_mask;
  const char* reason;
  int threads;
  long started_us;
  bool renumber_in_place;
  char site[kSiteNameMax];
};

fork_call& this_call() { return thread_block_part<fork_call>(this_thread_block().fork_call); }


// The thread rule left this fork native: does the size rule take it?
bool large_process(const settings& config, const route_decision& route) {
  if (config.mode != spawn_mode::auto_threads || route.threads != 1) return false;
  // The peak resident size (one system call, no file: a shell forking for
  // each command pays this on every fork) bounds the current one.
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0 && usage.ru_maxrss < kLargeProcessMiB * 1024) return false;
  return resident_mb() >= kLargeProcessMiB;
}

void set_site(fork_call& call, const char* name) {
  size_t length = strnlen(name, kSiteNameMax - 1);
  memcpy(call.site, name, length);
  call.site[length] = '\0';
}

// The decision, with this_call().reason/site filled in. Returns the frame top
// to snapshot up to (0: whole window) through *frame_top.
bool decide(void* return_address, uintptr_t entry_sp, uintptr_t* frame_top) {
  fork_call& call = this_call();
  const settings& config = current_settings();
  if (config.fork == fork_mode::native) {
    call.reason = "fork_native";
    return false;
  }
  route_decision route = route_for_call(api_kind::fork);
  call.threads = route.threads;
  call.reason = route.reason;
  bool eligible = route.route == route_kind::emulated;
  if (!eligible && large_process(config, route)) {
    eligible = true;
    call.reason = "large_process";
  }
  bool learning = config.fork == fork_mode::learn;
  if (!eligible && !learning) return false;

  if (config.fork == fork_mode::all) {
    set_site(call, "all");
    *frame_top = 0;
    return true;
  }
  site_match match;
  if (!match_fork_site(return_address, entry_sp, config.fork_sites, &match)) {
    if (learning) call.learn_slot = learn_before_fork("?", false);
    if (eligible) call.reason = "unwind_failed";
    return false;
  }
  set_site(call, match.site[0] != '\0' ? match.site : "?");
  bool emulate = eligible && match.verdict == site_verdict::exec_bound;
  if (!emulate) {
    if (eligible) call.reason = match.verdict == site_verdict::denied ? "site_denied" : "site_unlisted";
    if (learning) call.learn_slot = learn_before_fork(call.site, match.verdict == site_verdict::denied);
    return false;
  }
  *frame_top = match.frame_top;
  call.renumber_in_place = site_renumbers_in_place(match.site);
  return true;
}

void log_fork(route_kind route, pid_t child, const char* argv0) {
  fork_call& call = this_call();
  if (!call.log) return;
  call_record record{};
  record.api = api_kind::fork;
  record.route = route;
  record.reason = call.reason != nullptr ? call.reason : "-";
  record.threads = call.threads;
  record.us = monotonic_us() - call.started_us;
  record.child = child;
  record.argv0 = argv0;
  record.site = call.site[0] != '\0' ? call.site : nullptr;
  log_call(record);
}

}  // namespace
}  // namespace forkless

using namespace forkless;

extern "C" int forkless_fork_prepare(void* return_address, uintptr_t entry_sp, int kind) {
  // A fork from inside the shim, from an emulated child (its TLS is the
  // parent thread's: this_call() belongs to the fork in progress) or with the
  // library disabled: plain libc, this_call() untouched.
  {
    shim_scope probe;
    if (probe.pass_through()) return fork_prepared_plain;
  }
  fork_call& call = this_call();
  call.saved_errno = errno;
  call.kind = kind;
  call.emulate = false;
  call.learn_slot = -1;
  call.reason = "-";
  call.threads = -1;
  call.site[0] = '\0';
  call.renumber_in_place = false;
  call.started_us = monotonic_us();
  call.log = true;
  shim_scope scope;

  uintptr_t frame_top = 0;
  if (!decide(return_address, entry_sp, &frame_top)) return fork_prepared_native;

  uintptr_t stack_top = 0;
  const char* reason = nullptr;
  if (!stack_top_above(entry_sp, &stack_top, &reason)) {
    call.reason = reason;
    return fork_prepared_native;
  }
  if (!stack_snapshot_ready()) {
    call.reason = "no_snapshot_memory";
    return fork_prepared_native;
  }
  uintptr_t window_top = entry_sp + kStackWindowMax;
  if (window_top > stack_top) window_top = stack_top;
  if (frame_top != 0 && frame_top < window_top) window_top = frame_top;
  if (!reals_resolved.load(std::memory_order_acquire)) {
    real::resolve_all();
    emulated_child_locate_mirror();
    reals_resolved.store(true, std::memory_order_release);
  }
  if (!claim_emulation()) {
    call.reason = "emulation_busy";
    return fork_prepared_native;
  }

  // Committed: from here the child's view is set up; the snapshot comes last
  // so that it holds the stack exactly as the caller left it.
  block_all_signals(&call.caller_mask);
  call.saved_environ = environ;
  emulated_child_begin(call.caller_mask, call.saved_environ, call.renumber_in_place, emulation_scratch());
  call.emulate = true;
  this_thread_state().in_emulated_child = true;
  stack_snapshot_take(entry_sp, window_top);
  return fork_prepared_emulate;
}

extern "C" pid_t forkless_fork_resume(long clone_result) {
  // The child has exec'd or exited; the parent's stack below the caller's
  // frames is garbage, its window is put back first.
  stack_snapshot_restore();
  fork_call& call = this_call();
  this_thread_state().in_emulated_child = false;
  // A child that assigned environ and called none of our functions after it
  // (a raw _exit) left it assigned.
  if (!emulated_child_took_environ()) environ = call.saved_environ;
  release_emulation();
  call.emulate = false;
  pid_t result = clone_result < 0 ? -1 : static_cast<pid_t>(clone_result);
  {
    shim_scope scope;
    if (clone_result < 0) call.reason = "clone_failed";
    log_fork(route_kind::emulated, result, emulated_child_exec_path());
  }
  raw_signal_mask(SIG_SETMASK, &call.caller_mask, nullptr);
  errno = clone_result < 0 ? static_cast<int>(-clone_result) : call.saved_errno;
  return result;
}

extern "C" pid_t forkless_fork_native(int kind, int prepared) {
  if (prepared == fork_prepared_plain) {
    pid_t pid = kind == fork_entry_underscore ? real::_Fork() : real::fork();
    if (pid == 0) emulation_slot_reset_in_child();
    return pid;
  }
  learn_child_forked();
  int slot = this_call().learn_slot;
  pid_t pid = kind == fork_entry_underscore ? real::_Fork() : real::fork();
  int fork_errno = errno;
  if (pid == 0) {
    emulation_slot_reset_in_child();
    learn_after_fork(slot, 0);
    errno = this_call().saved_errno;
    return 0;
  }
  {
    shim_scope scope;
    learn_after_fork(slot, pid);
    log_fork(route_kind::native, pid, nullptr);
  }
  errno = pid < 0 ? fork_errno : this_call().saved_errno;
  return pid;
}

extern "C" pid_t forkless_fork_without_emulation(int kind) {
  {
    shim_scope probe;
    if (probe.pass_through()) return forkless_fork_native(kind, fork_prepared_plain);
  }
  fork_call& call = this_call();
  call.saved_errno = errno;
  call.learn_slot = -1;
  call.reason = "unsupported_arch";
  call.threads = -1;
  call.site[0] = '\0';
  call.started_us = monotonic_us();
  call.log = true;
  return forkless_fork_native(kind, fork_prepared_native);
}
