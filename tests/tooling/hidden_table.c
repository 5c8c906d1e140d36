/* More helpers alive and unreaped than the library's table of hidden pids
 * holds: each round spawns (a helper starts), stops that helper (SIGSTOP, so
 * it cannot exit when it is let go), and joins a new session keyring, which
 * makes the next spawn retire it for a fresh one. After 300 rounds every
 * stopped helper is killed; the program has no children of its own left, so
 * waitpid(-1) must fail with ECHILD, as natively: a helper the table could
 * not hide would be returned instead.
 *
 * Usage: hidden_table. Exits 77 when a session keyring cannot be joined. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <linux/keyctl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum { kRounds = 300 };  /* more than the table's 256 entries */

static void* idle(void* unused) {
  (void)unused;
  for (;;) pause();
  return NULL;
}

/* Children listed by the kernel (the helpers: the spawned ones are reaped). */
static int list_children(pid_t* out, int capacity) {
  int count = 0;
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task");
  DIR* tasks = opendir(path);
  struct dirent* task;
  while (tasks && (task = readdir(tasks)) != NULL) {
    if (task->d_name[0] == '.') continue;
    char file[384];
    snprintf(file, sizeof file, "/proc/self/task/%s/children", task->d_name);
    FILE* children = fopen(file, "r");
    int pid;
    while (children && count < capacity && fscanf(children, "%d", &pid) == 1) out[count++] = pid;
    if (children) fclose(children);
  }
  if (tasks) closedir(tasks);
  return count;
}

int main(void) {
  pthread_t thread;
  pthread_create(&thread, NULL, idle, NULL);
  static pid_t stopped[kRounds * 2];
  int stopped_count = 0;
  for (int round = 0; round < kRounds; ++round) {
    if (system("true") != 0) return 1;
    static pid_t children[kRounds * 2];
    int count = list_children(children, kRounds * 2);
    for (int i = 0; i < count; ++i) {
      int known = 0;
      for (int j = 0; j < stopped_count; ++j) known |= stopped[j] == children[i];
      if (!known && kill(children[i], SIGSTOP) == 0) stopped[stopped_count++] = children[i];
    }
    if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0) {
      printf("SKIP: cannot join a session keyring: %s\n", strerror(errno));
      return 77;
    }
  }
  for (int i = 0; i < stopped_count; ++i) kill(stopped[i], SIGKILL);
  usleep(200 * 1000);  /* let the kernel make them zombies */
  pid_t got = waitpid(-1, NULL, WNOHANG);
  printf("waitpid(-1)=%s\n", got < 0 && errno == ECHILD ? "ECHILD" : got == 0 ? "0 (a child is running)" : "a pid");
  return 0;
}
