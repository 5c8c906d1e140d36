/* Spawns with many inheritable descriptors: the child must see exactly the
 * caller's table (it counts and checks its descriptors); above the shim's
 * threshold the call goes native, with its reason in the diagnostics.
 * Usage: many_fds COUNT */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
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
  fflush(stdout);
  /* The shell lists its table: number and target of every descriptor (pipe
   and socket numbers dropped: they differ from run to run). */
  int status = system("for f in /proc/$$/fd/*; do echo \"${f##*/} $(readlink $f | tr -d 0-9)\"; done | sort -n | md5sum; "
                      "ls /proc/$$/fd | wc -l");
  return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
