// The spawn request: what the child must be given, as one typed structure
// shared by the shim (which fills it from the caller) and the helper (which
// decodes it from untrusted bytes and applies it in the child).
//
// Descriptors are not in the payload: they travel by SCM_RIGHTS in the
// order received_fd[0] = the caller's cwd, [1] = the status pipe's write end,
// [2] = its read end (protocol.h), [kFirstTableFd + i] = fds[i].
#pragma once

#include <cstdint>

#include "protocol.h"
#include "wire_codec.h"

namespace forkless::wire {

inline constexpr uint32_t kRlimitCount = 16;   // RLIM_NLIMITS on Linux
inline constexpr uint32_t kAffinityBytes = 128;  // 1024 CPUs
inline constexpr uint32_t kNodeMaskBytes = 128;  // 1024 NUMA nodes (the kernel's MAX_NUMNODES is at most 1024)
inline constexpr uint32_t kSignalCount = 64;
inline constexpr uint32_t kCwdFd = 0, kStatusWriteFd = 1, kStatusReadFd = 2, kFirstTableFd = 3;

struct rlimit_pair {
  uint64_t cur;
  uint64_t max;
};

// The caller's context at the moment of the call (BRIEF: "the request
// carries the caller's context"). Credentials, namespaces and the like are
// not here: they cannot be carried, so the shim compares them instead
// (shim/helper_client/helper_identity.h) and uses a helper started from the same ones.
struct process_context {
  int32_t caller_tid;       // the calling thread, whose credentials the helper checks
  uint32_t umask;
  int32_t pgid;             // the caller's process group: the child joins it
  int32_t nice;             // of the calling thread
  int32_t sched_policy;     // of the calling thread, without SCHED_RESET_ON_FORK
  int32_t sched_priority;
  uint64_t signal_mask;     // of the calling thread; bit n-1 is signal n
  uint64_t ignored_signals; // bit n-1: signal n is SIG_IGN; filled in by the helper (the caller's SigIgn)
  rlimit_pair rlimits[kRlimitCount];  // filled in by the helper (prlimit on its caller)
  int32_t ioprio;
  uint32_t personality;
  uint64_t timer_slack_ns;
  // Natively inherited, carried: the memory-map flags THP-disable (as
  // PR_GET_THP_DISABLE reports it: bit 0 disabled, bit 1 except where
  // advised) and, filled in by the helper from the kernel, the caller's
  // oom_score_adj and coredump_filter; the calling thread's NUMA policy.
  uint32_t thp_disable;
  int32_t oom_score_adj;          // filled in by the helper (/proc/<caller>/oom_score_adj)
  uint32_t coredump_filter;       // filled in by the helper (/proc/<caller>/coredump_filter)
  int32_t mempolicy_mode;         // get_mempolicy's mode, flags included
  uint8_t mempolicy_nodes[kNodeMaskBytes];
  // The calling thread's securebits (PR_GET_SECUREBITS). Not carried: the
  // helper serves only a caller whose bits equal its own (caller_check.h).
  uint32_t securebits;
  uint32_t affinity_bytes;  // 0: unknown (the shim then goes native; the helper refuses it)
  uint8_t affinity[kAffinityBytes];
};

struct spawn_attributes {
  uint32_t flags;  // spawn_attr_flag
  int32_t pgroup;
  uint64_t signal_mask;
  uint64_t signal_default;
  int32_t sched_policy;
  int32_t sched_priority;
};

struct file_action {
  uint32_t kind;    // file_action_kind
  int32_t fd;       // open: target; close; dup2: source; fchdir; closefrom: lowest; tcsetpgrp
  int32_t new_fd;   // dup2: target
  int32_t oflag;    // open
  uint32_t mode;    // open
  const char* path; // open, chdir
};

struct fd_entry {
  int32_t target;   // descriptor number in the child
  uint32_t flags;   // fd_entry_flag
};

struct spawn_request {
  uint32_t flags;             // spawn_request_flag
  const char* path;           // the file to execute (or to search for)
  const char* search_path;    // posix_spawnp: the caller's PATH (or the default)
  uint32_t argc;
  const char* const* argv;    // argv[argc] == nullptr
  uint32_t envc;
  const char* const* envp;    // envp[envc] == nullptr
  process_context context;
  spawn_attributes attributes;
  uint32_t action_count;
  const file_action* actions;
  uint32_t fd_count;
  const fd_entry* fds;
};

void encode_spawn_request(const spawn_request& request, wire_writer& out);

// Arrays for a decoded request come from this allocator (the helper passes
// one backed by malloc; it frees everything after the request).
struct decode_allocator {
  void* (*allocate)(void* context, size_t bytes);
  void* context;
};

// Decodes an untrusted payload. received_fds is how many descriptors came
// with the message; the request must account for exactly that many.
bool decode_spawn_request(wire_reader& in, uint32_t received_fds, const decode_allocator& allocator,
                          spawn_request* out);

void encode_spawn_reply(const spawn_reply& reply, wire_writer& out);
bool decode_spawn_reply(wire_reader& in, spawn_reply* out);

}  // namespace forkless::wire
