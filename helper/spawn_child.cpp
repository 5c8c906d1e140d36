// The child of a request, from clone to exec.
//
// Hazards, and how each is handled:
//  - The child is cloned with CLONE_VM|CLONE_PARENT: it runs on its own stack
//    in the helper's memory until it execs, and its parent is the caller, so
//    the caller's waitpid and SIGCHLD see it. Between clone and exec only
//    async-signal-safe calls: no malloc, no locks, no stdio. Everything the
//    child needs (sorted target list, argv arrays) was prepared by the helper
//    before the clone.
//  - It is not CLONE_VFORK: the helper does not sleep until the exec, the
//    caller is woken by the child itself through the status pipe
//    (protocol.h). The helper, meanwhile, only closes its copy of the pipe's
//    write end and polls the read end for POLLHUP, with every signal blocked:
//    two calls that cannot fail, so it never writes errno, which the child
//    shares (same TLS) and reads after each failing call. It touches nothing
//    else until POLLHUP says the child has exec'd or exited.
//  - All signals are blocked in the helper across the clone, so no handler can
//    run in the child on the shared memory; the child installs the caller's
//    mask only just before exec, after its dispositions are right. Without
//    CLONE_SIGHAND the child's sigaction calls change only its own table.
//  - Descriptors: the child's table is a copy of the helper's. The status
//    pipe is moved above every target first and kept out of every close and
//    every file action (moved again if an action names its number); it is
//    close-on-exec, so the program never sees it. Received descriptors may
//    sit at numbers another entry targets, so those are moved above every
//    target; then each goes to its target with dup2, and every other number
//    is closed, so the child holds exactly the caller's inheritable
//    descriptors (plus those the file actions name). RLIMIT_NOFILE is raised
//    first when the caller's is higher, and lowered only after the
//    descriptors are in place.
//  - Order follows glibc's posix_spawn child: dispositions, the caller's
//    context (cwd, umask, descriptors, limits, priorities, process group),
//    then the attributes (scheduler, setsid, setpgid, reset ids), the file
//    actions in order, the signal mask, exec.
//  - A context step that fails means the helper cannot give this child what a
//    native call would: the record says so and the shim falls back to libc
//    (it reaps this child, which never ran the program).
//  - What belongs to the memory map or the whole process (THP-disable,
//    coredump_filter, oom_score_adj) is not set by the child: it shares the
//    helper's memory map, and the kernel applies an oom_score_adj written in
//    a process sharing a map to every process sharing it. The helper takes
//    the caller's values itself before the clone (the child inherits them,
//    and an exec keeps them); a value it may not take makes the child fail
//    that step. The NUMA policy is the thread's own: the child sets it.
//  - Received descriptors are the program's files: once the parent has
//    closed its copy of a pipe's write end and reaped the child, the read end
//    must be at EOF, so the helper must not hold one then. It closes them all
//    right after the clone (the child has its own table), quietly
//    (quiet_close.h), and only then its write end of the status pipe, so the
//    caller, woken by the pipe's EOF, can never return first.
//  - errno as glibc's child leaves it in the caller (whose memory it shares):
//    after the helper's own steps the child sets errno to what glibc's
//    signal loop leaves (EINVAL when SETSIGDEF names SIGKILL or SIGSTOP, else
//    untouched), then runs glibc's steps in glibc's order, and before each
//    exec attempt notes errno when it changed (protocol.h: errno_note).
#include "spawn_child.h"

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "path_search.h"
#include "process_settings.h"
#include "quiet_close.h"

