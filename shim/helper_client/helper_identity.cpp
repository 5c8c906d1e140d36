#include "helper_identity.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <linux/securebits.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "inflight_descriptors.h"
#include "interpose/thread_block.h"

namespace forkless {

std::atomic<unsigned> identity_generation{1};

namespace {

// PR_GET_MDWE (Linux 6.3; older headers lack it). Memory-deny-write-execute
// is inherited by children and kept across exec: a restriction a helper
// started before it was set would not pass on. On older kernels the call
// fails alike for the caller and the helper.
constexpr int kPrGetMemoryDenyWriteExecute = 66;
// getgroups into the stack up to this many (a page); more are read into a
// mapping made for the call (NGROUPS_MAX is 65536: 256 KiB).
constexpr int kInlineGroups = 1024;

// FNV-1a's 64-bit prime.
constexpr uint64_t kFnvPrime = 1099511628211ull;

uint64_t hash_file(const char* path, uint64_t hash = kIdentityHashSeed) {
  char buffer[4096];
  ssize_t length = read_inflight_file(path, buffer, sizeof buffer);
  return length < 0 ? hash : identity_hash(buffer, static_cast<size_t>(length), hash);
}

// Every supplementary group, however many: count and hash.
void capture_groups(helper_identity* identity) {
  gid_t inline_groups[kInlineGroups];
  int count = getgroups(kInlineGroups, inline_groups);
  if (count >= 0) {
    identity->group_count = count;
    identity->groups_hash = identity_hash(inline_groups, sizeof(gid_t) * static_cast<size_t>(count));
    return;
  }
  // More than fit: read them all into a mapping (retried if the set grows
  // between the two calls). A count of -1 never matches a real one.
  identity->group_count = -1;
  identity->groups_hash = 0;
  for (int attempt = 0; attempt < 4; ++attempt) {
    int all = getgroups(0, nullptr);
    if (all < 0) return;
    size_t bytes = sizeof(gid_t) * static_cast<size_t>(all + 1);
    void* memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (memory == MAP_FAILED) return;
    count = getgroups(all + 1, static_cast<gid_t*>(memory));
    if (count >= 0) {
      identity->group_count = count;
      identity->groups_hash = identity_hash(memory, sizeof(gid_t) * static_cast<size_t>(count));
    }
    munmap(memory, bytes);
    if (count >= 0) return;
  }
}

void capture_cheap(helper_identity* identity) {
  getresuid(&identity->uid[0], &identity->uid[1], &identity->uid[2]);
  getresgid(&identity->gid[0], &identity->gid[1], &identity->gid[2]);
  capture_groups(identity);
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  syscall(SYS_capget, &header, data);
  for (int i = 0; i < 2; ++i) {
    identity->capabilities[3 * i] = data[i].effective;
    identity->capabilities[3 * i + 1] = data[i].permitted;
    identity->capabilities[3 * i + 2] = data[i].inheritable;
  }
  identity->securebits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0) & ~SECBIT_KEEP_CAPS;
  identity->no_new_privs = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
  identity->memory_deny_write_execute = prctl(kPrGetMemoryDenyWriteExecute, 0, 0, 0, 0);
  identity->seccomp_mode = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
  // The session keyring is inherited by children and kept across exec; a
  // thread that joined another (keyctl, through libkeyutils' syscall())
  // must not have children holding the old one. create = 0: only read.
  identity->session_keyring =
      static_cast<int32_t>(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
  identity->session = getsid(0);
  struct stat root;
  if (stat("/", &root) == 0) {
    identity->root_device = root.st_dev;
    identity->root_inode = root.st_ino;
  }
  identity->cgroup_hash = hash_file("/proc/thread-self/cgroup");
}

void capture_costly(helper_identity* identity) {
  identity->seccomp_filters = -1;
  identity->bounding_and_ambient_hash = 0;
  char status[8192];
  ssize_t length = read_inflight_file("/proc/thread-self/status", status, sizeof status - 1);
  if (length > 0) {
    status[length] = '\0';
    status_restrictions parsed = parse_status_restrictions(status);
    identity->seccomp_filters = parsed.seccomp_filters;
    identity->bounding_and_ambient_hash = parsed.bounding_and_ambient_hash;
  }
  // The label the thread runs with and the one its next exec takes
  // (setexeccon, aa_change_onexec): a native child execs with the latter.
  identity->lsm_label_hash = hash_file("/proc/thread-self/attr/exec", hash_file("/proc/thread-self/attr/current"));
}

// The identity of the calling thread, costly part cached per thread for the
// generation it was read in.
struct cached_costly {
  unsigned generation;
  helper_identity values;
};
cached_costly& thread_costly() { return thread_block_part<cached_costly>(this_thread_block().identity_cache); }

}  // namespace

uint64_t identity_hash(const void* data, size_t size, uint64_t hash) {
  const auto* bytes = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < size; ++i) hash = (hash ^ bytes[i]) * kFnvPrime;
  return hash;
}

