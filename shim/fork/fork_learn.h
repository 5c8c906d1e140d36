// FORKLESS_FORK=learn: forks that are not emulated are observed, and the
// exit summary names the sites whose children always exec'd promptly.
//
// The child reports through a MAP_SHARED page inherited across the native
// fork (no descriptor the child could close or dup2 over): its first event —
// an exec attempt, exit(), or a fork of its own — with the time since the
// fork. The parent reads the page on later forks and at exit, never waiting.
#pragma once

#include <sys/types.h>

namespace forkless {

// A child exec'd "promptly" when its first exec attempt came this soon.
inline constexpr long kLearnPromptUs = 50 * 1000;
// An exec attempt counts once it is this old: a failed exec reports its
// failure microseconds after the attempt, well within it.
inline constexpr long kLearnExecSettleUs = 5 * 1000;

// Parent, before a native fork it observes: reserves a report slot; returns
// its index or -1.
int learn_before_fork(const char* site, bool site_denied);
// After the fork: in the child (pid 0) arms the reports, in the parent
// records the child (or frees the slot when the fork failed).
void learn_after_fork(int slot, pid_t pid);

// Child side, from the interposers: harmless no-ops unless this process is
// an observed child.
void learn_child_exec_attempt();
// The exec attempt failed: the child did not exec (it is not counted as
// prompt, whatever it does next).
void learn_child_exec_failed();
void learn_child_exit_called();
void learn_child_forked();

// The summary lines (FORKLESS_LOG): one per site, then the
// FORKLESS_FORK_SITES value to use. The lead's exit summary calls it; it
// writes nothing unless learn mode observed a fork in this process.
void fork_learn_summary();

}  // namespace forkless