namespace forkless::helper {
namespace {

using wire::context_step;
using wire::failure_stage;

constexpr size_t kChildStackBytes = 256 * 1024;
constexpr size_t kGuardBytes = 4096;
void* child_stack_base = nullptr;

// Shared with the child, which changes only the fields marked as its own.
struct child_plan {
  const wire::spawn_request* request;
  const int* received;           // received[kCwdFd], ...; received[kFirstTableFd + i]: source of fds[i]
  int* sources;                  // the child's own copy of the sources, which it may renumber
  int* owner;                    // the child's: owner[fd] = index of the unplaced source at fd, or -1
  int owner_size;
  const int* sorted_targets;     // ascending, unique
  size_t target_count;
  int max_target;
  const helper_baseline* baseline;
  rlimit files_now;              // the child's: its RLIMIT_NOFILE (the helper's, until raised)
  int status_fd;                 // the child's: where its status pipe's write end is now
  context_step shared_step;      // a process-wide setting the helper could not take (none: all taken)
  int shared_errno;              // why
  int noted_errno;               // the child's: the last errno it noted (0: none yet)
  int notes;                     // the child's: notes written
};

void write_all(int fd, const void* data, size_t size) {
  const auto* bytes = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t wrote = write(fd, bytes, size);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) return;
    bytes += wrote;
    size -= static_cast<size_t>(wrote);
  }
}

// Before an exec attempt: tells the caller the errno glibc's child would
// have left in it so far, if it changed since the last note.
void note_errno(child_plan* plan) {
  int value = errno;
  if (value == 0 || value == plan->noted_errno || plan->notes >= wire::kMaxErrnoNotes) return;
  wire::status_record record{value, static_cast<int32_t>(failure_stage::errno_note), 0};
  write_all(plan->status_fd, &record, sizeof record);
  plan->noted_errno = value;
  ++plan->notes;
  errno = value;
}

[[noreturn]] void fail(child_plan* plan, failure_stage stage, context_step step) {
  wire::status_record record{errno ? errno : EINVAL, static_cast<int32_t>(stage), static_cast<int32_t>(step)};
  write_all(plan->status_fd, &record, sizeof record);
  _exit(127);
}

// Moves the status pipe off `fd` (or above `floor`), so a descriptor step or
// a file action on that number behaves as in a native child, which has no
// such descriptor.
void move_status(child_plan* plan, int floor) {
  int moved = fcntl(plan->status_fd, F_DUPFD_CLOEXEC, floor);
  if (moved < 0) fail(plan, failure_stage::context, context_step::descriptors);
  close(plan->status_fd);
  plan->status_fd = moved;
}

void keep_status_clear_of(child_plan* plan, int fd) {
  if (fd == plan->status_fd) move_status(plan, fd + 1);
}

// close_range over [first, last], leaving the status pipe open.
void close_range_around_status(child_plan* plan, unsigned first, unsigned last);

void close_range_or_loop(unsigned first, unsigned last) {
  if (first > last) return;
  if (syscall(SYS_close_range, first, last, 0) == 0) return;
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);
  unsigned end = limit.rlim_cur < last ? static_cast<unsigned>(limit.rlim_cur) : last;
  for (unsigned fd = first; fd <= end && fd < 1u << 20; ++fd) close(static_cast<int>(fd));
}

void close_range_around_status(child_plan* plan, unsigned first, unsigned last) {
  unsigned status = static_cast<unsigned>(plan->status_fd);
  if (status < first || status > last) {
    close_range_or_loop(first, last);
    return;
  }
  if (status > first) close_range_or_loop(first, status - 1);
  if (status < last) close_range_or_loop(status + 1, last);
}

bool set_signal_mask(uint64_t mask) {
  // The raw syscall, so the child gets exactly the caller's 64 bits (glibc's
  // wrappers would drop its own internal signals from the set).
  return syscall(SYS_rt_sigprocmask, SIG_SETMASK, &mask, nullptr, sizeof mask) == 0;
}

