// The program's "wait for any child" calls, with the helpers hidden: they are
// never returned, and when only helpers remain the call fails with ECHILD at
// once, as it would natively.
//
// Only waits for any child need this: a helper sits in its own process group,
// so the kernel never matches it for pid 0 or -pgid, and a program cannot know
// its pid. With no helper alive or unreaped, every call goes straight to libc.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

namespace forkless {

// wait, waitpid, wait3 and wait4 all come here.
pid_t wait4_hiding_helpers(pid_t pid, int* status, int options, struct rusage* usage);
int waitid_hiding_helpers(idtype_t type, id_t id, siginfo_t* info, int options);

// The pids of a children file (/proc/<pid>/task/<tid>/children: decimal
// pids, each followed by a space), read in pieces of any size. Pure: fed a
// byte at a time, it says when a byte ends a number. A run of more than 15
// digits keeps its first 15 (no pid has more than 7).
class pid_list_reader {
 public:
  // True when c, a byte after one or more digits, ends a number: *pid is it.
  bool take(char c, pid_t* pid);
  // At the text's end: true when it ended in digits, *pid their number.
  bool finish(pid_t* pid);

 private:
  char number_[16];  // 15 digits and the terminator
  size_t digits_ = 0;
};

}  // namespace forkless
