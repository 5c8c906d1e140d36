// "Are other threads running?" — the routing question, asked on every call.
//
// stat("/proc/self/task") costs one syscall (about a microsecond): procfs sets
// the task directory's link count to 2 + the number of threads. When /proc is
// not mounted the answer is unknown and callers take the native route.
#pragma once

namespace forkless {

// Number of threads in this process, or -1 when it cannot be told.
int count_threads();

}  // namespace forkless
