/* fork_libuv_probe: libuv's uv_spawn (Debian's libuv1) in the ways whose
   fork() child touches the parent's memory. Prints what it saw, in
   a form identical natively and under libforkless.so (no pids, no timings).
   A thread sleeps throughout, so that the fork route is taken.

   fork_libuv_probe getenv-race N       a thread reads getenv while N spawns
                                        run with a custom env: wrong reads
   fork_libuv_probe concurrent-env T N  T threads, each with its own loop,
                                        spawn N times with a custom env; then
                                        the main thread's environ
   fork_libuv_probe stdio K [LOW]       K stdio entries, the last one a pipe
                                        the child writes to (LOW: the pipe's
                                        child end gets a number below K-1)
   fork_libuv_probe path-env DIR NAME   spawns NAME (no slash) with env
                                        PATH=DIR only
   fork_libuv_probe setgid-race N       N spawns with UV_PROCESS_SETGID while
                                        another thread loops on setgid
   fork_libuv_probe exec-fails          spawns a missing file */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

extern char** environ;

static atomic_int stop;

static void sleep_ms(long ms) {
  struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&pause, &pause) != 0 && errno == EINTR) {
  }
}

static void* sleeper(void* arg) {
  (void)arg;
  while (!atomic_load(&stop)) sleep_ms(5);
  return NULL;
}

struct spawn_result {
  int64_t exit_status;
  int term_signal;
};

static void on_exit_cb(uv_process_t* process, int64_t exit_status, int term_signal) {
  struct spawn_result* result = process->data;
  result->exit_status = exit_status;
  result->term_signal = term_signal;
  uv_close((uv_handle_t*)process, NULL);
}

/* One spawn on loop, run to the child's exit. Returns uv_spawn's result. */
static int spawn_and_wait(uv_loop_t* loop, uv_process_options_t* options, struct spawn_result* result) {
  uv_process_t process;
  memset(&process, 0, sizeof process);
  result->exit_status = -1;
  result->term_signal = -1;
  process.data = result;
  options->exit_cb = on_exit_cb;
  int err = uv_spawn(loop, &process, options);
  if (err != 0) {
    uv_close((uv_handle_t*)&process, NULL);
    uv_run(loop, UV_RUN_DEFAULT);
    return err;
  }
  uv_run(loop, UV_RUN_DEFAULT);
  return 0;
}

/* ---- getenv-race: another thread reads the environment during spawns ---- */

static atomic_long wrong_reads, reads;

static void* env_reader(void* arg) {
  (void)arg;
  while (!atomic_load(&stop)) {
    if (getenv("ONLY_IN_CHILD") != NULL) atomic_fetch_add(&wrong_reads, 1);
    if (getenv("PROBE_PARENT") == NULL) atomic_fetch_add(&wrong_reads, 1);
    atomic_fetch_add(&reads, 1);
  }
  return NULL;
}

static int run_getenv_race(int rounds) {
  pthread_t reader;
  char* child_env[] = {"ONLY_IN_CHILD=yes", "PATH=/usr/bin:/bin", NULL};
  char* args[] = {"/bin/true", NULL};
  uv_process_options_t options;
  struct spawn_result result;
  int failed = 0;
  setenv("PROBE_PARENT", "1", 1);
  pthread_create(&reader, NULL, env_reader, NULL);
  while (atomic_load(&reads) == 0) sleep_ms(1);
  for (int i = 0; i < rounds; ++i) {
    memset(&options, 0, sizeof options);
    options.file = args[0];
    options.args = args;
    options.env = child_env;
    if (spawn_and_wait(uv_default_loop(), &options, &result) != 0 || result.exit_status != 0) ++failed;
  }
  atomic_store(&stop, 1);
  pthread_join(reader, NULL);
  printf("getenv_race: spawns=%d failed=%d wrong_reads=%ld reader_ran=%d\n", rounds, failed,
         atomic_load(&wrong_reads), atomic_load(&reads) > 0);
  return 0;
}

/* ---- concurrent-env: threads spawning with custom envs at once ---------- */

static int concurrent_rounds;

static void* env_spawner(void* arg) {
  uv_loop_t loop;
  char* child_env[] = {"ONLY_IN_CHILD=yes", NULL};
  char* args[] = {"/bin/true", NULL};
  uv_process_options_t options;
  struct spawn_result result;
  long* failed = arg;
  uv_loop_init(&loop);
  for (int i = 0; i < concurrent_rounds; ++i) {
    memset(&options, 0, sizeof options);
    options.file = args[0];
    options.args = args;
    options.env = child_env;
    if (spawn_and_wait(&loop, &options, &result) != 0 || result.exit_status != 0) ++*failed;
  }
  uv_loop_close(&loop);
  return NULL;
}

