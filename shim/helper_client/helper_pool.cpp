// The helpers of this process.
//
// Hazards, and how each is handled:
//  - The application owns the descriptor table. Our channel ends sit at a
//    high number, close-on-exec, and before each use fstat must show the same
//    socket (device and inode) we created: if the application closed the
//    number or dup2'd something over it, the helper is given up without ever
//    writing to, or closing, what is now the application's descriptor.
//  - After a real fork() the child shares our channels' open file
//    descriptions. The atfork child handler drops the child's copies, so a
//    daemon never talks to, or keeps alive, its parent's helper. A process
//    made without atfork (raw clone, vfork) may share our memory: a pid check
//    on every acquire sends its calls to libc and leaves the pool untouched.
//  - A helper is our child, so it must never show up in the program's wait
//    calls: pids are kept in a lock-free table the wait interposers consult
//    (they may run in signal handlers). A retired helper stays hidden until
//    it is reaped.
//  - Starting a helper clones it with CLONE_VM (helper_launch.h), so it
//    costs the same whatever the caller's size and the caller does not wait
//    for its exec; the helper program is exec'd with an empty environment (it
//    must not load this library) and only the channel, /dev/null on 0-2, in
//    its own process group, no signal blocked (it resets every disposition
//    itself). A launch stack whose helper never said hello is left mapped
//    (64 KiB), since that helper may still be running on it.
//  - The pool lock (shim_lock::helper_pool, fork_safe_lock.h) is never held
//    while talking to a helper; a helper is lent to one call at a time, and
//    a call that finds every helper lent waits without the lock.
//  - Every wait on a helper is bounded (helper_stall.h): a helper that is
//    stopped before its hello is killed at the first stall check; one that
//    runs but does not greet within kGreetingDeadlineMs is killed, and the
//    helper program is then no longer tried in this process (nor in its
//    forked children), so the wait is paid once, not at every spawn.
//  - Helpers are ended by the shim only (helper_reaping.h): one given up on
//    (its channel failed or vanished, drift) is doomed, then killed and
//    reaped once no lock is held; before an exec and at a normal exit every
//    helper is, busy or not, so none is left to the new image or to a
//    subreaper. While that runs no helper is started (pool_closing), and a
//    helper another thread is starting is waited for first.
//  - After unshare(CLONE_NEWPID) the next child becomes the new namespace's
//    init: a helper started then would be that init (which may not use
//    CLONE_PARENT, and whose exit ends the namespace). No helper is started
//    while children go to another pid namespace; the calls go native.
#include "helper_pool.h"

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "helper_identity.h"
#include "helper_launch.h"
#include "helper_reaping.h"
#include "helper_stall.h"
#include "inflight_descriptors.h"
#include "interpose/real_libc.h"
#include "policy/config.h"
#include "policy/diagnostics.h"
#include "protocol.h"
#include "support/fork_safe_lock.h"
#include "wire_channel.h"

#ifndef FORKLESS_HELPER_RELPATH
#define FORKLESS_HELPER_RELPATH "../../libexec/forkless/forkless-helper"
#endif

