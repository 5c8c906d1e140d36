// forkless-helper --mirror-child PID: what the child of an emulated fork
// becomes when its exec failed.
//
// The emulated child shares its parent's memory, so the site's error path
// (a warning, an error report) runs in a real fork of it instead; the
// emulated child then execs this program, which releases the parent's
// suspended thread at once (a vfork parent resumes at its child's exec) and
// keeps the pid the program knows:
// - every descriptor is closed first, so pipes the child holds are the real
//   fork's alone (the site's error pipe reaches EOF when the fork exits or
//   execs, as the program expects);
// - SIGCHLD is at its default (the emulated child set it so before the
//   fork), so the fork's status is not lost to an ignored SIGCHLD;
// - every signal that is not ignored is passed on to the fork (the program
//   signals the pid it knows);
// - it ends as the fork ended: its exit status, or killed by its signal.
// The fork's parent is this process, so its getppid() is this pid, not the
// program's: the one difference a program could see, on this error path only.
#pragma once

namespace forkless::helper {

// Returns the exit status when it cannot mirror (bad arguments, no such
// child); otherwise never returns.
int mirror_child(const char* pid_text);

}  // namespace forkless::helper