void apply_dispositions(child_plan* plan) {
  const wire::process_context& caller = plan->request->context;
  const wire::spawn_attributes& attributes = plan->request->attributes;
  uint64_t defaults = (attributes.flags & wire::attr_setsigdef) ? attributes.signal_default : 0;
  uint64_t helper_ignored = plan->baseline->context.ignored_signals;
  for (int signal = 1; signal <= 64; ++signal) {
    if (signal == SIGKILL || signal == SIGSTOP || (signal >= 32 && signal < SIGRTMIN)) continue;
    uint64_t bit = uint64_t{1} << (signal - 1);
    bool want_ignored = (caller.ignored_signals & bit) && !(defaults & bit);
    bool is_ignored = helper_ignored & bit;
    if (want_ignored == is_ignored) continue;
    struct sigaction action {};
    action.sa_handler = want_ignored ? SIG_IGN : SIG_DFL;
    if (sigaction(signal, &action, nullptr) != 0) fail(plan, failure_stage::context, context_step::signals);
  }
  // glibc's own signals (SIGCANCEL 32, SIGSETXID 33) always have handlers in
  // the caller, and glibc's spawn child sets such "internal" signals to
  // SIG_IGN rather than SIG_DFL, unless SETSIGDEF names them; the exec'd
  // program then starts with them ignored. glibc's sigaction refuses these
  // numbers, so the raw call.
  for (int signal = 32; signal <= 33; ++signal) {
    uint64_t bit = uint64_t{1} << (signal - 1);
    struct {
      void* handler;
      unsigned long flags;
      void* restorer;
      uint64_t mask;
    } action{(defaults & bit) ? reinterpret_cast<void*>(SIG_DFL) : reinterpret_cast<void*>(SIG_IGN), 0, nullptr, 0};
    if (syscall(SYS_rt_sigaction, signal, &action, nullptr, sizeof(uint64_t)) != 0)
      fail(plan, failure_stage::context, context_step::signals);
  }
}

void place_descriptors(child_plan* plan) {
  const wire::spawn_request& request = *plan->request;
  const wire::rlimit_pair& caller_files = request.context.rlimits[RLIMIT_NOFILE];
  rlimit& current = plan->files_now;
  if (caller_files.cur > current.rlim_cur) {
    rlimit raised{caller_files.cur, caller_files.max > current.rlim_max ? caller_files.max : current.rlim_max};
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) current = raised;  // if refused, a dup2 below fails and says so
  }
  // The status pipe first goes above every target, out of the way.
  if (plan->status_fd <= plan->max_target) move_status(plan, plan->max_target + 1);
  // Each source goes to its target. A target still held by a source that
  // is not placed yet has that source moved to the lowest free number first,
  // and each source is closed once placed, so the table never holds much
  // more than the caller's count (10 000 descriptors must fit a limit of
  // 20 000). The child renumbers in its own copies (sources, owner), never
  // in `received`, which the helper still needs to close its descriptors.
  int* sources = plan->sources;
  int* owner = plan->owner;
  for (uint32_t i = 0; i < request.fd_count; ++i) {
    int target = request.fds[i].target;
    int source = sources[i];
    if (source != target) {
      int occupant = owner[target];
      if (occupant >= 0) {
        int moved = fcntl(target, F_DUPFD_CLOEXEC, 0);
        if (moved < 0) fail(plan, failure_stage::context, context_step::descriptors);
        sources[occupant] = moved;
        if (moved < plan->owner_size) owner[moved] = occupant;
        owner[target] = -1;
      }
      if (dup2(source, target) != target) fail(plan, failure_stage::context, context_step::descriptors);
      close(source);
      if (source < plan->owner_size) owner[source] = -1;
    }
    // dup2 leaves the target without FD_CLOEXEC; a source already at its
    // number still has the one every received descriptor gets.
    bool cloexec = request.fds[i].flags & wire::fd_cloexec;
    if ((source == target || cloexec) && fcntl(target, F_SETFD, cloexec ? FD_CLOEXEC : 0) != 0)
      fail(plan, failure_stage::context, context_step::descriptors);
  }
  unsigned next = 0;
  for (size_t i = 0; i < plan->target_count; ++i) {
    unsigned target = static_cast<unsigned>(plan->sorted_targets[i]);
    if (target > next) close_range_or_loop(next, target - 1);
    next = target + 1;
  }
  close_range_around_status(plan, next, ~0u);
}

template <typename T>
bool differs(const T& a, const T& b) {
  return memcmp(&a, &b, sizeof a) != 0;
}

