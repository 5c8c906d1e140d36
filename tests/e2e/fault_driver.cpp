// fault_driver: self-checking fault scenarios around system()/popen(). Each
// mode prints "ok:"/"FAIL:" lines and exits 1 if any check failed; an alarm
// turns a hang into a failure. Runs natively and under the library (the
// runner passes --expect-helper then: the scenario must then find and hit a
// forkless-helper child, or it would test nothing).
//
// Modes:
//   kill-between  SIGKILL the helper between calls; later calls still right,
//                 and wait()/waitpid(-1) never return the dead helper
//   kill-during   SIGKILL the helper from another thread while
//                 system("sleep 0.3; exit 7") and a popen() run
//   close-fds     close every descriptor >= 3 between calls, open files of
//                 the application's own: nothing is ever written into them
//   dup2-fds      dup2 a file of the application's over every descriptor from
//                 3 to 1023 between calls: nothing is written into it
//   wait-echild   with only the helper left, wait(NULL) and every waitpid/
//                 wait3/wait4/waitid(P_ALL) give -1/ECHILD at once; a real
//                 child is still returned
//   storm         1000 system("exit N") from 4 threads, distinct codes; then
//                 no zombie child and no leaked descriptor
//   daemonize     fork, setsid, fork: the grandchild runs system()/popen()
//                 with threads running; the output it relays must be right
//   prefork       fork a worker before any spawn (the runner starts helpers
//                 lazily): the worker's system()/popen() still reach a helper
//                 of its own, and the parent's afterwards one of the parent's
//   stopped-helper  SIGSTOP every helper: system() still runs its command
//                 exactly once (natively, after the stall check), even when
//                 the helpers are continued afterwards; later calls work
//   fork-in-handler  a single-threaded program forks in a loop while a
//                 profiling timer's handler forks too: every fork returns (a
//                 lock the library takes around fork must not be re-entered
//                 by a handler; glibc takes none in a single-threaded
//                 process, so this works natively)
//   cancel-in-spawn  a thread cancelled inside system() (its helper stopped)
//                 leaves nothing locked: fork() and system() still work
//   fork-during-spawn  one thread fork()s children that never exec and stay
//                 2 s, while the main thread calls system() in a loop: no
//                 system() waits for such a child, and no child holds a
//                 descriptor the program did not have open (the status
//                 pipe, cwd or channel of an exchange, a file under /proc
//                 the library was reading)
//   fork-during-popen  one popen stream stays open while a thread calls
//                 popen()/pclose() in a loop; the main thread fork()s workers
//                 meanwhile, each of which calls fclose() (and, under the
//                 library, popen()): none may hang (a lock of the library's
//                 copied held into the child would hang it)
//   popen-routes  a popen() stream made by one route, then another made by
//                 the other route (more than 256 descriptors open sends a
//                 call to libc): pclose() of the first must not wait for the
//                 second command (POSIX: a popen child closes the streams of
//                 earlier popen calls, whichever route made them)
//   fork-in-lock  for each lock of the library (and popen's turn): another
//                 thread is made to take it while this one is inside fork()
//                 (from the program's atfork prepare handler, after the
//                 library's own steps before the fork), and pauses inside
//                 the critical section (forkless_test_lock_held, below); the
//                 child then takes the same lock: it must not hang. Under
//                 the library each lock must have been held when the fork
//                 went ahead (the runner sets FORKLESS_FORK=learn, so that
//                 fork() takes the fork learn and site cache locks)
//   outlive       spawn once, print "info: helpers=PID,..." and exit
//                 (the runner checks those helpers are gone within 2 s)
//   outlive-kill  the same, then wait to be SIGKILLed by the runner
//   outlive-fork-worker  the same, with a worker made by _Fork() (no fork
//                 handlers: it keeps the channel) still running; the helpers
//                 must go with the program, not with the worker
//   stopped-exit  SIGSTOP every helper, then exit normally (the runner, a
//                 subreaper, checks that the exit is prompt and leaves no
//                 process behind for it)
//   stopped-big-request  SIGSTOP every helper, then system() with a 1 MiB
//                 environment (more than the socket buffer): it returns, the
//                 command run exactly once
//   stopped-exec  SIGSTOP every helper, then exec: the exec is prompt and
//                 the new image (exec-check) has no helper child
//   exec-while-spawning  10 rounds: a forked child spawns from a thread and
//                 execs from another: the new image has no helper child
//   exec-check START_MS MAX_MS  (the image exec'd into, without the library)
//                 no forkless-helper child, live or to be reaped, and the
//                 exec came within MAX_MS of START_MS (CLOCK_MONOTONIC)
//   sigchld-ignored-wait  with SIGCHLD ignored, and with SA_NOCLDWAIT, wait()
//                 and waitid(P_ALL) fail with ECHILD once the real child is
//                 gone (the kernel reaps it), not block for ever
//   no-stray-sigchld  single-threaded: neither close_range(3, ~0U, 0) nor a
//                 failed execv makes a SIGCHLD the native run does not get
//   pid-namespace  after unshare(CLONE_NEWPID): the first popen's shell is
//                 the new namespace's pid 1, later spawns fail (needs root)
//   nproc-limit   (run as an unprivileged user) RLIMIT_NPROC lowered to the
//                 user's process count: posix_spawn fails with EAGAIN
//   greeting      timed system() calls and one from a forked child (the
//                 runner installs a helper program that stops itself or never
//                 greets): each returns promptly, the first in 3.5 s at most
#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <map>
#include <vector>
#include <string>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

#include "e2e_util.h"

namespace {

// fork-in-lock: the lock to pause in (one shot), and how far the scenario got.
std::atomic<const char *> g_pause_target{nullptr};
std::atomic<bool> g_pause_held{false}, g_pause_forked{false};

}  // namespace

// Called by libforkless.so with a lock's name each time it has taken one
// (fork_safe_lock.h); exported from this executable (tests/e2e/CMakeLists.txt).
// Runs with the lock held and every signal blocked: atomics and sleeps only.
extern "C" void forkless_test_lock_held(const char *name) {
  const char *want = g_pause_target.load();
  if (!want || strcmp(want, name) != 0 || !g_pause_target.compare_exchange_strong(want, nullptr)) return;
  g_pause_held.store(true);
  // Until the fork is made, or long enough for a fork that waits for this
  // lock (the library's prepare handler) to be waiting: then give way.
  for (int i = 0; i < 300 && !g_pause_forked.load(); ++i) usleep(1000);
}