namespace forkless {
namespace {

// Helpers started and not yet reaped: up to kMaxHelpersLimit live ones,
// plus retired ones until they exit and are reaped (a stopped one may stay
// long). When it is full no helper is started (reserve_hidden_entry).
constexpr int kHiddenCapacity = 256;

struct helper_slot {
  int channel;
  dev_t device;
  ino_t inode;
  pid_t pid;
  bool busy;
  bool greeted;
  bool ended;           // killed and reaped before an exec while lent: forget it on release
  void* launch_memory;  // the launch stack, released once the helper said hello
  int pinned_cpu;       // see helper_lease
  helper_identity identity;
};

helper_slot slots[kMaxHelpersLimit];
// The process whose helpers the slots hold: set at load and, in a child
// made by fork(), by the fork handler. A child made without fork() (vfork,
// raw clone) keeps its parent's value: it may share the parent's memory, so
// it must never touch the pool.
pid_t pool_owner = 0;
// Whether any helper was ever started: until then a forked child has
// nothing to forget (a shell under forkless forks for every command).
std::atomic<bool> pool_used{false};
char helper_path[PATH_MAX];
bool helper_missing_noted = false;
// Helpers that failed to start or to greet, in a row. After a few the
// helper program is taken as broken and calls go native without trying.
int failed_starts = 0;
constexpr int kMaxFailedStarts = 3;
// How long a new helper may take to say hello: its exec and set-up take
// about a millisecond; two seconds cover a heavily loaded machine.
constexpr int kGreetingDeadlineMs = 2000;
// A helper that ran but did not greet in time: the program is taken as one
// that never greets, in this process and the children it forks.
bool helper_program_silent = false;
// Set while the helpers are being ended before an exec (cleared if the exec
// fails) and for good at a normal exit: no helper is started meanwhile.
bool pool_closing = false;
// How long an exec or exit waits for a helper another thread is starting:
// the start is a clone, tens of microseconds, but on a loaded machine the
// starting thread may wait long for a CPU; past this the exec goes ahead.
constexpr long kStartWaitNs = 1000L * 1000 * 1000;

std::atomic<pid_t> hidden_pids[kHiddenCapacity];
std::atomic<int> hidden_count{0};

// An entry taken for a helper that is being started: never a pid, so the
// wait interposers do not match it.
constexpr pid_t kReservedPid = -1;

// Takes a free entry for a helper about to start, before it exists: a helper
// that could not be hidden would show in the program's wait(-1). nullptr
// when the table is full; then no helper is started (the call goes native).
std::atomic<pid_t>* reserve_hidden_entry() {
  for (auto& entry : hidden_pids) {
    pid_t empty = 0;
    if (entry.compare_exchange_strong(empty, kReservedPid)) {
      hidden_count.fetch_add(1);
      return &entry;
    }
  }
  return nullptr;
}

void release_hidden_entry(std::atomic<pid_t>* entry) {
  entry->store(0);
  hidden_count.fetch_sub(1);
}

void clear_hidden() {
  for (auto& entry : hidden_pids) entry.store(0);
  hidden_count.store(0);
}

// Keeps cancellation off for a scope: the helpers are reaped (waitpid, a
// cancellation point) after the pool's lock is released, and the shim has
// no exceptions to unwind. (The lock itself keeps it off while held:
// fork_safe_lock.h.)
class no_cancellation {
 public:
  no_cancellation() { pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &previous_); }
  ~no_cancellation() { pthread_setcancelstate(previous_, nullptr); }
  no_cancellation(const no_cancellation&) = delete;
  no_cancellation& operator=(const no_cancellation&) = delete;

