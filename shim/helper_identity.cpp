#include "helper_identity.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "inflight_descriptors.h"

namespace forkless {

std::atomic<unsigned> identity_generation{1};

namespace {

uint64_t hash_bytes(const void* data, size_t size, uint64_t hash = 1469598103934665603ull) {
  const auto* bytes = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < size; ++i) hash = (hash ^ bytes[i]) * 1099511628211ull;
  return hash;
}

uint64_t hash_file(const char* path) {
  char buffer[4096];
  ssize_t length = read_inflight_file(path, buffer, sizeof buffer);
  return length < 0 ? 0 : hash_bytes(buffer, static_cast<size_t>(length));
}

void capture_cheap(helper_identity* identity) {
  getresuid(&identity->uid[0], &identity->uid[1], &identity->uid[2]);
  getresgid(&identity->gid[0], &identity->gid[1], &identity->gid[2]);
  gid_t groups[256];
  int count = getgroups(256, groups);
  if (count >= 0) {
    identity->group_count = count;
    identity->groups_hash = hash_bytes(groups, sizeof(gid_t) * static_cast<size_t>(count));
  } else {
    // More than 256 groups: hash them all through a bigger buffer on demand.
    int all = getgroups(0, nullptr);
    identity->group_count = all;
    identity->groups_hash = 0;
  }
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  syscall(SYS_capget, &header, data);
  for (int i = 0; i < 2; ++i) {
    identity->capabilities[3 * i] = data[i].effective;
    identity->capabilities[3 * i + 1] = data[i].permitted;
    identity->capabilities[3 * i + 2] = data[i].inheritable;
  }
  identity->no_new_privs = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
  identity->seccomp_mode = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
  identity->session = getsid(0);
  struct stat root;
  if (stat("/", &root) == 0) {
    identity->root_device = root.st_dev;
    identity->root_inode = root.st_ino;
  }
  identity->cgroup_hash = hash_file("/proc/thread-self/cgroup");
}

void capture_costly(helper_identity* identity) {
  static const char* const kinds[kNamespaceKinds] = {"mnt", "pid_for_children", "net", "ipc",
                                                     "uts", "user", "cgroup", "time_for_children"};
  for (int i = 0; i < kNamespaceKinds; ++i) {
    char path[64];
    snprintf(path, sizeof path, "/proc/thread-self/ns/%s", kinds[i]);
    struct stat st;
    identity->namespace_inodes[i] = stat(path, &st) == 0 ? st.st_ino : 0;
  }
  identity->seccomp_filters = -1;
  char status[8192];
  ssize_t length = read_inflight_file("/proc/thread-self/status", status, sizeof status - 1);
  if (length > 0) {
    status[length] = '\0';
    if (const char* line = strstr(status, "\nSeccomp_filters:")) identity->seccomp_filters = atoi(line + 17);
  }
  identity->lsm_label_hash = hash_file("/proc/thread-self/attr/current");
}

// The identity of the calling thread, costly part cached per thread for the
// generation it was read in.
struct cached_costly {
  unsigned generation;
  helper_identity values;
};
__attribute__((tls_model("initial-exec"))) thread_local cached_costly thread_costly{0, {}};

}  // namespace

void capture_identity(helper_identity* identity) {
  memset(identity, 0, sizeof *identity);
  capture_cheap(identity);
  identity->costly_generation = identity_generation.load(std::memory_order_acquire);
  identity->costly_known = false;
}

bool identity_matches(helper_identity& helper, const char** what) {
  helper_identity now;
  memset(&now, 0, sizeof now);
  capture_cheap(&now);
  auto differs = [&](const char* name, bool different) {
    if (different && what) *what = name;
    return different;
  };
  if (differs("ids", memcmp(now.uid, helper.uid, sizeof now.uid) || memcmp(now.gid, helper.gid, sizeof now.gid)) ||
      differs("groups", now.group_count != helper.group_count || now.groups_hash != helper.groups_hash) ||
      differs("capabilities", memcmp(now.capabilities, helper.capabilities, sizeof now.capabilities)) ||
      differs("no_new_privs", now.no_new_privs != helper.no_new_privs) ||
      differs("seccomp", now.seccomp_mode != helper.seccomp_mode) ||
      differs("session", now.session != helper.session) ||
      differs("root", now.root_device != helper.root_device || now.root_inode != helper.root_inode) ||
      differs("cgroup", now.cgroup_hash != helper.cgroup_hash))
    return false;
  unsigned generation = identity_generation.load(std::memory_order_acquire);
  cached_costly& cache = thread_costly;
  if (cache.generation != generation) {
    capture_costly(&cache.values);
    cache.generation = generation;
  }
  const helper_identity& costly = cache.values;
  if (!helper.costly_known) {
    // Nothing that changes the costly part went through the shim since the
    // helper started: what this thread reads now is what the helper got.
    if (generation != helper.costly_generation) return !differs("namespaces_unknown", true);
    memcpy(helper.namespace_inodes, costly.namespace_inodes, sizeof helper.namespace_inodes);
    helper.seccomp_filters = costly.seccomp_filters;
    helper.lsm_label_hash = costly.lsm_label_hash;
    helper.costly_known = true;
    return true;
  }
  return !(differs("namespaces", memcmp(costly.namespace_inodes, helper.namespace_inodes,
                                        sizeof costly.namespace_inodes)) ||
           differs("seccomp_filters", costly.seccomp_filters != helper.seccomp_filters) ||
           differs("lsm_label", costly.lsm_label_hash != helper.lsm_label_hash));
}

}  // namespace forkless
