// spawn_driver: the differential test's caller for posix_spawn/posix_spawnp
//. It sets up a distinctive context (descriptors inheritable and
// close-on-exec, ignored/handled/blocked signals, a cwd with files and a
// subdirectory), keeps a busy thread running, then runs one scenario per file
// action, per attribute flag, their combinations and the error cases. For
// each it prints what the add* calls and posix_spawn returned, whether *pid
// was written, the child's wait status and what the probe (spawn_probe) saw.
// The runner runs it natively and under the library and requires identical
// output. Nothing printed may depend on pids, times or pty numbers.
//
// errno is set to EDOM before each call and printed after it: glibc's child
// shares the caller's memory, so its failed calls leave their errno in the
// caller (ENOENT after a failure or after a PATH miss even on success,
// EBADF after addopen onto a free number, EINVAL after SETSIGDEF of every
// signal), and the library must leave the same.
//
// Usage: spawn_driver PROBE WORKDIR [SCENARIO-PREFIX]
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <functional>
#include <sched.h>
#include <spawn.h>
#include <string>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "../e2e/e2e_util.h"

extern char** environ;

namespace {

std::string probe, work;
int failures = 0;

void die(const char* what) {
  fprintf(stderr, "spawn_driver: %s: %s\n", what, strerror(errno));
  exit(2);
}

const char* error_name(int error) {
  if (error == 0) return "0";
  const char* name = strerrorname_np(error);
  return name ? name : "?";
}

void place(int fd, int target, bool cloexec) {
  if (fd < 0) die("open");
  if (fd != target) {
    if (dup3(fd, target, cloexec ? O_CLOEXEC : 0) < 0) die("dup3");
    close(fd);
  } else if (fcntl(fd, F_SETFD, cloexec ? FD_CLOEXEC : 0) < 0) {
    die("F_SETFD");
  }
}

void write_file(const char* path, const char* text, mode_t mode) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd < 0 || write(fd, text, strlen(text)) != static_cast<ssize_t>(strlen(text))) die(path);
  close(fd);
  chmod(path, mode);
}

int count_low_fds() {
  int count = 0;
  DIR* dir = opendir("/proc/self/fd");
  while (dirent* entry = readdir(dir)) {
    int fd = atoi(entry->d_name);
    if (entry->d_name[0] != '.' && fd != dirfd(dir) && fd < 800) ++count;
  }
  closedir(dir);
  return count;
}

// One posix_spawn call: the objects, what to run, where its output goes.
struct spawn_case {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attributes;
  bool use_actions = false, use_attributes = false, search = false;
  std::string file;               // used when file_set; default: the probe
  bool file_set = false;
  std::vector<std::string> args;  // after argv[0]
  std::vector<std::string> env;   // empty: environ
  std::string output;             // the probe's stdout was redirected here (read back)

  spawn_case() {
    posix_spawn_file_actions_init(&actions);
    posix_spawnattr_init(&attributes);
  }
  ~spawn_case() {
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
  }
  void program(const std::string& name) {
    file_set = true;
    file = name;
  }
  // Prints and returns an add*/set* result.
  int note(const char* what, int result) {
    printf("%s=%s\n", what, error_name(result));
    return result;
  }
  void flags(short value) {
    use_attributes = true;
    note("setflags", posix_spawnattr_setflags(&attributes, value));
  }
  void open_action(int fd, const char* path, int oflag, mode_t mode = 0640) {
    use_actions = true;
    note("addopen", posix_spawn_file_actions_addopen(&actions, fd, path, oflag, mode));
  }
  void close_action(int fd) {
    use_actions = true;
    note("addclose", posix_spawn_file_actions_addclose(&actions, fd));
  }
  void dup2_action(int fd, int new_fd) {
    use_actions = true;
    note("adddup2", posix_spawn_file_actions_adddup2(&actions, fd, new_fd));
  }
  void chdir_action(const char* path) {
    use_actions = true;
    note("addchdir", posix_spawn_file_actions_addchdir_np(&actions, path));
  }
  void fchdir_action(int fd) {
    use_actions = true;
    note("addfchdir", posix_spawn_file_actions_addfchdir_np(&actions, fd));
  }
  void closefrom_action(int fd) {
    use_actions = true;
    note("addclosefrom", posix_spawn_file_actions_addclosefrom_np(&actions, fd));
  }
  void tcsetpgrp_action(int fd) {
    use_actions = true;
    note("addtcsetpgrp", posix_spawn_file_actions_addtcsetpgrp_np(&actions, fd));
  }
  // The probe writes to `name` (relative to the child's cwd at the open).
  // read_as: where the driver finds it, when the child changed directory.
  void redirect_output(const char* name, const char* read_as = nullptr) {
    output = read_as ? read_as : name;
    open_action(1, name, O_WRONLY | O_CREAT | O_TRUNC);
  }

