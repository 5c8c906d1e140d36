/* A process that restricts itself with Landlock (through libc's syscall(), as
 * the Landlock libraries do) after its helper started: a file its native
 * children cannot open must stay unreadable through system, popen,
 * posix_spawn and posix_spawnp. Prints one line per call; natively and under
 * forkless the output must be the same. Exits 77 where the kernel has no
 * Landlock.
 *
 * Usage: landlock_drift WORKDIR (which holds a readable file "secret") */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

static void* idle(void* unused) {
  (void)unused;
  for (;;) pause();
  return NULL;
}

static int cat_status(const char* how, const char* secret) {
  char command[1024];
  snprintf(command, sizeof command, "cat %s >/dev/null 2>&1", secret);
  if (strcmp(how, "system") == 0) return WEXITSTATUS(system(command));
  if (strcmp(how, "popen") == 0) {
    FILE* child = popen(command, "r");
    return child ? WEXITSTATUS(pclose(child)) : -1;
  }
  char* argv[] = {"sh", "-c", command, NULL};
  pid_t pid;
  int error = strcmp(how, "posix_spawnp") == 0 ? posix_spawnp(&pid, "sh", NULL, NULL, argv, environ)
                                              : posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ);
  int status = 0;
  if (error != 0 || waitpid(pid, &status, 0) != pid) return -1;
  return WEXITSTATUS(status);
}

static void allow_reading_beneath(int ruleset, const char* path) {
  struct landlock_path_beneath_attr rule = {.allowed_access = LANDLOCK_ACCESS_FS_READ_FILE};
  rule.parent_fd = open(path, O_PATH | O_CLOEXEC);
  if (rule.parent_fd < 0) return;
  syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &rule, 0);
  close(rule.parent_fd);
}

/* Reading files is handled (denied) everywhere but beneath the system's
 * directories and the preloaded library's (which every child loads). */
static int restrict_reading(void) {
  struct landlock_ruleset_attr attributes = {.handled_access_fs = LANDLOCK_ACCESS_FS_READ_FILE};
  int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attributes, sizeof attributes, 0);
  if (ruleset < 0) return -1;
  static const char* const allowed[] = {"/usr", "/lib", "/lib64", "/bin", "/etc", "/proc", "/dev"};
  for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; ++i) allow_reading_beneath(ruleset, allowed[i]);
  const char* preload = getenv("LD_PRELOAD");
  if (preload && strrchr(preload, '/')) {
    char directory[1024];
    snprintf(directory, sizeof directory, "%.*s", (int)(strrchr(preload, '/') - preload), preload);
    allow_reading_beneath(ruleset, directory);
  }
  int result = (int)syscall(SYS_landlock_restrict_self, ruleset, 0);
  close(ruleset);
  return result;
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  if (syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION) < 1) {
    printf("SKIP: this kernel has no Landlock\n");
    return 77;
  }
  char secret[1024];
  snprintf(secret, sizeof secret, "%s/secret", argv[1]);
  pthread_t thread;
  pthread_create(&thread, NULL, idle, NULL);
  static const char* const calls[] = {"system", "popen", "posix_spawn", "posix_spawnp"};
  for (int i = 0; i < 4; ++i) printf("before %s: cat status %d\n", calls[i], cat_status(calls[i], secret));
  /* no_new_privs first, as an unprivileged caller must; then one spawn, so
   * that a helper which matches it exists when the domain is made. */
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return 1;
  printf("after no_new_privs: cat status %d\n", cat_status("popen", secret));
  if (restrict_reading() != 0) {
    printf("SKIP: landlock_restrict_self failed: %s\n", strerror(errno));
    return 77;
  }
  for (int i = 0; i < 4; ++i) printf("after %s: cat status %d\n", calls[i], cat_status(calls[i], secret));
  return 0;
}