 private:
  int previous_;
};

void reset_slot(helper_slot& slot) {
  memset(&slot, 0, sizeof slot);
  slot.channel = -1;
  slot.pid = -1;
  slot.pinned_cpu = -1;
}

bool channel_intact(const helper_slot& slot) {
  struct stat st;
  return slot.pid > 0 && slot.channel >= 0 && fstat(slot.channel, &st) == 0 && S_ISSOCK(st.st_mode) &&
         st.st_dev == slot.device && st.st_ino == slot.inode;
}

// Reaps a helper if it has exited; it stays hidden until then.
void try_reap(pid_t pid) {
  int status;
  pid_t got = real::waitpid(pid, &status, WNOHANG);
  if (got == pid || (got < 0 && errno == ECHILD)) forget_helper_pid(pid);
}

void sweep_hidden() {
  if (hidden_count.load() == 0) return;
  int saved = errno;
  for (auto& entry : hidden_pids) {
    pid_t pid = entry.load();
    if (pid <= 0) continue;
    bool live = false;
    for (const helper_slot& slot : slots)
      if (slot.pid == pid) live = true;
    if (!live) try_reap(pid);
  }
  errno = saved;
}

// Gives a helper up: it is ended once the pool's lock is released
// (end_doomed_helpers). Its channel is closed only if it is still ours.
void retire_slot(helper_slot& slot) {
  if (channel_intact(slot)) close(slot.channel);
  pid_t pid = slot.pid;
  reset_slot(slot);
  doom_helper(pid);
}

void forget_all_after_fork() {
  pool_owner = getpid();
  if (!pool_used.load(std::memory_order_relaxed)) return;
  pool_used.store(false, std::memory_order_relaxed);
  failed_starts = 0;
  pool_closing = false;
  forget_doomed_helpers();
  for (helper_slot& slot : slots) {
    if (channel_intact(slot)) close(slot.channel);
    reset_slot(slot);
  }
  clear_hidden();
}


// Computes helper_path once (helper_program_path).
void locate_helper() {
  Dl_info info{};
  if (!dladdr(reinterpret_cast<void*>(&locate_helper), &info) || !info.dli_fname) return;
  const char* slash = strrchr(info.dli_fname, '/');
  if (!slash) return;
  snprintf(helper_path, sizeof helper_path, "%.*s/%s", static_cast<int>(slash - info.dli_fname), info.dli_fname,
           FORKLESS_HELPER_RELPATH);
}

// Starts a helper from the calling thread's context into `slot` (not in the
// table yet: the caller holds it reserved). Returns false with a reason.
bool start_helper(helper_slot* slot, const char** reason) {
  pool_used.store(true, std::memory_order_relaxed);
  helper_program_path();
  if (!helper_path[0] || access(helper_path, X_OK) != 0) {
    *reason = "no_helper_program";
    if (!helper_missing_noted) {
      helper_missing_noted = true;
      if (diagnostics_enabled()) {
        char note[PATH_MAX + 64];
        snprintf(note, sizeof note, "note=helper_program_missing path=%s", helper_path[0] ? helper_path : "?");
        log_note(note);
      }
    }
    return false;
  }
  // Both ends high: the helper's, so that the launch never finds it on one
  // of the numbers it rearranges (0-3).
  int channel = -1, helper_end = -1;
  if (open_inflight_channel(high_descriptor_floor(), &channel, &helper_end) != 0) {
    *reason = errno == EMFILE || errno == ENFILE || errno == EINVAL ? "no_descriptor" : "no_socket";
    return false;
  }
  std::atomic<pid_t>* hidden = reserve_hidden_entry();
  if (!hidden) {
    close_inflight(&helper_end);
    close_inflight(&channel);
    *reason = "hidden_table_full";
    return false;
  }
  capture_identity(&slot->identity);
  int error = 0;
  void* launch_memory = nullptr;
  pid_t pid = launch_helper_process(helper_path, helper_end, &error, &launch_memory);
  close_inflight(&helper_end);
  if (pid < 0) {
    release_hidden_entry(hidden);
    close_inflight(&channel);
    *reason = "helper_spawn_failed";
    return false;
  }
  slot->launch_memory = launch_memory;
  hidden->store(pid);
  struct stat st;
  fstat(channel, &st);
  slot->channel = channel;
  slot->device = st.st_dev;
  slot->inode = st.st_ino;
  slot->pid = pid;
  slot->greeted = false;
  return true;
}

// Does the next child go to another pid namespace (unshare(CLONE_NEWPID)
// or setns)? Until that namespace has its first process, pid_for_children
// does not exist (ENOENT). Unknown (no /proc) counts as no.
bool children_in_other_pid_namespace() {
  struct stat own, children;
  if (stat("/proc/thread-self/ns/pid", &own) != 0) return false;
  if (stat("/proc/thread-self/ns/pid_for_children", &children) != 0) return errno == ENOENT;
  return own.st_ino != children.st_ino || own.st_dev != children.st_dev;
}

enum class greeting { ok, failed, silent };

// Reads the helper's hello (sent once after its start), waiting a bounded
// time: a stopped helper is killed at the first stall check, a silent one
// at the deadline.
greeting greet(helper_slot* slot) {
  helper_wait waited = wait_on_helper(slot->channel, POLLIN, slot->pid, kGreetingDeadlineMs);
  if (waited == helper_wait::expired) return greeting::silent;
  if (waited == helper_wait::killed) return greeting::failed;
  uint8_t record[256];
  wire::received_message message;
  int status = wire::receive_message(slot->channel, &message, 0, record, sizeof record);
  bool ok = status == 0 && message.type == static_cast<uint16_t>(wire::message_type::hello) &&
            message.payload_bytes == sizeof(wire::hello_payload);
  if (ok) {
    wire::hello_payload hello;
    memcpy(&hello, message.payload, sizeof hello);
    ok = hello.helper_pid == slot->pid;
  }
  wire::release_message(&message);
  slot->greeted = ok;
  if (ok) {
    // The hello proves the exec: the launch stack is no longer in use.
    release_launch_memory(slot->launch_memory);
    slot->launch_memory = nullptr;
  }
  return ok ? greeting::ok : greeting::failed;
}

}  // namespace

int high_descriptor_floor() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 900;
  long soft = static_cast<long>(limit.rlim_cur);
  if (soft > 1024) soft = 1024;
  long floor = soft - 64 - kMaxHelpersLimit;
  return floor > 10 ? static_cast<int>(floor) : 10;
}

bool is_helper_pid(pid_t pid) {
  if (pid <= 0 || hidden_count.load(std::memory_order_acquire) == 0) return false;
  for (auto& entry : hidden_pids)
    if (entry.load(std::memory_order_relaxed) == pid) return true;
  return false;
}

