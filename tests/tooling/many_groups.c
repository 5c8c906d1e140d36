/* A root program with more than 256 supplementary groups changes one beyond
 * the 256th after its helper started: the child must get the new set
 * (natively and under forkless alike), and the helper must be replaced for
 * it (the groups compared in full), not refused by the helper's own check.
 *
 * Usage: many_groups. Needs root; exits 77 otherwise. */
#define _GNU_SOURCE
#include <grp.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum { kGroups = 300 };  /* more than the 256 the check read before */

static void* idle(void* unused) {
  (void)unused;
  for (;;) pause();
  return NULL;
}

static void show(const char* label) {
  fflush(stdout);
  FILE* child = popen("id -G | tr ' ' '\\n' | tail -n 1", "r");
  char line[64] = "";
  if (child && !fgets(line, sizeof line, child)) strcpy(line, "?\n");
  if (child) pclose(child);
  printf("%s: last group %s", label, line);
}

int main(void) {
  if (geteuid() != 0) {
    printf("SKIP: needs root\n");
    return 77;
  }
  pthread_t thread;
  pthread_create(&thread, NULL, idle, NULL);
  gid_t groups[kGroups];
  for (int i = 0; i < kGroups; ++i) groups[i] = (gid_t)(20000 + i);
  if (setgroups(kGroups, groups) != 0) {
    printf("SKIP: setgroups refused\n");
    return 77;
  }
  show("before");  /* a helper with these groups */
  groups[kGroups - 1] = 29999;
  if (setgroups(kGroups, groups) != 0) return 1;
  show("after");
  return 0;
}
