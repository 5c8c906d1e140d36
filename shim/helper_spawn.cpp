// Hazards, and how each is handled:
//  - While the request is out, every signal is blocked in the calling thread
//    (glibc's posix_spawn does the same around its clone), so no handler runs
//    half-way through an exchange, and cancellation is disabled: neither can
//    leave a helper with a half-read request or an unread reply.
//  - A reply never comes if the helper dies: EOF retires it. If it is stopped
//    (SIGSTOP), the wait polls and gives up on a stopped or dead helper, so a
//    call is never held forever by it.
//  - A child that failed after it was created (context or spawn stage) is the
//    caller's child: it is reaped here by pid, as glibc reaps its own failed
//    posix_spawn child, so no zombie is left.
#include "helper_spawn.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "context_capture.h"
#include "helper_pool.h"
#include "real_libc.h"
#include "wire_channel.h"

namespace forkless {
namespace {

constexpr int kStalledCheckMs = 1000;

// True while the helper can still answer (alive and not stopped).
bool helper_responsive(pid_t pid) {
  char path[64];
  snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char buffer[512];
  ssize_t got = read(fd, buffer, sizeof buffer - 1);
  close(fd);
  if (got <= 0) return false;
  buffer[got] = '\0';
  const char* paren = strrchr(buffer, ')');
  if (!paren || paren[1] != ' ') return false;
  char state = paren[2];
  return state != 'T' && state != 't' && state != 'Z' && state != 'X';
}

// Waits for the reply. Returns 0, or an errno value (EPIPE: the helper is gone).
int receive_reply(const helper_lease& lease, wire::spawn_reply* reply) {
  for (;;) {
    pollfd wait_for{lease.channel, POLLIN, 0};
    int ready = poll(&wait_for, 1, kStalledCheckMs);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      if (!helper_responsive(lease.pid)) return EPIPE;
      continue;
    }
    uint8_t record[256];
    wire::received_message message;
    int status = wire::receive_message(lease.channel, &message, 0, record, sizeof record);
    bool ok = status == 0 && message.type == static_cast<uint16_t>(wire::message_type::spawn_reply);
    if (ok) {
      wire::wire_reader reader(message.payload, message.payload_bytes);
      ok = wire::decode_spawn_reply(reader, reply);
    }
    wire::release_message(&message);
    if (status == -1) return EPIPE;
    if (!ok) return status > 0 ? status : EPROTO;
    return 0;
  }
}

void reap_failed_child(pid_t pid) {
  int status;
  while (real::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

spawn_result fallback(const char* reason) { return {spawn_outcome::fallback, -1, 0, reason}; }

}  // namespace

void report_result(const spawn_result& result, call_report* report) {
  report->via_helper = result.outcome != spawn_outcome::fallback;
  if (report->via_helper) {
    report->reason = result.outcome == spawn_outcome::failed ? "spawn_error" : "-";
    report->child = result.child_pid;
    return;
  }
  __attribute__((tls_model("initial-exec"))) static thread_local char text[64];
  snprintf(text, sizeof text, "fallback_%s", result.reason ? result.reason : "?");
  report->reason = text;
}

namespace {
spawn_result spawn_via_helper_unsaved(const spawn_plan& plan);
}

// The exchange is the shim's own work: the caller's errno is as it was.
spawn_result spawn_via_helper(const spawn_plan& plan) {
  int saved = errno;
  spawn_result result = spawn_via_helper_unsaved(plan);
  errno = saved;
  return result;
}

namespace {

// Descriptors in wire order: the cwd first, then the child's table.
class wire_descriptors {
 public:
  wire_descriptors(int cwd, const descriptor_list& table) : total_(size_t{table.count()} + 1) {
    if (total_ > sizeof inline_ / sizeof inline_[0]) {
      void* memory = mmap(nullptr, total_ * sizeof(int), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (memory == MAP_FAILED) return;
      fds_ = static_cast<int*>(memory);
    }
    fds_[0] = cwd;
    for (uint32_t i = 0; i < table.count(); ++i) fds_[i + 1] = table.fds()[i];
    ok_ = true;
  }
  ~wire_descriptors() {
    if (fds_ != inline_) munmap(fds_, total_ * sizeof(int));
  }
  wire_descriptors(const wire_descriptors&) = delete;
  wire_descriptors& operator=(const wire_descriptors&) = delete;
  bool ok() const { return ok_; }
  const int* fds() const { return fds_; }
  size_t count() const { return total_; }

 private:
  int inline_[65];
  int* fds_ = inline_;
  size_t total_;
  bool ok_ = false;
};

// Fills the request from the plan, the calling thread and the descriptor table.
void build_request(const spawn_plan& plan, const descriptor_list& table, wire::spawn_request* request) {
  static const char* const empty[] = {nullptr};
  *request = wire::spawn_request{};
  request->flags = plan.search_path ? uint32_t{wire::request_search_path} : 0u;
  request->path = plan.path;
  request->search_path = plan.search_path;
  while (plan.argv && plan.argv[request->argc]) ++request->argc;
  while (plan.envp && plan.envp[request->envc]) ++request->envc;
  request->argv = plan.argv ? const_cast<const char* const*>(plan.argv) : empty;
  request->envp = plan.envp ? const_cast<const char* const*>(plan.envp) : empty;
  capture_context(&request->context);
  request->attributes = plan.attributes;
  request->action_count = plan.action_count;
  request->actions = plan.actions;
  request->fd_count = table.count();
  request->fds = table.entries();
}

// One request and its reply, with every signal blocked and cancellation off.
// Returns 0 or an errno value (EPIPE: the helper is gone).
int exchange(const helper_lease& lease, const wire::wire_writer& writer, const wire_descriptors& fds,
             wire::spawn_reply* reply) {
  sigset_t all, previous_mask;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous_mask);
  int previous_cancel;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &previous_cancel);
  int error = wire::send_message(lease.channel, wire::message_type::spawn_request, writer.data(), writer.size(),
                                 fds.fds(), fds.count());
  if (error == 0) error = receive_reply(lease, reply);
  pthread_setcancelstate(previous_cancel, nullptr);
  pthread_sigmask(SIG_SETMASK, &previous_mask, nullptr);
  return error;
}

// How often a spawn is retried when another thread closes one of the
// descriptors between the scan and the send (a one-record message is then
// not sent at all: the helper never saw it).
constexpr int kDescriptorRaceAttempts = 4;

spawn_result spawn_via_helper_unsaved(const spawn_plan& plan) {
  helper_lease lease;
  const char* reason = nullptr;
  if (!acquire_helper(&lease, &reason)) return fallback(reason);
  int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (cwd < 0) {
    release_helper(&lease, false);
    return fallback("cwd_unavailable");
  }
  const char* failure = nullptr;
  int error = 0;
  wire::spawn_reply reply{};
  for (int attempt = 0; attempt < kDescriptorRaceAttempts; ++attempt) {
    descriptor_list table;
    bool scanned = table.capture_inheritable();
    for (uint32_t i = 0; scanned && i < plan.action_fd_count; ++i) scanned = table.add(plan.action_fds[i]);
    if (!scanned) {
      failure = "descriptor_scan_failed";
      break;
    }
    wire::spawn_request request;
    build_request(plan, table, &request);
    wire::wire_writer writer;
    wire::encode_spawn_request(request, writer);
    wire_descriptors fds(cwd, table);
    if (!writer.ok() || !fds.ok()) {
      failure = writer.ok() ? "no_memory" : "request_too_large";
      break;
    }
    error = exchange(lease, writer, fds, &reply);
    bool single_record = writer.size() + sizeof(wire::header) <= wire::kMaxRecordBytes && fds.count() <= wire::kMaxRecordFds;
    if (error == EBADF && single_record) {
      failure = "descriptor_closed_meanwhile";
      continue;
    }
    failure = nullptr;
    break;
  }
  close(cwd);
  if (failure) {
    release_helper(&lease, false);
    return fallback(failure);
  }
  // A helper that refused the request (a credential difference the shim did
  // not see, a malformed request, no resources) is not used again.
  bool refused = error == 0 && reply.stage == static_cast<int32_t>(wire::failure_stage::request);
  release_helper(&lease, error != 0 || refused);
  if (error != 0) return fallback(error == EPIPE ? "helper_died" : "helper_channel_error");

  switch (static_cast<wire::failure_stage>(reply.stage)) {
    case wire::failure_stage::none:
      if (reply.child_pid > 0) return {spawn_outcome::spawned, reply.child_pid, 0, "ok"};
      return fallback("helper_bad_reply");
    case wire::failure_stage::spawn:
      if (reply.child_pid > 0) reap_failed_child(reply.child_pid);
      return {spawn_outcome::failed, -1, reply.error, "spawn_error"};
    case wire::failure_stage::context: {
      if (reply.child_pid > 0) reap_failed_child(reply.child_pid);
      __attribute__((tls_model("initial-exec"))) static thread_local char reason_text[48];
      snprintf(reason_text, sizeof reason_text, "context_%s", wire::context_step_name(reply.detail));
      return fallback(reason_text);
    }
    case wire::failure_stage::request:
      return fallback(reply.detail == static_cast<int32_t>(wire::context_step::credentials)
                          ? "helper_refused_credentials"
                          : "helper_refused");
  }
  return fallback("helper_bad_reply");
}

}  // namespace
}  // namespace forkless