void apply_context(child_plan* plan) {
  const wire::process_context& caller = plan->request->context;
  const wire::process_context& helper = plan->baseline->context;
  if (fchdir(plan->received[wire::kCwdFd]) != 0) fail(plan, failure_stage::context, context_step::cwd);
  umask(caller.umask);
  place_descriptors(plan);
  for (uint32_t resource = 0; resource < wire::kRlimitCount; ++resource) {
    // The child starts with the helper's limits (its baseline), NOFILE
    // perhaps raised above.
    rlimit limit{caller.rlimits[resource].cur, caller.rlimits[resource].max};
    rlimit now{helper.rlimits[resource].cur, helper.rlimits[resource].max};
    if (resource == RLIMIT_NOFILE) now = plan->files_now;
    if (now.rlim_cur == limit.rlim_cur && now.rlim_max == limit.rlim_max) continue;
    if (setrlimit(static_cast<__rlimit_resource>(resource), &limit) != 0)
      fail(plan, failure_stage::context, context_step::rlimits);
  }
  if (caller.sched_policy != helper.sched_policy || caller.sched_priority != helper.sched_priority) {
    sched_param param{};
    param.sched_priority = caller.sched_priority;
    if (sched_setscheduler(0, caller.sched_policy, &param) != 0)
      fail(plan, failure_stage::context, context_step::scheduler);
  }
  if (caller.nice != helper.nice && setpriority(PRIO_PROCESS, 0, caller.nice) != 0)
    fail(plan, failure_stage::context, context_step::nice);
  // Always set: the shim moves the helper from CPU to CPU (pin_helper_here),
  // so the child starts on one CPU whatever the caller's affinity is. A
  // caller whose affinity could not be read (more CPUs than the request can
  // carry) cannot be served exactly: the call goes native.
  if (caller.affinity_bytes == 0 ||
      sched_setaffinity(0, caller.affinity_bytes, reinterpret_cast<const cpu_set_t*>(caller.affinity)) != 0)
    fail(plan, failure_stage::context, context_step::affinity);
  if (caller.ioprio != helper.ioprio && caller.ioprio >= 0 &&
      syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, caller.ioprio) != 0)
    fail(plan, failure_stage::context, context_step::ioprio);
  if (caller.personality != helper.personality &&
      personality(static_cast<unsigned long>(caller.personality)) == -1)
    fail(plan, failure_stage::context, context_step::personality);
  if (caller.timer_slack_ns != helper.timer_slack_ns && caller.timer_slack_ns != 0 &&
      prctl(PR_SET_TIMERSLACK, caller.timer_slack_ns, 0, 0, 0) != 0)
    fail(plan, failure_stage::context, context_step::timerslack);
  if (caller.pgid != getpgrp() && setpgid(0, caller.pgid) != 0)
    fail(plan, failure_stage::context, context_step::process_group);
  if (plan->shared_step != context_step::none) {
    errno = plan->shared_errno;
    fail(plan, failure_stage::context, plan->shared_step);
  }
  if ((caller.mempolicy_mode != helper.mempolicy_mode ||
       memcmp(caller.mempolicy_nodes, helper.mempolicy_nodes, wire::kNodeMaskBytes) != 0) &&
      // maxnode is one more than the mask's bits: the kernel counts one off.
      syscall(SYS_set_mempolicy, caller.mempolicy_mode, caller.mempolicy_nodes, wire::kNodeMaskBytes * 8 + 1) != 0)
    fail(plan, failure_stage::context, context_step::mempolicy);
}

