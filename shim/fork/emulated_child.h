// State of the child of an emulated fork, kept in the calling thread's TLS:
// the child runs on that thread's memory (CLONE_VM without CLONE_SETTLS), so
// the parent reads back what the child left there once it resumes.
//
// Hazards, and how each is handled:
// - A signal handler running in the child runs on the parent's memory. Every
//   signal stays blocked from before the clone; the child's own
//   sigprocmask/pthread_sigmask calls are recorded as the mask it wants. Just
//   before the exec every caught signal is reset to SIG_DFL (exec would reset
//   it anyway), and only then is the wanted mask put in place.
// - environ assigned by the child (libuv does) is seen by every other thread
//   of the parent. The first interposer the child calls after the assignment
//   puts the parent's environ back and keeps the child's for its exec.
// - A failed exec returns into the site's error path, which would run on the
//   parent's memory (warnings, error callbacks). The child continues in a
//   real fork of itself instead, and the emulated child execs
//   forkless-helper --mirror-child (helper/child_mirror.h), which releases
//   the parent at once, keeps the pid, passes signals on and ends as the
//   fork ends. (The fork may exec another program after all.)
// - libuv's child renumbers low descriptors with fcntl(F_DUPFD_CLOEXEC) and
//   stores the new numbers in an array that is on the heap with more than 8
//   stdio entries. In a child whose site renumbers in place, the descriptor
//   really moves but fcntl returns its argument, so the stored number does
//   not change; dup2/dup3 from that number use the moved descriptor. The
//   table of moves lives in the thread's emulation scratch memory
//   (stack_window.h), never in memory the parent uses.
#pragma once

#include <csignal>
#include <sys/types.h>

namespace forkless {

// Parent, before the clone: the child starts wanting the caller's mask;
// parent_environ is what environ must be for the parent; scratch is the
// thread's emulation scratch memory (stack_window.h).
void emulated_child_begin(const sigset_t& caller_mask, char** parent_environ, bool renumber_in_place,
                          void* scratch);

// Child: sigprocmask/pthread_sigmask semantics on the recorded mask.
// Returns 0 or an error number (EINVAL).
int emulated_child_set_mask(int how, const sigset_t* set, sigset_t* old);

// Child, from every interposer: an environ the child assigned is taken for
// its exec and the parent's put back.
void emulated_child_take_environ();
// The environment the child's exec gets when the call names none.
char** emulated_child_environ();

// Child: an exec attempt. before_exec resets caught signals (saved in
// *saved) and puts the wanted mask in place; exec_failed blocks every signal
// and restores the handlers.
struct saved_handlers {
  // The kernel's struct sigaction for each signal that was caught.
  struct entry {
    unsigned long handler, flags, restorer, mask;
  } action[_NSIG];
  bool reset[_NSIG];
};
void emulated_child_before_exec(const char* path, saved_handlers* saved);
void emulated_child_exec_failed(const saved_handlers& saved);

// Parent, before the first clone: where forkless-helper is, for the mirror.
void emulated_child_locate_mirror();

// Child: goes on in a real fork of itself, whose memory is its own. Returns
// in that fork (now an ordinary child: the wanted mask in place, environ the
// child's); this process becomes the fork's mirror (or, when the helper
// program cannot be exec'd, waits for it and ends as it ended). If no fork
// can be made, this process _exits with 127, as a shell does when a command
// cannot run.
void emulated_child_continue_in_real_fork();

// Child, for a call naming its environment: the environment a native child
// would pass (environ named after the child assigned it and it was taken
// back means the child's).
char* const* emulated_child_envp(char* const* envp);

// Child, libuv's renumbering: fcntl(from, cmd, minimum), which at a site
// that renumbers in place moves the descriptor and returns from. Returns
// the value to give the caller, or kRenumberNotHandled: libc's fcntl then
// makes the call (another command, or a site that does not renumber in
// place).
inline constexpr int kRenumberNotHandled = -2;  // no fcntl returns it
int emulated_child_renumber(int from, int cmd, int minimum);
// Child: the descriptor dup2/dup3(from, to) must use as its source.
int emulated_child_dup_source(int from, int to);

// Parent, after it resumed: the last program the child tried to exec, or
// nullptr; whether the child took its environ (then it is the parent's again).
const char* emulated_child_exec_path();
bool emulated_child_took_environ();

// The pure parts of the child's bookkeeping, input to output.

// sigprocmask(how, set, old) on the mask the child wants, *wanted: glibc's
// internal signals (SIGCANCEL, SIGSETXID) never enter it, as
// pthread_sigmask never lets a program block them; a null set only reads
// it. Returns 0, or EINVAL for an unknown how with a set (nothing changed,
// *old not written).
int change_wanted_mask(sigset_t* wanted, int how, const sigset_t* set, sigset_t* old);

// Whether a signal's handler is reset to SIG_DFL just before the child's
// exec: a caught signal (a function, not SIG_DFL or SIG_IGN), except
// SIGKILL and SIGSTOP, which cannot be caught.
bool reset_before_exec(int signal_number, __sighandler_t handler);

// One in-place renumbering: the descriptor numbered from now sits at to.
struct descriptor_move {
  int from, to;
};
enum class renumber_action {
  libc,           // not a renumbering (or not at such a site): libc's fcntl
  refuse,         // the table is full: EMFILE
  move_in_place,  // move the descriptor, record the move, return from
};
// What the child's fcntl(fd, cmd, ...) does: F_DUPFD and F_DUPFD_CLOEXEC
// move in place when the site renumbers in place with its table ready
// (table_ready), while fewer than moves_max moves are recorded.
renumber_action renumber_plan(int cmd, bool table_ready, int moves_made, int moves_max);
// The source dup2/dup3(from, to) uses after moves[0, count): where the
// latest move of from put it, or from itself if it never moved. dup2(x, x)
// and dup3(x, x, ...) keep their own meaning (a check of x; EINVAL) and use
// x itself.
int dup_source_after_moves(const descriptor_move* moves, int count, int from, int to);

// The mirror's argument: the decimal digits of pid, without stdio (this
// runs between clone and exec). A negative pid, which no fork returns
// here, reads as its unsigned value; 16 bytes hold any of them.
void format_pid(pid_t pid, char (&text)[16]);

// The calling thread's signal mask, through the system call itself (neither
// glibc's filtering of its internal signals nor our interposer).
int raw_signal_mask(int how, const sigset_t* set, sigset_t* old);
void block_all_signals(sigset_t* old);

}  // namespace forkless