bool any_helper_pids() { return hidden_count.load(std::memory_order_acquire) > 0; }

void forget_helper_pid(pid_t pid) {
  for (auto& entry : hidden_pids) {
    pid_t expected = pid;
    if (entry.compare_exchange_strong(expected, 0)) {
      hidden_count.fetch_sub(1);
      return;
    }
  }
}

namespace {

bool acquire_helper_locked(helper_lease* lease, const char** reason) {
  const settings& config = current_settings();
  locked held(shim_lock::helper_pool);
  if (pool_owner != getpid()) {
    // A child made without fork() (raw clone or vfork): it may share our
    // memory, so the pool is left exactly as it is and the call goes native.
    *reason = "foreign_process";
    return false;
  }
  sweep_hidden();
  for (;;) {
    int live = 0, free_slot = -1;
    for (int i = 0; i < config.max_helpers; ++i) {
      helper_slot& slot = slots[i];
      if (slot.pid <= 0) {
        if (slot.busy)
          ++live;  // being started by another thread
        else if (free_slot < 0)
          free_slot = i;
        continue;
      }
      if (slot.busy) {
        ++live;
        continue;
      }
      if (!channel_intact(slot)) {
        // The application closed or replaced our descriptor: forget it
        // without touching the number, which is the application's now. The
        // helper waits (it saw EOF, but we live) until it is ended.
        pid_t pid = slot.pid;
        reset_slot(slot);
        doom_helper(pid);
        if (free_slot < 0) free_slot = i;
        continue;
      }
      const char* difference = nullptr;
      if (!identity_matches(slot.identity, slot.pid, &difference)) {
        if (diagnostics_enabled()) {
          char note[128];
          snprintf(note, sizeof note, "note=helper_replaced drift=%s helper=%d", difference ? difference : "?",
                   static_cast<int>(slot.pid));
          log_note(note);
        }
        retire_slot(slot);
        if (free_slot < 0) free_slot = i;
        continue;
      }
      slot.busy = true;
      *lease = helper_lease{i, slot.channel, slot.pid, slot.pinned_cpu};
      bool greeted = slot.greeted;
      held.unlock();
      greeting hello = greeted ? greeting::ok : greet(&slot);
      if (hello != greeting::ok) {
        release_helper(lease, true);
        held.relock();
        ++failed_starts;
        if (hello == greeting::silent) helper_program_silent = true;
        *reason = hello == greeting::silent ? "helper_silent" : "helper_no_hello";
        return false;
      }
      if (!greeted) {
        held.relock();
        failed_starts = 0;
      }
      return true;
    }
    if (free_slot >= 0 && (failed_starts >= kMaxFailedStarts || helper_program_silent)) {
      *reason = "helper_unusable";
      return false;
    }
    if (free_slot >= 0 && pool_closing) {
      *reason = "pool_closing";
      return false;
    }
    if (free_slot >= 0 && children_in_other_pid_namespace()) {
      *reason = "pid_namespace_pending";
      return false;
    }
    if (free_slot >= 0) {
      helper_slot& slot = slots[free_slot];
      reset_slot(slot);
      slot.busy = true;
      slot.pid = 0;  // reserved while starting (pid 0: not a live helper yet)
      pool_used.store(true, std::memory_order_relaxed);  // a fork from now on must reset the slot
      held.unlock();
      helper_slot started;
      reset_slot(started);
      bool ok = start_helper(&started, reason);
      held.relock();
      if (!ok) {
        ++failed_starts;
        reset_slot(slot);
        held.notify_all();
        return false;
      }
      if (pool_closing) {
        // An exec or exit began meanwhile and waits for this start: the new
        // helper is ended with the others.
        close_inflight(&started.channel);
        doom_helper(started.pid);
        reset_slot(slot);
        held.notify_all();
        *reason = "pool_closing";
        return false;
      }
      started.busy = false;
      slot = started;
      settle_inflight(slot.channel);  // the pool's fork handler closes it from now on
      held.notify_all();
      continue;  // the next pass lends it (after the identity check)
    }
    if (live == 0) {
      *reason = "no_helper";
      return false;
    }
    held.wait();  // for a helper lent to another call, or being started
  }
}

}  // namespace

const char* helper_program_path() {
  static pthread_once_t located = PTHREAD_ONCE_INIT;
  pthread_once(&located, &locate_helper);
  return helper_path;
}

bool acquire_helper(helper_lease* lease, const char** reason) {
  bool leased = acquire_helper_locked(lease, reason);
  end_doomed_helpers();
  return leased;
}

