/* Many processes append diagnostics to one FORKLESS_LOG_FILE at once: every
 * line must arrive whole. Each process runs a thread and makes N system()
 * calls; the runner counts and parses the lines. */
#define _GNU_SOURCE
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
  int calls = argc > 1 ? atoi(argv[1]) : 20;
  pthread_t thread;
  pthread_create(&thread, NULL, idle, NULL);
  for (int i = 0; i < calls; ++i) {
    int status = system("exit 0");
    if (status != 0) return 1;
  }
  return 0;
}
