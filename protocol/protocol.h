// Wire protocol between libforkless.so (the shim) and forkless-helper.
//
// Hazards and how they are handled:
//  - The helper treats every byte as untrusted: a message is a header (magic,
//    version, type, length) followed by a payload decoded with bounds checks
//    (wire_reader). A malformed request is answered with an error, never a crash.
//  - The channel is an AF_UNIX SOCK_SEQPACKET pair, so record boundaries hold.
//    One record carries at most kMaxRecordBytes payload bytes and
//    kMaxRecordFds descriptors (the kernel's SCM_MAX_FD is 253): a request with
//    a 2 MiB environment or 10 000 inherited descriptors spans several records;
//    the first record's header says how many bytes and descriptors follow.
//  - Descriptors travel by SCM_RIGHTS, so the child gets the same open file
//    description (offset, status flags) as the caller, at the number the
//    request names.
//  - How a spawn ends is reported by the child itself, not by the helper, so
//    the caller is woken by the child's exec exactly as a native vfork parent
//    is, whether or not the helper gets a CPU at that moment: each request
//    carries both ends of a close-on-exec "status pipe" made by the caller.
//    The child writes its pid, then either execs (the last write end closes:
//    the caller reads EOF, success) or writes a status_record and exits. The
//    helper polls its copy of the read end for POLLHUP (never reading) to
//    know when the child no longer uses its memory. The helper sends a
//    spawn_reply on the channel only when no child was created.
//  - Who sent a record is what the kernel says (SO_PASSCRED on the helper's
//    end: SCM_CREDENTIALS with the sender's pid, uid and gid on every record),
//    never what the request claims. A record from any process but the pool's
//    owner (the helper's parent) means another process holds the channel (a
//    child made with _Fork or a raw clone, which no atfork handler cleaned
//    up): it could read the replies and write requests, so the helper exits,
//    and the owner's next call starts a fresh helper nobody else holds.
//
// This header is shared by both sides and must stay free of libstdc++.
#pragma once

#include <cstddef>
#include <cstdint>

namespace forkless::wire {

inline constexpr uint32_t kMagic = 0x464b4c53;  // "FKLS"
inline constexpr uint16_t kVersion = 3;
inline constexpr size_t kMaxRecordBytes = 60 * 1024;
inline constexpr size_t kMaxRecordFds = 250;
// Bounds the helper enforces on what it accepts (the kernel's own limits are
// lower: ARG_MAX is a quarter of the stack limit, at most 6 MiB by default).
inline constexpr uint32_t kMaxRequestBytes = 64u << 20;
inline constexpr uint32_t kMaxRequestFds = 1u << 20;

enum class message_type : uint16_t {
  hello = 1,          // helper -> shim, once after start: payload hello_payload
  spawn_request = 2,  // shim -> helper
  spawn_reply = 3,    // helper -> shim: payload spawn_reply
};

struct header {
  uint32_t magic;
  uint16_t version;
  uint16_t type;
  uint32_t payload_bytes;  // bytes of payload in all records of this message
  uint32_t fd_count;       // descriptors in all records of this message
};
static_assert(sizeof(header) == 16);

struct hello_payload {
  int32_t helper_pid;
  int32_t reserved;
};

// Where a child failed (status_record.stage). The shim decides from this
// what the caller sees.
enum class failure_stage : int32_t {
  // The helper could not reproduce the caller's context (a limit it may not
  // raise, a priority it may not take, ...). The shim falls back to libc.
  context = 1,
  // A file action, an attribute or the exec itself failed: this is the error
  // libc would report, returned to the caller as is.
  spawn = 2,
  // Not a failure: written before an exec attempt when errno differs from
  // the last note. glibc's child shares the caller's memory, so a failed
  // call in it (a PATH miss, addopen's close of a free number) leaves errno
  // in the caller even when the spawn succeeds; the last note is that errno.
  errno_note = 3,
};
// Most notes a child writes (then it stops noting): the pid and the notes
// and a final record then stay under 4 KiB, a single page, which is all a
// pipe holds once its user is over the pipe-user-pages-soft quota; so the
// child never blocks on the pipe, which the caller reads only at its EOF.
inline constexpr int kMaxErrnoNotes = 256;

// What a failed child writes to the status pipe after its pid.
struct status_record {
  int32_t error;   // errno value
  int32_t stage;   // failure_stage: context or spawn
  int32_t detail;  // context_step
};

// Sent on the channel only when the helper created no child (it refused
// the request, or clone failed): the shim then makes the native call.
struct spawn_reply {
  int32_t error;   // errno value
  int32_t detail;  // context_step::credentials when the caller's privileges differ, else none
};

enum class context_step : int32_t {
  none = 0, cwd, umask, descriptors, signals, rlimits, credentials, nice, scheduler,
  affinity, process_group, ioprio, personality, timerslack, no_new_privs,
  oom_score_adj, coredump_filter, thp_disable, mempolicy, securebits,
};
const char* context_step_name(int32_t step);

// posix_spawn attribute flags, as carried on the wire (independent of libc's values).
enum spawn_attr_flag : uint32_t {
  attr_setpgroup = 1u << 0,
  attr_setsigmask = 1u << 1,
  attr_setsigdef = 1u << 2,
  attr_setschedparam = 1u << 3,
  attr_setscheduler = 1u << 4,
  attr_resetids = 1u << 5,
  attr_setsid = 1u << 6,
};

enum spawn_request_flag : uint32_t {
  request_search_path = 1u << 0,  // posix_spawnp: search path_list for the file
};

enum class file_action_kind : uint32_t {
  open = 1, close = 2, dup2 = 3, chdir = 4, fchdir = 5, closefrom = 6, tcsetpgrp = 7,
};

// Descriptor map entry: the i-th received descriptor goes to target_fd in the child.
enum fd_entry_flag : uint32_t { fd_cloexec = 1u << 0 };

}  // namespace forkless::wire
