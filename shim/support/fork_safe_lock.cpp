#include "fork_safe_lock.h"

#include <atomic>
#include <climits>
#include <cstring>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "interpose/front_link.h"
#include "interpose/real_libc.h"
#include "interpose/thread_state.h"

namespace forkless {
namespace {

constexpr unsigned kLocks = static_cast<unsigned>(shim_lock::count_);

struct lock_state {
  pthread_mutex_t mutex;
  // Bumped by notify_all; wait() sleeps on it (a futex) without the lock.
  std::atomic<unsigned> changes;
};

lock_state locks[kLocks] = {};  // zero is PTHREAD_MUTEX_INITIALIZER (glibc)

const char* const kLockNames[] = {"popen_streams",      "system_dispositions", "fork_learn",
                                        "fork_site_cache",    "spawn_file_actions",  "helper_pool",
                                        "inflight_descriptors"};
static_assert(sizeof kLockNames / sizeof kLockNames[0] == kLocks, "a name for every shim_lock");

void (*child_hooks[kMaxChildHooks])();
int child_hook_count = 0;

// The forking thread's mask from prepare to the parent or child handler
// (glibc runs a process's fork handlers one fork at a time).
sigset_t mask_at_fork;

void block_all_signals(sigset_t* previous) {
  sigset_t all;
  sigfillset(&all);
  real::pthread_sigmask(SIG_SETMASK, &all, previous);
}

void reinitialise(pthread_mutex_t* mutex) {
  pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
  memcpy(mutex, &fresh, sizeof fresh);
}

// An emulated fork's child shares the parent's memory: it takes nothing (a
// lock's holder may be the suspended parent thread) and so releases nothing.
void before_fork() {
  block_all_signals(&mask_at_fork);
  if (this_thread_state().in_emulated_child) return;
  for (lock_state& lock : locks) pthread_mutex_lock(&lock.mutex);
}

void after_fork_in_parent() {
  sigset_t previous = mask_at_fork;
  if (!this_thread_state().in_emulated_child)
    for (unsigned i = kLocks; i-- > 0;) pthread_mutex_unlock(&locks[i].mutex);
  real::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

void after_fork_in_child() {
  for (lock_state& lock : locks) {
    reinitialise(&lock.mutex);
    lock.changes.store(0, std::memory_order_relaxed);
  }
  for (int i = 0; i < child_hook_count; ++i) child_hooks[i]();
  real::pthread_sigmask(SIG_SETMASK, &mask_at_fork, nullptr);
}

}  // namespace

locked::locked(shim_lock which) : which_(which) { relock(); }

locked::~locked() { unlock(); }

void locked::relock() {
  if (held_) return;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &previous_cancel_);
  block_all_signals(&previous_mask_);
  pthread_mutex_lock(&locks[static_cast<unsigned>(which_)].mutex);
  held_ = true;
  note_lock_held(kLockNames[static_cast<unsigned>(which_)]);
}

void locked::unlock() {
  if (!held_) return;
  held_ = false;
  pthread_mutex_unlock(&locks[static_cast<unsigned>(which_)].mutex);
  real::pthread_sigmask(SIG_SETMASK, &previous_mask_, nullptr);
  pthread_setcancelstate(previous_cancel_, nullptr);
}

void locked::wait() { wait_for_ns(-1); }

void locked::wait_for_ns(long ns) {
  std::atomic<unsigned>& changes = locks[static_cast<unsigned>(which_)].changes;
  unsigned seen = changes.load(std::memory_order_acquire);
  unlock();
  // Returns at once if notify_all ran since `seen` was read (the value then
  // differs); EINTR and a timeout are spurious wake-ups, which callers allow
  // for.
  timespec timeout{ns / 1000000000L, ns % 1000000000L};
  syscall(SYS_futex, reinterpret_cast<unsigned*>(&changes), FUTEX_WAIT_PRIVATE, seen, ns < 0 ? nullptr : &timeout,
          nullptr, 0);
  relock();
}

void locked::notify_all() {
  std::atomic<unsigned>& changes = locks[static_cast<unsigned>(which_)].changes;
  changes.fetch_add(1, std::memory_order_release);
  syscall(SYS_futex, reinterpret_cast<unsigned*>(&changes), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
}

void fork_safe_locks_at_load() {
  // Served by the front, the handlers run from its registration, made
  // before the program's (front_abi.h); linked directly, from one of ours.
  if (const front_services* front = serving_front())
    front->set_fork_handlers(&before_fork, &after_fork_in_parent, &after_fork_in_child);
  else
    pthread_atfork(&before_fork, &after_fork_in_parent, &after_fork_in_child);
}

void at_fork_child(void (*reset)()) {
  if (child_hook_count < kMaxChildHooks) child_hooks[child_hook_count++] = reset;
}

void note_lock_held(const char* name) {
  if (forkless_test_lock_held) forkless_test_lock_held(name);
}

}  // namespace forkless
