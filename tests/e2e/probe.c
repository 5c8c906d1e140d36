/* probe: run as a spawned child, prints a canonical, sorted dump of the
 * context it inherited, so that a native run and a run under forkless can be
 * compared byte for byte.
 *
 * Usage: probe [--parent=PID] [--stdin] [--exit=N] [ARG...]
 *   --parent=PID  the driver's pid: prints whether getppid() is that pid and
 *                 how the process group and session relate to the parent's
 *                 (never the pids themselves, which differ between runs)
 *   --stdin       first read standard input to EOF; prints its size and text
 *   --exit=N      exit status (default 0)
 *   ARG...        printed as argv (argv[0] is printed as its basename)
 *
 * What is deliberately not printed verbatim:
 *  - LD_PRELOAD and variables whose name starts with FORKLESS: the driver sets
 *    them only for the run under the library. Nothing else is dropped.
 *  - pipe/socket inode numbers: replaced by pipe#K / socket#K, K counting
 *    distinct inodes in descriptor order, so sharing stays visible.
 * Every open descriptor is listed except the one this probe uses to read
 * /proc/self/fd: a descriptor the library leaked into the child shows up as
 * an extra line.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

enum { kMaxFds = 65536, kMaxInodes = 4096 };

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_int(const void *a, const void *b) {
  int x = *(const int *)a, y = *(const int *)b;
  return (x > y) - (x < y);
}

static void dump_argv(int argc, char **argv, int first) {
  const char *base = strrchr(argv[0], '/');
  printf("argv[0]=%s\n", base ? base + 1 : argv[0]);
  for (int i = first; i < argc; i++) printf("argv[%d]=%s\n", i - first + 1, argv[i]);
}

static void dump_environ(void) {
  extern char **environ;
  size_t n = 0;
  while (environ[n]) n++;
  char **sorted = malloc((n + 1) * sizeof *sorted);
  size_t kept = 0;
  for (size_t i = 0; i < n; i++) {
    if (strncmp(environ[i], "LD_PRELOAD=", 11) == 0) continue;
    if (strncmp(environ[i], "FORKLESS", 8) == 0) continue;
    sorted[kept++] = environ[i];
  }
  qsort(sorted, kept, sizeof *sorted, cmp_str);
  printf("env.count=%zu\n", kept);
  for (size_t i = 0; i < kept; i++) printf("env %s\n", sorted[i]);
  free(sorted);
}

/* Stable label for pipe:[ino] and socket:[ino]: first-seen order. */
static const char *canonical_target(const char *target, char *buf, size_t len) {
  static unsigned long inodes[kMaxInodes];
  static char kinds[kMaxInodes];
  static int count;
  unsigned long ino;
  char kind;
  if (sscanf(target, "pipe:[%lu]", &ino) == 1) {
    kind = 'p';
  } else if (sscanf(target, "socket:[%lu]", &ino) == 1) {
    kind = 's';
  } else {
    return target;
  }
  int id = 0, same_kind = 0;
  for (int i = 0; i < count; i++) {
    if (kinds[i] != kind) continue;
    same_kind++;
    if (inodes[i] == ino) {
      id = same_kind;
      break;
    }
  }
  if (id == 0 && count < kMaxInodes) {
    inodes[count] = ino;
    kinds[count++] = kind;
    id = same_kind + 1;
  }
  snprintf(buf, len, "%s#%d", kind == 'p' ? "pipe" : "socket", id);
  return buf;
}

