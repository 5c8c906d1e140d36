// Hazards: another thread may open or close descriptors while the table is
// scanned (the same race a native fork has: what the child gets is a
// snapshot); a descriptor that vanished between the scan and its F_GETFD is
// skipped. The umask is never read with umask(0)+umask(old), which would let
// a concurrent open() create a file with the wrong mode.
#include "context_capture.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "inflight_descriptors.h"
#include "support/linux_dirent.h"
#include "thread_mempolicy.h"

namespace forkless {
namespace {

std::atomic<int> tracked_umask{-1};  // -1: not read yet

}  // namespace

descriptor_list::~descriptor_list() {
  if (entries_ != inline_entries_) munmap(entries_, capacity_ * sizeof(wire::fd_entry));
  if (fds_ != inline_fds_) munmap(fds_, capacity_ * sizeof(int));
}

bool descriptor_list::grow() {
  uint32_t capacity = capacity_ * 4;
  void* entries = mmap(nullptr, capacity * sizeof(wire::fd_entry), PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  void* fds = mmap(nullptr, capacity * sizeof(int), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (entries == MAP_FAILED || fds == MAP_FAILED) {
    if (entries != MAP_FAILED) munmap(entries, capacity * sizeof(wire::fd_entry));
    if (fds != MAP_FAILED) munmap(fds, capacity * sizeof(int));
    return false;
  }
  memcpy(entries, entries_, count_ * sizeof(wire::fd_entry));
  memcpy(fds, fds_, count_ * sizeof(int));
  if (entries_ != inline_entries_) munmap(entries_, capacity_ * sizeof(wire::fd_entry));
  if (fds_ != inline_fds_) munmap(fds_, capacity_ * sizeof(int));
  entries_ = static_cast<wire::fd_entry*>(entries);
  fds_ = static_cast<int*>(fds);
  capacity_ = capacity;
  return true;
}

bool descriptor_list::contains(int fd) const {
  for (uint32_t i = 0; i < count_; ++i)
    if (fds_[i] == fd) return true;
  return false;
}

bool descriptor_list::add(int fd) {
  int flags = fcntl(fd, F_GETFD);
  if (flags < 0) return errno == EBADF;  // not open: nothing to give the child
  if (contains(fd)) return true;
  if (count_ == capacity_ && !grow()) return false;
  entries_[count_] = wire::fd_entry{fd, (flags & FD_CLOEXEC) ? uint32_t{wire::fd_cloexec} : 0u};
  fds_[count_] = fd;
  ++count_;
  return true;
}

descriptor_list::scan_result descriptor_list::capture_inheritable(uint32_t max_open) {
  int directory = open_inflight_file("/proc/self/fd", O_RDONLY | O_DIRECTORY);
  if (directory < 0) return scan_result::failed;
  alignas(8) char buffer[4096];
  bool ok = true;
  uint32_t open_count = 0;
  for (;;) {
    long got = syscall(SYS_getdents64, directory, buffer, sizeof buffer);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      ok = got == 0;
      break;
    }
    for (long offset = 0; offset < got;) {
      auto* entry = reinterpret_cast<linux_dirent64*>(buffer + offset);
      offset += entry->d_reclen;
      if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
      int fd = atoi(entry->d_name);
      if (fd == directory) continue;
      if (++open_count > max_open) {
        close_inflight(&directory);
        return scan_result::too_many;
      }
      int flags = fcntl(fd, F_GETFD);
      if (flags < 0 || (flags & FD_CLOEXEC)) continue;
      if (count_ == capacity_ && !grow()) {
        ok = false;
        break;
      }
      entries_[count_] = wire::fd_entry{fd, 0};
      fds_[count_] = fd;
      ++count_;
    }
    if (!ok) break;
  }
  close_inflight(&directory);
  return ok ? scan_result::ok : scan_result::failed;
}

int umask_from_status(const char* status) {
  static constexpr char kUmask[] = "\nUmask:";
  const char* line = strstr(status, kUmask);
  if (line == nullptr) return -1;
  return static_cast<int>(strtol(line + sizeof kUmask - 1, nullptr, 8)) & 0777;
}

static void read_umask() {
  char buffer[4096];
  ssize_t got = read_inflight_file("/proc/self/status", buffer, sizeof buffer - 1);
  if (got > 0) {
    buffer[got] = '\0';
    int mask = umask_from_status(buffer);
    if (mask >= 0) {
      int expected = -1;
      tracked_umask.compare_exchange_strong(expected, mask);
      return;
    }
  }
  // No /proc: the read-and-restore pair is the only way left. It can race
  // with a file creation in another thread, so it is used once at most.
  mode_t mask = umask(0);
  umask(mask);
  int expected = -1;
  tracked_umask.compare_exchange_strong(expected, static_cast<int>(mask));
}

uint64_t signal_bits(const sigset_t& set) {
  uint64_t bits;
  memcpy(&bits, &set, sizeof bits);
  return bits;
}

void note_umask(mode_t mask) { tracked_umask.store(static_cast<int>(mask & 0777)); }
mode_t current_umask() {
  if (tracked_umask.load() < 0) read_umask();
  return static_cast<mode_t>(tracked_umask.load());
}

void capture_context(wire::process_context* context) {
  memset(context, 0, sizeof *context);
  context->caller_tid = static_cast<int32_t>(gettid());
  context->umask = current_umask();
  context->pgid = getpgrp();
  errno = 0;
  int nice = getpriority(PRIO_PROCESS, 0);
  context->nice = nice;
  int policy = sched_getscheduler(0);
  sched_param param{};
  sched_getparam(0, &param);
  if (policy >= 0 && (policy & SCHED_RESET_ON_FORK)) {
    // The kernel's sched_fork for such a thread: a real-time or deadline
    // policy becomes SCHED_OTHER; SCHED_BATCH and SCHED_IDLE stay; a
    // negative nice value becomes 0.
    policy &= ~SCHED_RESET_ON_FORK;
    if (policy == SCHED_FIFO || policy == SCHED_RR || policy == SCHED_DEADLINE) {
      policy = SCHED_OTHER;
      param.sched_priority = 0;
    }
    if (context->nice < 0) context->nice = 0;
  }
  context->sched_policy = policy;
  context->sched_priority = param.sched_priority;
  sigset_t mask;
  pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  context->signal_mask = signal_bits(mask);
  // rlimits are not captured here: the helper reads them from the kernel
  // (prlimit on its caller), so a request cannot claim limits it does not have.
  context->ioprio = static_cast<int32_t>(syscall(SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0));
  context->personality = static_cast<uint32_t>(personality(0xffffffff));
  context->timer_slack_ns = static_cast<uint64_t>(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
  int thp = prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0);
  context->thp_disable = thp > 0 ? static_cast<uint32_t>(thp) : 0;
  // oom_score_adj and coredump_filter are not read here: the helper reads
  // them from the kernel (lowering oom_score_adj is a privilege).
  if (!wire::read_mempolicy(&context->mempolicy_mode, context->mempolicy_nodes)) context->mempolicy_mode = -1;
  int securebits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);
  context->securebits = securebits > 0 ? static_cast<uint32_t>(securebits) : 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) {
    context->affinity_bytes = sizeof set < wire::kAffinityBytes ? sizeof set : wire::kAffinityBytes;
    memcpy(context->affinity, &set, context->affinity_bytes);
  }
}

}  // namespace forkless
