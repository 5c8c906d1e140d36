// What a helper cannot carry to its children, compared instead (BRIEF:
// "Drift"). A helper inherits all of it from the thread that started it; a
// call whose thread differs in any of it gets a fresh helper started from the
// current context, so no child ever gets a credential, namespace, root,
// cgroup, keyring or filter set that the native call would not have given it.
//
// Cost, per call: ids, groups, capabilities, securebits, no_new_privs,
// memory-deny-write-execute, seccomp mode, the session keyring, session,
// root and cgroup are read every time (a few microseconds); so are the
// namespaces (namespace_identity.h: about 17 us), since a bare system call
// can change them unseen. The seccomp filter count, the bounding and
// ambient capability sets and the LSM label take a read of
// /proc/thread-self/status and attr (~30 us), so each thread reads them once
// per generation and compares its cached copy; the shim interposes unshare,
// setns, prctl and libc's syscall() for the calls that change them
// (restriction_watch.h) and bumps identity_generation. The helper checks
// ids, groups, all capability sets, no_new_privs and seccomp filters itself
// on every spawn (helper/caller_check.h). Landlock domains cannot be read at
// all: restriction_watch.h sends a process that made one native for good.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <sys/types.h>

#include "namespace_identity.h"

namespace forkless {

struct helper_identity {
  uid_t uid[3];
  gid_t gid[3];
  int group_count;
  uint64_t groups_hash;
  uint32_t capabilities[6];
  int securebits;  // without SECBIT_KEEP_CAPS, which every exec clears
  int no_new_privs;
  int memory_deny_write_execute;
  int seccomp_mode;
  int32_t session_keyring;
  pid_t session;
  dev_t root_device;
  ino_t root_inode;
  uint64_t cgroup_hash;
  // The helper's namespaces, read from the helper itself at the first
  // comparison (not at start: starting a helper before main must stay cheap).
  bool namespaces_known;
  uint64_t namespace_ids[kNamespaceKinds];
  // The costly part, read at the first comparison, which is exact as long
  // as the generation has not moved since the start.
  unsigned costly_generation;
  bool costly_known;
  int seccomp_filters;
  uint64_t bounding_and_ambient_hash;
  uint64_t lsm_label_hash;
};

// The pure parts, input to output.

// What decides that a helper cannot carry the caller's context: the name
// identity_matches reports for the first difference, in this order, or
// nullptr.
//
// The part read on every call, `now` against the helper's start: ids,
// groups (a failed read, count -1, differs from anything), capabilities,
// securebits, no_new_privs, memory-deny-write-execute, seccomp mode,
// session keyring, session, root, cgroup.
const char* cheap_identity_difference(const helper_identity& now, const helper_identity& helper);
// The costly part (seccomp filters, bounding and ambient sets, LSM label)
// as the calling thread last read it in `generation`. At the first
// comparison the helper's is not known yet: it is taken from `costly` if
// the generation has not moved since the helper started ("filters_unknown"
// otherwise: something may have changed it since).
const char* costly_identity_difference(helper_identity& helper, const helper_identity& costly, unsigned generation);

// FNV-1a (64 bits) of size bytes, continued from hash: how the identity
// keeps in one word what it only compares for equality (the groups, the
// cgroup, the LSM labels, the capability lines).
inline constexpr uint64_t kIdentityHashSeed = 14695981039346656037ull;  // FNV-1a's 64-bit offset basis
uint64_t identity_hash(const void* data, size_t size, uint64_t hash = kIdentityHashSeed);

// What the costly part takes from /proc/thread-self/status (a terminated
// text): the Seccomp_filters count (-1 without that line; garbage reads as
// 0) and one hash of the adjacent CapBnd and CapAmb lines, from the newline
// before "CapBnd:" up to the one before "NoNewPrivs:" (or the text's end;
// 0 without a CapBnd line). A key counts only at the start of a line after
// the first (the status file starts with Name:).
struct status_restrictions {
  int seccomp_filters;
  uint64_t bounding_and_ambient_hash;
};
status_restrictions parse_status_restrictions(const char* status);

// Bumped by the interposers of calls that can change the costly part.
extern std::atomic<unsigned> identity_generation;

// Reads the calling thread's identity, the costly part and namespaces left
// for later.
void capture_identity(helper_identity* identity);

// True when the helper `helper_pid`, started with `helper`, serves the
// calling thread exactly. Fills in the helper's namespaces and costly part at
// the first comparison. `what` receives a short name of the first difference.
bool identity_matches(helper_identity& helper, pid_t helper_pid, const char** what);

}  // namespace forkless