static void dump_fds(void) {
  static int fds[kMaxFds];
  int n = 0;
  DIR *dir = opendir("/proc/self/fd");
  if (!dir) {
    printf("fd.error=%s\n", strerror(errno));
    return;
  }
  struct dirent *entry;
  while ((entry = readdir(dir)) != NULL && n < kMaxFds) {
    if (entry->d_name[0] == '.') continue;
    int fd = atoi(entry->d_name);
    if (fd != dirfd(dir)) fds[n++] = fd;
  }
  closedir(dir);
  qsort(fds, (size_t)n, sizeof fds[0], cmp_int);
  printf("fd.count=%d\n", n);
  for (int i = 0; i < n; i++) {
    char path[64], target[PATH_MAX], label[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fds[i]);
    ssize_t len = readlink(path, target, sizeof target - 1);
    target[len < 0 ? 0 : len] = '\0';
    int fl = fcntl(fds[i], F_GETFL);
    int fdfl = fcntl(fds[i], F_GETFD);
    off_t off = lseek(fds[i], 0, SEEK_CUR);
    int acc = fl & O_ACCMODE;
    char offbuf[32];
    if (off < 0)
      snprintf(offbuf, sizeof offbuf, "-");
    else
      snprintf(offbuf, sizeof offbuf, "%lld", (long long)off);
    printf("fd %d target=%s offset=%s access=%s append=%d nonblock=%d cloexec=%d\n", fds[i],
           canonical_target(target, label, sizeof label), offbuf,
           acc == O_RDONLY ? "r" : acc == O_WRONLY ? "w" : "rw", !!(fl & O_APPEND),
           !!(fl & O_NONBLOCK), !!(fdfl & FD_CLOEXEC));
  }
}

static void dump_signals(void) {
  sigset_t mask;
  sigprocmask(SIG_BLOCK, NULL, &mask);
  printf("sig.blocked=");
  for (int s = 1; s <= SIGRTMAX; s++)
    if (sigismember(&mask, s) == 1) printf("%d,", s);
  printf("\n");
  /* glibc refuses sigaction() on its two internal signals (32, 33): those
   * print as "reserved", the same way natively and under the library. */
  char ignored[1024] = "", handled[1024] = "", reserved[64] = "";
  for (int s = 1; s <= SIGRTMAX; s++) {
    struct sigaction sa;
    char num[16];
    snprintf(num, sizeof num, "%d,", s);
    if (sigaction(s, NULL, &sa) != 0)
      strcat(reserved, num);
    else if (!(sa.sa_flags & SA_SIGINFO) && sa.sa_handler == SIG_IGN)
      strcat(ignored, num);
    else if ((sa.sa_flags & SA_SIGINFO) || sa.sa_handler != SIG_DFL)
      strcat(handled, num);
  }
  printf("sig.ignored=%s\nsig.handled=%s\nsig.reserved=%s\n", ignored, handled, reserved);
}

static void dump_rlimits(void) {
  static const char *const names[] = {"cpu",   "fsize",  "data",       "stack",   "core",
                                      "rss",   "nproc",  "nofile",     "memlock", "as",
                                      "locks", "sigpnd", "msgqueue",   "nice",    "rtprio",
                                      "rttime"};
  for (int r = 0; r < RLIM_NLIMITS && r < (int)(sizeof names / sizeof names[0]); r++) {
    struct rlimit rl;
    getrlimit((__rlimit_resource_t)r, &rl);
    printf("rlimit.%s=", names[r]);
    if (rl.rlim_cur == RLIM_INFINITY)
      printf("inf/");
    else
      printf("%llu/", (unsigned long long)rl.rlim_cur);
    if (rl.rlim_max == RLIM_INFINITY)
      printf("inf\n");
    else
      printf("%llu\n", (unsigned long long)rl.rlim_max);
  }
}

static void dump_ids(void) {
  uid_t ru, eu, su;
  gid_t rg, eg, sg;
  getresuid(&ru, &eu, &su);
  getresgid(&rg, &eg, &sg);
  printf("uid=%u/%u/%u gid=%u/%u/%u\n", ru, eu, su, rg, eg, sg);
  gid_t groups[NGROUPS_MAX];
  int n = getgroups(NGROUPS_MAX, groups);
  int sorted[NGROUPS_MAX];
  for (int i = 0; i < n; i++) sorted[i] = (int)groups[i];
  qsort(sorted, (size_t)(n < 0 ? 0 : n), sizeof sorted[0], cmp_int);
  printf("groups=");
  for (int i = 0; i < n; i++) printf("%d,", sorted[i]);
  printf("\n");
}