  void run() {
    std::vector<std::string> strings;
    strings.push_back(file_set ? file : probe);
    if (!file_set) strings.push_back("--parent=" + std::to_string(getpid()));
    for (const std::string& a : args) strings.push_back(a);
    std::vector<char*> argv;
    for (std::string& s : strings) argv.push_back(s.data());
    argv.push_back(nullptr);
    std::vector<char*> envp;
    if (!env.empty()) {
      for (std::string& s : env) envp.push_back(s.data());
      envp.push_back(nullptr);
    }
    const char* path = file_set ? file.c_str() : probe.c_str();
    fflush(stdout);
    pid_t pid = -12345;
    errno = EDOM;
    int result = (search ? posix_spawnp : posix_spawn)(&pid, path, use_actions ? &actions : nullptr,
                                                      use_attributes ? &attributes : nullptr, argv.data(),
                                                      env.empty() ? environ : envp.data());
    int after = errno;
    printf("ret=%s pid_written=%s errno=%s\n", error_name(result), pid != -12345 ? "yes" : "no", error_name(after));
    if (result != 0) {
      if (!output.empty()) printf("output-exists=%s\n", access(output.c_str(), F_OK) == 0 ? "yes" : "no");
      return;
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid) die("waitpid");
    if (WIFEXITED(status))
      printf("status=exited %d\n", WEXITSTATUS(status));
    else
      printf("status=signaled %d\n", WTERMSIG(status));
    if (!output.empty()) printf("output(%s):\n%s", output.c_str(), e2e::read_file(output).c_str());
  }
};

struct scenario {
  const char* name;
  std::function<void(spawn_case&)> set_up;
};

sigset_t set_of(std::initializer_list<int> signals) {
  sigset_t set;
  sigemptyset(&set);
  for (int s : signals) sigaddset(&set, s);
  return set;
}

pid_t start_group_leader() {
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  char sleep_path[] = "/bin/sleep", seconds[] = "60";
  char* argv[] = {sleep_path, seconds, nullptr};
  pid_t pid;
  if (posix_spawn(&pid, sleep_path, nullptr, &attributes, argv, environ) != 0) die("spawn sleep");
  posix_spawnattr_destroy(&attributes);
  return pid;
}

std::string pty_path;
pid_t group_leader = -1;