namespace {

int g_failures = 0;
bool g_expect_helper = false;

void check(bool ok, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  printf("%s", ok ? "ok: " : "FAIL: ");
  vprintf(fmt, ap);
  printf("\n");
  fflush(stdout);
  va_end(ap);
  if (!ok) g_failures++;
}

int exit_code_of(int status) { return status != -1 && WIFEXITED(status) ? WEXITSTATUS(status) : -1; }

void expect_system(const char *command, int code) {
  int status = system(command);
  check(exit_code_of(status) == code, "system(\"%s\") status %d, want exit %d", command, status, code);
}

void expect_popen(const char *command, const std::string &output) {
  FILE *stream = popen(command, "r");
  if (!stream) {
    check(false, "popen(\"%s\"): NULL, errno %d", command, errno);
    return;
  }
  std::string got = e2e::read_all(stream);
  int status = pclose(stream);
  check(got == output && exit_code_of(status) == 0, "popen(\"%s\") gave [%s] status %d", command,
        got.c_str(), status);
}

void expect_echild(const char *what, pid_t got) {
  int e = errno;
  check(got == -1 && e == ECHILD, "%s returned %d errno %d (want -1 ECHILD)", what, got, e);
}

void on_watchdog(int) {}

// wait(NULL) that must not block: a watchdog thread interrupts it after 2 s
// (no-op handler without SA_RESTART, so it fails with EINTR) so that a hang
// is reported precisely instead of by the global alarm.
pid_t wait_with_watchdog() {
  struct sigaction sa = {}, old;
  sa.sa_handler = on_watchdog;
  sigaction(SIGALRM, &sa, &old);
  std::atomic<bool> done{false};
  pthread_t waiter = pthread_self();
  std::thread watchdog([&] {
    for (int i = 0; i < 200 && !done; i++) usleep(10 * 1000);
    while (!done) {
      pthread_kill(waiter, SIGALRM);
      usleep(100 * 1000);
    }
  });
  pid_t got = wait(nullptr);
  int e = errno;
  done = true;
  watchdog.join();
  sigaction(SIGALRM, &old, nullptr);
  errno = e;
  return got;
}

// Every wait flavour must say ECHILD when the helper is all that is left.
void expect_no_children_visible() {
  int status;
  auto start = std::chrono::steady_clock::now();
  errno = 0;
  expect_echild("wait(NULL)", wait_with_watchdog());
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  check(ms.count() < 500, "wait(NULL) took %lld ms", static_cast<long long>(ms.count()));
  errno = 0;
  expect_echild("waitpid(-1, WNOHANG)", waitpid(-1, &status, WNOHANG));
  errno = 0;
  expect_echild("waitpid(0, WNOHANG)", waitpid(0, &status, WNOHANG));
  errno = 0;
  expect_echild("wait3(WNOHANG)", wait3(&status, WNOHANG, nullptr));
  errno = 0;
  expect_echild("wait4(-1, WNOHANG)", wait4(-1, &status, WNOHANG, nullptr));
  siginfo_t info;
  errno = 0;
  expect_echild("waitid(P_ALL, WNOHANG)", waitid(P_ALL, 0, &info, WEXITED | WNOHANG) == 0 ? 0 : -1);
}

std::vector<pid_t> expect_helpers() {
  std::vector<pid_t> helpers = e2e::helper_pids(getpid());
  if (g_expect_helper) check(!helpers.empty(), "found %zu forkless-helper children", helpers.size());
  return helpers;
}

void kill_all(const std::vector<pid_t> &pids) {
  for (pid_t pid : pids) kill(pid, SIGKILL);
}

void mode_kill_between() {
  expect_system("exit 3", 3);
  kill_all(expect_helpers());
  usleep(50 * 1000);
  for (int i = 0; i < 3; i++) {
    expect_system("exit 4", 4);
    expect_popen("echo after-kill", "after-kill\n");
  }
  // Killed right before the call, with no time for anyone to notice.
  kill_all(expect_helpers());
  expect_system("exit 5", 5);
  expect_popen("echo right-after-kill", "right-after-kill\n");
  expect_no_children_visible();
}

int count_lines(const char *path) {
  FILE *file = fopen(path, "r");
  if (!file) return 0;
  int lines = 0;
  for (int c; (c = fgetc(file)) != EOF;) lines += c == '\n';
  fclose(file);
  return lines;
}

void mode_stopped_helper() {
  expect_system("exit 3", 3);
  std::vector<pid_t> stopped = expect_helpers();
  for (pid_t pid : stopped) kill(pid, SIGSTOP);
  usleep(50 * 1000);
  unlink("stopped-helper.out");
  int status = system("echo ran >> stopped-helper.out; exit 6");
  check(exit_code_of(status) == 6, "system() with its helper stopped: status %d", status);
  // A stopped helper that is continued must not run the request again.
  for (pid_t pid : stopped) kill(pid, SIGCONT);
  usleep(1000 * 1000);
  int lines = count_lines("stopped-helper.out");
  check(lines == 1, "the command ran %d time(s)", lines);
  expect_system("exit 4", 4);
  expect_no_children_visible();
}

volatile sig_atomic_t handler_forks = 0;

void fork_from_handler(int) {
  int saved = errno;
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  if (pid > 0) handler_forks = handler_forks + 1;
  errno = saved;
}

void mode_fork_in_handler() {
  expect_system("exit 3", 3);
  signal(SIGCHLD, SIG_IGN);  // the children reap themselves
  struct sigaction action {};
  action.sa_handler = fork_from_handler;
  action.sa_flags = SA_RESTART;
  sigaction(SIGPROF, &action, nullptr);
  itimerval every{{0, 300}, {0, 300}};
  setitimer(ITIMER_PROF, &every, nullptr);
  int forks = 0;
  for (int i = 0; i < 2000; ++i) {
    pid_t pid = fork();
    if (pid == 0) _exit(0);
    if (pid > 0) ++forks;
  }
  itimerval off{};
  setitimer(ITIMER_PROF, &off, nullptr);
  signal(SIGPROF, SIG_DFL);
  signal(SIGCHLD, SIG_DFL);
  check(forks == 2000, "%d of 2000 forks returned, %d more from the handler", forks, static_cast<int>(handler_forks));
}

void *system_until_cancelled(void *) {
  system("sleep 3; exit 5");  // still waiting when cancelled, natively too
  return nullptr;
}

void mode_cancel_in_spawn() {
  expect_system("exit 3", 3);
  std::vector<pid_t> stopped = expect_helpers();
  for (pid_t pid : stopped) kill(pid, SIGSTOP);
  pthread_t thread;
  pthread_create(&thread, nullptr, system_until_cancelled, nullptr);
  usleep(300 * 1000);
  pthread_cancel(thread);
  void *result = nullptr;
  pthread_join(thread, &result);
  check(result == PTHREAD_CANCELED, "the thread in system() was cancelled");
  for (pid_t pid : stopped) kill(pid, SIGCONT);
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  check(pid > 0 && waitpid(pid, nullptr, 0) == pid, "fork() after the cancellation");
  expect_system("exit 4", 4);
}

void mode_kill_during() {
  expect_system("exit 1", 1);
  for (int round = 0; round < 2; round++) {
    std::atomic<bool> in_call{true}, killed_in_call{false};
    std::thread killer([&] {
      usleep(100 * 1000);
      std::vector<pid_t> helpers = expect_helpers();
      kill_all(helpers);
      killed_in_call = !helpers.empty() && in_call;
    });
    if (round == 0)
      expect_system("sleep 0.3; exit 7", 7);
    else
      expect_popen("sleep 0.3; echo during", "during\n");
    in_call = false;
    killer.join();
    if (g_expect_helper) check(killed_in_call, "the helper was killed while the call ran");
    expect_system("exit 8", 8);
    expect_popen("echo after", "after\n");
  }
  expect_no_children_visible();
}

// The application's own files: they must stay empty, offset 0.
struct OwnFiles {
  std::vector<int> fds;
  std::vector<std::string> names;
  void open_some(int count, const char *prefix) {
    for (int i = 0; i < count; i++) {
      names.push_back(std::string(prefix) + std::to_string(i));
      fds.push_back(open(names.back().c_str(), O_RDWR | O_CREAT | O_TRUNC, 0600));
    }
  }
  void expect_untouched(const char *when) {
    std::string written;
    for (const std::string &name : names) {
      struct stat st;
      if (stat(name.c_str(), &st) != 0 || st.st_size != 0) written += " " + name;
    }
    check(written.empty(), "%s: %zu own files all empty (not empty:%s)", when, names.size(), written.c_str());
  }
};

void calls_after(const char *when) {
  expect_system("exit 6", 6);
  expect_popen("echo still-works", "still-works\n");
  printf("ok: calls after %s\n", when);
}

void mode_close_fds() {
  expect_system("exit 2", 2);
  expect_helpers();
  close_range(3, ~0U, 0);
  calls_after("close_range(3, ~0)");
  OwnFiles files;
  files.open_some(16, "own-file-");
  check(files.fds.front() == 3, "first own file got descriptor %d", files.fds.front());
  calls_after("opening own files at low numbers");
  files.expect_untouched("after close and reopen");
  rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  for (int fd = 3; fd < static_cast<int>(rl.rlim_cur); fd++) close(fd);
  calls_after("closing 3..RLIMIT_NOFILE one by one");
  files.expect_untouched("after the second close");
}

void mode_dup2_fds() {
  expect_system("exit 2", 2);
  expect_helpers();
  rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  if (rl.rlim_cur < 1024) {
    rl.rlim_cur = std::min<rlim_t>(1024, rl.rlim_max);
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  const char *victim_name = "victim-file";
  int victim = open(victim_name, O_RDWR | O_CREAT | O_TRUNC, 0600);
  struct stat victim_st;
  fstat(victim, &victim_st);
  for (int fd = 3; fd < 1024; fd++)
    if (fd != victim) dup2(victim, fd);
  calls_after("dup2 over 3..1023");
  calls_after("dup2 over 3..1023 (again)");
  int moved = 0;
  for (int fd = 3; fd < 1024; fd++) {
    struct stat st;
    if (fstat(fd, &st) != 0 || st.st_ino != victim_st.st_ino || st.st_dev != victim_st.st_dev) moved++;
  }
  check(moved == 0, "%d of the descriptors 3..1023 no longer refer to the victim file", moved);
  check(lseek(victim, 0, SEEK_CUR) == 0, "victim offset is %lld", static_cast<long long>(lseek(victim, 0, SEEK_CUR)));
  struct stat st;
  stat(victim_name, &st);
  check(st.st_size == 0, "victim file size is %lld", static_cast<long long>(st.st_size));
}

void mode_wait_echild() {
  expect_system("exit 2", 2);
  expect_popen("echo x", "x\n");
  expect_helpers();
  expect_no_children_visible();
  pid_t child = fork();
  if (child == 0) _exit(9);
  int status = 0;
  pid_t got = wait(&status);
  check(got == child && exit_code_of(status) == 9, "wait() returned %d status %d for child %d", got, status, child);
  expect_no_children_visible();
}

std::map<int, std::string> fd_table() {
  std::map<int, std::string> out;
  DIR *dir = opendir("/proc/self/fd");
  while (dirent *entry = readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    char target[512] = {};
    std::string path = std::string("/proc/self/fd/") + entry->d_name;
    if (readlink(path.c_str(), target, sizeof target - 1) < 0) continue;
    out[atoi(entry->d_name)] = target;
  }
  closedir(dir);
  return out;
}

int run_storm(int threads, int per_thread) {
  std::atomic<int> wrong{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; t++)
    workers.emplace_back([t, per_thread, &wrong] {
      for (int i = 0; i < per_thread; i++) {
        int code = t * 64 + i % 64;
        char command[32];
        snprintf(command, sizeof command, "exit %d", code);
        int status = system(command);
        if (exit_code_of(status) != code) {
          if (wrong.fetch_add(1) < 5) printf("FAIL: system(\"%s\") gave status %d\n", command, status);
        }
      }
    });
  for (auto &w : workers) w.join();
  return wrong.load();
}

void mode_storm() {
  // Warm up until the pool has all its helpers (4 by default), so that the
  // descriptor count below cannot grow by a helper's channel.
  run_storm(4, 10);
  for (int round = 0; g_expect_helper && round < 50 && e2e::helper_pids(getpid()).size() < 4; ++round)
    run_storm(4, 10);
  expect_helpers();
  std::map<int, std::string> before = fd_table();
  auto start = std::chrono::steady_clock::now();
  int wrong = run_storm(4, 250);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
  check(wrong == 0, "1000 system() calls from 4 threads: %d wrong (%lld ms)", wrong,
        static_cast<long long>(ms.count()));
  usleep(100 * 1000);
  int zombies = 0;
  for (const e2e::ProcInfo &p : e2e::children_of(getpid()))
    if (p.state == 'Z') {
      zombies++;
      printf("zombie child %d (%s)\n", p.pid, p.comm.c_str());
    }
  check(zombies == 0, "%d zombie children after the storm", zombies);
  std::map<int, std::string> after = fd_table();
  for (const auto &[fd, target] : after)
    if (!before.count(fd)) printf("new descriptor %d -> %s\n", fd, target.c_str());
  for (const auto &[fd, target] : before)
    if (!after.count(fd)) printf("vanished descriptor %d -> %s\n", fd, target.c_str());
  check(before.size() == after.size(), "descriptors before %zu, after %zu", before.size(), after.size());
  expect_no_children_visible();
}

// What the grandchild relays through the pipe; the parent compares it.
const char kDaemonExpected[] =
    "daemon-says-hi\n"
    "system.exit=4\n"
    "popen=[popen-in-daemon\n] pclose.exit=0\n";

// Relays what system() and popen() gave it through out_fd, then exits.
void spawn_and_relay(int out_fd) {
  dup2(out_fd, 1);
  close(out_fd);
  e2e::BusyThreads busy(2);
  fflush(stdout);
  int status = system("echo daemon-says-hi; exit 4");
  printf("system.exit=%d\n", exit_code_of(status));
  FILE *stream = popen("echo popen-in-daemon", "r");
  std::string got = stream ? e2e::read_all(stream) : "NULL";
  int pstatus = stream ? pclose(stream) : -1;
  printf("popen=[%s] pclose.exit=%d\n", got.c_str(), exit_code_of(pstatus));
  fflush(stdout);
  busy.stop();
  exit(0);
}

void mode_daemonize() {
  expect_system("exit 2", 2);
  expect_helpers();
  int p[2];
  if (pipe(p) != 0) return check(false, "pipe");
  int info[2];
  if (pipe(info) != 0) return check(false, "pipe");
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    close(p[0]);
    close(info[0]);
    setsid();
    pid_t grandchild = fork();
    if (grandchild == 0) {
      close(info[1]);
      spawn_and_relay(p[1]);
    }
    dprintf(info[1], "%d", grandchild);
    _exit(grandchild > 0 ? 0 : 1);
  }
  close(p[1]);
  close(info[1]);
  int status;
  waitpid(child, &status, 0);
  check(exit_code_of(status) == 0, "intermediate child exited %d", status);
  FILE *info_stream = fdopen(info[0], "r");
  printf("info: daemon_pid=%s\n", e2e::read_all(info_stream).c_str());
  fclose(info_stream);
  FILE *relay = fdopen(p[0], "r");
  std::string got = e2e::read_all(relay);
  fclose(relay);
  check(got == kDaemonExpected, "daemon relayed [%s]", got.c_str());
  expect_system("exit 3", 3);
}

void mode_prefork() {
  int p[2];
  if (pipe(p) != 0) return check(false, "pipe");
  fflush(stdout);
  pid_t worker = fork();
  if (worker == 0) {
    close(p[0]);
    spawn_and_relay(p[1]);
  }
  close(p[1]);
  printf("info: worker_pid=%d\n", static_cast<int>(worker));
  FILE *relay = fdopen(p[0], "r");
  std::string got = e2e::read_all(relay);
  fclose(relay);
  check(got == kDaemonExpected, "worker relayed [%s]", got.c_str());
  int status;
  check(waitpid(worker, &status, 0) == worker && exit_code_of(status) == 0, "worker exited %d", status);
  expect_system("exit 3", 3);
  expect_helpers();
}

std::vector<int> open_descriptors() {
  std::vector<int> fds;
  DIR *dir = opendir("/proc/self/fd");
  if (!dir) return fds;
  while (dirent *entry = readdir(dir)) {
    int fd = atoi(entry->d_name);
    if (entry->d_name[0] != '.' && fd != dirfd(dir)) fds.push_back(fd);
  }
  closedir(dir);
  return fds;
}

void mode_fork_during_spawn() {
  int report[2];
  if (pipe(report) != 0) return check(false, "pipe");
  expect_system("exit 3", 3);  // the helper exists before the program's own descriptors are listed
  // The descriptors are listed before the first fork(): matching its call
  // site must not leave one open either (the unwinder keeps none).
  const std::vector<int> known = open_descriptors();
  std::atomic<bool> stop{false};
  std::vector<pid_t> workers;
  std::thread forker([&] {
    while (!stop.load()) {
      pid_t pid = fork();
      if (pid == 0) {
        // A worker that never execs: any descriptor it holds that the
        // program did not have open is a leak: what a spawn exchange holds
        // (status pipe, cwd, a starting helper's channel, which could also
        // keep a pipe open) or a file the library was reading (under /proc).
        int leaked = 0;
        for (int fd : open_descriptors())
          if (std::find(known.begin(), known.end(), fd) == known.end()) ++leaked;
        if (write(report[1], &leaked, sizeof leaked) < 0) _exit(1);
        sleep(2);
        _exit(0);
      }
      if (pid > 0) workers.push_back(pid);
      usleep(500);
    }
  });
  int slow = 0, wrong = 0, calls = 0;
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(600);
  while (std::chrono::steady_clock::now() < until) {
    auto started = std::chrono::steady_clock::now();
    int status = system("exit 5");
    if (std::chrono::steady_clock::now() - started > std::chrono::milliseconds(1500)) ++slow;
    if (exit_code_of(status) != 5) ++wrong;
    ++calls;
  }
  stop.store(true);
  forker.join();
  close(report[1]);
  int leaks = 0, reports = 0, leaked;
  while (read(report[0], &leaked, sizeof leaked) == sizeof leaked) {
    ++reports;
    if (leaked) ++leaks;
  }
  close(report[0]);
  for (pid_t pid : workers) waitpid(pid, nullptr, 0);
  check(calls > 10 && wrong == 0, "%d system() calls with %zu workers forked meanwhile, %d wrong statuses", calls,
        workers.size(), wrong);
  check(slow == 0, "%d system() calls waited for a forked worker (over 1.5 s)", slow);
  check(reports == static_cast<int>(workers.size()) && leaks == 0, "%d of %d workers held a stray descriptor",
        leaks, reports);
}

long monotonic_ms() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1000L + now.tv_nsec / 1000000L;
}