void release_helper(helper_lease* lease, bool broken) {
  locked held(shim_lock::helper_pool);
  if (lease->slot >= 0 && pool_owner == getpid()) {
    helper_slot& slot = slots[lease->slot];
    if (slot.pid == lease->pid && slot.ended) {
      // Ended before an exec that then failed: its channel is still ours.
      if (channel_intact(slot)) close(slot.channel);
      reset_slot(slot);
    } else if (slot.pid == lease->pid) {
      slot.busy = false;
      slot.pinned_cpu = lease->pinned_cpu;
      if (broken) retire_slot(slot);
    }
  }
  held.notify_all();
  held.unlock();
  *lease = helper_lease{};
  end_doomed_helpers();
}

// Kept to the minimum: every process that inherits the library runs this.
// A zero slot is an empty one (pid 0, not busy), so the table is not touched.
void helper_pool_at_load() {
  const settings& config = current_settings();
  if (!config.enabled) return;
  // The first process that loads the library (no FORKLESS_HELPER_START):
  // its descendants inherit the variable and start lazily, in every mode
  // (their front then loads the core only if they spawn).
  if (config.start == helper_start::default_rule) setenv("FORKLESS_HELPER_START", "lazy", 1);
  if (config.mode == spawn_mode::native) return;
  pool_owner = getpid();
  at_fork_child(&forget_all_after_fork);
  bool eager = config.start == helper_start::eager;
  if (config.start == helper_start::default_rule) {
    // The first process that loads the library: eager where its spawns go
    // to the helper (FORKLESS_MODE=always). In auto mode most go to libc,
    // and a helper held open taxes them: every fork and spawn of the
    // program copies its descriptor table up to the channel's high number
    // (about 16 us here), every wait for any child reads /proc to hide the
    // helper. There the helper starts at the first call auto sends to it.
    eager = config.mode == spawn_mode::always;
  }
  if (!eager) return;
  const char* reason = nullptr;
  helper_slot& slot = slots[0];
  reset_slot(slot);
  if (start_helper(&slot, &reason))
    settle_inflight(slot.channel);  // the pool's fork handler closes it from now on
  else if (diagnostics_enabled()) {
    char note[128];
    snprintf(note, sizeof note, "note=eager_helper_not_started reason=%s", reason ? reason : "?");
    log_note(note);
  }
}

namespace {

// Ends every helper, lent or not, and every one still hidden: before an
// exec (cleared again if it fails) or for good at a normal exit.
void end_all_helpers() {
  if (!pool_used.load(std::memory_order_relaxed) && !any_helper_pids()) return;
  no_cancellation scope;  // the helpers are reaped after the lock is released
  locked held(shim_lock::helper_pool);
  if (pool_owner != getpid()) return;
  pool_closing = true;
  // A helper another thread is starting is in no list yet: wait for it to
  // reach its slot (or be ended by its starter, which sees pool_closing).
  long deadline = monotonic_ns() + kStartWaitNs;
  for (;;) {
    bool starting = false;
    for (const helper_slot& slot : slots)
      if (slot.busy && slot.pid == 0) starting = true;
    long left = deadline - monotonic_ns();
    if (!starting || left <= 0) break;
    held.wait_for_ns(left);
  }
  pid_t leaving[kHiddenCapacity];
  int count = 0;
  for (helper_slot& slot : slots) {
    if (slot.pid <= 0 || slot.ended) continue;
    leaving[count++] = slot.pid;
    if (slot.busy) {
      // Another thread's, mid-call: its exchange fails and goes native (if
      // the exec fails); release_helper forgets the slot.
      slot.ended = true;
      continue;
    }
    if (channel_intact(slot)) close(slot.channel);
    reset_slot(slot);
  }
  for (auto& entry : hidden_pids) {
    pid_t pid = entry.load();
    bool listed = false;
    for (int i = 0; i < count; ++i) listed = listed || leaving[i] == pid;
    if (pid > 0 && !listed && count < kHiddenCapacity) leaving[count++] = pid;
  }
  held.unlock();
  end_helpers(leaving, count);
  end_doomed_helpers();
}

}  // namespace

void helpers_before_exec() { end_all_helpers(); }

void helpers_after_failed_exec() {
  if (!pool_used.load(std::memory_order_relaxed)) return;
  locked held(shim_lock::helper_pool);
  if (pool_owner == getpid()) pool_closing = false;
}

void helpers_at_exit() { end_all_helpers(); }

}  // namespace forkless
