// Starting forkless-bench's own child processes (the legs of the demo, the
// short programs of the start-up measurement) with a chosen environment.
// Hazard: the environment is rebuilt from scratch (LD_PRELOAD and every
// FORKLESS_* variable removed, then the leg's own added) so that a native leg
// can never inherit the library from whoever started us.
#pragma once

#include <string>
#include <sys/types.h>
#include <vector>

namespace forkless_bench {

// environ without LD_PRELOAD and FORKLESS*, plus `additions` ("KEY=value").
std::vector<std::string> clean_environment(const std::vector<std::string>& additions);

// Runs argv with env; its stdout is captured into *output (if not null) or
// sent to /dev/null; stderr is inherited (or /dev/null if quiet). Returns the
// wait status, or -1 if it could not be started.
int run_child(const std::vector<std::string>& argv, const std::vector<std::string>& env,
              std::string* output, bool quiet);

// This program's own path (/proc/self/exe resolved).
std::string self_path();

}  // namespace forkless_bench
