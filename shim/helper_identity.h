// What a helper cannot carry to its children, compared instead (BRIEF:
// "Drift"). A helper inherits all of it from the thread that started it; a
// call whose thread differs in any of it gets a fresh helper started from the
// current context, so no child ever gets a credential, namespace, root,
// cgroup or filter set that the native call would not have given it.
//
// Cost: the cheap parts (ids, groups, capabilities, no_new_privs, seccomp
// mode, session, root, cgroup) are read on every call (a few microseconds).
// Namespaces, the seccomp filter count and the LSM label are costly to read
// (procfs walks, ~30 us), so each thread reads them once per generation and
// compares its cached copy; the shim interposes unshare, setns and prctl
// (seccomp, no_new_privs) and bumps identity_generation, so a change made
// through them is seen. Privileges (ids, groups, capabilities, seccomp
// filters) are also checked by the helper itself on every spawn. A raw syscall that changes them is not seen (limit,
// documented in the README).
#pragma once

#include <atomic>
#include <cstdint>
#include <sys/types.h>

namespace forkless {

inline constexpr int kNamespaceKinds = 8;

struct helper_identity {
  uid_t uid[3];
  gid_t gid[3];
  int group_count;
  uint64_t groups_hash;
  uint32_t capabilities[6];
  int no_new_privs;
  int seccomp_mode;
  pid_t session;
  dev_t root_device;
  ino_t root_inode;
  uint64_t cgroup_hash;
  // The costly part, read at the first comparison (not at start: starting a
  // helper before main must stay cheap), which is exact as long as the
  // generation has not moved since the start.
  unsigned costly_generation;
  bool costly_known;
  uint64_t namespace_inodes[kNamespaceKinds];
  int seccomp_filters;
  uint64_t lsm_label_hash;
};

// Bumped by the interposers of calls that can change the costly part.
extern std::atomic<unsigned> identity_generation;

// Reads the calling thread's identity, the costly part left for later.
void capture_identity(helper_identity* identity);

// True when a helper started with `helper` serves the calling thread exactly.
// Fills in the helper's costly part at the first comparison. `what`
// receives a short name of the first difference.
bool identity_matches(helper_identity& helper, const char** what);

}  // namespace forkless
