// The kernel's getdents64 record. The shim reads procfs directories with the
// raw syscall and a stack buffer (no opendir: it allocates), so that the
// wait interposers stay async-signal-safe.
#pragma once

#include <cstdint>

namespace forkless {

struct linux_dirent64 {
  uint64_t d_ino;
  int64_t d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

}  // namespace forkless
