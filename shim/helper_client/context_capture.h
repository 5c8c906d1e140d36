// capture_context: the calling thread's context at the moment of a spawning
// call, in the request's terms (protocol/spawn_request.h), plus the descriptors
// the child must get. Runs in the caller's thread, before the request is sent.
#pragma once

#include <cstdint>
#include <csignal>
#include <sys/types.h>

#include "spawn_request.h"

namespace forkless {

// The child's descriptor table: every descriptor of the caller without
// FD_CLOEXEC, plus the close-on-exec ones a file action names (kept
// close-on-exec in the child). Storage starts inline and grows with mmap.
class descriptor_list {
 public:
  descriptor_list() = default;
  ~descriptor_list();
  descriptor_list(const descriptor_list&) = delete;
  descriptor_list& operator=(const descriptor_list&) = delete;

  enum class scan_result { ok, failed, too_many };
  // Scans /proc/self/fd: failed when it cannot (no /proc, out of
  // descriptors), too_many when the process has more than max_open open
  // descriptors (then passing them to a helper costs more than a native
  // spawn, which only shares the table).
  scan_result capture_inheritable(uint32_t max_open);
  // Adds fd (if open and not yet listed) with its current close-on-exec flag.
  bool add(int fd);

  uint32_t count() const { return count_; }
  const wire::fd_entry* entries() const { return entries_; }
  const int* fds() const { return fds_; }

 private:
  bool grow();
  bool contains(int fd) const;
  static constexpr uint32_t kInline = 64;
  wire::fd_entry inline_entries_[kInline];
  int inline_fds_[kInline];
  wire::fd_entry* entries_ = inline_entries_;
  int* fds_ = inline_fds_;
  uint32_t count_ = 0;
  uint32_t capacity_ = kInline;
};

// A signal set in the wire's terms: bit n-1 is signal n (glibc's sigset_t
// holds signals 1-64 in its first word).
uint64_t signal_bits(const sigset_t& set);

// Fills everything of process_context from the calling thread
// (mempolicy_mode -1: the policy could not be read; the call must go native).
void capture_context(wire::process_context* context);

// The process's umask, tracked without the racy umask(0)/umask(old) pair:
// read from /proc/self/status at the first spawn that needs it (or set by an
// earlier umask() call), then kept by the umask interposer.
void note_umask(mode_t mask);
mode_t current_umask();

// The umask a /proc/<pid>/status text (terminated) shows on its "Umask:"
// line (octal; the permission bits only), or -1 without such a line (a
// kernel before 4.7). A key counts only at the start of a line after the
// first; an unreadable value reads as 0, as strtol leaves it.
int umask_from_status(const char* status);

}  // namespace forkless
