/* spawn_probe: tests/e2e/probe.c (included, not copied) plus what the
 * posix_spawn attributes change and probe.c does not print: the scheduler,
 * whether the process group is the one the driver named (the group id is
 * passed in FORKLESS_TEST_GROUP, a name probe.c leaves out of its dump, since
 * ids differ between runs), and the controlling terminal's foreground group.
 */
#define main e2e_probe_main
#include "../e2e/probe.c"
#undef main

#include <termios.h>

static void dump_spawn_extras(void) {
  struct sched_param param;
  int policy = sched_getscheduler(0);
  if (sched_getparam(0, &param) != 0) param.sched_priority = -1;
  printf("sched.policy=%d sched.reset_on_fork=%d sched.priority=%d\n", policy & ~SCHED_RESET_ON_FORK,
         !!(policy & SCHED_RESET_ON_FORK), param.sched_priority);
  const char *hint = getenv("FORKLESS_TEST_GROUP");
  if (hint) printf("pgrp.is_named_group=%s\n", atol(hint) == (long)getpgrp() ? "yes" : "no");
  int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (tty < 0) {
    printf("ctty=none\n");
  } else {
    pid_t foreground = tcgetpgrp(tty);
    printf("ctty=yes foreground=%s session_leader=%s\n", foreground == getpgrp() ? "own" : "other",
           getsid(0) == getpid() ? "yes" : "no");
    close(tty);
  }
}

int main(int argc, char **argv) {
  printf("--- spawn extras\n");
  dump_spawn_extras();
  return e2e_probe_main(argc, argv);
}
