#include "popen_call.h"

#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper_spawn.h"
#include "real_libc.h"

extern char** environ;

namespace forkless {
namespace {

struct our_stream {
  FILE* stream;
  pid_t child;
  our_stream* next;
};

pthread_mutex_t streams_lock = PTHREAD_MUTEX_INITIALIZER;
our_stream* streams = nullptr;
std::atomic<int> stream_count{0};

struct popen_mode {
  bool read;
  bool cloexec;
};

bool parse_mode(const char* mode, popen_mode* out) {
  bool read = false, write = false, cloexec = false;
  for (const char* c = mode; *c; ++c) {
    switch (*c) {
      case 'r': read = true; break;
      case 'w': write = true; break;
      case 'e': cloexec = true; break;
      default: return false;
    }
  }
  if (read == write) return false;
  *out = popen_mode{read, cloexec};
  return true;
}

}  // namespace

bool have_our_streams() { return stream_count.load(std::memory_order_acquire) > 0; }

FILE* popen_via_helper(const char* command, const char* mode_text, call_report* report) {
  popen_mode mode;
  if (!parse_mode(mode_text, &mode)) {
    errno = EINVAL;
    report->via_helper = true;
    report->reason = "invalid_mode";
    return nullptr;
  }
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    report->via_helper = true;
    report->reason = "pipe_failed";
    return nullptr;
  }
  int parent_end = mode.read ? pipe_fds[0] : pipe_fds[1];
  int child_end = mode.read ? pipe_fds[1] : pipe_fds[0];
  int child_std = mode.read ? 1 : 0;
  if (child_end == child_std) {
    int moved = fcntl(child_end, F_DUPFD_CLOEXEC, 0);
    if (moved < 0) {
      int error = errno;
      close(pipe_fds[0]);
      close(pipe_fds[1]);
      errno = error;
      report->via_helper = true;
      report->reason = "dup_failed";
      return nullptr;
    }
    close(child_end);
    child_end = moved;
  }
  FILE* stream = fdopen(parent_end, mode.read ? "r" : "w");
  auto* node = static_cast<our_stream*>(malloc(sizeof(our_stream)));
  if (!stream || !node) {
    int error = errno;
    if (stream)
      real::fclose(stream);
    else
      close(parent_end);
    close(child_end);
    free(node);
    errno = stream ? ENOMEM : error;
    report->via_helper = true;
    report->reason = "no_memory";
    return nullptr;
  }

  pthread_mutex_lock(&streams_lock);
  int count = 1;
  for (our_stream* s = streams; s; s = s->next) ++count;
  auto* actions = static_cast<wire::file_action*>(malloc(sizeof(wire::file_action) * static_cast<size_t>(count)));
  spawn_result result{spawn_outcome::fallback, -1, 0, "no_memory"};
  if (actions) {
    uint32_t action_count = 0;
    actions[action_count++] = wire::file_action{static_cast<uint32_t>(wire::file_action_kind::dup2), child_end,
                                                child_std, 0, 0, nullptr};
    for (our_stream* s = streams; s; s = s->next) {
      int fd = fileno(s->stream);
      if (fd != child_std && fd >= 0)
        actions[action_count++] =
            wire::file_action{static_cast<uint32_t>(wire::file_action_kind::close), fd, 0, 0, 0, nullptr};
    }
    char shell_name[] = "sh", dash_c[] = "-c";
    char* argv[] = {shell_name, dash_c, const_cast<char*>(command), nullptr};
    spawn_plan plan;
    plan.path = "/bin/sh";
    plan.argv = argv;
    plan.envp = environ;
    plan.actions = actions;
    plan.action_count = action_count;
    plan.action_fds = &child_end;
    plan.action_fd_count = 1;
    result = spawn_via_helper(plan);
    free(actions);
  }
  report_result(result, report);
  if (result.outcome == spawn_outcome::spawned) {
    close(child_end);
    if (!mode.cloexec) fcntl(parent_end, F_SETFD, 0);
    node->stream = stream;
    node->child = result.child_pid;
    node->next = streams;
    streams = node;
    stream_count.fetch_add(1, std::memory_order_release);
    pthread_mutex_unlock(&streams_lock);
    return stream;
  }
  pthread_mutex_unlock(&streams_lock);
  real::fclose(stream);
  close(child_end);
  free(node);
  if (result.outcome == spawn_outcome::failed) {
    errno = ENOMEM;
    return nullptr;
  }
  // The helper could not serve it: libc's popen, whole.
  return real::popen(command, mode_text);
}

bool close_our_stream(FILE* stream, int* result) {
  if (!stream || !have_our_streams()) return false;
  pthread_mutex_lock(&streams_lock);
  our_stream** link = &streams;
  while (*link && (*link)->stream != stream) link = &(*link)->next;
  our_stream* node = *link;
  if (node) {
    *link = node->next;
    stream_count.fetch_sub(1, std::memory_order_release);
  }
  pthread_mutex_unlock(&streams_lock);
  if (!node) return false;
  pid_t child = node->child;
  free(node);
  // glibc: flush and close the stream, then wait (not cancellable, EINTR retried).
  int close_result = real::fclose(stream);
  int status;
  pid_t waited;
  int previous_cancel;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &previous_cancel);
  do {
    waited = real::waitpid(child, &status, 0);
  } while (waited < 0 && errno == EINTR);
  pthread_setcancelstate(previous_cancel, nullptr);
  if (waited < 0) {
    *result = -1;
  } else {
    *result = status != 0 ? status : (close_result == EOF ? -1 : 0);
  }
  return true;
}

}  // namespace forkless
