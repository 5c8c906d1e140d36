// badinput_driver: system()/popen() on awkward input, printing every return
// value, errno and output so that the runner can require the run under the
// library to print exactly what the native run printed. Two busy threads run
// throughout (a multithreaded program, as the helper route serves).
//
// Usage: badinput_driver MODE [PROBE]
//   null          system(NULL)
//   empty         system("") and popen("", "r"), plus a command of blanks
//   big-args      commands of 100 KiB (under the kernel's 128 KiB limit for
//                 one argument: succeeds) and of 1 MiB (E2BIG: fails the same
//                 way as libc), each through system() and popen()
//   big-env       1000 variables of 1 KiB, seen by the probe and by env(1)
//   missing-shell system(NULL), system() and popen() when /bin/sh cannot be
//                 executed (the runner bind-mounts a bad file over it)
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/wait.h>

#include "e2e_util.h"

namespace {

void print_errno(const char *what) {
  int e = errno;
  printf("%s.errno=%d (%s)\n", what, e, e ? strerrorname_np(e) : "0");
}

void print_status(const char *what, int status) {
  printf("%s=%d", what, status);
  if (status != -1 && WIFEXITED(status)) printf(" exited=%d", WEXITSTATUS(status));
  if (status != -1 && WIFSIGNALED(status)) printf(" signaled=%d", WTERMSIG(status));
  printf("\n");
}

void do_system(const char *what, const char *command) {
  fflush(stdout);
  errno = 0;
  int status = system(command);
  print_status(what, status);
  print_errno(what);
}

// Prints the output in full when short, else its size and fingerprint.
void do_popen(const char *what, const char *command) {
  fflush(stdout);
  errno = 0;
  FILE *stream = popen(command, "r");
  if (!stream) {
    printf("%s.popen=NULL\n", what);
    print_errno(what);
    return;
  }
  std::string out = e2e::read_all(stream);
  if (out.size() <= 200)
    printf("%s.output=[%s]\n", what, out.c_str());
  else
    printf("%s.output.bytes=%zu fingerprint=%016llx\n", what, out.size(), e2e::fingerprint(out));
  errno = 0;
  print_status((std::string(what) + ".pclose").c_str(), pclose(stream));
  print_errno(what);
}

}  // namespace

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: badinput_driver MODE [PROBE]\n");
    return 2;
  }
  const std::string mode = argv[1];
  e2e::BusyThreads busy(2);
  if (mode == "null") {
    errno = 0;
    int ret = system(nullptr);
    printf("system(NULL)=%d nonzero=%d\n", ret, ret != 0);
    print_errno("system(NULL)");
  } else if (mode == "empty") {
    do_system("system-empty", "");
    do_system("system-blanks", "   ");
    do_popen("popen-empty", "");
    do_popen("popen-blanks", "  \t ");
  } else if (mode == "big-args") {
    for (size_t size : {size_t{100} << 10, size_t{1} << 20}) {
      const std::string tag = std::to_string(size >> 10) + "KiB";
      const std::string printf_x = "printf %s " + std::string(size, 'x');
      do_system(("system-" + tag).c_str(), (printf_x + " | wc -c").c_str());
      do_popen(("popen-" + tag).c_str(), (printf_x + " | wc -c").c_str());
    }
  } else if (mode == "big-env" && argc == 3) {
    for (int i = 0; i < 1000; i++) {
      char name[32];
      snprintf(name, sizeof name, "FL_BIG_%04d", i);
      setenv(name, std::string(1024, static_cast<char>('a' + i % 26)).c_str(), 1);
    }
    do_system("system-env-count", "env | grep -c '^FL_BIG_'");
    do_popen("popen-env-bytes", "env | grep '^FL_BIG_' | wc -c");
    do_popen("popen-probe", (std::string("exec ") + argv[2]).c_str());
  } else if (mode == "missing-shell") {
    errno = 0;
    printf("system(NULL)=%d\n", system(nullptr));
    print_errno("system(NULL)");
    do_system("system-echo", "echo should-not-run");
    do_system("system-exit3", "exit 3");
    do_popen("popen-echo", "echo should-not-run");
  } else {
    fprintf(stderr, "badinput_driver: unknown mode %s\n", mode.c_str());
    return 2;
  }
  return 0;
}
