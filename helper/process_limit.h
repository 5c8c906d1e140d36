// RLIMIT_NPROC is checked by the kernel against the process that clones:
// the helper, whose limit is the one it started with. So before each clone
// the helper takes the caller's limit as it is now (read from the kernel),
// and a limit the caller lowered below its process count is enforced as
// natively. Refused (raising a hard limit takes CAP_SYS_RESOURCE, which the
// caller then lacks too): the request is refused and the call goes native.
#pragma once

#include "spawn_request.h"

namespace forkless::helper {

bool adopt_caller_process_limit(const wire::process_context& context);

}  // namespace forkless::helper