static int run_concurrent_env(int threads, int rounds) {
  pthread_t spawners[16];
  long failed[16] = {0};
  long total = 0;
  char** before = environ;
  if (threads > 16) threads = 16;
  concurrent_rounds = rounds;
  setenv("PROBE_PARENT", "1", 1);
  before = environ;
  for (int i = 0; i < threads; ++i) pthread_create(&spawners[i], NULL, env_spawner, &failed[i]);
  for (int i = 0; i < threads; ++i) pthread_join(spawners[i], NULL);
  for (int i = 0; i < threads; ++i) total += failed[i];
  printf("concurrent_env: threads=%d spawns=%d failed=%ld environ_same=%d PROBE_PARENT=%s ONLY_IN_CHILD=%s\n",
         threads, threads * rounds, total, environ == before,
         getenv("PROBE_PARENT") ? getenv("PROBE_PARENT") : "(unset)",
         getenv("ONLY_IN_CHILD") ? getenv("ONLY_IN_CHILD") : "(unset)");
  return 0;
}

/* ---- stdio: more entries than libuv keeps on its stack ------------------- */

static char pipe_output[256];
static size_t pipe_output_length;

static void on_alloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf) {
  static char slab[256];
  (void)handle;
  (void)suggested;
  *buf = uv_buf_init(slab, sizeof slab);
}

static void on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
  if (nread > 0) {
    size_t room = sizeof pipe_output - 1 - pipe_output_length;
    size_t take = (size_t)nread < room ? (size_t)nread : room;
    memcpy(pipe_output + pipe_output_length, buf->base, take);
    pipe_output_length += take;
    return;
  }
  if (nread < 0) uv_close((uv_handle_t*)stream, NULL);
}

static int run_stdio(int count, int low) {
  uv_loop_t* loop;
  uv_stdio_container_t stdio[64];
  uv_pipe_t pipe;
  char script[64];
  int holders[16];
  int held = 0;
  if (count < 3 || count > 64) return 2;
  /* LOW: occupy the low numbers while the loop opens its own descriptors,
     then free them, so the socketpair's child end is below count-1 and the
     child renumbers it (the write into libuv's pipes array). */
  if (low) {
    while (held < 16) {
      int fd = open("/dev/null", O_RDONLY);
      if (fd < 0) break;
      holders[held++] = fd;
    }
  }
  loop = uv_default_loop();
  uv_run(loop, UV_RUN_NOWAIT);
  for (int i = 0; i < held; ++i) close(holders[i]);
  uv_pipe_init(loop, &pipe, 0);
  for (int i = 0; i < count; ++i) stdio[i].flags = UV_IGNORE;
  stdio[count - 1].flags = UV_CREATE_PIPE | UV_WRITABLE_PIPE;
  stdio[count - 1].data.stream = (uv_stream_t*)&pipe;
  snprintf(script, sizeof script, "echo hi >&%d", count - 1);
  char* args[] = {"/bin/bash", "-c", script, NULL};
  uv_process_options_t options;
  struct spawn_result result;
  uv_process_t process;
  memset(&options, 0, sizeof options);
  memset(&process, 0, sizeof process);
  options.file = args[0];
  options.args = args;
  options.stdio = stdio;
  options.stdio_count = count;
  options.exit_cb = on_exit_cb;
  process.data = &result;
  int err = uv_spawn(loop, &process, &options);
  if (err != 0) {
    printf("stdio count=%d: uv_spawn=%s\n", count, uv_err_name(err));
    return 0;
  }
  uv_read_start((uv_stream_t*)&pipe, on_alloc, on_read);
  uv_run(loop, UV_RUN_DEFAULT);
  pipe_output[pipe_output_length] = '\0';
  printf("stdio count=%d: read=\"%.*s\" exit=%ld signal=%d\n", count, (int)strcspn(pipe_output, "\n"),
         pipe_output, (long)result.exit_status, result.term_signal);
  return 0;
}

/* ---- path-env: the child's PATH is the one execvp searches --------------- */