status_restrictions parse_status_restrictions(const char* status) {
  static constexpr char kFilters[] = "\nSeccomp_filters:";
  status_restrictions parsed{-1, 0};
  if (const char* line = strstr(status, kFilters)) parsed.seccomp_filters = atoi(line + sizeof kFilters - 1);
  // "CapBnd:\t...\nCapAmb:\t...\n" are adjacent lines: one hash of both.
  if (const char* line = strstr(status, "\nCapBnd:")) {
    const char* end = strstr(line, "\nNoNewPrivs:");
    parsed.bounding_and_ambient_hash = identity_hash(line, end ? static_cast<size_t>(end - line) : strlen(line));
  }
  return parsed;
}

void capture_identity(helper_identity* identity) {
  memset(identity, 0, sizeof *identity);
  capture_cheap(identity);
  identity->costly_generation = identity_generation.load(std::memory_order_acquire);
  identity->costly_known = false;
  identity->namespaces_known = false;
}

const char* cheap_identity_difference(const helper_identity& now, const helper_identity& helper) {
  if (memcmp(now.uid, helper.uid, sizeof now.uid) || memcmp(now.gid, helper.gid, sizeof now.gid)) return "ids";
  if (now.group_count < 0 || now.group_count != helper.group_count || now.groups_hash != helper.groups_hash)
    return "groups";
  if (memcmp(now.capabilities, helper.capabilities, sizeof now.capabilities)) return "capabilities";
  if (now.securebits != helper.securebits) return "securebits";
  if (now.no_new_privs != helper.no_new_privs) return "no_new_privs";
  if (now.memory_deny_write_execute != helper.memory_deny_write_execute) return "memory_deny_write_execute";
  if (now.seccomp_mode != helper.seccomp_mode) return "seccomp";
  if (now.session_keyring != helper.session_keyring) return "session_keyring";
  if (now.session != helper.session) return "session";
  if (now.root_device != helper.root_device || now.root_inode != helper.root_inode) return "root";
  if (now.cgroup_hash != helper.cgroup_hash) return "cgroup";
  return nullptr;
}

const char* costly_identity_difference(helper_identity& helper, const helper_identity& costly, unsigned generation) {
  if (!helper.costly_known) {
    // Nothing that changes the costly part went through the shim since the
    // helper started: what this thread reads now is what the helper got.
    if (generation != helper.costly_generation) return "filters_unknown";
    helper.seccomp_filters = costly.seccomp_filters;
    helper.bounding_and_ambient_hash = costly.bounding_and_ambient_hash;
    helper.lsm_label_hash = costly.lsm_label_hash;
    helper.costly_known = true;
    return nullptr;
  }
  if (costly.seccomp_filters != helper.seccomp_filters) return "seccomp_filters";
  if (costly.bounding_and_ambient_hash != helper.bounding_and_ambient_hash) return "bounding_or_ambient";
  if (costly.lsm_label_hash != helper.lsm_label_hash) return "lsm_label";
  return nullptr;
}

namespace {

// The first difference, each part read only once the parts before it match.
const char* read_identity_difference(helper_identity& helper, pid_t helper_pid) {
  helper_identity now;
  memset(&now, 0, sizeof now);
  capture_cheap(&now);
  if (const char* difference = cheap_identity_difference(now, helper)) return difference;
  if (!helper.namespaces_known) {
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns", static_cast<int>(helper_pid));
    if (!read_namespace_ids(path, helper.namespace_ids)) return "namespaces_unknown";
    helper.namespaces_known = true;
  }
  if (!read_namespace_ids("/proc/thread-self/ns", now.namespace_ids) ||
      memcmp(now.namespace_ids, helper.namespace_ids, sizeof now.namespace_ids))
    return "namespaces";
  unsigned generation = identity_generation.load(std::memory_order_acquire);
  cached_costly& cache = thread_costly();
  if (cache.generation != generation) {
    capture_costly(&cache.values);
    cache.generation = generation;
  }
  return costly_identity_difference(helper, cache.values, generation);
}

}  // namespace

bool identity_matches(helper_identity& helper, pid_t helper_pid, const char** what) {
  const char* difference = read_identity_difference(helper, helper_pid);
  if (difference != nullptr && what) *what = difference;
  return difference == nullptr;
}

}  // namespace forkless
