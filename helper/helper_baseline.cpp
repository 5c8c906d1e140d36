#include "helper_baseline.h"

#include "caller_check.h"
#include "thread_mempolicy.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

namespace forkless::helper {
namespace {

// 0 when the file cannot be read.
long long read_own_number(const char* path, int base) {
  long long value = 0;
  return read_proc_number(path, base, &value) ? value : 0;
}

}  // namespace


uint64_t helper_ignored_signals() {
  auto bit = [](int signal) { return uint64_t{1} << (signal - 1); };
  return bit(SIGPIPE) | bit(SIGTSTP) | bit(SIGTTIN) | bit(SIGTTOU);
}

void capture_baseline(helper_baseline* baseline) {
  wire::process_context& context = baseline->context;
  memset(&context, 0, sizeof context);
  mode_t mask = umask(0);
  umask(mask);
  context.umask = mask;
  context.pgid = getpgrp();
  errno = 0;
  context.nice = getpriority(PRIO_PROCESS, 0);
  context.sched_policy = sched_getscheduler(0);
  sched_param param{};
  sched_getparam(0, &param);
  context.sched_priority = param.sched_priority;
  context.ignored_signals = helper_ignored_signals();
  for (uint32_t resource = 0; resource < wire::kRlimitCount; ++resource) {
    rlimit limit{};
    getrlimit(static_cast<__rlimit_resource>(resource), &limit);
    context.rlimits[resource] = {limit.rlim_cur, limit.rlim_max};
  }
  context.ioprio = static_cast<int32_t>(syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0));
  context.personality = static_cast<uint32_t>(personality(0xffffffff));
  context.timer_slack_ns = static_cast<uint64_t>(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
  int thp = prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0);
  context.thp_disable = thp > 0 ? static_cast<uint32_t>(thp) : 0;
  context.oom_score_adj = static_cast<int32_t>(read_own_number("/proc/self/oom_score_adj", 10));
  context.coredump_filter = static_cast<uint32_t>(read_own_number("/proc/self/coredump_filter", 16));
  if (!wire::read_mempolicy(&context.mempolicy_mode, context.mempolicy_nodes)) context.mempolicy_mode = -1;
  int securebits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
  context.securebits = securebits > 0 ? static_cast<uint32_t>(securebits) : 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    context.affinity_bytes = sizeof set < wire::kAffinityBytes ? sizeof set : wire::kAffinityBytes;
    memcpy(context.affinity, &set, context.affinity_bytes);
  }
}

}  // namespace forkless::helper