// glibc 2.36's __spawni_child, step for step: scheduler (SETSCHEDPARAM alone
// is sched_setparam, SETSCHEDULER is sched_setscheduler with the parameters),
// setsid, setpgid, then RESETIDS as glibc's local_seteuid/local_setegid: the
// raw setresuid(-1, uid, -1) then setresgid(-1, gid, -1), effective ids only,
// user first.
void apply_attributes(child_plan* plan) {
  const wire::spawn_attributes& attributes = plan->request->attributes;
  sched_param param{};
  param.sched_priority = attributes.sched_priority;
  if ((attributes.flags & (wire::attr_setschedparam | wire::attr_setscheduler)) == wire::attr_setschedparam) {
    if (sched_setparam(0, &param) != 0) fail(plan, failure_stage::spawn, context_step::none);
  } else if (attributes.flags & wire::attr_setscheduler) {
    if (sched_setscheduler(0, attributes.sched_policy, &param) != 0)
      fail(plan, failure_stage::spawn, context_step::none);
  }
  if ((attributes.flags & wire::attr_setsid) && setsid() < 0) fail(plan, failure_stage::spawn, context_step::none);
  if ((attributes.flags & wire::attr_setpgroup) && setpgid(0, attributes.pgroup) != 0)
    fail(plan, failure_stage::spawn, context_step::none);
  if ((attributes.flags & wire::attr_resetids) &&
      (syscall(SYS_setresuid, -1, getuid(), -1) != 0 || syscall(SYS_setresgid, -1, getgid(), -1) != 0))
    fail(plan, failure_stage::spawn, context_step::none);
}

// glibc's rule for a failed close action: an error only for a descriptor
// outside [0, RLIMIT_NOFILE soft limit).
bool valid_fd(int fd) {
  rlimit limit{};
  return fd >= 0 && getrlimit(RLIMIT_NOFILE, &limit) == 0 && static_cast<rlim_t>(fd) < limit.rlim_cur;
}

// The file actions in order, as glibc 2.36 runs them: open closes the target
// first, opens with O_LARGEFILE and moves the result to the target; dup2 onto
// itself clears FD_CLOEXEC (Austin Group issue 411); closefrom is
// close_range(from, ~0U, 0); tcsetpgrp gives the terminal to the child's
// group (SETPGROUP's group when non-zero, else getpgid(0)).
void apply_file_actions(child_plan* plan) {
  using wire::file_action_kind;
  const wire::spawn_request& request = *plan->request;
  const wire::spawn_attributes& attributes = request.attributes;
  for (uint32_t i = 0; i < request.action_count; ++i) {
    const wire::file_action& action = request.actions[i];
    // The status pipe is not the program's: an action that names its
    // number finds it free, as in a native child.
    if (action.kind != static_cast<uint32_t>(file_action_kind::chdir) &&
        action.kind != static_cast<uint32_t>(file_action_kind::closefrom))
      keep_status_clear_of(plan, action.fd);
    if (action.kind == static_cast<uint32_t>(file_action_kind::dup2)) keep_status_clear_of(plan, action.new_fd);
    switch (static_cast<file_action_kind>(action.kind)) {
      case file_action_kind::open: {
        close(action.fd);
        int fd = open(action.path, action.oflag | O_LARGEFILE, action.mode);
        if (fd < 0) fail(plan, failure_stage::spawn, context_step::none);
        if (fd != action.fd) {
          if (dup2(fd, action.fd) != action.fd) fail(plan, failure_stage::spawn, context_step::none);
          if (close(fd) != 0) fail(plan, failure_stage::spawn, context_step::none);
        }
        break;
      }
      case file_action_kind::close:
        if (close(action.fd) != 0 && !valid_fd(action.fd)) fail(plan, failure_stage::spawn, context_step::none);
        break;
      case file_action_kind::dup2:
        if (action.fd == action.new_fd) {
          int flags = fcntl(action.fd, F_GETFD);
          if (flags < 0 || fcntl(action.fd, F_SETFD, flags & ~FD_CLOEXEC) != 0)
            fail(plan, failure_stage::spawn, context_step::none);
        } else if (dup2(action.fd, action.new_fd) != action.new_fd) {
          fail(plan, failure_stage::spawn, context_step::none);
        }
        break;
      case file_action_kind::chdir:
        if (chdir(action.path) != 0) fail(plan, failure_stage::spawn, context_step::none);
        break;
      case file_action_kind::fchdir:
        if (fchdir(action.fd) != 0) fail(plan, failure_stage::spawn, context_step::none);
        break;
      case file_action_kind::closefrom:
        close_range_around_status(plan, static_cast<unsigned>(action.fd), ~0u);
        break;
      case file_action_kind::tcsetpgrp: {
        pid_t group = (attributes.flags & wire::attr_setpgroup) && attributes.pgroup != 0 ? attributes.pgroup
                                                                                        : getpgid(0);
        if (tcsetpgrp(action.fd, group) != 0) fail(plan, failure_stage::spawn, context_step::none);
        break;
      }
      default:  // the decoder admits none: a helper bug, so let libc do it
        errno = EINVAL;
        fail(plan, failure_stage::context, context_step::none);
    }
  }
}

