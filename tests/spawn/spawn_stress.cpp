// spawn_stress: concurrency and fallback checks of posix_spawn.
//
//   spawn_stress stress EXIT_WITH [THREADS] [SPAWNS]
//     THREADS threads (default 8) each make SPAWNS/THREADS calls (default
//     2000 in all), alternating posix_spawn and posix_spawnp, with and
//     without file actions and attributes, each child exiting with a status
//     the thread chose; every status is checked. Then: descriptors and
//     children left over (zombies) must be none.
//   spawn_stress fallback EXIT_WITH
//     Spawns with file-action objects the library cannot have seen being
//     built (a memcpy'd copy; one changed behind its back) and with a NULL
//     pid: results must be right; the runner checks the log says why the
//     call went to libc.
// Prints only counts, so the native and forkless runs print the same.
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "../e2e/e2e_util.h"

extern char** environ;

namespace {

std::string exit_with;
std::atomic<int> wrong_status{0}, spawn_errors{0}, spawned{0};

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

int wait_status(pid_t pid) {
  int status = -1;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return -1;
  return status;
}

void spawner(int thread, int count) {
  int null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  for (int i = 0; i < count; ++i) {
    int code = (thread * 31 + i) % 200;
    std::string code_text = std::to_string(code);
    char* argv[] = {exit_with.data(), code_text.data(), nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attributes;
    bool use_actions = i % 2 == 0, use_attributes = i % 3 == 0;
    if (use_actions) {
      posix_spawn_file_actions_init(&actions);
      posix_spawn_file_actions_adddup2(&actions, null_fd, 1);
      posix_spawn_file_actions_addclose(&actions, 0);
    }
    if (use_attributes) {
      posix_spawnattr_init(&attributes);
      sigset_t mask;
      sigemptyset(&mask);
      posix_spawnattr_setsigmask(&attributes, &mask);
      posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
    }
    pid_t pid = -1;
    int result = (i % 4 == 1 ? posix_spawnp : posix_spawn)(&pid, exit_with.c_str(), use_actions ? &actions : nullptr,
                                                          use_attributes ? &attributes : nullptr, argv, environ);
    if (use_actions) posix_spawn_file_actions_destroy(&actions);
    if (use_attributes) posix_spawnattr_destroy(&attributes);
    if (result != 0) {
      fprintf(stderr, "thread %d spawn %d: %s\n", thread, i, strerror(result));
      ++spawn_errors;
      continue;
    }
    ++spawned;
    int status = wait_status(pid);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != code) {
      fprintf(stderr, "thread %d spawn %d: status %d, expected exit %d\n", thread, i, status, code);
      ++wrong_status;
    }
  }
  close(null_fd);
}

int leftovers() {
  int fds = count_low_fds();
  int zombies = 0, others = 0;
  for (const e2e::ProcInfo& child : e2e::children_of(getpid())) {
    if (child.comm == "forkless-helper" && child.state != 'Z') continue;
    (child.state == 'Z' ? zombies : others)++;
  }
  printf("children.zombies=%d children.other=%d\n", zombies, others);
  return fds;
}

int run_stress(int threads, int total) {
  int fds_before = count_low_fds();
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) workers.emplace_back(spawner, t, total / threads);
  for (auto& w : workers) w.join();
  printf("threads=%d spawned=%d errors=%d wrong_status=%d\n", threads, spawned.load(), spawn_errors.load(),
         wrong_status.load());
  int fds_after = leftovers();
  printf("fds.leaked=%d\n", fds_after - fds_before);
  return spawned.load() == total && wrong_status.load() == 0 && fds_after == fds_before ? 0 : 1;
}

void report(const char* what, int result, pid_t pid, int expected_exit) {
  printf("%s: ret=%s", what, result == 0 ? "0" : strerrorname_np(result));
  if (result == 0 && pid > 0) {
    int status = wait_status(pid);
    printf(" exit=%d%s", WIFEXITED(status) ? WEXITSTATUS(status) : -1,
           WIFEXITED(status) && WEXITSTATUS(status) == expected_exit ? " ok" : " WRONG");
  }
  printf("\n");
}

int run_fallback() {
  e2e::BusyThreads busy(1);
  char code[] = "7";
  char* argv[] = {exit_with.data(), code, nullptr};
  posix_spawn_file_actions_t built, copy;
  posix_spawn_file_actions_init(&built);
  posix_spawn_file_actions_addopen(&built, 1, "/dev/null", O_WRONLY, 0);
  memcpy(&copy, &built, sizeof copy);
  pid_t pid = -1;
  int result = posix_spawn(&pid, exit_with.c_str(), &copy, nullptr, argv, environ);
  report("copied-object", result, pid, 7);
  // Behind the library's back: an action appended by a copy sharing the array
  // is still libc's own, but __used no longer matches the record.
  built.__used = 0;
  pid = -1;
  result = posix_spawn(&pid, exit_with.c_str(), &built, nullptr, argv, environ);
  report("changed-object", result, pid, 7);
  built.__used = 1;
  result = posix_spawn(&pid, exit_with.c_str(), &built, nullptr, argv, environ);
  report("recorded-object", result, pid, 7);
  posix_spawn_file_actions_destroy(&built);
  // *pid may be NULL.
  report("null-pid", posix_spawn(nullptr, exit_with.c_str(), nullptr, nullptr, argv, environ), -1, 7);
  int status;
  pid_t reaped = wait(&status);
  printf("null-pid child reaped=%s exit=%d\n", reaped > 0 ? "yes" : "no", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  busy.stop();
  leftovers();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: spawn_stress stress|fallback EXIT_WITH [THREADS] [SPAWNS]\n");
    return 2;
  }
  exit_with = argv[2];
  std::string mode = argv[1];
  if (mode == "stress") return run_stress(argc > 3 ? atoi(argv[3]) : 8, argc > 4 ? atoi(argv[4]) : 2000);
  if (mode == "fallback") return run_fallback();
  fprintf(stderr, "spawn_stress: unknown mode %s\n", mode.c_str());
  return 2;
}
