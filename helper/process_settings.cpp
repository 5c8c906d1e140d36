#include "process_settings.h"

#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace forkless::helper {
namespace {

// PR_SET_THP_DISABLE's flag "except where madvise asks" (Linux 6.18; older
// headers lack it). PR_GET_THP_DISABLE reports it as bit 1.
constexpr unsigned long kThpDisableExceptAdvised = 1ul << 1;

bool write_own(const char* path, const char* text, size_t length) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t wrote;
  do {
    wrote = write(fd, text, length);
  } while (wrote < 0 && errno == EINTR);
  int error = errno;
  close(fd);
  errno = error;
  return wrote == static_cast<ssize_t>(length);
}

}  // namespace

wire::context_step take_process_settings(const wire::process_context& caller, wire::process_context* own,
                                         int* error) {
  char text[32];
  if (caller.thp_disable != own->thp_disable) {
    unsigned long flags = (caller.thp_disable & 2) ? kThpDisableExceptAdvised : 0;
    if (prctl(PR_SET_THP_DISABLE, caller.thp_disable & 1, flags, 0, 0) != 0) {
      *error = errno;
      return wire::context_step::thp_disable;
    }
    own->thp_disable = caller.thp_disable;
  }
  if (caller.coredump_filter != own->coredump_filter) {
    int length = snprintf(text, sizeof text, "0x%x", caller.coredump_filter);
    if (!write_own("/proc/self/coredump_filter", text, static_cast<size_t>(length))) {
      *error = errno;
      return wire::context_step::coredump_filter;
    }
    own->coredump_filter = caller.coredump_filter;
  }
  if (caller.oom_score_adj != own->oom_score_adj) {
    int length = snprintf(text, sizeof text, "%d", caller.oom_score_adj);
    if (!write_own("/proc/self/oom_score_adj", text, static_cast<size_t>(length))) {
      *error = errno;
      return wire::context_step::oom_score_adj;
    }
    own->oom_score_adj = caller.oom_score_adj;
  }
  return wire::context_step::none;
}

}  // namespace forkless::helper
