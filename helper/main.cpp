// forkless-helper: the small, single-threaded process that creates children
// on behalf of a program using libforkless.so.
//
// Hazards:
//  - It is exec'd by the shim (never just forked), so it holds no copy of the
//    caller's memory and cloning from it costs the same at any caller size.
//  - It owns nothing of the caller: descriptors 0-2 are /dev/null and, like
//    every descriptor it holds, close-on-exec, so a child receives only what a
//    request names.
//  - It lives in its own process group and ignores job-control signals and
//    SIGPIPE, so a terminal's ^C or ^Z never reaches it. It exits when its
//    owner is gone, or when the shim kills it; at the channel's EOF it waits
//    for one of the two (owner_watch.h).
//  - Every byte from the channel is untrusted: malformed input is answered
//    with an error reply; the helper never crashes on it.
//  - Who sent it is the kernel's word (SO_PASSCRED, set before the hello, so
//    every request the shim sends carries it): the helper serves only its
//    parent, and leaves when another process writes to its channel
//    (protocol.h).
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "caller_check.h"
#include "child_mirror.h"
#include "helper_baseline.h"
#include "owner_watch.h"
#include "process_limit.h"
#include "protocol.h"
#include "spawn_child.h"
#include "spawn_request.h"
#include "wire_channel.h"

namespace {

using namespace forkless;

// Allocations of one request, released together after the reply.
struct request_arena {
  void* blocks[64];
  size_t count = 0;
  static void* allocate(void* context, size_t bytes) {
    auto* arena = static_cast<request_arena*>(context);
    if (arena->count == sizeof arena->blocks / sizeof arena->blocks[0]) return nullptr;
    void* block = malloc(bytes ? bytes : 1);
    if (block) arena->blocks[arena->count++] = block;
    return block;
  }
  ~request_arena() {
    for (size_t i = 0; i < count; ++i) free(blocks[i]);
  }
};

// The value of --NAME=N (0 <= N < limit), or -1.
long parse_number(int argc, char** argv, const char* option, long limit) {
  size_t length = strlen(option);
  for (int i = 1; i < argc; ++i) {
    if (strncmp(argv[i], option, length) == 0) {
      char* end = nullptr;
      long value = strtol(argv[i] + length, &end, 10);
      if (end && *end == '\0' && value >= 0 && value < limit) return value;
    }
  }
  return -1;
}

void isolate_self() {
  // Every disposition is set here, not by the shim's spawn (that would cost
  // the starting program 64 calls while it waits): an ignored signal the
  // program passed down would otherwise stay ignored in the helper, and so
  // in children whose caller no longer ignores it.
  struct sigaction action {};
  for (int signal = 1; signal <= 64; ++signal) {
    if (signal == SIGKILL || signal == SIGSTOP || (signal >= 32 && signal < SIGRTMIN)) continue;
    bool ignore = helper::helper_ignored_signals() & (uint64_t{1} << (signal - 1));
    action.sa_handler = ignore ? SIG_IGN : SIG_DFL;
    sigaction(signal, &action, nullptr);
  }
  int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd <= 2; ++fd) {
    if (null_fd >= 0 && null_fd != fd) dup2(null_fd, fd);
    fcntl(fd, F_SETFD, FD_CLOEXEC);
  }
  if (null_fd > 2) close(null_fd);
  if (getpgrp() != getpid()) setpgid(0, 0);
}

void send_reply(int channel, const wire::spawn_reply& reply) {
  wire::wire_writer writer;
  wire::encode_spawn_reply(reply, writer);
  wire::send_message(channel, wire::message_type::spawn_reply, writer.data(), writer.size(), nullptr, 0);
}

void reply_error(int channel, int error) {
  send_reply(channel, wire::spawn_reply{error, static_cast<int32_t>(wire::context_step::none)});
}

}  // namespace

