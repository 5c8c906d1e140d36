#include "namespace_identity.h"

#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include "inflight_descriptors.h"

namespace forkless {

uint64_t namespace_id_from_link(const char* link) {
  const char* bracket = strchr(link, '[');
  return bracket != nullptr ? strtoull(bracket + 1, nullptr, 10) : 0;
}

bool read_namespace_ids(const char* directory_path, uint64_t ids[kNamespaceKinds]) {
  // The *_for_children kinds are what a child gets, which is what matters.
  static const char* const kinds[kNamespaceKinds] = {"mnt", "pid_for_children", "net", "ipc",
                                                     "uts", "user", "cgroup", "time_for_children"};
  int directory = open_inflight_file(directory_path, O_PATH | O_DIRECTORY);
  if (directory < 0) return false;
  for (int i = 0; i < kNamespaceKinds; ++i) {
    // "mnt:[4026531841]": the inode between the brackets.
    char link[64];
    ssize_t length = readlinkat(directory, kinds[i], link, sizeof link - 1);
    ids[i] = 0;
    if (length <= 0) continue;
    link[length] = '\0';
    ids[i] = namespace_id_from_link(link);
  }
  close_inflight(&directory);
  return true;
}

}  // namespace forkless