static void dump_sched(void) {
  errno = 0;
  int nice_value = getpriority(PRIO_PROCESS, 0);
  printf("nice=%d\n", errno ? -100 : nice_value);
  cpu_set_t set;
  CPU_ZERO(&set);
  sched_getaffinity(0, sizeof set, &set);
  printf("affinity=");
  for (int c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET(c, &set)) printf("%d,", c);
  printf("\n");
}

/* Fields 5 (pgrp) and 6 (session) of /proc/PID/stat. */
static int read_pgid_sid(pid_t pid, long *pgid, long *sid) {
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t len = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[len] = '\0';
  char *p = strrchr(buf, ')');
  if (!p) return -1;
  char state;
  long ppid;
  if (sscanf(p + 1, " %c %ld %ld %ld", &state, &ppid, pgid, sid) != 4) return -1;
  return 0;
}

static void dump_process_relations(long driver_pid) {
  pid_t ppid = getppid();
  printf("ppid.is_driver=%s\n", driver_pid < 0 ? "unknown" : ppid == driver_pid ? "yes" : "no");
  long ppgid = -1, psid = -1;
  if (read_pgid_sid(ppid, &ppgid, &psid) != 0) {
    printf("pgrp=parent-unreadable\n");
    return;
  }
  pid_t pgrp = getpgrp();
  printf("pgrp=%s\n", pgrp == ppgid ? "parent's" : pgrp == getpid() ? "own" : "other");
  printf("session=%s\n", getsid(0) == psid ? "parent's" : "other");
}

static void dump_status_lines(void) {
  static const char *const keys[] = {"SigPnd:", "ShdPnd:", "SigBlk:", "SigIgn:", "SigCgt:",
                                     "CapInh:", "CapPrm:", "CapEff:", "CapBnd:", "CapAmb:",
                                     "NoNewPrivs:", "Seccomp:"};
  FILE *f = fopen("/proc/self/status", "r");
  if (!f) return;
  char line[512];
  while (fgets(line, sizeof line, f)) {
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
      if (strncmp(line, keys[i], strlen(keys[i])) == 0) {
        char *v = line + strlen(keys[i]);
        while (*v == ' ' || *v == '\t') v++;
        printf("status.%.*s=%s", (int)strlen(keys[i]) - 1, keys[i], v);
      }
    }
  }
  fclose(f);
  printf("no_new_privs=%d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
}

static void dump_stdin(void) {
  static char buf[1 << 16];
  size_t total = 0;
  ssize_t n;
  while (total < sizeof buf && (n = read(0, buf + total, sizeof buf - total)) != 0) {
    if (n < 0) {
      if (errno == EINTR) continue;
      printf("stdin.error=%s\n", strerror(errno));
      break;
    }
    total += (size_t)n;
  }
  printf("stdin.bytes=%zu\nstdin.text=%.*s\n", total, (int)total, buf);
}

int main(int argc, char **argv) {
  long driver_pid = -1;
  int read_stdin = 0, exit_code = 0, first = 1;
  for (; first < argc && strncmp(argv[first], "--", 2) == 0; first++) {
    if (strncmp(argv[first], "--parent=", 9) == 0)
      driver_pid = atol(argv[first] + 9);
    else if (strcmp(argv[first], "--stdin") == 0)
      read_stdin = 1;
    else if (strncmp(argv[first], "--exit=", 7) == 0)
      exit_code = atoi(argv[first] + 7);
    else
      break;
  }
  printf("--- probe begin\n");
  if (read_stdin) dump_stdin();
  dump_argv(argc, argv, first);
  dump_environ();
  char cwd[PATH_MAX];
  printf("cwd=%s\n", getcwd(cwd, sizeof cwd) ? cwd : "?");
  mode_t mask = umask(0);
  umask(mask);
  printf("umask=%04o\n", (unsigned)mask);
  dump_fds();
  dump_signals();
  dump_rlimits();
  dump_ids();
  dump_sched();
  dump_process_relations(driver_pid);
  dump_status_lines();
  printf("--- probe end\n");
  fflush(stdout);
  return exit_code;
}
