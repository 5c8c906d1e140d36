// A program that drops root after its helper started must never get a root
// child, whether it spawns through the library or writes a request to the
// helper's channel by hand (the helper checks its caller's credentials).
//
// With --fork-worker the request is written by another process: a worker
// made with _Fork() (no atfork handler runs, so it keeps the channel) drops
// to nobody and names its root parent as the calling thread. The helper
// must go by who really sent it (SO_PASSCRED) and serve nobody but its
// parent.
//
// Run as root under LD_PRELOAD with FORKLESS_MODE=always; prints one line per
// check; exits 77 (skip) when not root.
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "protocol.h"
#include "spawn_request.h"
#include "wire_channel.h"

namespace {

void* idle(void*) {
  for (;;) pause();
  return nullptr;
}

std::string run_and_read(const char* command) {
  std::string out;
  FILE* stream = popen(command, "r");
  if (!stream) return "popen-failed";
  char buffer[256];
  while (fgets(buffer, sizeof buffer, stream)) out += buffer;
  pclose(stream);
  while (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

// The helper channels: sockets the library keeps at high numbers.
int find_channel() {
  for (int fd = 4095; fd >= 64; --fd) {
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode)) return fd;
  }
  return -1;
}

}  // namespace

int main(int argc, char** argv) {
  if (geteuid() != 0) {
    printf("SKIP: needs root to drop privileges\n");
    return 77;
  }
  bool fork_worker = argc > 2 && strcmp(argv[2], "--fork-worker") == 0;
  const char* marker = argc > 1 ? argv[1] : "/tmp/forkless-privilege-marker";
  pthread_t thread;
  pthread_create(&thread, nullptr, idle, nullptr);
  printf("before: uid=%s\n", run_and_read("id -u").c_str());
  int channel = find_channel();  // the root helper's, found while it is ours
  printf("channel found: %s\n", channel >= 0 ? "yes" : "no");
  pid_t named = gettid();  // the thread the request names: root's, in --fork-worker
  if (fork_worker) {
    fflush(stdout);
    pid_t worker = _Fork();
    if (worker < 0) return 1;
    if (worker > 0) {
      int status = 0;
      waitpid(worker, &status, 0);
      struct stat st;
      printf("parent: worker exited %d, marker_created=%s\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
             stat(marker, &st) == 0 ? "yes" : "no");
      return 0;
    }
  }

  if (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0) {
    perror("drop");
    return 1;
  }
  fflush(stdout);
  if (channel >= 0) {
    // By hand: ask the (root) helper for `touch marker`, as the shim would.
    const char* args[] = {"touch", marker, nullptr};
    const char* env[] = {nullptr};
    forkless::wire::spawn_request request{};
    request.path = "/usr/bin/touch";
    request.search_path = "";
    request.argc = 2;
    request.argv = args;
    request.envp = env;
    request.context.caller_tid = static_cast<int32_t>(fork_worker ? named : gettid());
    request.context.pgid = getpgrp();
    // A complete context, so that only the credential check can refuse it.
    cpu_set_t affinity;
    if (sched_getaffinity(0, sizeof affinity, &affinity) == 0) {
      request.context.affinity_bytes = sizeof affinity;
      memcpy(request.context.affinity, &affinity, sizeof affinity);
    }
    forkless::wire::wire_writer writer;
    forkless::wire::encode_spawn_request(request, writer);
    int status_pipe[2];
    if (pipe2(status_pipe, O_CLOEXEC) != 0) return 1;
    int fds[] = {open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), status_pipe[1], status_pipe[0]};
    if (fork_worker) {
      // A helper that serves the request makes a child and sends no reply:
      // do not wait for one for ever.
      timeval patience{2, 0};
      setsockopt(channel, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience);
    }
    int status = forkless::wire::send_message(channel, forkless::wire::message_type::spawn_request, writer.data(),
                                              writer.size(), fds, 3);
    close(status_pipe[1]);
    forkless::wire::spawn_reply reply{};
    if (status == 0) {
      uint8_t record[256];
      forkless::wire::received_message message;
      // The first message may be the helper's hello if no spawn used it yet.
      for (int i = 0; i < 2; ++i) {
        status = forkless::wire::receive_message(channel, &message, 0, record, sizeof record);
        bool is_reply = status == 0 && message.type == static_cast<uint16_t>(forkless::wire::message_type::spawn_reply);
        if (is_reply) memcpy(&reply, message.payload, sizeof reply);
        forkless::wire::release_message(&message);
        if (is_reply || status != 0) break;
      }
    }
    // A child, had the helper made one, would report its pid on the status pipe.
    pid_t child = -1;
    if (read(status_pipe[0], &child, sizeof child) == static_cast<ssize_t>(sizeof child)) waitpid(child, nullptr, 0);
    struct stat st;
    bool created = stat(marker, &st) == 0;
    printf("raw request: refused=%s marker_created=%s\n",
           reply.error == EPERM && child < 0 ? "yes" : "no", created ? "yes" : "no");
    if (fork_worker) {
      // The helper left rather than answer a process it does not serve.
      printf("worker: child=%s\n", child > 0 ? "made" : "none");
      fflush(stdout);
      _exit(0);
    }
  }
  printf("after: uid=%s\n", run_and_read("id -u").c_str());
  return 0;
}