void stop_all(const std::vector<pid_t> &pids) {
  for (pid_t pid : pids) kill(pid, SIGSTOP);
  usleep(50 * 1000);
}

void mode_stopped_big_request() {
  expect_system("exit 3", 3);
  std::vector<pid_t> stopped = expect_helpers();
  stop_all(stopped);
  // More than the socket buffer (about 200 KiB): the send itself must not
  // wait for ever on a helper that does not read.
  // 16 variables of 64 KiB (one string may not exceed 128 KiB).
  std::string big(64 * 1024, 'x');
  for (int i = 0; i < 16; ++i) setenv(("FL_E2E_BIG" + std::to_string(i)).c_str(), big.c_str(), 1);
  unlink("stopped-big.out");
  long started = monotonic_ms();
  int status = system("echo ran >> stopped-big.out; exit 6");
  long took = monotonic_ms() - started;
  for (int i = 0; i < 16; ++i) unsetenv(("FL_E2E_BIG" + std::to_string(i)).c_str());
  check(exit_code_of(status) == 6 && took < 4000, "system() with a 1 MiB environment, helper stopped: status %d in %ld ms",
        status, took);
  for (pid_t pid : stopped) kill(pid, SIGCONT);
  usleep(500 * 1000);
  int lines = count_lines("stopped-big.out");
  check(lines == 1, "the command ran %d time(s)", lines);
  expect_system("exit 4", 4);
}

