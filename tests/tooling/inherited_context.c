/* Context a native child inherits, changed after the helper started: the
 * process's oom_score_adj and coredump_filter, THP-disable, the calling
 * thread's NUMA policy, and SCHED_IDLE with SCHED_RESET_ON_FORK (the kernel
 * keeps SCHED_IDLE for the child; only real-time policies are reset). The
 * child (this program, "show") prints what it got; natively and under
 * forkless the output must be the same.
 *
 * "pipe-eof": a pipe's write end given to a child; once the parent has
 * closed its copy and reaped the child, the read end must be at EOF at once
 * (the helper must not still hold its received copy). Prints the count of
 * rounds where it was not.
 *
 * Usage: inherited_context context|pipe-eof|show */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

/* <numaif.h> is libnuma's: the kernel's values. */
enum { kMpolPreferred = 1 };

static void* idle(void* unused) {
  (void)unused;
  for (;;) pause();
  return NULL;
}

static void print_file(const char* label, const char* path) {
  char text[128] = "";
  FILE* file = fopen(path, "r");
  if (file && fgets(text, sizeof text, file)) text[strcspn(text, "\n")] = '\0';
  if (file) fclose(file);
  printf("%s=%s\n", label, text);
}

static int show(void) {
  print_file("oom_score_adj", "/proc/self/oom_score_adj");
  print_file("coredump_filter", "/proc/self/coredump_filter");
  printf("thp_disable=%d\n", prctl(PR_GET_THP_DISABLE, 0, 0, 0, 0));
  int mode = -1;
  unsigned long nodes[16] = {0};
  long got = syscall(SYS_get_mempolicy, &mode, nodes, 1024, NULL, 0);
  printf("mempolicy=%ld mode=%d nodes=%lx\n", got, mode, nodes[0]);
  printf("scheduler=%d\n", sched_getscheduler(0));
  return 0;
}

static void spawn_show(const char* self, const char* label) {
  fflush(stdout);
  char* argv[] = {(char*)self, "show", NULL};
  pid_t pid;
  int status = 0;
  printf("--- %s\n", label);
  fflush(stdout);
  if (posix_spawn(&pid, self, NULL, NULL, argv, environ) == 0) waitpid(pid, &status, 0);
}

static int context(const char* self) {
  spawn_show(self, "before");  /* starts the helper */
  FILE* oom = fopen("/proc/self/oom_score_adj", "w");
  FILE* filter = fopen("/proc/self/coredump_filter", "w");
  if (!oom || !filter) return 1;
  fprintf(oom, "500\n");
  fprintf(filter, "0x7\n");
  fclose(oom);
  fclose(filter);
  if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0) != 0) printf("note: no PR_SET_THP_DISABLE\n");
  unsigned long node0 = 1;
  if (syscall(SYS_set_mempolicy, kMpolPreferred, &node0, 2) != 0) printf("note: no NUMA policy\n");
  struct sched_param none = {0};
  if (sched_setscheduler(0, SCHED_IDLE | SCHED_RESET_ON_FORK, &none) != 0) printf("note: no SCHED_IDLE\n");
  spawn_show(self, "after");
  return 0;
}

/* 200 rounds: a child holding only the write end (at a high number, after
 * many others, so the helper would close it last), the parent closes its
 * copy, reaps the child, and reads the read end without blocking. */
static int pipe_eof(void) {
  int filler[200];
  for (int i = 0; i < 200; ++i) filler[i] = open("/dev/null", O_RDONLY);
  int late = 0;
  for (int round = 0; round < 200; ++round) {
    int ends[2];
    if (pipe(ends) != 0) return 1;
    int high = fcntl(ends[1], F_DUPFD, 250);
    close(ends[1]);
    fcntl(ends[0], F_SETFD, FD_CLOEXEC);
    fcntl(ends[0], F_SETFL, O_NONBLOCK);
    char* argv[] = {"true", NULL};
    pid_t pid;
    if (posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ) != 0) return 1;
    close(high);
    waitpid(pid, NULL, 0);
    char byte;
    if (read(ends[0], &byte, 1) != 0) ++late;
    close(ends[0]);
  }
  for (int i = 0; i < 200; ++i) close(filler[i]);
  printf("rounds where the read end was not at EOF: %d\n", late);
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  if (strcmp(argv[1], "show") == 0) return show();
  pthread_t thread;
  pthread_create(&thread, NULL, idle, NULL);
  if (strcmp(argv[1], "context") == 0) return context(argv[0]);
  if (strcmp(argv[1], "pipe-eof") == 0) return pipe_eof();
  return 2;
}
