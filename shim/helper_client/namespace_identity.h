// The calling thread's namespaces, read on every spawn (helper_identity.h).
//
// A namespace can change without any call the shim sees (a system call made
// with the bare instruction), so its identity is read each time rather than
// trusted from a cache: the inode of each /proc/thread-self/ns/<kind> link,
// which names the namespace for as long as it exists. readlinkat through
// one directory descriptor is the cheapest way found: about 17 us for the
// eight kinds on this project's machines, against 24 us for readlink on
// each path and 42-55 us for stat on each (stat follows the link, which
// makes the kernel find or allocate a dentry for the namespace).
#pragma once

#include <cstdint>

namespace forkless {

inline constexpr int kNamespaceKinds = 8;

// Fills ids with one identity per kind (0 where a kind does not exist, e.g.
// time namespaces on an old kernel) from a namespace directory:
// "/proc/thread-self/ns" for the calling thread, "/proc/<pid>/ns" for a
// helper (what it really has, whatever happened since it started). False
// when the directory cannot be opened.
bool read_namespace_ids(const char* directory_path, uint64_t ids[kNamespaceKinds]);

// The identity in a namespace link's target (terminated), "mnt:[4026531841]":
// the decimal inode after the first '[' (strtoull's reading: digits up to
// the first other character, saturated at UINT64_MAX), or 0 without a '['.
uint64_t namespace_id_from_link(const char* link);

}  // namespace forkless
