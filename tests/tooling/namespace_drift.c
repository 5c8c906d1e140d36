/* A thread that moves into a new UTS namespace after the helper started must
 * get children in its new namespace: the hostname the child prints is the
 * one set in the new namespace, natively and under forkless (an old helper,
 * still in the old namespace, would print the old one).
 * Needs root (CAP_SYS_ADMIN); exits 77 otherwise. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
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

static void print_child_hostname(const char* label) {
  fflush(stdout);
  FILE* child = popen("hostname", "r");
  char name[256] = "";
  if (child && fgets(name, sizeof name, child)) name[strcspn(name, "\n")] = '\0';
  if (child) pclose(child);
  printf("%s: %s\n", label, name);
}

int main(void) {
  pthread_t thread;
  pthread_create(&thread, NULL, idle, NULL);
  char original[256];
  gethostname(original, sizeof original);
  print_child_hostname("before");  /* starts the helper in the old namespace */
  if (unshare(CLONE_NEWUTS) != 0) {
    printf("SKIP: unshare(CLONE_NEWUTS) failed (needs root)\n");
    return 77;
  }
  const char* fresh = "forkless-drift-test";
  if (sethostname(fresh, strlen(fresh)) != 0) return 1;
  print_child_hostname("after");
  return 0;
}