std::string self_path() {
  char path[4096] = {};
  ssize_t got = readlink("/proc/self/exe", path, sizeof path - 1);
  return got > 0 ? std::string(path, static_cast<size_t>(got)) : std::string();
}

// Execs this driver as "exec-check START MAX" with the library switched off
// there (FORKLESS=0), so that its waits are the kernel's own.
void exec_check(long max_ms) {
  std::string path = self_path(), start = std::to_string(monotonic_ms()), max = std::to_string(max_ms);
  std::vector<std::string> env_strings;
  for (char **e = environ; *e; ++e)
    if (strncmp(*e, "FORKLESS=", 9) != 0) env_strings.push_back(*e);
  env_strings.push_back("FORKLESS=0");
  std::vector<char *> envp;
  for (std::string &e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);
  char mode[] = "exec-check";
  char *argv[] = {path.data(), mode, start.data(), max.data(), nullptr};
  fflush(stdout);
  execve(path.c_str(), argv, envp.data());
  check(false, "execve %s: errno %d", path.c_str(), errno);
}

void mode_exec_check(int argc, char **argv) {
  long took = argc > 3 ? monotonic_ms() - atol(argv[2]) : -1;
  long max_ms = argc > 3 ? atol(argv[3]) : 0;
  check(took >= 0 && took < max_ms, "the exec took %ld ms (at most %ld)", took, max_ms);
  usleep(300 * 1000);  // a helper left behind would have exited by now
  for (const e2e::ProcInfo &p : e2e::children_of(getpid()))
    check(p.comm != "forkless-helper", "child %d (%s, state %c) of the new image", p.pid, p.comm.c_str(), p.state);
  for (;;) {
    siginfo_t info{};
    if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid == 0) break;
    std::string comm = e2e::read_file("/proc/" + std::to_string(info.si_pid) + "/comm");
    check(comm != "forkless-helper\n", "wait() of the new image returns %d (%s)", info.si_pid, comm.c_str());
    waitpid(info.si_pid, nullptr, 0);
  }
}

