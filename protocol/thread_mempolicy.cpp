#include "thread_mempolicy.h"

#include <cerrno>
#include <cstring>
#include <sys/syscall.h>
#include <unistd.h>

#include "spawn_request.h"

namespace forkless::wire {

bool read_mempolicy(int32_t* mode, uint8_t* nodes) {
  memset(nodes, 0, kNodeMaskBytes);
  int value = 0;
  // maxnode is the mask's size in bits; it must cover every possible node,
  // else EINVAL.
  if (syscall(SYS_get_mempolicy, &value, nodes, kNodeMaskBytes * 8, nullptr, 0) == 0) {
    *mode = value;
    return true;
  }
  if (errno != ENOSYS) return false;
  *mode = 0;  // MPOL_DEFAULT
  return true;
}

}  // namespace forkless::wire
