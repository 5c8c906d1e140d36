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
//  - acquire_helper and release_helper take that lock with the same call
//    made again: lock and unlock are scopes of a `locked` (below, `held`).
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
#include <pthread.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "diagnostics.h"
#include "fork_safe_lock.h"
#include "helper_identity.h"
#include "helper_launch.h"
#include "inflight_descriptors.h"
#include "protocol.h"
#include "real_libc.h"
#include "wire_channel.h"

#ifndef FORKLESS_HELPER_RELPATH
#define FORKLESS_HELPER_RELPATH "../../libexec/forkless/forkless-helper"
#endif

namespace forkless {
namespace {

constexpr int kHiddenCapacity = 256;

struct helper_slot {
  int channel;
  dev_t device;
  ino_t inode;
  pid_t pid;
  bool busy;
  bool greeted;
  void* launch_memory;  // the launch stack, released once the helper said hello
  int pinned_cpu;       // see helper_lease
  helper_identity identity;
};

helper_slot slots[kMaxHelpersLimit];  // under shim_lock::helper_pool, as is what follows
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

std::atomic<pid_t> hidden_pids[kHiddenCapacity];
std::atomic<int> hidden_count{0};

void hide_pid(pid_t pid) {
  for (auto& entry : hidden_pids) {
    pid_t empty = 0;
    if (entry.compare_exchange_strong(empty, pid)) {
      hidden_count.fetch_add(1);
      return;
    }
  }
}

void clear_hidden() {
  for (auto& entry : hidden_pids) entry.store(0);
  hidden_count.store(0);
}

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

// Gives a helper up. Its channel is closed only if it is still ours.
void retire_slot(helper_slot& slot) {
  if (channel_intact(slot)) close(slot.channel);
  pid_t pid = slot.pid;
  reset_slot(slot);
  if (pid > 0) try_reap(pid);
}

// In a forked child (fork's prepare handler held the pool's lock, so the
// slots are consistent).
void forget_all_after_fork() {
  pool_owner = getpid();
  if (!pool_used.load(std::memory_order_relaxed)) return;
  pool_used.store(false, std::memory_order_relaxed);
  failed_starts = 0;
  for (helper_slot& slot : slots) {
    if (channel_intact(slot)) close(slot.channel);
    reset_slot(slot);
  }
  clear_hidden();
}

int high_descriptor_floor() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 900;
  long soft = static_cast<long>(limit.rlim_cur);
  if (soft > 1024) soft = 1024;
  long floor = soft - 64 - kMaxHelpersLimit;
  return floor > 10 ? static_cast<int>(floor) : 10;
}

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
  capture_identity(&slot->identity);
  int error = 0;
  void* launch_memory = nullptr;
  pid_t pid = launch_helper_process(helper_path, helper_end, &error, &launch_memory);
  close_inflight(&helper_end);
  if (pid < 0) {
    close_inflight(&channel);
    *reason = "helper_spawn_failed";
    return false;
  }
  slot->launch_memory = launch_memory;
  hide_pid(pid);
  struct stat st;
  fstat(channel, &st);
  slot->channel = channel;
  slot->device = st.st_dev;
  slot->inode = st.st_ino;
  slot->pid = pid;
  slot->greeted = false;
  return true;
}

// Reads the helper's hello (sent once after its start).
bool greet(helper_slot* slot) {
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
  return ok;
}

}  // namespace

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

bool acquire_helper(helper_lease* lease, const char** reason) {
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
        // without touching the number, which is the application's now.
        pid_t pid = slot.pid;
        reset_slot(slot);
        try_reap(pid);
        if (free_slot < 0) free_slot = i;
        continue;
      }
      const char* difference = nullptr;
      if (!identity_matches(slot.identity, &difference)) {
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
      if (!greeted && !greet(&slot)) {
        release_helper(lease, true);
        held.relock();
        ++failed_starts;
        *reason = "helper_no_hello";
        return false;
      }
      if (!greeted) {
        held.relock();
        failed_starts = 0;
      }
      return true;
    }
    if (free_slot >= 0 && failed_starts >= kMaxFailedStarts) {
      *reason = "helper_unusable";
      return false;
    }
    if (free_slot >= 0) {
      if (!helper_path[0]) locate_helper();
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
      started.busy = false;
      slot = started;
      settle_inflight(slot.channel);  // the pool's fork handler closes it from now on
      continue;  // the next pass lends it (after the identity check)
    }
    if (live == 0) {
      *reason = "no_helper";
      return false;
    }
    held.wait();  // for a helper lent to another call, or being started
  }
}

void release_helper(helper_lease* lease, bool broken) {
  locked held(shim_lock::helper_pool);
  if (lease->slot >= 0 && pool_owner == getpid()) {
    helper_slot& slot = slots[lease->slot];
    if (slot.pid == lease->pid) {
      slot.busy = false;
      slot.pinned_cpu = lease->pinned_cpu;
      if (broken) retire_slot(slot);
    }
  }
  held.notify_all();
  held.unlock();
  *lease = helper_lease{};
}

// Kept to the minimum: every process that inherits the library runs this.
// A zero slot is an empty one (pid 0, not busy), so the table is not touched.
void helper_pool_at_load() {
  const settings& config = current_settings();
  if (!config.enabled || config.mode == spawn_mode::native) return;
  pool_owner = getpid();
  at_fork_child(&forget_all_after_fork);
  bool eager = config.start == helper_start::eager;
  if (config.start == helper_start::default_rule) {
    // Eager in the first process that loads the library; its descendants
    // inherit the variable and start lazily.
    eager = true;
    setenv("FORKLESS_HELPER_START", "lazy", 1);
  }
  if (!eager) return;
  locate_helper();
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

void helpers_before_exec() {
  if (!any_helper_pids()) return;
  pid_t leaving[kMaxHelpersLimit];
  int count = 0;
  locked held(shim_lock::helper_pool);
  if (pool_owner != getpid()) return;
  for (helper_slot& slot : slots) {
    if (slot.pid <= 0 || slot.busy) continue;  // a busy one is another thread's, mid-call
    if (channel_intact(slot)) close(slot.channel);
    leaving[count++] = slot.pid;
    reset_slot(slot);
  }
  held.unlock();
  // Cancellation stays off while they are reaped (helpers_before_exec is
  // reached from exec, a cancellation point the caller may have on).
  int previous_cancel;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &previous_cancel);
  for (int i = 0; i < count; ++i) {
    int status;
    while (real::waitpid(leaving[i], &status, 0) < 0 && errno == EINTR) {
    }
    forget_helper_pid(leaving[i]);
  }
  pthread_setcancelstate(previous_cancel, nullptr);
}

}  // namespace forkless