struct search_call {
  child_plan* plan;
  char* const* argv;
  char* const* envp;
};

// posix_spawnp's attempt: the candidate as it is (no shell for ENOEXEC),
// errno noted first, as glibc's child leaves it in the caller.
void note_and_exec(const char* candidate, void* context) {
  auto* call = static_cast<search_call*>(context);
  note_errno(call->plan);
  execve(candidate, call->argv, call->envp);
}

// posix_spawnp's search: glibc 2.36's __execvpex (protocol/path_search.h).
void exec_searching(child_plan* plan, const wire::spawn_request& request) {
  search_call call{plan, const_cast<char* const*>(request.argv), const_cast<char* const*>(request.envp)};
  wire::search_path(request.path, request.search_path, &note_and_exec, &call);
}

int child_main(void* argument) {
  auto* plan = static_cast<child_plan*>(argument);
  const wire::spawn_request& request = *plan->request;
  pid_t self = getpid();
  write_all(plan->status_fd, &self, sizeof self);
  errno = 0;
  apply_dispositions(plan);
  apply_context(plan);
  // From here on glibc's steps: errno as glibc's signal loop leaves it (its
  // sigaction of SIGKILL or SIGSTOP, when SETSIGDEF names them, fails), or 0
  // for "as the caller had it".
  constexpr uint64_t kKillAndStop = (uint64_t{1} << (SIGKILL - 1)) | (uint64_t{1} << (SIGSTOP - 1));
  bool defaults_kill_or_stop =
      (request.attributes.flags & wire::attr_setsigdef) && (request.attributes.signal_default & kKillAndStop);
  errno = defaults_kill_or_stop ? EINVAL : 0;
  apply_attributes(plan);
  apply_file_actions(plan);
  uint64_t mask = (request.attributes.flags & wire::attr_setsigmask) ? request.attributes.signal_mask
                                                                      : request.context.signal_mask;
  if (!set_signal_mask(mask)) fail(plan, failure_stage::spawn, context_step::none);
  if (request.flags & wire::request_search_path) {
    exec_searching(plan, request);
  } else {
    note_errno(plan);
    execve(request.path, const_cast<char* const*>(request.argv), const_cast<char* const*>(request.envp));
  }
  fail(plan, failure_stage::spawn, context_step::none);
}

void insertion_sort_unique(int* values, size_t* count) {
  for (size_t i = 1; i < *count; ++i) {
    int value = values[i];
    size_t j = i;
    while (j > 0 && values[j - 1] > value) {
      values[j] = values[j - 1];
      --j;
    }
    values[j] = value;
  }
  size_t out = 0;
  for (size_t i = 0; i < *count; ++i)
    if (out == 0 || values[out - 1] != values[i]) values[out++] = values[i];
  *count = out;
}

int compare_ints(const void* a, const void* b) {
  int x = *static_cast<const int*>(a), y = *static_cast<const int*>(b);
  return (x > y) - (x < y);
}

}  // namespace

