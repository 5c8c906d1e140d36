/* After a program that used a helper execs, no helper is left as its child.
 *
 * "first": starts a thread, makes one system() call (served by the helper
 * under FORKLESS_MODE=always), then execs itself as "second" WITHOUT the
 * library, so nothing can hide a stray helper. "second": waits a moment,
 * then reports what waitpid(-1, WNOHANG) says and which children the kernel
 * lists; natively and under forkless both must say "no children".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

static void* idle(void* unused) {
  (void)unused;
  for (;;) pause();
  return NULL;
}

static int report_children(void) {
  usleep(200 * 1000);
  int status;
  errno = 0;
  pid_t got = waitpid(-1, &status, WNOHANG);
  printf("waitpid=%d errno=%s\n", got, got < 0 ? strerrorname_np(errno) : "-");
  char buffer[4096] = "";
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%d/children", getpid());
  FILE* f = fopen(path, "r");
  size_t n = f ? fread(buffer, 1, sizeof buffer - 1, f) : 0;
  buffer[n] = '\0';
  if (f) fclose(f);
  printf("children=[%s]\n", buffer);
  return 0;
}

int main(int argc, char** argv) {
  if (argc > 1 && strcmp(argv[1], "second") == 0) return report_children();
  pthread_t thread;
  pthread_create(&thread, NULL, idle, NULL);
  int status = system("exit 3");
  printf("system=%d\n", WEXITSTATUS(status));
  fflush(stdout);
  /* The new image runs without the library. */
  size_t count = 0;
  while (environ[count]) ++count;
  char** env = calloc(count + 1, sizeof(char*));
  size_t out = 0;
  for (size_t i = 0; i < count; ++i)
    if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0) env[out++] = environ[i];
  char* next[] = {argv[0], "second", NULL};
  execve("/proc/self/exe", next, env);
  perror("execve");
  return 1;
}