static int run_path_env(const char* dir, const char* name) {
  char path[4096];
  snprintf(path, sizeof path, "PATH=%s", dir);
  char* child_env[] = {path, NULL};
  char* args[] = {(char*)name, "found", "through", "the", "child's", "PATH", NULL};
  uv_process_options_t options;
  struct spawn_result result;
  uv_stdio_container_t stdio[3];
  for (int fd = 0; fd < 3; ++fd) {
    stdio[fd].flags = UV_INHERIT_FD;
    stdio[fd].data.fd = fd;
  }
  memset(&options, 0, sizeof options);
  options.file = name;
  options.args = args;
  options.env = child_env;
  options.stdio = stdio;
  options.stdio_count = 3;
  int err = spawn_and_wait(uv_default_loop(), &options, &result);
  printf("path_env: uv_spawn=%s exit=%ld\n", err ? uv_err_name(err) : "0", (long)result.exit_status);
  return 0;
}

/* ---- setgid-race: UV_PROCESS_SETGID while another thread calls setgid ---- */

static atomic_long setgid_calls;

static void* setgid_loop(void* arg) {
  (void)arg;
  while (!atomic_load(&stop)) {
    if (setgid(getgid()) == 0) atomic_fetch_add(&setgid_calls, 1);
  }
  return NULL;
}

static int run_setgid_race(int rounds) {
  pthread_t setter;
  char* args[] = {"/bin/true", NULL};
  uv_process_options_t options;
  struct spawn_result result;
  int failed = 0;
  pthread_create(&setter, NULL, setgid_loop, NULL);
  while (atomic_load(&setgid_calls) == 0) sched_yield();
  for (int i = 0; i < rounds; ++i) {
    memset(&options, 0, sizeof options);
    options.file = args[0];
    options.args = args;
    options.flags = UV_PROCESS_SETGID;
    options.gid = getgid();
    if (spawn_and_wait(uv_default_loop(), &options, &result) != 0 || result.exit_status != 0) ++failed;
  }
  atomic_store(&stop, 1);
  pthread_join(setter, NULL);
  printf("setgid_race: spawns=%d failed=%d\n", rounds, failed);
  return 0;
}

/* ---- exec-fails: the error comes back, the parent is unchanged ------------ */

static int run_exec_fails(void) {
  char* args[] = {"/nonexistent/program", NULL};
  char* child_env[] = {"ONLY_IN_CHILD=yes", NULL};
  uv_process_options_t options;
  struct spawn_result result;
  char** before;
  setenv("PROBE_PARENT", "1", 1);
  before = environ;
  for (int with_env = 0; with_env < 2; ++with_env) {
    memset(&options, 0, sizeof options);
    options.file = args[0];
    options.args = args;
    options.env = with_env ? child_env : NULL;
    errno = 0;
    int err = spawn_and_wait(uv_default_loop(), &options, &result);
    printf("exec_fails env=%d: uv_spawn=%s environ_same=%d PROBE_PARENT=%s ONLY_IN_CHILD=%s\n", with_env,
           err ? uv_err_name(err) : "0", environ == before,
           getenv("PROBE_PARENT") ? getenv("PROBE_PARENT") : "(unset)",
           getenv("ONLY_IN_CHILD") ? getenv("ONLY_IN_CHILD") : "(unset)");
  }
  return 0;
}

int main(int argc, char** argv) {
  pthread_t background;
  int code = 2;
  setvbuf(stdout, NULL, _IOLBF, 0);
  pthread_create(&background, NULL, sleeper, NULL);
  if (argc >= 3 && strcmp(argv[1], "getenv-race") == 0) code = run_getenv_race(atoi(argv[2]));
  else if (argc >= 4 && strcmp(argv[1], "concurrent-env") == 0)
    code = run_concurrent_env(atoi(argv[2]), atoi(argv[3]));
  else if (argc >= 3 && strcmp(argv[1], "stdio") == 0)
    code = run_stdio(atoi(argv[2]), argc >= 4 && strcmp(argv[3], "low") == 0);
  else if (argc >= 4 && strcmp(argv[1], "path-env") == 0) code = run_path_env(argv[2], argv[3]);
  else if (argc >= 3 && strcmp(argv[1], "setgid-race") == 0) code = run_setgid_race(atoi(argv[2]));
  else if (argc >= 2 && strcmp(argv[1], "exec-fails") == 0) code = run_exec_fails();
  else
    fprintf(stderr, "usage: fork_libuv_probe getenv-race N | concurrent-env T N | stdio K [low] |\n"
                    "       path-env DIR NAME | setgid-race N | exec-fails\n");
  atomic_store(&stop, 1);
  pthread_join(background, NULL);
  return code;
}
