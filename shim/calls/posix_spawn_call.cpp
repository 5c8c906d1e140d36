// Hazards, and how each is handled:
//  - glibc's child holds the caller's whole descriptor table until exec, so
//    a file action may name a close-on-exec descriptor (dup2's source,
//    fchdir, tcsetpgrp, and the targets of close and open, which glibc's
//    child closes: a close that fails leaves EBADF in the caller's errno, so
//    it must fail exactly when glibc's would). Those are sent along, still
//    close-on-exec (spawn_plan.action_fds); the others the action list only
//    creates or overwrites.
//  - The file-actions object is opaque: only a record that matches it
//    exactly is used (spawn_file_actions.h); otherwise libc spawns.
//  - glibc sets the child's mask with its sigprocmask wrapper, which drops
//    its two internal signals (32, 33) from POSIX_SPAWN_SETSIGMASK's set:
//    the request carries the same set without them.
//  - Another thread may close a descriptor between the scan of the table and
//    the send (helper_spawn.cpp then declines, before any child exists):
//    the call is tried again a few times before it goes to libc.
//  - An argv of NULL crashes glibc's posix_spawn; libc gets it as is.
#include "posix_spawn_call.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>

#include "helper_client/context_capture.h"
#include "interpose/real_libc.h"
#include "path_search.h"
#include "spawn_file_actions.h"

namespace forkless {
namespace {

constexpr uint32_t kInlineActionFds = 32;
// glibc's internal signals, SIGCANCEL (32) and SIGSETXID (33).
constexpr uint64_t kInternalSignals = uint64_t{3} << 31;

bool names_existing_descriptor(const wire::file_action& action) {
  switch (static_cast<wire::file_action_kind>(action.kind)) {
    case wire::file_action_kind::dup2:
    case wire::file_action_kind::fchdir:
    case wire::file_action_kind::tcsetpgrp:
    case wire::file_action_kind::close:
    case wire::file_action_kind::open:
      return true;
    default:
      return false;
  }
}

}  // namespace

wire::spawn_attributes attributes_from(const posix_spawnattr_t* attributes) {
  wire::spawn_attributes out{};
  if (!attributes) return out;
  short flags = 0;
  posix_spawnattr_getflags(attributes, &flags);
  struct {
    short libc;
    uint32_t wire;
  } const map[] = {
      {POSIX_SPAWN_SETPGROUP, wire::attr_setpgroup},
      {POSIX_SPAWN_SETSIGMASK, wire::attr_setsigmask},
      {POSIX_SPAWN_SETSIGDEF, wire::attr_setsigdef},
      {POSIX_SPAWN_SETSCHEDPARAM, wire::attr_setschedparam},
      {POSIX_SPAWN_SETSCHEDULER, wire::attr_setscheduler},
      {POSIX_SPAWN_RESETIDS, wire::attr_resetids},
      {POSIX_SPAWN_SETSID, wire::attr_setsid},
  };
  for (const auto& entry : map)
    if (flags & entry.libc) out.flags |= entry.wire;
  pid_t group = 0;
  posix_spawnattr_getpgroup(attributes, &group);
  out.pgroup = group;
  sigset_t set;
  posix_spawnattr_getsigmask(attributes, &set);
  out.signal_mask = signal_bits(set) & ~kInternalSignals;
  posix_spawnattr_getsigdefault(attributes, &set);
  out.signal_default = signal_bits(set);
  int policy = 0;
  posix_spawnattr_getschedpolicy(attributes, &policy);
  out.sched_policy = policy;
  sched_param param{};
  posix_spawnattr_getschedparam(attributes, &param);
  out.sched_priority = param.sched_priority;
  return out;
}

int posix_spawn_natively(const spawn_call& call) {
  auto* real_call = call.search_path ? real::posix_spawnp_address() : real::posix_spawn_address();
  return real_call(call.pid, call.file, call.file_actions, call.attributes, call.argv, call.envp);
}

int posix_spawn_via_helper(const spawn_call& call, call_report* report) {
  auto natively = [&](const char* reason) {
    report->via_helper = false;
    report->reason = reason;
    return posix_spawn_natively(call);
  };
  if (!call.argv || !call.file) return natively("fallback_null_argument");

  file_action_snapshot actions;
  if (call.file_actions && !actions.take(call.file_actions)) return natively("fallback_file_actions_unrecorded");

  int inline_fds[kInlineActionFds];
  int* action_fds = inline_fds;
  if (actions.count() > kInlineActionFds) {
    action_fds = static_cast<int*>(malloc(actions.count() * sizeof(int)));
    if (!action_fds) return natively("fallback_no_memory");
  }
  uint32_t action_fd_count = 0;
  for (uint32_t i = 0; i < actions.count(); ++i)
    if (names_existing_descriptor(actions.actions()[i])) action_fds[action_fd_count++] = actions.actions()[i].fd;

  spawn_plan plan;
  plan.path = call.file;
  if (call.search_path) {
    const char* path = getenv("PATH");
    plan.search_path = path ? path : wire::kDefaultSearchPath;
  }
  plan.argv = call.argv;
  plan.envp = call.envp;
  plan.attributes = attributes_from(call.attributes);
  plan.actions = actions.actions();
  plan.action_count = actions.count();
  plan.action_fds = action_fds;
  plan.action_fd_count = action_fd_count;
  spawn_result result = spawn_via_helper(plan);  // retries a descriptor race itself
  if (action_fds != inline_fds) free(action_fds);
  report_result(result, report);

  switch (result.outcome) {
    case spawn_outcome::spawned:
      if (call.pid) *call.pid = result.child_pid;
      return 0;
    case spawn_outcome::failed:
      return result.error;
    case spawn_outcome::fallback:
      break;
  }
  return posix_spawn_natively(call);
}

}  // namespace forkless