int main(int argc, char** argv) {
  // The child of an emulated fork whose exec failed (child_mirror.h).
  if (argc == 3 && strcmp(argv[1], "--mirror-child") == 0) return helper::mirror_child(argv[2]);
  int channel = static_cast<int>(parse_number(argc, argv, "--channel=", 1 << 20));
  pid_t owner = static_cast<pid_t>(parse_number(argc, argv, "--owner=", 1L << 30));
  struct stat st;
  if (channel < 0 || fstat(channel, &st) != 0 || !S_ISSOCK(st.st_mode)) {
    // Started by hand: say what it is for (this is the only output it makes).
    static const char usage[] = "forkless-helper: started by libforkless.so, not by hand\n";
    if (write(2, usage, sizeof usage - 1) < 0) return 2;
    return 2;
  }
  fcntl(channel, F_SETFD, FD_CLOEXEC);
  int pass_credentials = 1;
  if (setsockopt(channel, SOL_SOCKET, SO_PASSCRED, &pass_credentials, sizeof pass_credentials) != 0) return 0;
  bool owner_gone = false;
  int owner_watch = helper::watch_owner(owner, &owner_gone);
  if (owner_gone) return 0;
  isolate_self();
  helper::helper_baseline baseline;
  helper::capture_baseline(&baseline);
  helper::capture_own_credentials();
  helper::prepare_child_stack();

  wire::hello_payload hello{getpid(), 0};
  if (wire::send_message(channel, wire::message_type::hello, &hello, sizeof hello, nullptr, 0) != 0) return 0;

  static uint8_t record[wire::kMaxRecordBytes + 64];
  wire::received_message message;  // its buffers serve every request
  for (;;) {
    if (!helper::wait_for_request(channel, owner_watch)) return 0;  // the owner is gone
    int status = wire::receive_message(channel, &message, wire::kMaxRequestFds, record, sizeof record);
    if (status == -1) {
      // EOF: the program exec'd, closed the channel, or let us go.
      helper::wait_for_owner_to_go(owner_watch);
      return 0;
    }
    // The parent is the only process served (getppid, which no request can
    // forge; its pid cannot be reused while we live). Anything else, or a
    // record without credentials, means the channel is not the owner's alone:
    // it is closed (the owner's next call finds it so and starts a fresh
    // helper) and, as at EOF, the shim or the owner's end ends this process.
    pid_t caller = getppid();
    if (message.sender_pid != caller) {
      wire::release_message(&message);
      close(channel);
      helper::wait_for_owner_to_go(owner_watch);
      return 0;
    }
    if (status == EPROTO || status == ENOMEM || status == E2BIG) {
      wire::recycle_message(&message);
      reply_error(channel, status);
      continue;
    }
    if (status != 0) return 0;  // the channel itself failed
    if (message.type != static_cast<uint16_t>(wire::message_type::spawn_request)) {
      wire::recycle_message(&message);
      reply_error(channel, EPROTO);
      continue;
    }
    request_arena arena;
    wire::decode_allocator allocator{&request_arena::allocate, &arena};
    wire::wire_reader reader(message.payload, message.payload_bytes);
    wire::spawn_request request;
    if (!wire::decode_spawn_request(reader, static_cast<uint32_t>(message.fd_count), allocator, &request)) {
      wire::recycle_message(&message);
      reply_error(channel, EPROTO);
      continue;
    }
    // Never serve a caller whose privileges are not exactly ours, and never
    // take its word for its limits (caller_check.h).
    if (!helper::sender_ids_match(message.sender_uid, message.sender_gid) ||
        !helper::caller_credentials_match(caller, request.context.caller_tid, &request.context.ignored_signals) ||
        !helper::securebits_match(request.context.securebits) ||
        !helper::read_caller_rlimits(caller, &request.context) ||
        !helper::read_caller_process_settings(caller, &request.context)) {
      wire::recycle_message(&message);
      send_reply(channel, wire::spawn_reply{EPERM, static_cast<int32_t>(wire::context_step::credentials)});
      continue;
    }
    if (!helper::adopt_caller_process_limit(request.context)) {
      wire::recycle_message(&message);
      send_reply(channel, wire::spawn_reply{EPERM, static_cast<int32_t>(wire::context_step::rlimits)});
      continue;
    }
    wire::spawn_reply reply;
    bool child_created = helper::spawn_for_request(request, message.fds, message.fd_count, baseline, channel, &reply);
    wire::recycle_message(&message);
    if (!child_created) send_reply(channel, reply);
  }
}
