/* Paths of an emulated child that must end as natively (fork.child-paths):
   each scenario prints what the parent saw; fork.child-paths runs it
   natively and under the library, with the scenario's fork site listed, and
   requires the same output.

   fallback   the first exec fails, a second one succeeds: fork() returns at
              once and a signal to the child's pid reaches the program
   sigchld    the child ignores SIGCHLD, its exec fails, it _exits 42
   environ    the child assigns environ, calls dup2, execs with environ named
   renumber   libuv's renumbering (in a function named uv_spawn) with 249
              low-numbered descriptors moved: the exec'd program gets the
              right descriptors and the parent's heap array is untouched
   slot       a worker forked by one thread while another thread's emulated
              child runs can still emulate (its log lines are checked) */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char** environ;

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void print_status(const char* label, int status) {
  if (WIFEXITED(status)) printf("%s: exit %d\n", label, WEXITSTATUS(status));
  else if (WIFSIGNALED(status)) printf("%s: signal %d\n", label, WTERMSIG(status));
  else printf("%s: status 0x%x\n", label, status);
}

__attribute__((noinline)) static void scenario_fallback(void) {
  double started = now_s();
  pid_t pid = fork();
  if (pid == 0) {
    execlp("/nonexistent/editor", "editor", (char*)NULL);
    execl("/bin/sleep", "sleep", "5", (char*)NULL);
    _exit(126);
  }
  double took = now_s() - started;
  printf("fallback: fork returned within a second: %s\n", took < 1.0 ? "yes" : "no");
  usleep(200 * 1000);  /* the fork's sleep is running by now */
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  print_status("fallback", status);
  printf("fallback: ended within 3 seconds: %s\n", now_s() - started < 3.0 ? "yes" : "no");
}

__attribute__((noinline)) static void scenario_sigchld(void) {
  pid_t pid = fork();
  if (pid == 0) {
    signal(SIGCHLD, SIG_IGN);
    execlp("/nonexistent/tool", "tool", (char*)NULL);
    _exit(42);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  print_status("sigchld", status);
}

__attribute__((noinline)) static void scenario_environ(void) {
  static char only[] = "ONLY_IN_CHILD=yes";
  static char* child_env[] = {only, NULL};
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    char* argv[] = {"env", NULL};
    environ = child_env;
    dup2(2, 2);
    execve("/usr/bin/env", argv, environ);
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  print_status("environ", status);
  printf("environ: parent still has PATH: %s\n", getenv("PATH") != NULL ? "yes" : "no");
}

/* libuv's uv__process_child_init loops 1 and 2, on a heap array: stdio[0]
   is a file, stdio[3..249] the program's own descriptor 0 (a pipe), so
   loop 2's first dup2 replaces descriptor 0 and every later entry must use
   the moved copy of the original (1 and 2 stay the probe's). */
enum { kStdio = 300, kLastMoved = 249 };

static int expected_use(int fd, int file_fd) {
  if (fd == 0) return file_fd;
  return fd >= 3 && fd <= kLastMoved ? 0 : -1;
}

__attribute__((noinline)) int uv_spawn(int file_fd) {
  int (*pipes)[2] = malloc(sizeof(int[2]) * kStdio);
  for (int fd = 0; fd < kStdio; ++fd) {
    pipes[fd][0] = -1;
    pipes[fd][1] = expected_use(fd, file_fd);
  }
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    for (int fd = 0; fd < kStdio; ++fd) {
      int use_fd = pipes[fd][1];
      if (use_fd < 0 || use_fd >= fd) continue;
      pipes[fd][1] = fcntl(use_fd, F_DUPFD_CLOEXEC, kStdio);
      if (pipes[fd][1] == -1) _exit(125);
    }
    for (int fd = 0; fd < kStdio; ++fd) {
      int use_fd = pipes[fd][1];
      if (use_fd < 0) continue;
      if (fd != use_fd && dup2(use_fd, fd) != fd) _exit(124);
    }
    execl("/bin/sh", "sh", "-c",
          "for fd in 0 3 10 100 249; do echo \"$fd $(readlink /proc/self/fd/$fd | sed 's/:.*//')\"; done; "
          "echo \"open: $(ls /proc/self/fd | wc -l)\"", (char*)NULL);
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  int intact = 1;
  for (int fd = 0; fd < kStdio; ++fd) {
    if (pipes[fd][1] != expected_use(fd, file_fd)) intact = 0;
  }
  free(pipes);
  print_status("renumber", status);
  printf("renumber: parent's array intact: %s\n", intact ? "yes" : "no");
  return 0;
}

static void scenario_renumber(const char* path) {
  int stdin_pipe[2];
  if (pipe(stdin_pipe) != 0 || dup2(stdin_pipe[0], 0) != 0) return;
  int file_fd = open(path, O_RDONLY | O_CLOEXEC);
  if (file_fd < 0 || file_fd >= kStdio) return;
  uv_spawn(file_fd);
  close(file_fd);
}

/* The slot: the emulated child of slot_spawner tells slot_worker (via a
   pipe) that it runs, then waits a while before its exec; meanwhile the
   other thread forks a worker that spawns at the listed site itself. */
static int running_pipe[2];

__attribute__((noinline)) static void slot_site(const char* who) {
  pid_t pid = fork();
  if (pid == 0) {
    if (who != NULL) {
      (void)!write(running_pipe[1], "r", 1);
      usleep(300 * 1000);
    }
    execl("/bin/true", "true", (char*)NULL);
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (who != NULL) print_status(who, status);
}

static void* slot_spawner(void* unused) {
  (void)unused;
  slot_site("slot-spawner");
  return NULL;
}

__attribute__((noinline)) static pid_t unlisted_fork(void) { return fork(); }

static void scenario_slot(void) {
  pthread_t thread;
  if (pipe(running_pipe) != 0) return;
  pthread_create(&thread, NULL, slot_spawner, NULL);
  char byte;
  (void)!read(running_pipe[0], &byte, 1);
  fflush(stdout);
  pid_t worker = unlisted_fork();
  if (worker == 0) {
    for (int i = 0; i < 3; ++i) slot_site(NULL);
    _exit(0);
  }
  int status = 0;
  waitpid(worker, &status, 0);
  print_status("slot-worker", status);
  pthread_join(thread, NULL);
}

int main(int argc, char** argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc >= 2 && strcmp(argv[1], "fallback") == 0) scenario_fallback();
  else if (argc >= 2 && strcmp(argv[1], "sigchld") == 0) scenario_sigchld();
  else if (argc >= 2 && strcmp(argv[1], "environ") == 0) scenario_environ();
  else if (argc >= 3 && strcmp(argv[1], "renumber") == 0) scenario_renumber(argv[2]);
  else if (argc >= 2 && strcmp(argv[1], "slot") == 0) scenario_slot();
  else {
    fprintf(stderr, "usage: emulated_child_probe fallback|sigchld|environ|renumber FILE|slot\n");
    return 2;
  }
  return 0;
}
