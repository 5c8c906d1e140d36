#include "helper_baseline.h"

#include <cerrno>
#include <csignal>
#include <cstring>
#include <sched.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

namespace forkless::helper {

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
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    context.affinity_bytes = sizeof set < wire::kAffinityBytes ? sizeof set : wire::kAffinityBytes;
    memcpy(context.affinity, &set, context.affinity_bytes);
  }
}

}  // namespace forkless::helper
