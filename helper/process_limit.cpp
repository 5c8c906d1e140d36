#include "process_limit.h"

#include <sys/resource.h>

namespace forkless::helper {

bool adopt_caller_process_limit(const wire::process_context& context) {
  rlimit wanted{context.rlimits[RLIMIT_NPROC].cur, context.rlimits[RLIMIT_NPROC].max};
  rlimit now{};
  if (getrlimit(RLIMIT_NPROC, &now) == 0 && now.rlim_cur == wanted.rlim_cur && now.rlim_max == wanted.rlim_max)
    return true;
  return setrlimit(RLIMIT_NPROC, &wanted) == 0;
}

}  // namespace forkless::helper
