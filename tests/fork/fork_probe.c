/* fork_probe: fork() children doing what real children do before exec, with
   other threads running. Prints what the parent and the exec'd children
   observed, in a form that is identical natively and under libforkless.so
   (no pids, no timings), so the test driver can compare the two runs.

   fork_probe scenarios      the scenarios below, one report each
   fork_probe stress N [T]   N forks from one thread (or T at once) while
                             others write memory; checks the parent's
                             locals survive
   fork_probe large MIB      single-threaded, holding MIB MiB: one spawn
   fork_probe setgid-race N  N spawns whose child calls setgid while another
                             thread loops on setgid (site_setgid_child)
   fork_probe signal-group   a process-group SIGWINCH while the child waits
                             before exec; the parent's handler count
                             (site_signal_child)
   fork_probe umask-wait     the child calls umask and every wait function;
                             then the parent's posix_spawn and waits
                             (site_umask_wait)
   fork_probe exec-fail-state  the child's error path after a failed exec
                             writes a global; the parent prints it
                             (site_exec_fail_state)
   fork_probe umask          (exec'd) prints its umask
   fork_probe report ARG...  (exec'd by the children) prints its context

   Compiled with -O2: the stress relies on the optimiser keeping values in
   registers and stack slots across fork(). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

static char self_path[PATH_MAX];
static atomic_int stop_writers;
static const char* atexit_flag_path;
static pid_t main_pid;

/* ---- the exec'd side ---------------------------------------------------- */

static void print_status_line(const char* key) {
  FILE* status = fopen("/proc/self/status", "r");
  char line[256];
  if (!status) return;
  while (fgets(line, sizeof line, status)) {
    if (strncmp(line, key, strlen(key)) == 0) printf("  %s", line);
  }
  fclose(status);
}

