/* Spawns with many inheritable descriptors: the child must see exactly the
 * caller's table (ls lists it); above the shim's threshold the call goes
 * native, with its reason in the diagnostics.
 * Usage: many_fds COUNT */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void* idle(void* unused) {
  (void)unused;
  for (;;) pause();
  return NULL;
}

int main(int argc, char** argv) {
  int count = argc > 1 ? atoi(argv[1]) : 100;
  for (int i = 0; i < count; ++i) {
    /* Alternate files so that numbers and files must match one to one. */
    int fd = open(i % 2 ? "/dev/null" : "/dev/zero", O_RDONLY);
    if (fd < 0) return 1;
  }
  pthread_t thread;
  pthread_create(&thread, NULL, idle, NULL);
  /* ls lists its own table (what it inherited, plus its directory stream at
     the lowest free number); pipe and socket numbers differ from run to run. */
  FILE* listing = popen("exec ls -l /proc/self/fd", "r");
  if (!listing) return 1;
  char line[512];
  int listed = 0;
  while (fgets(line, sizeof line, listing)) {
    char* arrow = strstr(line, " -> ");
    char* name = arrow ? arrow : line;
    while (name > line && name[-1] != ' ') --name;
    if (!arrow) continue;
    /* Keep the descriptor number; drop digits from the target (pipe and
       socket inodes, ls's own pid in /proc/PID/fd) and the newline. */
    char target[512];
    size_t out = 0;
    for (const char* c = arrow; *c && *c != '\n' && out < sizeof target - 1; ++c)
      if (*c < '0' || *c > '9') target[out++] = *c;
    target[out] = '\0';
    printf("%.*s%s\n", (int)(arrow - name), name, target);
    ++listed;
  }
  printf("count %d\n", listed);
  return pclose(listing) == 0 ? 0 : 1;
}
