// Hazards, and how each is handled:
//  - The child reports to the caller itself, through a close-on-exec status
//    pipe the caller makes for each request (protocol.h): its pid first, then
//    EOF when it execs, or a status_record if it fails. The caller waits for
//    the pipe's hang-up, so it is woken once, by the exec, as a native vfork
//    parent is, not by the pid's write nor by the helper (which may
//    not get a CPU at that moment), and a helper that dies after the clone
//    cannot hide the child: once the pid is read, the outcome comes from the
//    child alone.
//  - The helper answers on the channel only when it made no child (it
//    refused the request, or clone failed). EOF on the status pipe with no
//    pid means exactly that: the reply, or the channel's EOF, follows.
//  - While the request is out, every signal is blocked in the calling thread
//    (glibc's posix_spawn does the same around its clone), so no handler runs
//    half-way through an exchange; cancellation is off for the whole spawn
//    (spawn_via_helper): neither can leave a helper with a half-read request
//    or an unread reply, nor a helper leased or the pool's lock held.
//  - A helper that is stopped (SIGSTOP) or dead before the child exists is
//    noticed by polling with a timeout, so a call is never held forever by it:
//    while the request is sent (a large one fills the socket buffer of a
//    helper that no longer reads) as well as while its outcome is awaited.
//  - The child's report is its pid, errno notes (protocol.h), and at most
//    one failure record, all read at the pipe's EOF: the child never writes
//    more than a page, so it never blocks on the pipe meanwhile.
//  - A child that failed after it was created (context or spawn stage) is the
//    caller's child: it is reaped here by pid, as glibc reaps its own failed
//    posix_spawn child, so no zombie is left.
//  - Another thread may close a descriptor between the table scan and the
//    send: a one-record message is then not sent at all (EBADF), so the scan
//    is simply made again.
#include "helper_spawn.h"

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "context_capture.h"
#include "helper_pool.h"
#include "helper_stall.h"
#include "inflight_descriptors.h"
#include "interpose/real_libc.h"
#include "interpose/thread_block.h"
#include "restriction_watch.h"
#include "wire_channel.h"

