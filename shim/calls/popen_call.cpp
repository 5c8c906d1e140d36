// popen() with glibc 2.36's algorithm (iopopen.c), its child made by the
// helper, or by posix_spawn when libc's popen would not close the streams
// the library made. Hazards: popen_streams.h.
#include "popen_call.h"

#include <cerrno>
#include <cstdlib>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helper_client/helper_spawn.h"
#include "interpose/real_libc.h"
#include "policy/config.h"
#include "popen_streams.h"

extern char** environ;

namespace forkless {

bool parse_popen_mode(const char* mode, popen_mode* out) {
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

namespace {

// One call's pipe and what its child is to close, made within the turn.
struct popen_pipe {
  int parent_end = -1;
  int child_end = -1;
  int child_std = -1;
  FILE* stream = nullptr;
  stream_record* record = nullptr;
  int* close_fds = nullptr;  // every open popen stream's descriptor
  int close_count = 0;
};

// Closes and frees what prepare made; errno is kept.
void discard(popen_pipe* p) {
  int error = errno;
  if (p->stream)
    real::fclose(p->stream);
  else if (p->parent_end >= 0)
    close(p->parent_end);
  if (p->child_end >= 0) close(p->child_end);
  discard_stream_record(p->record);
  free(p->close_fds);
  *p = popen_pipe{};
  errno = error;
}

// glibc's set-up: a close-on-exec pipe, the child's end moved off the
// child's standard number when it is on it (so that the parent's copy can
// stay close-on-exec). Returns nullptr, or a reason with errno set.
const char* prepare(const popen_mode& mode, popen_pipe* p) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return "pipe_failed";
  p->parent_end = mode.read ? pipe_fds[0] : pipe_fds[1];
  p->child_end = mode.read ? pipe_fds[1] : pipe_fds[0];
  p->child_std = mode.read ? 1 : 0;
  if (p->child_end == p->child_std) {
    int moved = fcntl(p->child_end, F_DUPFD_CLOEXEC, 0);
    if (moved < 0) {
      discard(p);
      return "dup_failed";
    }
    close(p->child_end);
    p->child_end = moved;
  }
  p->stream = fdopen(p->parent_end, mode.read ? "r" : "w");
  int fdopen_error = errno;
  p->record = new_stream_record();
  if (!p->stream || !p->record || !open_stream_descriptors(p->child_std, &p->close_fds, &p->close_count)) {
    errno = p->stream ? ENOMEM : fdopen_error;
    discard(p);
    return "no_memory";
  }
  return nullptr;
}

// The child exists: the parent's end loses close-on-exec unless "e", and the
// stream is recorded.
FILE* finish(popen_pipe* p, const popen_mode& mode, pid_t child) {
  close(p->child_end);
  if (!mode.cloexec) fcntl(p->parent_end, F_SETFD, 0);
  remember_stream(p->record, p->stream, p->parent_end, child, stream_maker::library);
  FILE* stream = p->stream;
  free(p->close_fds);
  *p = popen_pipe{};
  return stream;
}

spawn_result spawn_by_helper(const char* command, const popen_pipe& p) {
  auto* actions =
      static_cast<wire::file_action*>(malloc(sizeof(wire::file_action) * static_cast<size_t>(p.close_count + 1)));
  if (!actions) return {spawn_outcome::fallback, -1, 0, "no_memory"};
  uint32_t count = 0;
  actions[count++] =
      wire::file_action{static_cast<uint32_t>(wire::file_action_kind::dup2), p.child_end, p.child_std, 0, 0, nullptr};
  for (int i = 0; i < p.close_count; ++i)
    actions[count++] =
        wire::file_action{static_cast<uint32_t>(wire::file_action_kind::close), p.close_fds[i], 0, 0, 0, nullptr};
  char shell_name[] = "sh", dash_c[] = "-c";
  char* argv[] = {shell_name, dash_c, const_cast<char*>(command), nullptr};
  spawn_plan plan;
  plan.path = "/bin/sh";
  plan.argv = argv;
  plan.envp = environ;
  plan.actions = actions;
  plan.action_count = count;
  plan.action_fds = &p.child_end;
  plan.action_fd_count = 1;
  spawn_result result = spawn_via_helper(plan);
  free(actions);
  return result;
}

// glibc's spawn_process, with every recorded stream closed: posix_spawn of
// "sh -c command" with the child's end dup2'd to its standard number.
// Returns posix_spawn's error number.
int spawn_by_libc(const char* command, const popen_pipe& p, pid_t* child) {
  posix_spawn_file_actions_t actions;
  real::posix_spawn_file_actions_init(&actions);
  int error = real::posix_spawn_file_actions_adddup2(&actions, p.child_end, p.child_std);
  for (int i = 0; error == 0 && i < p.close_count; ++i)
    error = real::posix_spawn_file_actions_addclose(&actions, p.close_fds[i]);
  if (error == 0) {
    char shell_name[] = "sh", dash_c[] = "-c";
    char* argv[] = {shell_name, dash_c, const_cast<char*>(command), nullptr};
    error = real::posix_spawn(child, "/bin/sh", &actions, nullptr, argv, environ);
  }
  real::posix_spawn_file_actions_destroy(&actions);
  return error;
}

// Within the turn, a stream of the library's open: libc's popen would not
// close it in its child, so the library makes the child with posix_spawn.
FILE* popen_by_libc_spawn(const char* command, const popen_mode& mode, popen_pipe* p) {
  pid_t child;
  if (spawn_by_libc(command, *p, &child) != 0) {
    discard(p);
    errno = ENOMEM;  // glibc: a failed spawn gives ENOMEM
    return nullptr;
  }
  return finish(p, mode, child);
}

// Within the turn, no stream of the library's open: libc's popen, whose
// child closes libc's own streams; the stream is recorded so that the
// library's children close it too.
FILE* libc_popen_recorded(const char* command, const char* mode) {
  FILE* stream = real::popen(command, mode);
  if (!stream) return nullptr;
  int error = errno;
  // Without memory for the record the stream still works; only a later
  // child of the library's would not close it.
  if (stream_record* record = new_stream_record())
    remember_stream(record, stream, fileno(stream), -1, stream_maker::libc);
  errno = error;
  return stream;
}

}  // namespace

bool have_popen_streams() { return any_streams_recorded(); }

FILE* popen_via_helper(const char* command, const char* mode_text, call_report* report) {
  popen_mode mode;
  if (!parse_popen_mode(mode_text, &mode)) {
    errno = EINVAL;
    report->via_helper = true;
    report->reason = "invalid_mode";
    return nullptr;
  }
  popen_turn turn;
  popen_pipe p;
  if (const char* failure = prepare(mode, &p)) {
    report->via_helper = true;
    report->reason = failure;
    return nullptr;
  }
  spawn_result result = spawn_by_helper(command, p);
  report_result(result, report);
  if (result.outcome == spawn_outcome::spawned) return finish(&p, mode, result.child_pid);
  if (result.outcome == spawn_outcome::failed) {
    discard(&p);
    errno = ENOMEM;
    return nullptr;
  }
  // The helper could not serve it: made natively.
  if (library_streams_open()) return popen_by_libc_spawn(command, mode, &p);
  discard(&p);
  return libc_popen_recorded(command, mode_text);
}

FILE* popen_natively(const char* command, const char* mode_text) {
  // With the helper route off, no stream of the library's can exist.
  if (current_settings().mode == spawn_mode::native) return real::popen(command, mode_text);
  popen_turn turn;
  if (!library_streams_open()) return libc_popen_recorded(command, mode_text);
  popen_mode mode;
  if (!parse_popen_mode(mode_text, &mode)) {
    errno = EINVAL;
    return nullptr;
  }
  popen_pipe p;
  if (prepare(mode, &p)) return nullptr;
  return popen_by_libc_spawn(command, mode, &p);
}

bool close_our_stream(FILE* stream, int* result) {
  if (!stream || !any_streams_recorded()) return false;
  pid_t child;
  stream_maker maker;
  if (!forget_stream(stream, &child, &maker)) return false;
  if (maker == stream_maker::libc) {
    *result = real::pclose(stream);  // libc's stream: its pclose (which is its fclose) waits
    return true;
  }
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
