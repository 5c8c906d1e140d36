/* Restrictions a thread takes on after its helper started, which a native
 * child inherits and a child made by that old helper would not: securebits
 * (SECBIT_NOROOT: root's children get no capabilities at exec), a mount
 * namespace made by a bare unshare system call (one libc's syscall() never
 * sees) with a mount over a secret, and a new session keyring. Each scenario
 * prints what children see before and after; natively and under forkless the
 * output must be the same.
 *
 * Usage: restriction_drift securebits|mount|keyring WORKDIR
 *        restriction_drift show-keyring PARENT_ID   (a child: same keyring?)
 * Needs root (SECBIT_NOROOT, CAP_SYS_ADMIN); exits 77 with a message otherwise. */
#define _GNU_SOURCE
#include <linux/keyctl.h>
#include <linux/securebits.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static void* idle(void* unused) {
  (void)unused;
  for (;;) pause();
  return NULL;
}

static void show(const char* label, const char* command) {
  fflush(stdout);
  FILE* child = popen(command, "r");
  char line[512] = "";
  if (child && !fgets(line, sizeof line, child)) strcpy(line, "(nothing)\n");
  if (child) pclose(child);
  printf("%s: %s", label, line);
}

static long session_keyring(void) { return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0); }

/* unshare with the bare instruction: no libc function, interposed or not. */
static long bare_unshare(long flags) {
  long result;
  __asm__ volatile("syscall" : "=a"(result) : "0"((long)SYS_unshare), "D"(flags) : "rcx", "r11", "memory");
  return result;
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "show-keyring") == 0) {
    printf("keyring=%s\n", session_keyring() == atol(argv[2]) ? "parent's" : "other");
    return 0;
  }
  if (argc != 3) return 2;
  if (geteuid() != 0) {
    printf("SKIP: needs root\n");
    return 77;
  }
  pthread_t thread;
  pthread_create(&thread, NULL, idle, NULL);
  const char* scenario = argv[1];
  const char* work = argv[2];
  char command[1024];
  if (strcmp(scenario, "securebits") == 0) {
    show("before", "grep CapEff /proc/self/status");  /* starts the helper */
    if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT, 0, 0, 0) != 0) {
      printf("SKIP: PR_SET_SECUREBITS refused\n");
      return 77;
    }
    show("after", "grep CapEff /proc/self/status");
  } else if (strcmp(scenario, "mount") == 0) {
    char secret_dir[512];
    snprintf(secret_dir, sizeof secret_dir, "%s/hidden", work);
    snprintf(command, sizeof command, "cat %s/secret 2>&1 || true", secret_dir);
    show("before", command);
#if defined(__x86_64__)
    if (bare_unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
        mount("tmpfs", secret_dir, "tmpfs", 0, NULL) != 0) {
      printf("SKIP: cannot unshare the mount namespace\n");
      return 77;
    }
#else
    printf("SKIP: the bare system call is written for x86-64\n");
    return 77;
#endif
    show("after", command);
  } else if (strcmp(scenario, "keyring") == 0) {
    long before = session_keyring();
    snprintf(command, sizeof command, "%s show-keyring %ld", argv[0], before);
    show("before", command);
    long joined = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL);
    if (joined < 0) {
      printf("SKIP: cannot join a new session keyring\n");
      return 77;
    }
    show("after", command);
  } else {
    return 2;
  }
  return 0;
}
