#include "thread_probe.h"

#include <sys/stat.h>

namespace forkless {

int count_threads() {
  struct stat task;
  if (stat("/proc/self/task", &task) != 0 || task.st_nlink < 3) return -1;
  return static_cast<int>(task.st_nlink - 2);
}

}  // namespace forkless
