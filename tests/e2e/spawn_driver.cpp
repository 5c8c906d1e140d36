// spawn_driver: the differential test's caller. Sets up a distinctive context
// (cwd, umask, a variable set and one unset after start, lowered rlimits,
// inheritable and close-on-exec descriptors at chosen numbers with distinct
// offsets and flags, ignored/handled/blocked signals, nice +3 and a one-CPU
// affinity on the calling thread), starts two busy threads, then runs the
// probe through system(), popen("r") and popen("w") and prints what the probe
// saw plus each call's status, then its own state after the calls.
// The runner (e2e_run.py differential) runs it natively and under the library
// and requires identical output. Nothing printed may depend on pids or times.
//
// Usage: spawn_driver PROBE WORKDIR
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sched.h>
#include <string>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e_util.h"

namespace {

void fail(const char *what) {
  fprintf(stderr, "spawn_driver: %s: %s\n", what, strerror(errno));
  exit(2);
}

// Moves `fd` to number `target` with or without close-on-exec.
void place(int fd, int target, bool cloexec) {
  if (fd != target) {
    if (dup3(fd, target, cloexec ? O_CLOEXEC : 0) < 0) fail("dup3");
    close(fd);
  } else if (fcntl(fd, F_SETFD, cloexec ? FD_CLOEXEC : 0) < 0) {
    fail("F_SETFD");
  }
}

int open_with(const char *path, int flags, const char *content, off_t offset) {
  int fd = open(path, flags | O_CREAT, 0640);
  if (fd < 0) fail(path);
  if (content && write(fd, content, strlen(content)) != (ssize_t)strlen(content)) fail("write");
  if (offset >= 0 && lseek(fd, offset, SEEK_SET) < 0) fail("lseek");
  return fd;
}

void set_rlimit_soft(int resource, rlim_t soft) {
  rlimit rl;
  getrlimit(resource, &rl);
  if (rl.rlim_max != RLIM_INFINITY && soft > rl.rlim_max) soft = rl.rlim_max;
  rl.rlim_cur = soft;
  if (setrlimit(resource, &rl) != 0) fail("setrlimit");
}

void on_usr1(int) {}

void set_up_descriptors() {
  place(open_with("a.txt", O_RDWR | O_TRUNC, "0123456789abcdef", 7), 5, false);
  place(open_with("b.log", O_WRONLY | O_APPEND | O_TRUNC, "eleven byte", -1), 7, false);
  place(open_with("c.txt", O_RDONLY, nullptr, -1), 9, true);
  int p[2];
  if (pipe(p) != 0) fail("pipe");
  fcntl(p[0], F_SETFL, O_NONBLOCK);
  place(p[0], 12, false);
  place(p[1], 13, true);
  int s[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, s) != 0) fail("socketpair");
  place(s[0], 20, false);
  place(s[1], 21, true);
  place(open("/dev/null", O_RDONLY), 40, false);
  if (dup2(5, 100) != 100) fail("dup2");
}

void set_up_calling_thread() {
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGWINCH);
  pthread_sigmask(SIG_BLOCK, &block, nullptr);
  errno = 0;
  int nice_now = getpriority(PRIO_PROCESS, gettid());
  if (setpriority(PRIO_PROCESS, gettid(), nice_now + 3) != 0) fail("setpriority");
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) fail("sched_getaffinity");
  int last = -1;
  for (int c = 0; c < CPU_SETSIZE; c++)
    if (CPU_ISSET(c, &set)) last = c;
  CPU_ZERO(&set);
  CPU_SET(last, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) fail("sched_setaffinity");
}

void print_status(const char *api, int status) {
  printf("%s.status=%d", api, status);
  if (status != -1 && WIFEXITED(status)) printf(" exited=%d", WEXITSTATUS(status));
  if (status != -1 && WIFSIGNALED(status)) printf(" signaled=%d", WTERMSIG(status));
  printf("\n");
}

// The caller's own state after the calls: system() must have restored its
// mask and the SIGINT/SIGQUIT/SIGCHLD dispositions; descriptors untouched.
void print_own_state() {
  sigset_t mask;
  pthread_sigmask(SIG_BLOCK, nullptr, &mask);
  printf("after.blocked=");
  for (int s = 1; s < 32; s++)
    if (sigismember(&mask, s) == 1) printf("%d,", s);
  printf("\n");
  for (int sig : {SIGINT, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2}) {
    struct sigaction sa;
    sigaction(sig, nullptr, &sa);
    printf("after.sig%d=%s\n", sig,
           sa.sa_handler == SIG_IGN   ? "ignored"
           : sa.sa_handler == SIG_DFL ? "default"
                                      : "handled");
  }
  for (int fd : {5, 7, 12, 100})
    printf("after.fd%d offset=%lld flags=%#x\n", fd, (long long)lseek(fd, 0, SEEK_CUR),
           fcntl(fd, F_GETFL));
  printf("after.fd9 cloexec=%d\n", fcntl(9, F_GETFD));
  printf("after.nice=%d\n", getpriority(PRIO_PROCESS, gettid()));
}

}  // namespace

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: spawn_driver PROBE WORKDIR\n");
    return 2;
  }
  const std::string probe = std::string("exec ") + argv[1] + " --parent=" + std::to_string(getpid());
  // No close_range(3, ...) here: it would also hide a descriptor the library
  // leaked at load time. The runner starts this program with only 0-2 open.
  if (chdir(argv[2]) != 0) fail("chdir");
  umask(027);
  setenv("FL_E2E_LATE", "set after start", 1);
  unsetenv("FL_E2E_DOOMED");
  set_rlimit_soft(RLIMIT_NOFILE, 256);
  set_rlimit_soft(RLIMIT_CORE, 4096);
  set_up_descriptors();
  signal(SIGUSR2, SIG_IGN);
  struct sigaction usr1 = {};
  usr1.sa_handler = on_usr1;
  sigaction(SIGUSR1, &usr1, nullptr);

  e2e::BusyThreads busy(2);
  set_up_calling_thread();

  printf("== system\n");
  fflush(stdout);
  print_status("system", system((probe + " --exit=3 system 'two words' \"\" end").c_str()));

  // system() ignores SIGINT and SIGQUIT in the caller while it waits: a
  // child signalling its parent must not end the caller.
  print_status("system-kill-parent", system("kill -INT $PPID; kill -QUIT $PPID; exit 9"));

  FILE *reader = popen((probe + " --exit=5 popen-r").c_str(), "r");
  if (!reader) fail("popen r");
  printf("== popen-w\n");
  fflush(stdout);
  FILE *writer = popen((probe + " --stdin --exit=6 popen-w").c_str(), "w");
  if (!writer) fail("popen w");
  fputs("hello from the driver\n", writer);
  print_status("pclose-w", pclose(writer));
  printf("== popen-r\n%s", e2e::read_all(reader).c_str());
  print_status("pclose-r", pclose(reader));

  busy.stop();
  printf("== after\n");
  print_own_state();
  return 0;
}