void mode_stopped_exec() {
  expect_system("exit 3", 3);
  stop_all(expect_helpers());
  printf("stopped-exec: %d failure(s) before the exec\n", g_failures);
  if (g_failures) exit(1);
  exec_check(2000);
}

void mode_exec_while_spawning() {
  expect_system("exit 3", 3);
  int failed = 0;
  for (int round = 0; round < 10; ++round) {
    fflush(stdout);
    pid_t child = fork();
    if (child == 0) {
      std::thread([] {
        for (;;) system("exit 0");
      }).detach();
      usleep(static_cast<useconds_t>(5000 + round * 3000));
      exec_check(3000);
      _exit(1);
    }
    int status = 0;
    waitpid(child, &status, 0);
    if (exit_code_of(status) != 0) ++failed;
  }
  check(failed == 0, "%d of 10 images exec'd while a thread spawned saw a helper", failed);
}

void no_op(int) {}

void expect_wait_echild_after_child(const char *how) {
  for (int flavour = 0; flavour < 2; ++flavour) {
    pid_t child = fork();
    if (child == 0) {
      usleep(300 * 1000);
      _exit(0);
    }
    long started = monotonic_ms();
    errno = 0;
    pid_t got;
    if (flavour == 0) {
      got = wait_with_watchdog();
    } else {
      siginfo_t info{};
      struct sigaction sa = {}, old;
      sa.sa_handler = no_op;
      sigaction(SIGALRM, &sa, &old);
      alarm(3);
      got = waitid(P_ALL, 0, &info, WEXITED) == 0 ? info.si_pid : -1;
      int e = errno;
      alarm(25);
      sigaction(SIGALRM, &old, nullptr);
      errno = e;
    }
    int e = errno;
    long took = monotonic_ms() - started;
    check(got == -1 && e == ECHILD && took >= 250 && took < 2000, "%s, %s: returned %d errno %d after %ld ms", how,
          flavour == 0 ? "wait(NULL)" : "waitid(P_ALL)", got, e, took);
  }
}

