// launch_helper_process: starts forkless-helper without waiting for its exec.
#pragma once

#include <sys/types.h>

namespace forkless {

// Starts `path` as the helper, with `channel` as its descriptor 3 and this
// process as its owner (--owner=PID: it exits when we are gone), /dev/null
// on 0-2, nothing else, in its own process group, no signal blocked and an
// empty environment. Returns its pid, or -1 with an errno value in *error.
// The launch stack is released by release_launch_memory once the helper has
// shown it exec'd (its hello arrived) or is gone.
pid_t launch_helper_process(const char* path, int channel, int* error, void** launch_memory);
void release_launch_memory(void* launch_memory);

}  // namespace forkless
