/* The interposers called from a child that shares the parent's memory (the
   program's own vfork(), and an emulated fork at a listed site) must leave
   the library's state, which is the parent's, alone: umask() there must not
   change the umask the parent's next helper spawn gives its child, the wait
   calls must not touch the parent's tables, and exec must not shut the
   parent's helpers down. Prints what the parent's children saw; the output
   is the same natively and under the library. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static void* idle_thread(void* unused) {
  (void)unused;
  for (;;) pause();
  return NULL;
}

/* The umask a spawned shell reports. */
static void report_umask(const char* when) {
  FILE* shell = popen("umask", "r");
  char line[64] = "";
  if (shell == NULL || fgets(line, sizeof line, shell) == NULL) strcpy(line, "none\n");
  int status = shell != NULL ? pclose(shell) : -1;
  printf("%s: umask=%s", when, line);
  printf("%s: pclose=%d\n", when, status);
}

/* Everything a careful child might call before exec. */
static void child_calls(void) {
  int status;
  siginfo_t info;
  umask(077);
  waitpid(-1, &status, WNOHANG);
  wait3(&status, WNOHANG, NULL);
  wait4(-1, &status, WNOHANG, NULL);
  waitid(P_ALL, 0, &info, WEXITED | WNOHANG);
  execl("/bin/true", "true", (char*)NULL);
  _exit(127);
}

__attribute__((noinline)) static void vfork_site(void) {
  pid_t pid = vfork();
  if (pid == 0) child_calls();
  int status = 0;
  waitpid(pid, &status, 0);
  printf("vfork: exited=%d status=%d\n", WIFEXITED(status), WEXITSTATUS(status));
}

__attribute__((noinline)) static void shared_child_site(void) {
  pid_t pid = fork();
  if (pid == 0) child_calls();
  int status = 0;
  waitpid(pid, &status, 0);
  printf("fork: exited=%d status=%d\n", WIFEXITED(status), WEXITSTATUS(status));
}

int main(void) {
  pthread_t thread;
  pthread_create(&thread, NULL, idle_thread, NULL);
  setvbuf(stdout, NULL, _IONBF, 0);
  umask(022);
  report_umask("start");
  vfork_site();
  report_umask("after-vfork");
  shared_child_site();
  report_umask("after-fork");
  return 0;
}