void mode_sigchld_ignored_wait() {
  expect_system("exit 3", 3);
  expect_helpers();
  signal(SIGCHLD, SIG_IGN);
  expect_wait_echild_after_child("SIGCHLD ignored");
  struct sigaction no_wait {};
  no_wait.sa_handler = SIG_DFL;
  no_wait.sa_flags = SA_NOCLDWAIT;
  sigaction(SIGCHLD, &no_wait, nullptr);
  expect_wait_echild_after_child("SA_NOCLDWAIT");
  signal(SIGCHLD, SIG_DFL);
  expect_system("exit 4", 4);
}

volatile sig_atomic_t sigchld_count = 0;
volatile sig_atomic_t sigchld_pids[64];

void count_sigchld(int, siginfo_t *info, void *) {
  if (sigchld_count < 64) sigchld_pids[sigchld_count] = info->si_pid;
  sigchld_count = sigchld_count + 1;
}

void mode_no_stray_sigchld() {
  struct sigaction action {};
  action.sa_sigaction = count_sigchld;
  action.sa_flags = SA_SIGINFO | SA_RESTART;
  sigaction(SIGCHLD, &action, nullptr);
  expect_system("exit 3", 3);
  std::vector<pid_t> helpers = expect_helpers();
  int before = sigchld_count;
  close_range(3, ~0U, 0);
  usleep(300 * 1000);
  check(sigchld_count == before, "close_range(3, ~0U, 0): %d SIGCHLD", sigchld_count - before);
  expect_system("exit 4", 4);  // its own child's SIGCHLD, as natively
  check(sigchld_count == before + 1, "one system() after it: %d SIGCHLD", sigchld_count - before);
  std::vector<pid_t> more = expect_helpers();
  helpers.insert(helpers.end(), more.begin(), more.end());
  before = sigchld_count;
  char name[] = "missing";
  char *argv[] = {name, nullptr};
  int result = execv("/nonexistent/forkless-e2e", argv);
  int e = errno;
  usleep(300 * 1000);
  check(result == -1 && e == ENOENT && sigchld_count == before, "failed execv: %d errno %d, %d SIGCHLD", result, e,
        sigchld_count - before);
  expect_system("exit 5", 5);
  for (int i = 0; i < sigchld_count && i < 64; ++i)
    for (pid_t helper : helpers) check(sigchld_pids[i] != helper, "SIGCHLD %d from %d", i, sigchld_pids[i]);
}

void mode_pid_namespace() {
  expect_system("exit 3", 3);  // a helper served the program before
  if (unshare(CLONE_NEWPID) != 0) {
    printf("SKIP: unshare(CLONE_NEWPID): errno %d (needs CAP_SYS_ADMIN)\n", errno);
    return;
  }
  FILE *first = popen("echo $$", "r");
  std::string got = first ? e2e::read_all(first) : "NULL";
  int status = first ? pclose(first) : -1;
  check(got == "1\n" && exit_code_of(status) == 0, "first popen in the new namespace: [%s] status %d", got.c_str(),
        status);
  errno = 0;
  FILE *second = popen("echo again", "r");
  int e = errno;
  check(second == nullptr && e == ENOMEM, "popen once the namespace's init is gone: %p errno %d",
        static_cast<void *>(second), e);
  if (second) pclose(second);
}

int processes_of(uid_t uid) {
  int count = 0;
  DIR *dir = opendir("/proc");
  while (dirent *entry = readdir(dir)) {
    if (atoi(entry->d_name) <= 0) continue;
    std::string status = e2e::read_file(std::string("/proc/") + entry->d_name + "/status");
    size_t at = status.find("\nUid:");
    if (at != std::string::npos && static_cast<uid_t>(atol(status.c_str() + at + 5)) == uid) ++count;
  }
  closedir(dir);
  return count;
}

void mode_nproc_limit() {
  if (getuid() == 0) {
    printf("SKIP: nproc-limit must run unprivileged (root is not held to RLIMIT_NPROC)\n");
    return;
  }
  rlimit saved{};
  getrlimit(RLIMIT_NPROC, &saved);
  rlimit lowered = saved;
  lowered.rlim_cur = static_cast<rlim_t>(processes_of(getuid()));
  setrlimit(RLIMIT_NPROC, &lowered);
  char name[] = "true";
  char *argv[] = {name, nullptr};
  pid_t pid = -1;
  int error = posix_spawn(&pid, "/bin/true", nullptr, nullptr, argv, environ);
  check(error == EAGAIN, "posix_spawn with RLIMIT_NPROC at the process count (%llu): %d",
        static_cast<unsigned long long>(lowered.rlim_cur), error);
  if (error == 0) waitpid(pid, nullptr, 0);
  setrlimit(RLIMIT_NPROC, &saved);
  error = posix_spawn(&pid, "/bin/true", nullptr, nullptr, argv, environ);
  int status = -1;
  if (error == 0) waitpid(pid, &status, 0);
  check(error == 0 && exit_code_of(status) == 0, "posix_spawn with the limit restored: %d status %d", error, status);
}

void timed_system(const char *what, int code, long max_ms) {
  char command[32];
  snprintf(command, sizeof command, "exit %d", code);
  long started = monotonic_ms();
  int status = system(command);
  long took = monotonic_ms() - started;
  check(exit_code_of(status) == code && took <= max_ms, "%s system(\"%s\"): status %d in %ld ms (at most %ld)", what,
        command, status, took, max_ms);
}

