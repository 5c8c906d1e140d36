// Ending helpers without the program seeing them go: killed, reaped by pid,
// and the SIGCHLD their exits raised taken back (helper_reaping.cpp).
#pragma once

#include <sys/types.h>

namespace forkless {

// Kills and reaps these helpers (they stay hidden from the program's waits
// until reaped). Waits on other processes: never call it with a shim lock
// held. Bounded: a helper that has not exited by the deadline stays hidden
// and is reaped later.
void end_helpers(const pid_t* pids, int count);

// Queues a helper the pool has given up on (lock-free; the pool's lock may
// be held): end_doomed_helpers ends it once no lock is held.
void doom_helper(pid_t pid);
void end_doomed_helpers();

// In a child made by fork(): the queue was the parent's.
void forget_doomed_helpers();

}  // namespace forkless
