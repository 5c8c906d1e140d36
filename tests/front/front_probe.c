/* What the front library does before and after it loads the core, as a
   program sees it. Each mode prints "core=0|1" lines (is libforkless-core.so
   mapped?) around the calls it makes, and exits 0 when every call gave what
   libc gives.

   front_probe idle              nothing: the core must stay unloaded
   front_probe system            system("exit 3") (status 3), then the map
   front_probe chdir-system      chdir("/"), then system("exit 3")
   front_probe fork-alone        fork() with no other thread, child _exit(5)
   front_probe fork-threaded     the same with a second thread running
   front_probe vfork-spawn       a vfork child calls posix_spawn and system
                                 (libc's, on the parent's memory), then _exit
   front_probe race N            N threads posix_spawn /bin/true 20 times each,
                                 all released at once at the first use
   front_probe exec-lists        forked children run execl, execlp and execle
                                 (the front turns their lists into an argv) */
#define _GNU_SOURCE
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

static int core_mapped(void) {
  FILE* maps = fopen("/proc/self/maps", "r");
  char line[4096];
  int found = 0;
  if (!maps) return -1;
  while (fgets(line, sizeof line, maps))
    if (strstr(line, "/libforkless-core.so")) found = 1;
  fclose(maps);
  return found;
}

static void say_core(const char* when) { printf("%s core=%d\n", when, core_mapped()); }

static int exit_code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

static void* sleeper(void* unused) {
  (void)unused;
  pause();
  return NULL;
}

static int fork_and_wait(void) {
  pid_t pid = fork();
  if (pid == 0) _exit(5);
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
  return exit_code(status);
}

static pthread_barrier_t start_line;

static void* spawner(void* failures) {
  char* argv[] = {"/bin/true", NULL};
  pthread_barrier_wait(&start_line);
  for (int i = 0; i < 20; ++i) {
    pid_t pid;
    int status = 0;
    if (posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ) != 0 || waitpid(pid, &status, 0) != pid ||
        exit_code(status) != 0)
      __atomic_add_fetch((int*)failures, 1, __ATOMIC_RELAXED);
  }
  return NULL;
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "idle";
  setvbuf(stdout, NULL, _IONBF, 0);
  say_core("start");
  if (strcmp(mode, "idle") == 0) return 0;
  if (strcmp(mode, "chdir-system") == 0 && chdir("/") != 0) return 1;
  if (strcmp(mode, "system") == 0 || strcmp(mode, "chdir-system") == 0) {
    int status = system("exit 3");
    printf("system=%d\n", exit_code(status));
    say_core("after");
    return exit_code(status) == 3 ? 0 : 1;
  }
  if (strcmp(mode, "fork-alone") == 0 || strcmp(mode, "fork-threaded") == 0) {
    pthread_t thread;
    if (strcmp(mode, "fork-threaded") == 0 && pthread_create(&thread, NULL, sleeper, NULL) != 0) return 1;
    int code = fork_and_wait();
    printf("child=%d\n", code);
    say_core("after");
    return code == 5 ? 0 : 1;
  }
  if (strcmp(mode, "vfork-spawn") == 0) {
    pid_t pid = vfork();
    if (pid == 0) {
      char* child_argv[] = {"/bin/sh", "-c", "exit 4", NULL};
      pid_t grandchild;
      int status = 0;
      if (posix_spawn(&grandchild, "/bin/sh", NULL, NULL, child_argv, environ) != 0 ||
          waitpid(grandchild, &status, 0) != grandchild || exit_code(status) != 4)
        _exit(20);
      if (exit_code(system("exit 6")) != 6) _exit(21);
      _exit(7);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) != pid) return 1;
    printf("child=%d\n", exit_code(status));
    say_core("after");
    return exit_code(status) == 7 ? 0 : 1;
  }
  if (strcmp(mode, "exec-lists") == 0) {
    static char* const env[] = {"CODE=9", NULL};
    int codes[3];
    for (int which = 0; which < 3; ++which) {
      pid_t pid = fork();
      if (pid == 0) {
        if (which == 0) execl("/bin/sh", "sh", "-c", "exit 7", (char*)NULL);
        if (which == 1) execlp("sh", "sh", "-c", "exit 8", (char*)NULL);
        if (which == 2) execle("/bin/sh", "sh", "-c", "exit $CODE", (char*)NULL, env);
        _exit(99);
      }
      int status = 0;
      if (pid < 0 || waitpid(pid, &status, 0) != pid) return 1;
      codes[which] = exit_code(status);
    }
    printf("execl=%d execlp=%d execle=%d\n", codes[0], codes[1], codes[2]);
    say_core("after");
    return codes[0] == 7 && codes[1] == 8 && codes[2] == 9 ? 0 : 1;
  }
  if (strcmp(mode, "race") == 0) {
    int threads = argc > 2 ? atoi(argv[2]) : 8;
    pthread_t ids[64];
    int failures = 0;
    if (threads < 1 || threads > 64) return 2;
    pthread_barrier_init(&start_line, NULL, (unsigned)threads);
    for (int i = 0; i < threads; ++i) pthread_create(&ids[i], NULL, spawner, &failures);
    for (int i = 0; i < threads; ++i) pthread_join(ids[i], NULL);
    printf("failures=%d\n", failures);
    say_core("after");
    return failures == 0 ? 0 : 1;
  }
  return 2;
}