bool prepare_child_stack() {
  void* memory = mmap(nullptr, kChildStackBytes + kGuardBytes, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (memory == MAP_FAILED) return false;
  mprotect(memory, kGuardBytes, PROT_NONE);
  child_stack_base = memory;
  return true;
}

bool spawn_for_request(const wire::spawn_request& request, int* received, size_t received_count,
                       helper_baseline& baseline, int channel, wire::spawn_reply* reply) {
  *reply = wire::spawn_reply{0, static_cast<int32_t>(context_step::none)};
  if (!child_stack_base || received_count != size_t{request.fd_count} + wire::kFirstTableFd) {
    reply->error = child_stack_base ? EPROTO : ENOMEM;
    return false;
  }
  size_t target_count = request.fd_count;
  int highest = 2;
  for (size_t i = 0; i < target_count; ++i) {
    if (request.fds[i].target > highest) highest = request.fds[i].target;
    if (received[wire::kFirstTableFd + i] > highest) highest = received[wire::kFirstTableFd + i];
  }
  int owner_size = highest + 1;
  int* targets = static_cast<int*>(malloc((target_count + 1) * sizeof(int)));
  int* sources = static_cast<int*>(malloc((target_count + 1) * sizeof(int)));
  int* owner = static_cast<int*>(malloc(static_cast<size_t>(owner_size) * sizeof(int)));
  if (!targets || !sources || !owner) {
    free(targets);
    free(sources);
    free(owner);
    reply->error = ENOMEM;
    return false;
  }
  for (int fd = 0; fd < owner_size; ++fd) owner[fd] = -1;
  for (size_t i = 0; i < target_count; ++i) {
    targets[i] = request.fds[i].target;
    sources[i] = received[wire::kFirstTableFd + i];
    owner[sources[i]] = static_cast<int>(i);
  }
  if (target_count > 64) qsort(targets, target_count, sizeof(int), compare_ints);
  insertion_sort_unique(targets, &target_count);

  child_plan plan{};
  plan.request = &request;
  plan.received = received;
  plan.sources = sources;
  plan.owner = owner;
  plan.owner_size = owner_size;
  plan.sorted_targets = targets;
  plan.target_count = target_count;
  plan.max_target = target_count ? targets[target_count - 1] : 2;
  plan.baseline = &baseline;
  plan.files_now = rlimit{baseline.context.rlimits[RLIMIT_NOFILE].cur, baseline.context.rlimits[RLIMIT_NOFILE].max};
  plan.status_fd = received[wire::kStatusWriteFd];
  plan.shared_step = take_process_settings(request.context, &baseline.context, &plan.shared_errno);

  // Every signal stays blocked until the child no longer uses our memory
  // (see the note at the top: nothing here may fail and write errno).
  sigset_t all, previous;
  sigfillset(&all);
  sigprocmask(SIG_BLOCK, &all, &previous);
  char* stack_top = static_cast<char*>(child_stack_base) + kGuardBytes + kChildStackBytes;
  pid_t child = clone(child_main, stack_top, CLONE_VM | CLONE_PARENT | SIGCHLD, &plan);
  int clone_error = child < 0 ? errno : 0;
  // The program's descriptors first (the child has its own table), then
  // the status pipe's write end: the caller's EOF comes after both.
  if (child > 0 && kCanCloseQuietly) {
    close_quietly(received[wire::kCwdFd]);
    for (size_t i = wire::kFirstTableFd; i < received_count; ++i) close_quietly(received[i]);
  }
  // Now only the child holds the write end: its exec or exit is the EOF the
  // caller waits for.
  close(received[wire::kStatusWriteFd]);
  received[wire::kStatusWriteFd] = -1;
  if (child > 0) {
    // Until the child has exec'd or exited (no write end left: POLLHUP). If
    // the caller goes away meanwhile (channel hang-up), the helper has
    // nobody left to serve; the child keeps our memory alive on its own.
    pollfd hangup[2] = {{received[wire::kStatusReadFd], 0, 0}, {channel, 0, 0}};
    for (;;) {
      if (poll(hangup, 2, -1) <= 0) continue;
      if (hangup[0].revents) break;
      if (hangup[1].revents & (POLLHUP | POLLERR)) _exit(0);
    }
  }
  if (child > 0 && kCanCloseQuietly) {
    // Closed above; the child, which read these numbers, is done.
    received[wire::kCwdFd] = -1;
    for (size_t i = wire::kFirstTableFd; i < received_count; ++i) received[i] = -1;
  }
  sigprocmask(SIG_SETMASK, &previous, nullptr);
  free(targets);
  free(sources);
  free(owner);
  if (child < 0) {
    reply->error = clone_error;
    return false;
  }
  return true;
}

}  // namespace forkless::helper