void mode_greeting() {
  timed_system("first", 3, 3500);
  for (int i = 0; i < 3; ++i) timed_system("later", 4, 1500);
  fflush(stdout);
  pid_t child = fork();
  if (child == 0) {
    timed_system("forked child's", 5, 1500);
    _exit(g_failures ? 1 : 0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  check(exit_code_of(status) == 0, "the forked child's calls (exit %d)", status);
}

// Waits up to `seconds` for pid; kills it if it is still running then.
// Returns the exit status, or -1 when it had to be killed.
int wait_or_kill(pid_t pid, double seconds) {
  auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  int status = 0;
  while (std::chrono::steady_clock::now() < until) {
    if (waitpid(pid, &status, WNOHANG) == pid) return status;
    usleep(2000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

// The forked worker of fork-during-popen: fclose() of any stream, as the
// reported program did. Under the library it also calls popen(), whose turn
// another thread held at the fork. Not natively: glibc 2.36 does not reset
// its own popen lock in a forked child, so there that popen() may hang.
[[noreturn]] void popen_worker() {
  FILE *file = fopen("/dev/null", "r");
  bool ok = file && fclose(file) == 0;
  if (g_expect_helper) {
    FILE *stream = popen("exit 4", "r");
    ok = ok && stream && exit_code_of(pclose(stream)) == 4;
  }
  _exit(ok ? 0 : 1);
}

void mode_fork_during_popen() {
  expect_system("exit 3", 3);
  FILE *kept = popen("cat > /dev/null", "w");  // one stream the library made, open throughout
  check(kept != nullptr, "a popen stream kept open");
  std::atomic<bool> stop{false};
  std::atomic<int> popens{0};
  std::thread caller([&] {
    while (!stop.load()) {
      FILE *stream = popen("exit 0", "r");
      if (stream) pclose(stream);
      popens.fetch_add(1);
    }
  });
  while (popens.load() == 0) usleep(1000);
  // A hung worker costs its whole timeout: stop after a few.
  constexpr int kWorkers = 60, kEnoughHangs = 3;
  constexpr double kWorkerSeconds = 5;
  int forked = 0, hung = 0, wrong = 0;
  for (int i = 0; i < kWorkers && hung < kEnoughHangs; ++i) {
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) popen_worker();
    if (pid < 0) continue;
    ++forked;
    int status = wait_or_kill(pid, kWorkerSeconds);
    if (status == -1)
      ++hung;
    else if (exit_code_of(status) != 0)
      ++wrong;
    usleep(5000);
  }
  stop.store(true);
  caller.join();
  if (kept) pclose(kept);
  check(forked > 0 && hung == 0 && wrong == 0,
        "%d workers forked during %d popen() calls: %d hung, %d failed fclose()/popen()", forked, popens.load(),
        hung, wrong);
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// More than 256 descriptors open for its lifetime: a call made meanwhile
// goes to libc (the helper route passes every descriptor, and gives up
// above that many).
struct DescriptorCrowd {
  std::vector<int> fds;
  explicit DescriptorCrowd(int count) {
    for (int i = 0; i < count; ++i) fds.push_back(open("/dev/null", O_RDONLY | O_CLOEXEC));
  }
  ~DescriptorCrowd() {
    for (int fd : fds) close(fd);
  }
};

// first, made by one route, must not be held open by second's child.
void expect_first_closes_at_once(const char *order, FILE *first, FILE *second) {
  check(first && second, "%s: both popen() calls gave a stream", order);
  if (!first || !second) return;
  auto start = std::chrono::steady_clock::now();
  int status = pclose(first);
  double took = seconds_since(start);
  check(exit_code_of(status) == 0 && took < 1.0, "%s: pclose of the first stream status %d after %.2f s", order,
        status, took);
  pclose(second);
}

void mode_popen_routes() {
  expect_system("exit 3", 3);
  constexpr int kCrowd = 300;  // above the helper route's 256-descriptor limit
  // "sleep 2": the first stream's pclose would take that long if the second
  // command's child held the first stream's pipe end.
  FILE *first = popen("cat > /dev/null", "w");
  FILE *second;
  {
    DescriptorCrowd crowd(kCrowd);
    second = popen("sleep 2", "r");
  }
  expect_first_closes_at_once("helper route, then libc", first, second);
  {
    DescriptorCrowd crowd(kCrowd);
    first = popen("cat > /dev/null", "w");
  }
  second = popen("sleep 2", "r");
  expect_first_closes_at_once("libc, then helper route", first, second);
}

// fork-in-lock: a call that takes the lock in another thread, and one that
// takes it in the child.
struct lock_case {
  const char *lock;
  void (*in_thread)();
  bool (*in_child)();
};

void thread_popen() {
  FILE *stream = popen("exit 0", "r");
  if (stream) pclose(stream);
}
void thread_system() { system("exit 0"); }
void thread_fork() {
  pid_t pid = fork();
  if (pid == 0) _exit(0);
  if (pid > 0) waitpid(pid, nullptr, 0);
}
void thread_file_actions() {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_destroy(&actions);
}

bool child_fclose() {
  FILE *file = fopen("/dev/null", "r");
  return file && fclose(file) == 0;
}
// Not natively: glibc 2.36 does not reset its own popen lock in a forked
// child, so a popen() there may hang when the fork met another's popen.
bool child_popen() {
  if (!child_fclose()) return false;
  if (!g_expect_helper) return true;
  FILE *stream = popen("exit 4", "r");
  return stream && exit_code_of(pclose(stream)) == 4;
}
bool child_system() { return exit_code_of(system("exit 3")) == 3; }
bool child_fork() {
  pid_t pid = fork();
  if (pid == 0) _exit(5);
  int status = 0;
  return pid > 0 && waitpid(pid, &status, 0) == pid && exit_code_of(status) == 5;
}
bool child_file_actions() {
  posix_spawn_file_actions_t actions;
  bool ok = posix_spawn_file_actions_init(&actions) == 0 && posix_spawn_file_actions_addclose(&actions, 99) == 0;
  return posix_spawn_file_actions_destroy(&actions) == 0 && ok;
}

// Every lock the library holds (fork_safe_lock.h's shim_lock, in its order),
// and popen's turn, which is no lock but a forked child must find it free.
const lock_case kLockCases[] = {
    {"popen_streams", thread_popen, child_fclose},
    {"popen_turn", thread_popen, child_popen},
    {"system_dispositions", thread_system, child_system},
    {"fork_learn", thread_fork, child_fork},
    {"fork_site_cache", thread_fork, child_fork},
    {"spawn_file_actions", thread_file_actions, child_file_actions},
    {"helper_pool", thread_system, child_system},
    {"inflight_descriptors", thread_system, child_system},
};

std::atomic<bool> g_case_running{false}, g_case_go{false};
pthread_t g_case_forker;
const char *g_case_lock;

// The program's atfork prepare handler runs before the library's (it was
// registered later) and after the library's steps before the fork (site
// match, learn): the other thread is started only now.
void case_prepare() {
  if (!g_case_running.load() || !pthread_equal(pthread_self(), g_case_forker)) return;
  // Armed only now: this thread's own fork() steps take some of the locks.
  g_pause_target.store(g_case_lock);
  g_case_go.store(true);
  if (g_expect_helper)
    for (int i = 0; i < 3000 && !g_pause_held.load(); ++i) usleep(1000);
}
void case_parent() {
  if (g_case_running.load() && pthread_equal(pthread_self(), g_case_forker)) g_pause_forked.store(true);
}

void run_lock_case(const lock_case &c) {
  g_pause_held.store(false);
  g_pause_forked.store(false);
  g_case_go.store(false);
  g_case_lock = c.lock;
  std::thread other([&c] {
    while (!g_case_go.load()) usleep(200);
    c.in_thread();
  });
  g_case_forker = pthread_self();
  g_case_running.store(true);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) _exit(c.in_child() ? 0 : 1);
  g_case_running.store(false);
  g_case_go.store(true);  // also when fork() failed
  g_pause_forked.store(true);
  // A system() there starts a helper of its own first (a few ms); the mode's
  // alarm allows every case to hang this long.
  constexpr double kChildSeconds = 2;
  int status = pid > 0 ? wait_or_kill(pid, kChildSeconds) : -1;
  other.join();
  g_pause_target.store(nullptr);
  if (g_expect_helper) check(g_pause_held.load(), "%s: held by another thread as fork() began", c.lock);
  bool ok = pid > 0 && status != -1 && exit_code_of(status) == 0;
  check(ok, "%s: the child took it %s", c.lock,
        ok ? "and returned" : pid < 0 ? "(not made)" : status == -1 ? "and hung" : "and its call failed");
}

void mode_fork_in_lock() {
  expect_system("exit 3", 3);
  FILE *kept = popen("cat > /dev/null", "w");  // so that fclose() looks up the popen streams
  check(kept != nullptr, "a popen stream kept open");
  pthread_atfork(case_prepare, case_parent, nullptr);
  for (const lock_case &c : kLockCases) run_lock_case(c);
  if (kept) pclose(kept);
}

void mode_outlive(bool wait_for_kill, bool fork_worker) {
  expect_system("exit 2", 2);
  expect_popen("echo x", "x\n");
  std::vector<pid_t> helpers = expect_helpers();
  printf("info: helpers=");
  for (pid_t pid : helpers) printf("%d,", pid);
  printf("\n");
  fflush(stdout);
  if (fork_worker) {
    pid_t worker = _Fork();
    if (worker == 0) {
      close(1);  // the runner reads the program's output to its end
      close(2);
      sleep(20);
      _exit(0);
    }
    printf("info: worker=%d\n", static_cast<int>(worker));
  }
  if (wait_for_kill) {
    printf("info: waiting\n");
    fflush(stdout);
    for (;;) pause();
  }
}

}  // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: fault_driver MODE [--expect-helper]\n");
    return 2;
  }
  const std::string mode = argv[1];
  g_expect_helper = argc > 2 && std::string(argv[2]) == "--expect-helper";
  alarm(mode == "outlive-kill" || mode == "outlive-fork-worker" ? 30 : mode == "fork-in-lock" ? 45 : 25);
  // Single-threaded where a thread would change what is checked (the runner
  // uses FORKLESS_MODE=always, so the helper serves the calls anyway).
  bool single = mode == "daemonize" || mode == "prefork" || mode == "fork-in-handler" || mode == "exec-check" ||
                mode == "no-stray-sigchld" || mode == "pid-namespace" || mode == "stopped-exec" ||
                mode == "exec-while-spawning" || mode == "greeting";
  e2e::BusyThreads busy(single ? 0 : 2);
  if (mode == "kill-between")
    mode_kill_between();
  else if (mode == "kill-during")
    mode_kill_during();
  else if (mode == "close-fds")
    mode_close_fds();
  else if (mode == "dup2-fds")
    mode_dup2_fds();
  else if (mode == "wait-echild")
    mode_wait_echild();
  else if (mode == "storm")
    mode_storm();
  else if (mode == "daemonize")
    mode_daemonize();
  else if (mode == "prefork")
    mode_prefork();
  else if (mode == "fork-in-handler")
    mode_fork_in_handler();
  else if (mode == "cancel-in-spawn")
    mode_cancel_in_spawn();
  else if (mode == "stopped-helper")
    mode_stopped_helper();
  else if (mode == "fork-during-spawn")
    mode_fork_during_spawn();
  else if (mode == "outlive" || mode == "outlive-kill" || mode == "outlive-fork-worker")
    mode_outlive(mode != "outlive", mode == "outlive-fork-worker");
  else if (mode == "stopped-exit") {
    // A spawn first: the eager helper is cloned before main and may not have
    // exec'd (and so be named forkless-helper) yet on a loaded machine.
    expect_system("exit 3", 3);
    stop_all(expect_helpers());
  }
  else if (mode == "stopped-big-request")
    mode_stopped_big_request();
  else if (mode == "stopped-exec")
    mode_stopped_exec();
  else if (mode == "exec-while-spawning")
    mode_exec_while_spawning();
  else if (mode == "exec-check")
    mode_exec_check(argc, argv);
  else if (mode == "sigchld-ignored-wait")
    mode_sigchld_ignored_wait();
  else if (mode == "no-stray-sigchld")
    mode_no_stray_sigchld();
  else if (mode == "pid-namespace")
    mode_pid_namespace();
  else if (mode == "nproc-limit")
    mode_nproc_limit();
  else if (mode == "greeting")
    mode_greeting();
  else if (mode == "fork-during-popen")
    mode_fork_during_popen();
  else if (mode == "popen-routes")
    mode_popen_routes();
  else if (mode == "fork-in-lock")
    mode_fork_in_lock();
  else {
    fprintf(stderr, "fault_driver: unknown mode %s\n", mode.c_str());
    return 2;
  }
  busy.stop();
  printf("%s: %d failure(s)\n", mode.c_str(), g_failures);
  return g_failures ? 1 : 0;
}