static int report(int argc, char** argv) {
  char cwd[PATH_MAX];
  struct rlimit limit;
  printf("  argv:");
  for (int i = 2; i < argc; ++i) printf(" %s", argv[i]);
  printf("\n  cwd=%s\n", getcwd(cwd, sizeof cwd) ? cwd : "?");
  printf("  session_leader=%d group_leader=%d\n", getsid(0) == getpid(), getpgrp() == getpid());
  print_status_line("SigBlk:");
  print_status_line("SigIgn:");
  getrlimit(RLIMIT_NOFILE, &limit);
  printf("  nofile_soft=%ld\n", (long)limit.rlim_cur);
  printf("  uid=%d gid=%d groups=%d\n", (int)getuid(), (int)getgid(), getgroups(0, NULL));
  printf("  PROBE_ENV=%s\n", getenv("PROBE_ENV") ? getenv("PROBE_ENV") : "(unset)");
  for (int fd = 0; fd < 32; ++fd) {
    char link[64], target[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t length = readlink(link, target, sizeof target - 1);
    if (length < 0) continue;
    target[length] = '\0';
    if (strncmp(target, "pipe:", 5) == 0) strcpy(target, "pipe");
    if (strncmp(target, "socket:", 7) == 0) strcpy(target, "socket");
    if (strncmp(target, "/proc/", 6) == 0) continue; /* the readlink's own directory stream */
    int flags = fcntl(fd, F_GETFD);
    printf("  fd%d=%s%s\n", fd, target, (flags & FD_CLOEXEC) ? " cloexec" : "");
  }
  return 0;
}

/* ---- helpers for the parent --------------------------------------------- */

static void* writer(void* arg) {
  size_t size = 8 << 20;
  char* memory = malloc(size);
  (void)arg;
  for (unsigned round = 0; !atomic_load(&stop_writers); ++round) {
    for (size_t i = 0; i < size; i += 4096) memory[i] = (char)round;
  }
  free(memory);
  return NULL;
}

static void start_writers(pthread_t* threads, int count) {
  for (int i = 0; i < count; ++i) pthread_create(&threads[i], NULL, writer, NULL);
}

static void stop_all_writers(pthread_t* threads, int count) {
  atomic_store(&stop_writers, 1);
  for (int i = 0; i < count; ++i) pthread_join(threads[i], NULL);
}

static void print_wait_status(int status) {
  if (WIFEXITED(status)) printf("  exit=%d\n", WEXITSTATUS(status));
  else if (WIFSIGNALED(status)) printf("  signal=%d\n", WTERMSIG(status));
  else printf("  status=%#x\n", status);
}

static void copy_pipe_to_stdout(int fd) {
  char buffer[4096];
  ssize_t got;
  fflush(stdout);
  while ((got = read(fd, buffer, sizeof buffer)) > 0) fwrite(buffer, 1, (size_t)got, stdout);
  close(fd);
}

static void on_exit_handler(void) {
  if (getpid() != main_pid && atexit_flag_path) {
    int fd = open(atexit_flag_path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      (void)!write(fd, "atexit ran in a child\n", 22);
      close(fd);
    }
  }
}

/* ---- scenarios ----------------------------------------------------------- */

/* The usual spawn: stdout to a pipe, stdin from /dev/null, cwd, session,
   signal resets, rlimit, environment given to execve, report back. */
__attribute__((noinline)) static void scenario_spawn(int new_session, int unblock_all) {
  int out[2];
  char* child_argv[] = {self_path, "report", "spawn", NULL};
  char* child_env[] = {"PROBE_ENV=from-execve", NULL};
  if (pipe2(out, O_CLOEXEC) != 0) return;
  errno = 1234;
  pid_t pid = fork();
  if (pid == 0) {
    struct sigaction dfl;
    struct rlimit limit = {200, 200};
    sigset_t set;
    int null_fd = open("/dev/null", O_RDONLY);
    dup2(null_fd, 0);
    close(null_fd);
    dup2(out[1], 1);
    close(out[0]);
    if (chdir("/tmp") != 0) _exit(126);
    if (new_session) setsid();
    else setpgid(0, 0);
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &dfl, NULL);
    sigaction(SIGUSR1, &dfl, NULL);
    if (unblock_all) {
      sigemptyset(&set);
      sigprocmask(SIG_SETMASK, &set, NULL);
      sigaddset(&set, SIGHUP);
      pthread_sigmask(SIG_BLOCK, &set, NULL);
    }
    setrlimit(RLIMIT_NOFILE, &limit);
    execve(self_path, child_argv, child_env);
    _exit(127);
  }
  int saved_errno = errno;
  close(out[1]);
  printf("spawn new_session=%d unblock_all=%d: fork ok=%d errno_after_fork=%d\n", new_session,
         unblock_all, pid > 0, saved_errno);
  copy_pipe_to_stdout(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  print_wait_status(status);
  char cwd[PATH_MAX];
  struct sigaction current;
  sigaction(SIGPIPE, NULL, &current);
  printf("  parent: cwd_is_tmp=%d sigpipe_ignored=%d PROBE_ENV=%s\n",
         strcmp(getcwd(cwd, sizeof cwd) ? cwd : "", "/tmp") == 0, current.sa_handler == SIG_IGN,
         getenv("PROBE_ENV") ? getenv("PROBE_ENV") : "(unset)");
}

/* An exec that fails, reported through a close-on-exec pipe (libuv's way). */
__attribute__((noinline)) static void scenario_exec_fails(void) {
  int report_pipe[2];
  if (pipe2(report_pipe, O_CLOEXEC) != 0) return;
  pid_t pid = fork();
  if (pid == 0) {
    char* argv[] = {"/nonexistent/program", NULL};
    close(report_pipe[0]);
    execvp(argv[0], argv);
    int error = errno;
    (void)!write(report_pipe[1], &error, sizeof error);
    _exit(127);
  }
  close(report_pipe[1]);
  int error = 0;
  ssize_t got = read(report_pipe[0], &error, sizeof error);
  close(report_pipe[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  printf("exec_fails: reported=%zd errno=%s\n", got, strerror(error));
  print_wait_status(status);
}

/* The child replaces environ (as libuv does) and closes a descriptor the
   parent keeps; exit() instead of _exit(). */
__attribute__((noinline)) static void scenario_environ_fds_exit(void) {
  char* replacement[] = {"PROBE_ENV=assigned-environ", NULL};
  int kept = open("/dev/null", O_RDONLY);
  int status = 0;
  pid_t pid = fork();
  if (pid == 0) {
    close(kept);
    environ = replacement;
    execlp(self_path, self_path, "report", "environ", (char*)NULL);
    exit(126);
  }
  waitpid(pid, &status, 0);
  printf("environ_fds: parent PROBE_ENV=%s kept_fd_open=%d\n",
         getenv("PROBE_ENV") ? getenv("PROBE_ENV") : "(unset)", fcntl(kept, F_GETFD) != -1);
  print_wait_status(status);
  close(kept);

  pid = fork();
  if (pid == 0) exit(3);
  waitpid(pid, &status, 0);
  printf("exit_in_child:\n");
  print_wait_status(status);
}

/* Drops privileges: only as root, skipped visibly otherwise. */
__attribute__((noinline)) static void scenario_drop_privileges(void) {
  if (geteuid() != 0) {
    printf("drop_privileges: SKIPPED (not root)\n");
    return;
  }
  int out[2];
  char* child_argv[] = {self_path, "report", "privileges", NULL};
  if (pipe2(out, O_CLOEXEC) != 0) return;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(125);
    execv(self_path, child_argv);
    _exit(127);
  }
  close(out[1]);
  printf("drop_privileges:\n");
  copy_pipe_to_stdout(out[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  print_wait_status(status);
  printf("  parent: uid=%d gid=%d\n", (int)getuid(), (int)getgid());
}

/* A nested fork in the child (native), waited for, then an exec. */
__attribute__((noinline)) static void scenario_nested_fork(void) {
  int status = 0;
  pid_t pid = fork();
  if (pid == 0) {
    pid_t grandchild = fork();
    if (grandchild == 0) _exit(9);
    int inner = 0;
    waitpid(grandchild, &inner, 0);
    char code[16];
    snprintf(code, sizeof code, "%d", WIFEXITED(inner) ? WEXITSTATUS(inner) + 1 : 99);
    char* with_name[] = {"/bin/sh", "-c", "exit $1", "sh", code, NULL};
    execv(with_name[0], with_name);
    _exit(127);
  }
  waitpid(pid, &status, 0);
  printf("nested_fork:\n");
  print_wait_status(status);
}

/* A single-threaded process holding mib MiB: known sites are emulated when
   it is large. */
static int run_large(long mib) {
  char* memory = malloc((size_t)mib << 20);
  if (!memory) return 2;
  memset(memory, 1, (size_t)mib << 20);
  scenario_exec_fails();
  printf("large: held=%ld\n", (long)memory[((size_t)mib << 20) - 1]);
  return 0;
}

static int run_scenarios(void) {
  pthread_t threads[2];
  sigset_t blocked;
  struct sigaction ignore;
  atexit(on_exit_handler);
  /* What the parent holds: SIGUSR2 blocked, SIGPIPE ignored, PROBE_ENV set. */
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGUSR2);
  pthread_sigmask(SIG_BLOCK, &blocked, NULL);
  memset(&ignore, 0, sizeof ignore);
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, NULL);
  setenv("PROBE_ENV", "parent", 1);
  start_writers(threads, 2);
  scenario_spawn(1, 0);
  scenario_spawn(0, 1);
  scenario_exec_fails();
  scenario_environ_fds_exit();
  scenario_drop_privileges();
  scenario_nested_fork();
  stop_all_writers(threads, 2);
  fflush(stdout);
  return 0;
}

/* ---- stress: the parent's locals across many forks ----------------------- */

static unsigned long mix(unsigned long value) { return value * 0x9E3779B97F4A7C15UL ^ (value >> 29); }

/* Many values live across fork(), more than there are registers, and a local
   buffer the child overwrites before _exit/exec: without the snapshot of the
   caller's stack the parent would see the child's writes. */
__attribute__((noinline)) static int stress_one(unsigned long seed, int exec_child) {
  volatile unsigned char buffer[2048];
  unsigned long v0 = mix(seed + 0), v1 = mix(seed + 1), v2 = mix(seed + 2), v3 = mix(seed + 3);
  unsigned long v4 = mix(seed + 4), v5 = mix(seed + 5), v6 = mix(seed + 6), v7 = mix(seed + 7);
  unsigned long v8 = mix(seed + 8), v9 = mix(seed + 9), v10 = mix(seed + 10), v11 = mix(seed + 11);
  unsigned long v12 = mix(seed + 12), v13 = mix(seed + 13), v14 = mix(seed + 14), v15 = mix(seed + 15);
  for (size_t i = 0; i < sizeof buffer; ++i) buffer[i] = (unsigned char)(seed + i);
  pid_t pid = fork();
  if (pid == 0) {
    /* Scribble over everything this frame holds, as a child reusing slots would. */
    for (size_t i = 0; i < sizeof buffer; ++i) buffer[i] = 0xA5;
    if (exec_child) {
      char* argv[] = {"/bin/true", NULL};
      execv(argv[0], argv);
    }
    _exit(0);
  }
  if (pid < 0) return -1;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  int bad = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
  for (size_t i = 0; i < sizeof buffer; ++i) bad |= buffer[i] != (unsigned char)(seed + i);
  bad |= v0 != mix(seed + 0) || v1 != mix(seed + 1) || v2 != mix(seed + 2) || v3 != mix(seed + 3);
  bad |= v4 != mix(seed + 4) || v5 != mix(seed + 5) || v6 != mix(seed + 6) || v7 != mix(seed + 7);
  bad |= v8 != mix(seed + 8) || v9 != mix(seed + 9) || v10 != mix(seed + 10) || v11 != mix(seed + 11);
  bad |= v12 != mix(seed + 12) || v13 != mix(seed + 13) || v14 != mix(seed + 14) ||
         v15 != mix(seed + 15);
  return bad;
}

struct stress_job {
  int first;
  int rounds;
  int failures;
};

static void* stress_thread(void* arg) {
  struct stress_job* job = arg;
  for (int round = job->first; round < job->first + job->rounds; ++round) {
    if (stress_one((unsigned long)round * 977, round % 16 == 0) != 0) ++job->failures;
  }
  return NULL;
}

/* rounds forks in total, from forkers threads at once, while two threads
   write memory. */
static int run_stress(int rounds, int forkers) {
  pthread_t writers[2], threads[16];
  struct stress_job jobs[16];
  int failures = 0;
  if (forkers < 1) forkers = 1;
  if (forkers > 16) forkers = 16;
  start_writers(writers, 2);
  for (int i = 0; i < forkers; ++i) {
    jobs[i].first = i * (rounds / forkers);
    jobs[i].rounds = i == forkers - 1 ? rounds - jobs[i].first : rounds / forkers;
    jobs[i].failures = 0;
  }
  if (forkers == 1) {
    stress_thread(&jobs[0]);
  } else {
    for (int i = 0; i < forkers; ++i) pthread_create(&threads[i], NULL, stress_thread, &jobs[i]);
    for (int i = 0; i < forkers; ++i) pthread_join(threads[i], NULL);
  }
  for (int i = 0; i < forkers; ++i) failures += jobs[i].failures;
  stop_all_writers(writers, 2);
  printf("stress rounds=%d failures=%d\n", rounds, failures);
  return failures == 0 ? 0 : 1;
}

/* ---- the child's paths that touch the parent ----------------------------- */

static void sleep_ms(long ms) {
  struct timespec pause = {ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&pause, &pause) != 0 && errno == EINTR) {
  }
}

static void* setgid_loop(void* arg) {
  atomic_long* calls = arg;
  while (!atomic_load(&stop_writers)) {
    if (setgid(getgid()) == 0) atomic_fetch_add(calls, 1);
  }
  return NULL;
}

/* glibc's setgid signals every thread of the process (__nptl_setxid): from a
   vfork-style child it signals the parent's threads and takes the parent's
   lock, which the looping thread holds while it waits for the suspended
   forking thread. */
__attribute__((noinline)) static int site_setgid_child(void) {
  char* argv[] = {"/bin/true", NULL};
  pid_t pid = fork();
  if (pid == 0) {
    if (setgid(getgid()) != 0) _exit(125);
    execv(argv[0], argv);
    _exit(127);
  }
  int status = 0;
  if (pid < 0) return -1;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int run_setgid_race(int rounds) {
  pthread_t setter;
  atomic_long calls = 0;
  int bad = 0;
  pthread_create(&setter, NULL, setgid_loop, &calls);
  while (atomic_load(&calls) == 0) sched_yield();
  for (int i = 0; i < rounds; ++i) bad += site_setgid_child() != 0;
  stop_all_writers(&setter, 1);
  printf("setgid_race: spawns=%d failed=%d setter_ran=%d\n", rounds, bad, atomic_load(&calls) > 0);
  return 0;
}

static atomic_int winch_count;
static int sync_ready[2], sync_go[2];

static void on_winch(int signo) {
  (void)signo;
  atomic_fetch_add(&winch_count, 1);
}

/* Waits for the child to say it is between fork and exec, signals the whole
   process group, then lets the child go on. */
static void* group_signaller(void* arg) {
  char byte;
  (void)arg;
  if (read(sync_ready[0], &byte, 1) != 1) return NULL;
  killpg(getpgrp(), SIGWINCH);
  sleep_ms(50);
  (void)!write(sync_go[1], "g", 1);
  return NULL;
}

__attribute__((noinline)) static int site_signal_child(void) {
  char* argv[] = {"/bin/true", NULL};
  pid_t pid = fork();
  if (pid == 0) {
    char byte;
    (void)!write(sync_ready[1], "r", 1);
    while (read(sync_go[0], &byte, 1) < 0 && errno == EINTR) {
    }
    execv(argv[0], argv);
    _exit(127);
  }
  int status = 0;
  if (pid < 0) return -1;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

static int run_signal_group(void) {
  struct sigaction counting;
  pthread_t signaller;
  memset(&counting, 0, sizeof counting);
  counting.sa_handler = on_winch;
  counting.sa_flags = SA_RESTART;
  sigaction(SIGWINCH, &counting, NULL);
  if (pipe(sync_ready) != 0 || pipe(sync_go) != 0) return 2;
  pthread_create(&signaller, NULL, group_signaller, NULL);
  int status = site_signal_child();
  pthread_join(signaller, NULL);
  for (int i = 0; i < 200 && atomic_load(&winch_count) == 0; ++i) sleep_ms(10);
  sleep_ms(100);
  printf("signal_group: parent_handler_runs=%d\n", atomic_load(&winch_count));
  print_wait_status(status);
  return 0;
}

static const char* wait_result(long result) {
  if (result == -1 && errno == ECHILD) return "ECHILD";
  if (result == -1) return strerror(errno);
  return result == 0 ? "0" : "a pid";
}

/* The child sets its own umask and calls every wait function (all fail with
   ECHILD: it has no children), then execs `umask`. */
__attribute__((noinline)) static int site_umask_wait(void) {
  char* argv[] = {self_path, "umask", NULL};
  pid_t pid = fork();
  if (pid == 0) {
    int status;
    siginfo_t info;
    umask(077);
    if (wait(&status) != -1 || errno != ECHILD) _exit(101);
    if (waitpid(-1, &status, 0) != -1 || errno != ECHILD) _exit(102);
    if (wait3(&status, WNOHANG, NULL) != -1 || errno != ECHILD) _exit(103);
    if (wait4(-1, &status, 0, NULL) != -1 || errno != ECHILD) _exit(104);
    if (waitid(P_ALL, 0, &info, WEXITED) != -1 || errno != ECHILD) _exit(105);
    execv(argv[0], argv);
    _exit(127);
  }
  int status = 0;
  if (pid < 0) return -1;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

static int run_umask_wait(void) {
  pthread_t threads[2];
  char* argv[] = {self_path, "umask", NULL};
  umask(022);
  start_writers(threads, 2);
  printf("umask_wait: child\n");
  print_wait_status(site_umask_wait());
  /* The parent's next spawn (through the helper under the library). */
  pid_t spawned;
  int status = 0;
  printf("umask_wait: parent's posix_spawn\n");
  if (posix_spawn(&spawned, self_path, NULL, NULL, argv, environ) != 0) return 2;
  pid_t reaped = waitpid(-1, &status, 0);
  printf("  waitpid(-1) returned the spawned child=%d\n", reaped == spawned);
  print_wait_status(status);
  /* Only helpers (if any) are left: every wait must say ECHILD at once. */
  siginfo_t info;
  long result;
  result = wait(&status);
  printf("  wait: %s\n", wait_result(result));
  result = waitpid(-1, &status, WNOHANG);
  printf("  waitpid: %s\n", wait_result(result));
  result = wait3(&status, 0, NULL);
  printf("  wait3: %s\n", wait_result(result));
  result = wait4(0, &status, 0, NULL);
  printf("  wait4: %s\n", wait_result(result));
  memset(&info, 0, sizeof info);
  result = waitid(P_ALL, 0, &info, WEXITED);
  printf("  waitid: %s\n", wait_result(result));
  mode_t now = umask(022);
  printf("  parent umask=%04o\n", (unsigned)now);
  stop_all_writers(threads, 2);
  return 0;
}

static int error_path_writes;

/* After a failed exec the child's error path writes a global, as Perl's warn,
   APR's error callback or PHP's error handler do: natively its own copy. */
__attribute__((noinline)) static int site_exec_fail_state(void) {
  char* argv[] = {"/nonexistent/program", NULL};
  pid_t pid = fork();
  if (pid == 0) {
    execv(argv[0], argv);
    error_path_writes += 1;
    _exit(127);
  }
  int status = 0;
  if (pid < 0) return -1;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

static int run_exec_fail_state(void) {
  pthread_t threads[1];
  start_writers(threads, 1);
  int status = site_exec_fail_state();
  stop_all_writers(threads, 1);
  printf("exec_fail_state: parent sees error_path_writes=%d\n", error_path_writes);
  print_wait_status(status);
  return 0;
}

int main(int argc, char** argv) {
  main_pid = getpid();
  atexit_flag_path = getenv("PROBE_ATEXIT_FLAG");
  setvbuf(stdout, NULL, _IOLBF, 0);
  ssize_t length = readlink("/proc/self/exe", self_path, sizeof self_path - 1);
  if (length <= 0) return 2;
  self_path[length] = '\0';
  if (argc >= 2 && strcmp(argv[1], "report") == 0) return report(argc, argv);
  if (argc >= 2 && strcmp(argv[1], "umask") == 0) {
    mode_t mask = umask(0);
    printf("  umask=%04o\n", (unsigned)mask);
    return 0;
  }
  if (argc >= 3 && strcmp(argv[1], "setgid-race") == 0) return run_setgid_race(atoi(argv[2]));
  if (argc >= 2 && strcmp(argv[1], "signal-group") == 0) return run_signal_group();
  if (argc >= 2 && strcmp(argv[1], "umask-wait") == 0) return run_umask_wait();
  if (argc >= 2 && strcmp(argv[1], "exec-fail-state") == 0) return run_exec_fail_state();
  if (argc >= 2 && strcmp(argv[1], "scenarios") == 0) return run_scenarios();
  if (argc >= 3 && strcmp(argv[1], "large") == 0) return run_large(atol(argv[2]));
  if (argc >= 3 && strcmp(argv[1], "stress") == 0)
    return run_stress(atoi(argv[2]), argc >= 4 ? atoi(argv[3]) : 1);
  fprintf(stderr, "usage: fork_probe scenarios | stress N [FORKING_THREADS] | large MIB | setgid-race N |\n"
                  "       signal-group | umask-wait | exec-fail-state | umask | report ARG...\n");
  return 2;
}