std::vector<scenario> scenarios() {
  using S = spawn_case&;
  return {
      // Plain calls.
      {"plain", [](S) {}},
      {"plain-empty-objects", [](S c) { c.use_actions = c.use_attributes = true; }},
      {"plain-env", [](S c) { c.env = {"ONLY=this", "PATH=/nowhere"}; }},
      {"plain-args", [](S c) { c.args = {"one", "two words", ""}; }},
      // One file action each.
      {"open-stdout", [](S c) { c.redirect_output("out-open.txt"); }},
      {"open-over-inherited", [](S c) { c.open_action(5, "b.txt", O_RDONLY); }},
      {"open-append-high", [](S c) { c.open_action(30, "log.txt", O_WRONLY | O_APPEND | O_CREAT); }},
      {"open-creat-mode", [](S c) {
         c.open_action(31, "created.txt", O_RDWR | O_CREAT | O_TRUNC, 0604);
       }},
      {"close-inherited", [](S c) { c.close_action(5); }},
      {"close-not-open", [](S c) { c.close_action(200); }},
      {"close-cloexec", [](S c) { c.close_action(9); }},
      {"dup2-inherited", [](S c) { c.dup2_action(5, 33); }},
      {"dup2-cloexec-source", [](S c) { c.dup2_action(9, 34); }},
      {"dup2-self-clears-cloexec", [](S c) { c.dup2_action(9, 9); }},
      {"dup2-onto-stdout", [](S c) { c.dup2_action(40, 1); }},
      {"chdir", [](S c) { c.chdir_action("sub"); }},
      {"chdir-absolute", [](S c) { c.chdir_action("/tmp"); }},
      {"fchdir-cloexec", [](S c) { c.fchdir_action(12); }},
      {"closefrom", [](S c) { c.closefrom_action(6); }},
      {"closefrom-3", [](S c) { c.closefrom_action(3); }},
      // Combinations, order-sensitive.
      {"chdir-then-open-relative", [](S c) {
         c.chdir_action("sub");
         c.redirect_output("out-in-sub.txt", "sub/out-in-sub.txt");
       }},
      {"open-then-dup2-then-close", [](S c) {
         c.open_action(20, "c.txt", O_RDONLY);
         c.dup2_action(20, 0);
         c.close_action(20);
       }},
      {"close-then-dup2-fails", [](S c) {
         c.close_action(9);
         c.dup2_action(9, 35);
       }},
      {"closefrom-then-fchdir-fails", [](S c) {
         c.closefrom_action(10);
         c.fchdir_action(12);
       }},
      {"fchdir-then-chdir", [](S c) {
         c.fchdir_action(12);
         c.chdir_action("deeper");
       }},
      {"many-actions", [](S c) {
         for (int i = 0; i < 40; ++i) c.dup2_action(5, 100 + i);
         for (int i = 0; i < 40; i += 2) c.close_action(100 + i);
       }},
      // One attribute flag each.
      {"flag-none", [](S c) { c.flags(0); }},
      {"flag-usevfork", [](S c) { c.flags(POSIX_SPAWN_USEVFORK); }},
      {"flag-setpgroup-own", [](S c) {
         c.flags(POSIX_SPAWN_SETPGROUP);
         c.note("setpgroup", posix_spawnattr_setpgroup(&c.attributes, 0));
       }},
      {"flag-setpgroup-named", [](S c) {
         c.flags(POSIX_SPAWN_SETPGROUP);
         c.note("setpgroup", posix_spawnattr_setpgroup(&c.attributes, group_leader));
         c.env = {"FORKLESS_TEST_GROUP=" + std::to_string(group_leader)};
       }},
      {"flag-setpgroup-callers", [](S c) {
         c.flags(POSIX_SPAWN_SETPGROUP);
         c.note("setpgroup", posix_spawnattr_setpgroup(&c.attributes, getpgrp()));
       }},
      {"flag-setsigmask", [](S c) {
         c.flags(POSIX_SPAWN_SETSIGMASK);
         sigset_t set = set_of({SIGUSR1, SIGTERM, SIGRTMIN + 3});
         c.note("setsigmask", posix_spawnattr_setsigmask(&c.attributes, &set));
       }},
      {"flag-setsigmask-full", [](S c) {
         c.flags(POSIX_SPAWN_SETSIGMASK);
         sigset_t set;
         sigfillset(&set);
         c.note("setsigmask", posix_spawnattr_setsigmask(&c.attributes, &set));
       }},
      {"flag-setsigmask-empty", [](S c) {
         c.flags(POSIX_SPAWN_SETSIGMASK);
         sigset_t set = set_of({});
         c.note("setsigmask", posix_spawnattr_setsigmask(&c.attributes, &set));
       }},
      {"flag-setsigdef", [](S c) {
         c.flags(POSIX_SPAWN_SETSIGDEF);
         sigset_t set = set_of({SIGUSR1, SIGHUP});
         c.note("setsigdefault", posix_spawnattr_setsigdefault(&c.attributes, &set));
       }},
      {"flag-setsigdef-full", [](S c) {
         c.flags(POSIX_SPAWN_SETSIGDEF);
         sigset_t set;
         sigfillset(&set);
         c.note("setsigdefault", posix_spawnattr_setsigdefault(&c.attributes, &set));
       }},
      {"flag-setschedparam", [](S c) {
         c.flags(POSIX_SPAWN_SETSCHEDPARAM);
         sched_param param{};
         c.note("setschedparam", posix_spawnattr_setschedparam(&c.attributes, &param));
       }},
      {"flag-setscheduler-batch", [](S c) {
         c.flags(POSIX_SPAWN_SETSCHEDULER);
         c.note("setschedpolicy", posix_spawnattr_setschedpolicy(&c.attributes, SCHED_BATCH));
         c.attributes.__policy = SCHED_BATCH;  // glibc's setter takes only OTHER, FIFO, RR
       }},
      {"flag-setscheduler-idle", [](S c) {
         c.flags(POSIX_SPAWN_SETSCHEDULER);
         c.note("setschedpolicy", posix_spawnattr_setschedpolicy(&c.attributes, SCHED_IDLE));
         c.attributes.__policy = SCHED_IDLE;
       }},
      {"flag-setscheduler-fifo", [](S c) {
         c.flags(POSIX_SPAWN_SETSCHEDULER | POSIX_SPAWN_SETSCHEDPARAM);
         c.note("setschedpolicy", posix_spawnattr_setschedpolicy(&c.attributes, SCHED_FIFO));
         sched_param param{};
         param.sched_priority = 3;
         c.note("setschedparam", posix_spawnattr_setschedparam(&c.attributes, &param));
       }},
      {"flag-setscheduler-reset-on-fork", [](S c) {
         c.flags(POSIX_SPAWN_SETSCHEDULER);
         c.note("setschedpolicy",
                posix_spawnattr_setschedpolicy(&c.attributes, SCHED_BATCH | SCHED_RESET_ON_FORK));
         c.attributes.__policy = SCHED_BATCH | SCHED_RESET_ON_FORK;
       }},
      {"flag-resetids", [](S c) { c.flags(POSIX_SPAWN_RESETIDS); }},
      {"flag-setsid", [](S c) { c.flags(POSIX_SPAWN_SETSID); }},
      // Flag combinations.
      {"flags-all-but-setsid", [](S c) {
         c.flags(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSCHEDULER |
                 POSIX_SPAWN_SETSCHEDPARAM | POSIX_SPAWN_RESETIDS | POSIX_SPAWN_USEVFORK);
         sigset_t mask = set_of({SIGALRM}), defaults = set_of({SIGPIPE, SIGUSR2});
         c.note("setsigmask", posix_spawnattr_setsigmask(&c.attributes, &mask));
         c.note("setsigdefault", posix_spawnattr_setsigdefault(&c.attributes, &defaults));
         c.note("setschedpolicy", posix_spawnattr_setschedpolicy(&c.attributes, SCHED_RR));
         sched_param param{};
         param.sched_priority = 1;
         c.note("setschedparam", posix_spawnattr_setschedparam(&c.attributes, &param));
       }},
      {"flags-setsid-sigmask-sigdef", [](S c) {
         c.flags(POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
         sigset_t mask = set_of({SIGINT}), defaults = set_of({SIGPIPE});
         c.note("setsigmask", posix_spawnattr_setsigmask(&c.attributes, &mask));
         c.note("setsigdefault", posix_spawnattr_setsigdefault(&c.attributes, &defaults));
       }},
      {"flags-setsid-and-setpgroup-fails", [](S c) {
         c.flags(POSIX_SPAWN_SETSID | POSIX_SPAWN_SETPGROUP);
       }},
      {"flags-and-actions", [](S c) {
         c.flags(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK);
         sigset_t mask = set_of({SIGQUIT});
         c.note("setsigmask", posix_spawnattr_setsigmask(&c.attributes, &mask));
         c.chdir_action("sub");
         c.dup2_action(9, 9);
         c.redirect_output("out-flags-actions.txt", "sub/out-flags-actions.txt");
         c.closefrom_action(10);
       }},
      {"setsid-pty-tcsetpgrp", [](S c) {
         c.flags(POSIX_SPAWN_SETSID);
         c.open_action(3, pty_path.c_str(), O_RDWR);
         c.tcsetpgrp_action(3);
         c.close_action(3);
       }},
      // Errors.
      {"error-missing", [](S c) { c.program("/nonexistent/program"); }},
      {"error-missing-relative", [](S c) { c.program("no-such-program"); }},
      {"error-empty-name", [](S c) { c.program(""); }},
      {"error-not-executable", [](S c) { c.program("plain.txt"); }},
      {"error-directory", [](S c) { c.program("sub"); }},
      {"error-enoexec-script", [](S c) { c.program("./noshebang.sh"); }},
      {"error-not-a-directory", [](S c) { c.program("plain.txt/x"); }},
      {"error-addopen-missing-dir", [](S c) { c.open_action(3, "nowhere/x", O_RDONLY); }},
      {"error-addopen-exists", [](S c) { c.open_action(3, "plain.txt", O_WRONLY | O_CREAT | O_EXCL); }},
      {"error-addopen-negative", [](S c) { c.open_action(-1, "plain.txt", O_RDONLY); }},
      {"error-adddup2-not-open", [](S c) { c.dup2_action(150, 3); }},
      {"error-adddup2-negative", [](S c) { c.dup2_action(-1, 3); }},
      {"error-adddup2-over-limit", [](S c) { c.dup2_action(5, 1 << 20); }},
      {"error-addclose-over-limit", [](S c) { c.close_action(1 << 20); }},
      {"error-addclosefrom-negative", [](S c) { c.closefrom_action(-1); }},
      {"error-fchdir-not-open", [](S c) { c.fchdir_action(151); }},
      {"error-fchdir-negative", [](S c) { c.fchdir_action(-1); }},
      {"error-fchdir-not-directory", [](S c) { c.fchdir_action(5); }},
      {"error-chdir-missing", [](S c) { c.chdir_action("nowhere"); }},
      {"error-tcsetpgrp-not-tty", [](S c) { c.tcsetpgrp_action(40); }},
      {"error-setsigmask-flags-invalid", [](S c) { c.flags(0x4000); }},
      {"error-scheduler-bad-policy", [](S c) {
         c.flags(POSIX_SPAWN_SETSCHEDULER);
         c.note("setschedpolicy", posix_spawnattr_setschedpolicy(&c.attributes, 12345));
         c.attributes.__policy = 12345;
       }},
      {"error-scheduler-bad-priority", [](S c) {
         c.flags(POSIX_SPAWN_SETSCHEDPARAM);
         sched_param param{};
         param.sched_priority = 50;
         c.note("setschedparam", posix_spawnattr_setschedparam(&c.attributes, &param));
       }},
      {"error-scheduler-fifo-priority-0", [](S c) {
         c.flags(POSIX_SPAWN_SETSCHEDULER);
         c.note("setschedpolicy", posix_spawnattr_setschedpolicy(&c.attributes, SCHED_FIFO));
       }},
      {"error-setpgroup-foreign", [](S c) {
         c.flags(POSIX_SPAWN_SETPGROUP);
         c.note("setpgroup", posix_spawnattr_setpgroup(&c.attributes, 1));
       }},
      {"error-setpgroup-missing", [](S c) {
         c.flags(POSIX_SPAWN_SETPGROUP);
         c.note("setpgroup", posix_spawnattr_setpgroup(&c.attributes, 4194300));
       }},
      {"error-after-actions-no-output", [](S c) {
         c.redirect_output("out-never.txt");
         c.program("/nonexistent/program");
       }},
      // posix_spawnp's search.
      {"path-search", [](S c) {
         c.search = true;
         c.program("spawn_probe");
       }},
      {"path-search-env-ignored", [](S c) {
         c.search = true;
         c.program("spawn_probe");
         c.env = {"PATH=/nowhere"};
       }},
      {"path-search-slash", [](S c) {
         c.search = true;
         c.program("./bin/spawn_probe");
       }},
      {"path-search-missing", [](S c) {
         c.search = true;
         c.program("no-such-program-anywhere");
       }},
      {"path-search-eacces-then-found", [](S c) {
         c.search = true;
         c.program("shadowed");
       }},
      {"path-search-eacces-only", [](S c) {
         c.search = true;
         c.program("plain.txt");
       }},
      {"path-search-enoexec", [](S c) {
         c.search = true;
         c.program("script.sh");
       }},
      {"path-search-empty", [](S c) {
         c.search = true;
         c.program("");
       }},
      {"path-search-long-name", [](S c) {
         c.search = true;
         c.program(std::string(300, 'n'));
       }},
  };
}

// Scenarios that change the caller's PATH around the call.
void with_path(const char* value, const std::function<void()>& body) {
  std::string saved = getenv("PATH") ? getenv("PATH") : "";
  bool had = getenv("PATH") != nullptr;
  if (value)
    setenv("PATH", value, 1);
  else
    unsetenv("PATH");
  body();
  if (had)
    setenv("PATH", saved.c_str(), 1);
  else
    unsetenv("PATH");
}

void set_up_files() {
  mkdir("sub", 0755);
  mkdir("sub/deeper", 0755);
  mkdir("bin", 0755);
  mkdir("noexec", 0755);
  write_file("b.txt", "bee file\n", 0644);
  write_file("c.txt", "see file\n", 0644);
  write_file("plain.txt", "not a program\n", 0644);
  write_file("noshebang.sh", "echo should-not-run\n", 0755);
  write_file("noexec/shadowed", "not executable\n", 0644);
  write_file("noexec/plain.txt", "not executable\n", 0644);
  write_file("bin/script.sh", "echo should-not-run\n", 0755);
  if (link(probe.c_str(), "bin/spawn_probe") != 0 && symlink(probe.c_str(), "bin/spawn_probe") != 0)
    die("link probe");
  if (symlink("spawn_probe", "bin/shadowed") != 0) die("symlink");
}

void set_up_descriptors() {
  int fd = open("a.txt", O_RDWR | O_CREAT | O_TRUNC, 0640);
  if (write(fd, "0123456789abcdef", 16) != 16) die("write");
  lseek(fd, 7, SEEK_SET);
  place(fd, 5, false);
  place(open("c.txt", O_RDONLY), 9, true);
  place(open("sub", O_RDONLY | O_DIRECTORY), 12, true);
  place(open("/dev/null", O_RDWR), 40, false);
  int pty = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (pty < 0 || grantpt(pty) != 0 || unlockpt(pty) != 0) die("pty");
  pty_path = ptsname(pty);
  place(pty, 60, true);
}

void on_usr2(int) {}

void set_up_signals() {
  signal(SIGUSR1, SIG_IGN);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGHUP, SIG_IGN);
  struct sigaction handled {};
  handled.sa_handler = on_usr2;
  sigaction(SIGUSR2, &handled, nullptr);
  sigset_t block = set_of({SIGWINCH});
  pthread_sigmask(SIG_BLOCK, &block, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: spawn_driver PROBE WORKDIR [SCENARIO-PREFIX]\n");
    return 2;
  }
  probe = argv[1];
  work = argv[2];
  const char* only = argc > 3 ? argv[3] : "";
  if (chdir(work.c_str()) != 0) die("chdir");
  umask(022);
  set_up_files();
  set_up_descriptors();
  set_up_signals();
  e2e::BusyThreads busy(1);
  group_leader = start_group_leader();
  std::string bin = work + "/bin";
  std::string search_path = "/nonexistent:" + work + "/noexec:" + bin + ":/bin:/usr/bin";

  int fds_before = count_low_fds();
  int run = 0;
  for (scenario& s : scenarios()) {
    if (strncmp(s.name, only, strlen(only)) != 0) continue;
    printf("=== %s\n", s.name);
    spawn_case c;
    s.set_up(c);
    if (strncmp(s.name, "path-", 5) == 0)
      with_path(search_path.c_str(), [&] { c.run(); });
    else
      c.run();
    ++run;
  }
  if (only[0] == '\0') {
    // PATH unset: glibc's default "/bin:/usr/bin"; PATH empty: the cwd.
    printf("=== path-unset\n");
    spawn_case unset_case;
    unset_case.search = true;
    unset_case.program("true");
    with_path(nullptr, [&] { unset_case.run(); });
    printf("=== path-empty\n");
    spawn_case empty_case;
    empty_case.search = true;
    empty_case.program("noshebang.sh");
    with_path("", [&] { empty_case.run(); });
    printf("=== path-long-element\n");
    spawn_case long_case;
    long_case.search = true;
    long_case.program("noshebang.sh");
    std::string long_path = "/" + std::string(5000, 'd') + ":" + bin;
    with_path(long_path.c_str(), [&] { long_case.run(); });
    run += 3;
  }
  kill(group_leader, SIGKILL);
  waitpid(group_leader, nullptr, 0);
  busy.stop();
  int fds_after = count_low_fds();
  printf("=== summary\nscenarios=%d\n", run);
  printf("driver.fds.leaked=%d\n", fds_after - fds_before);
  int zombies = 0, others = 0;
  for (const e2e::ProcInfo& child : e2e::children_of(getpid())) {
    if (child.comm == "forkless-helper" && child.state != 'Z') continue;
    (child.state == 'Z' ? zombies : others)++;
  }
  printf("driver.children.zombies=%d driver.children.other=%d\n", zombies, others);
  if (failures) printf("FAIL %d check(s) failed\n", failures);
  fflush(stdout);
  return failures ? 1 : 0;
}
