// The one lock primitive of the shim: every lock the library holds is one of
// these, and all of them are safe across a fork() made by another thread.
//
// The rule: a shim lock is held only for memory operations and libc calls
// that return at once (open, close, fstat, sigaction, a WNOHANG waitpid,
// malloc). It is never held while waiting on another process: not across a
// helper exchange, a child's exec, a blocking waitpid, nor a wait for
// another thread that may be doing any of those (locked::wait releases it).
// fork()'s prepare handler takes every shim lock, so a lock held for long
// would stall every fork of the program for as long.
//
// Hazards, and how each is handled:
//  - A fork() by another thread while a lock is held would copy it held into
//    the child, where no thread will ever release it (a reported worker hung
//    in fclose). One pthread_atfork registration, the front library's, made
//    at its load before any of the program's: prepare takes every lock in the order below, the
//    parent releases them, the child re-initialises them (it is a copy of
//    a consistent state: nobody was inside a critical section). Module state
//    that a child must reset runs in that same child handler (at_fork_child).
//  - A signal handler that interrupts a thread holding a lock and forks
//    (fork is async-signal-safe) would wait in prepare for its own thread:
//    a lock is held, and prepare runs, with every signal blocked.
//  - Cancellation inside a critical section (close, open are cancellation
//    points; the library has no exceptions to unwind): cancellation is off
//    while a lock is held.
//  - The child of an emulated fork (or of a vfork) shares the parent's
//    memory while a parent thread may hold a lock: no interposer takes a
//    lock there (shim_scope::pass_through). If such a child calls fork(),
//    prepare takes nothing (it could wait for a suspended thread); the new
//    child re-initialises as usual.
//  - _Fork(), clone() and raw fork system calls run no atfork handlers: a
//    child made by them may inherit a lock held (as it may inherit libc's
//    own); such a child may only call async-signal-safe functions anyway.
//
// Lock order: a thread may take a lock only while every lock it holds comes
// earlier in shim_lock (fork's prepare takes them all in this order).
#pragma once

#include <csignal>

namespace forkless {

enum class shim_lock : unsigned {
  popen_streams,         // popen_streams: the records of open popen streams
  system_dispositions,   // system_call: SIGINT/SIGQUIT ignored while system() runs
  fork_learn,            // fork/fork_learn: watched children and site tallies
  fork_site_cache,       // fork/fork_site_match: verdicts per caller chain
  spawn_file_actions,    // spawn_file_actions: records of file-action objects
  helper_pool,           // helper_pool: the helper slots (it reads /proc: inflight comes after)
  inflight_descriptors,  // inflight_descriptors: descriptors held for a moment
  count_
};

// Holds one shim lock for its scope: every signal blocked and cancellation
// off first, both restored when it is released.
class locked {
 public:
  explicit locked(shim_lock which);
  ~locked();
  locked(const locked&) = delete;
  locked& operator=(const locked&) = delete;

  void unlock();  // release early (the destructor then does nothing)
  void relock();  // take it again after unlock()

  // Releases the lock, waits until another thread calls notify_all() on the
  // same lock (or a signal interrupts the wait), and takes it again. While
  // waiting the caller's own signal mask is in place. Callers re-check their
  // condition in a loop, as with a condition variable.
  void wait();
  // The same, for at most ns nanoseconds.
  void wait_for_ns(long ns);
  // Wakes every thread in wait() on this lock; call it with the lock held.
  void notify_all();

 private:
  shim_lock which_;
  bool held_ = false;
  int previous_cancel_ = 0;
  sigset_t previous_mask_;
};

// Registers the fork handlers. Called once, first thing in the library's
// constructor.
void fork_safe_locks_at_load();

// Adds a function to the child handler, run after the locks are
// re-initialised and before the signal mask is restored (so no handler of
// the program runs in the child before the library's state is reset).
// For the constructor only; at most kMaxChildHooks functions.
constexpr int kMaxChildHooks = 8;  // one per module with per-process state (four today)
void at_fork_child(void (*reset)());

// Tests only: calls forkless_test_lock_held(name) when the program defines
// it (below); made with a lock's name each time the library has taken it,
// and by popen_call when a popen() has taken its turn.
void note_lock_held(const char* name);

}  // namespace forkless

// Tests only: a program that defines this function (exported from its
// executable) can pause inside each critical section of the library and
// fork from another thread meanwhile (tests/e2e/fault_driver.cpp,
// fork-in-lock). Programs that do not define it are unaffected: the weak
// reference stays null.
extern "C" __attribute__((weak, visibility("default"))) void forkless_test_lock_held(const char* name);
