/* A thread forks and execs from a stack of its own (makecontext), outside
 * the bounds its thread attributes give: the library then finds the stack's
 * top in /proc/self/maps. Under FORKLESS_FORK=all the fork must be emulated
 * (with eintr_maps.so preloaded first, even when that read is interrupted).
 * Prints the child's exit status.
 *
 * Usage: fork_on_own_stack */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

enum { kStackBytes = 256 * 1024 };

static ucontext_t thread_context, coroutine_context;
static int child_status = -1;

static void spawn_true(void) {
  pid_t pid = fork();
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", "exit 3", (char*)NULL);
    _exit(127);
  }
  int status = 0;
  if (pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status)) child_status = WEXITSTATUS(status);
}

static void* forker(void* unused) {
  (void)unused;
  void* stack = mmap(NULL, kStackBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return NULL;
  getcontext(&coroutine_context);
  coroutine_context.uc_stack.ss_sp = stack;
  coroutine_context.uc_stack.ss_size = kStackBytes;
  coroutine_context.uc_link = &thread_context;
  makecontext(&coroutine_context, spawn_true, 0);
  swapcontext(&thread_context, &coroutine_context);
  return NULL;
}

int main(void) {
  pthread_t thread;
  pthread_create(&thread, NULL, forker, NULL);
  pthread_join(thread, NULL);
  printf("child exit status %d\n", child_status);
  return 0;
}