namespace forkless {
namespace {

constexpr int kDescriptorRaceAttempts = 4;
// Above this many open descriptors the native call is used: each one passed
// costs the shim, the kernel, the helper and the child a few syscalls (about
// 3.5 ms per thousand, measured), while libc's posix_spawn only shares the
// table with its child.
constexpr uint32_t kMaxOpenDescriptors = 256;

// Reads the helper's reply from the channel. Returns 0, or an errno value
// (EPIPE: the helper is gone).
int read_reply(int channel, wire::spawn_reply* reply) {
  uint8_t record[256];
  wire::received_message message;
  int status = wire::receive_message(channel, &message, 0, record, sizeof record);
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

void reap_failed_child(pid_t pid) {
  int status;
  while (real::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
}

spawn_result fallback(const char* reason) { return {spawn_outcome::fallback, -1, 0, reason}; }

// Descriptors in wire order (spawn_request.h): cwd, the status pipe's ends,
// then the child's table.
class wire_descriptors {
 public:
  wire_descriptors(int cwd, const int status_pipe[2], const descriptor_list& table)
      : total_(size_t{table.count()} + wire::kFirstTableFd) {
    if (total_ > sizeof inline_ / sizeof inline_[0]) {
      void* memory = mmap(nullptr, total_ * sizeof(int), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (memory == MAP_FAILED) return;
      fds_ = static_cast<int*>(memory);
    }
    fds_[wire::kCwdFd] = cwd;
    fds_[wire::kStatusWriteFd] = status_pipe[1];
    fds_[wire::kStatusReadFd] = status_pipe[0];
    for (uint32_t i = 0; i < table.count(); ++i) fds_[wire::kFirstTableFd + i] = table.fds()[i];
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
  int inline_[67];
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

// How one exchange ended.
struct exchange_outcome {
  int channel_error = 0;      // the channel failed (EPIPE: the helper is gone)
  bool replied = false;       // the helper made no child and said why
  wire::spawn_reply reply{};
  pid_t child = -1;           // the child's pid, as it reported it
  bool child_failed = false;  // it wrote a failure record before exiting
  wire::status_record record{};
  int errno_left = 0;         // its last errno note (0: none)
};

// The child's report: its pid, errno notes, then perhaps a failure record
// (protocol.h). A page holds all of it (kMaxErrnoNotes).
constexpr size_t kStatusReportBytes = 4096;
static_assert(sizeof(pid_t) + (wire::kMaxErrnoNotes + 1) * sizeof(wire::status_record) <= kStatusReportBytes);

void parse_report(const uint8_t* bytes, size_t got, exchange_outcome* outcome) {
  if (got >= sizeof(pid_t)) memcpy(&outcome->child, bytes, sizeof(pid_t));
  for (size_t at = sizeof(pid_t); at + sizeof(wire::status_record) <= got; at += sizeof(wire::status_record)) {
    wire::status_record record;
    memcpy(&record, bytes + at, sizeof record);
    if (record.stage == static_cast<int32_t>(wire::failure_stage::errno_note)) {
      outcome->errno_left = record.error;
      continue;
    }
    outcome->record = record;
    outcome->child_failed = true;
    break;
  }
}

// Waits for the child's report on the status pipe and, while no child has
// reported, for the helper's reply. Ends when the pipe is done and either a
// child reported or the helper answered (or is gone): a child the helper
// made just before dying still reports, so it is never lost.
//
// The pipe is polled for its hang-up only (no POLLIN): the child's pid,
// written before it execs, does not wake the caller a first time; its exec
// (or exit) closes the last write end and wakes it once, as a vfork parent
// is woken, and the pid and any status record are read then.
void await_outcome(const helper_lease& lease, int status_read, exchange_outcome* outcome) {
  uint8_t bytes[kStatusReportBytes];
  size_t got = 0;
  bool status_open = true, channel_open = true, helper_killed = false;
  auto take = [&](ssize_t n) {
    if (n > 0) got += static_cast<size_t>(n);
    if (got >= sizeof(pid_t) && outcome->child < 0) memcpy(&outcome->child, bytes, sizeof(pid_t));
  };
  while (status_open || (channel_open && outcome->child < 0)) {
    bool watch_channel = channel_open && outcome->child < 0;
    pollfd wait_for[2] = {{status_open ? status_read : -1, 0, 0},
                          {watch_channel ? lease.channel : -1, POLLIN, 0}};
    int ready = poll(wait_for, 2, kStalledCheckMs);
    if (ready < 0 && errno == EINTR) continue;
    if (ready == 0) {
      // Only a stopped helper that has not made the child yet can hold us
      // up; a child that exists (its pid is in the pipe) is waited for as
      // long as its exec takes, and so is the hang-up a dead helper leaves.
      if (outcome->child < 0 && status_open) {
        pollfd peek = {status_read, POLLIN, 0};
        if (poll(&peek, 1, 0) == 1 && (peek.revents & POLLIN)) {
          ssize_t n = read(status_read, bytes + got, sizeof bytes - got);
          if (n > 0) take(n);
        }
      }
      if (outcome->child < 0 && !helper_killed && helper_stopped(lease.pid)) {
        // Killed, so that it never serves this request after the native
        // call has (it is alive, stopped: its pid cannot have been reused).
        // Then waited for like any dead helper: its copy of the pipe closes,
        // and a child it made before it stopped still reports.
        kill(lease.pid, SIGKILL);
        helper_killed = true;
      }
      continue;
    }
    if (wait_for[0].revents) {
      ssize_t n = read(status_read, bytes + got, sizeof bytes - got);
      if (n < 0 && errno == EINTR) continue;
      take(n);
      if (n <= 0 || got == sizeof bytes) status_open = false;
    }
    if (watch_channel && wait_for[1].revents) {
      channel_open = false;
      outcome->channel_error = read_reply(lease.channel, &outcome->reply);
      outcome->replied = outcome->channel_error == 0;
    }
  }
  parse_report(bytes, got, outcome);
}

// Moves the (sleeping) helper onto the CPU the caller runs on, so that the
// request wakes it there: the caller is about to sleep, and a wake-up on the
// other CPU costs far more (an inter-processor interrupt, tens of
// microseconds on a virtual machine) than the switch. The child the helper
// makes starts there too and then takes the caller's own affinity.
void pin_helper_here(helper_lease* lease) {
  int cpu = sched_getcpu();
  if (cpu < 0 || cpu >= CPU_SETSIZE || cpu == lease->pinned_cpu) return;
  // Only a live helper: its end of the channel is open while it lives, so
  // its pid cannot have been reaped and reused by another process (the
  // program may reap it behind our back by ignoring SIGCHLD).
  pollfd peer = {lease->channel, 0, 0};
  if (poll(&peer, 1, 0) != 0) return;
  cpu_set_t here;
  CPU_ZERO(&here);
  CPU_SET(cpu, &here);
  // If refused (a CPU the helper may not use), the request just wakes it elsewhere.
  lease->pinned_cpu = sched_setaffinity(lease->pid, sizeof here, &here) == 0 ? cpu : -1;
}

// While the socket buffer is full: wait for room, unless the helper is
// stopped (it is killed, and the send gives up with ETIMEDOUT).
bool helper_can_take_more(void* context, int socket) {
  return wait_on_helper(socket, POLLOUT, *static_cast<const pid_t*>(context), -1) == helper_wait::ready;
}

// One request and its outcome, with every signal blocked (cancellation is
// already off: spawn_via_helper). Returns the send's error (0 when sent).
int exchange(helper_lease& lease, const wire::wire_writer& writer, const wire_descriptors& fds,
             int status_pipe[2], exchange_outcome* outcome) {
  sigset_t all, previous_mask;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &previous_mask);
  pin_helper_here(&lease);
  const wire::send_wait wait{&helper_can_take_more, &lease.pid};
  int error = wire::send_message(lease.channel, wire::message_type::spawn_request, writer.data(), writer.size(),
                                 fds.fds(), fds.count(), &wait);
  if (error == 0) {
    // Only the helper (until it clones) and the child may hold the write end.
    close_inflight(&status_pipe[1]);
    await_outcome(lease, status_pipe[0], outcome);
  }
  pthread_sigmask(SIG_SETMASK, &previous_mask, nullptr);
  return error;
}

void close_pipe(int status_pipe[2]) {
  for (int i = 0; i < 2; ++i) close_inflight(&status_pipe[i]);
}

spawn_result spawn_via_helper_unsaved(const spawn_plan& plan) {
  // The helper is taken only once the descriptor table is known to be
  // small enough to pass (a process with many goes native at once).
  helper_lease lease;
  bool leased = false;
  int cwd = -1;
  const char* failure = nullptr;
  int send_error = 0;
  exchange_outcome outcome;
  if (landlock_restricted()) return fallback("landlock");
  for (int attempt = 0; attempt < kDescriptorRaceAttempts; ++attempt) {
    // The pipe exists before the scan: a number another thread frees during
    // the scan can then never be reused for it and sent as the program's.
    int status_pipe[2];
    if (open_inflight_pipe(status_pipe) != 0) {
      failure = "no_descriptor";
      break;
    }
    descriptor_list table;
    descriptor_list::scan_result scan = table.capture_inheritable(kMaxOpenDescriptors);
    bool scanned = scan == descriptor_list::scan_result::ok;
    for (uint32_t i = 0; scanned && i < plan.action_fd_count; ++i) {
      // The shim's own descriptors are not the program's: natively that
      // number is free, and an action naming it finds nothing there.
      int fd = plan.action_fds[i];
      if (fd != status_pipe[0] && fd != status_pipe[1] && fd != cwd) scanned = table.add(fd);
    }
    if (!scanned) {
      close_pipe(status_pipe);
      failure = scan == descriptor_list::scan_result::too_many ? "many_descriptors" : "descriptor_scan_failed";
      break;
    }
    if (!leased) {
      if (!acquire_helper(&lease, &failure)) {
        close_pipe(status_pipe);
        return fallback(failure);
      }
      leased = true;
      cwd = open_inflight_cwd();
      if (cwd < 0) {
        close_pipe(status_pipe);
        failure = "cwd_unavailable";
        break;
      }
    }
    wire::spawn_request request;
    build_request(plan, table, &request);
    if (request.context.affinity_bytes == 0) {
      // More CPUs than a request carries: the child could not be given the
      // caller's affinity (helper/spawn_child.cpp refuses it too).
      close_pipe(status_pipe);
      failure = "affinity_unreadable";
      break;
    }
    if (request.context.mempolicy_mode < 0) {
      // More NUMA nodes than a request carries.
      close_pipe(status_pipe);
      failure = "mempolicy_unreadable";
      break;
    }
    wire::wire_writer writer;
    wire::encode_spawn_request(request, writer);
    wire_descriptors fds(cwd, status_pipe, table);
    if (!writer.ok() || !fds.ok()) {
      close_pipe(status_pipe);
      failure = writer.ok() ? "no_memory" : "request_too_large";
      break;
    }
    outcome = exchange_outcome{};
    send_error = exchange(lease, writer, fds, status_pipe, &outcome);
    close_pipe(status_pipe);
    bool single_record =
        writer.size() + sizeof(wire::header) <= wire::kMaxRecordBytes && fds.count() <= wire::kMaxRecordFds;
    if (send_error == EBADF && single_record) {
      failure = "descriptor_closed_meanwhile";
      continue;
    }
    failure = nullptr;
    break;
  }
  close_inflight(&cwd);
  if (failure) {
    if (leased) release_helper(&lease, false);
    return fallback(failure);
  }
  // A helper whose channel failed, or that refused a request (a credential
  // difference the shim did not see, a malformed request, no resources), is
  // not used again.
  bool broken = send_error != 0 || outcome.channel_error != 0 || outcome.replied;
  release_helper(&lease, broken);
  if (send_error == ETIMEDOUT) return fallback("helper_stopped");
  if (send_error != 0) return fallback(send_error == EPIPE ? "helper_died" : "helper_channel_error");

  if (outcome.child > 0 && !outcome.child_failed)
    return {spawn_outcome::spawned, outcome.child, 0, "ok", outcome.errno_left};
  if (outcome.child > 0) {
    reap_failed_child(outcome.child);
    const wire::status_record& record = outcome.record;
    if (record.stage == static_cast<int32_t>(wire::failure_stage::spawn))
      return {spawn_outcome::failed, -1, record.error, "spawn_error"};
    char (&reason_text)[48] = this_thread_block().context_reason;
    snprintf(reason_text, sizeof reason_text, "context_%s", wire::context_step_name(record.detail));
    return fallback(reason_text);
  }
  if (outcome.replied)
    return fallback(outcome.reply.detail == static_cast<int32_t>(wire::context_step::credentials)
                        ? "helper_refused_credentials"
                        : "helper_refused");
  return fallback(outcome.channel_error == EPIPE ? "helper_died" : "helper_channel_error");
}

}  // namespace

void report_result(const spawn_result& result, call_report* report) {
  report->via_helper = result.outcome != spawn_outcome::fallback;
  if (report->via_helper) {
    report->reason = result.outcome == spawn_outcome::failed ? "spawn_error" : "-";
    report->child = result.child_pid;
    // glibc's child shares the caller's errno: a failure leaves its error
    // there, a success whatever its failed calls left.
    report->errno_left = result.outcome == spawn_outcome::failed ? result.error : result.errno_left;
    return;
  }
  char (&text)[64] = this_thread_block().fallback_reason;
  snprintf(text, sizeof text, "fallback_%s", result.reason ? result.reason : "?");
  report->reason = text;
}

void log_spawn_call(api_kind api, const route_decision& route, const call_report& report, long started_us,
                    const char* argv0, pid_t child) {
  call_record record{};
  record.api = api;
  record.route = report.via_helper ? route.route : route_kind::native;
  record.reason = !report.reason || (report.via_helper && report.reason[0] == '-') ? route.reason : report.reason;
  record.threads = route.threads;
  record.us = monotonic_us() - started_us;
  record.child = child;
  record.argv0 = argv0;
  log_call(record);
}

// The exchange is the shim's own work: the caller's errno is as it was.
spawn_result spawn_via_helper(const spawn_plan& plan) {
  // Cancellation is off for the whole spawn, as glibc's posix_spawn has it:
  // the shim has no exceptions, so a thread cancelled half-way would leave
  // a helper leased, or the pool's lock held, for good. A pending
  // cancellation acts at the caller's next cancellation point (the wait of
  // system() or pclose()).
  int previous_cancel;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &previous_cancel);
  int saved = errno;
  spawn_result result = spawn_via_helper_unsaved(plan);
  errno = saved;
  pthread_setcancelstate(previous_cancel, nullptr);
  return result;
}

}  // namespace forkless
