// learn mode: watching native fork children until they exec.
//
// Hazards:
// - The report page is shared with every child forked while learning; a child
//   writes only its own slot, only while getpid() is the pid it had when the
//   fork returned (its own children inherit the page but not that pid), and
//   tags what it writes with its pid: a child slow enough for its slot to be
//   reused cannot be mistaken for the new one.
// - Slots are handed out round-robin: a slot is reused only after all others.
// - Nothing here waits for a child or reaps one: the verdict for a child that
//   has not reported yet is "pending" until kLearnPromptUs has passed, then
//   "no exec".
#include "fork_learn.h"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>

#include "fork_site_match.h"
#include "policy/config.h"
#include "policy/diagnostics.h"
#include "support/fork_safe_lock.h"

namespace forkless {
namespace {

constexpr int kSlots = 256;
constexpr int kSites = 64;

enum event_kind : unsigned { no_event = 0, event_exec = 1, event_exit = 2, event_fork = 3, event_exec_failed = 4 };

// One child's report, in the shared page: (pid << 8 | kind) and when.
struct report_slot {
  std::atomic<unsigned long> event;
  std::atomic<long> event_us;
};

struct watched_child {
  bool active;
  pid_t pid;
  long forked_us;
  int site;
};

struct site_tally {
  char name[kSiteNameMax];
  bool denied;
  long forks;
  long prompt;      // first event an exec attempt within kLearnPromptUs
  long slow;        // exec attempted, later than that
  long no_exec;     // exit() or fork() first, or nothing in time
  long pending;
  long slowest_us;
};

// All under shim_lock::fork_learn.
report_slot* reports = nullptr;  // kSlots entries, MAP_SHARED
watched_child watched[kSlots];
int next_slot = 0;
site_tally sites[kSites];
int site_count = 0;
pid_t owner_pid = 0;             // the process whose table this is

// Child side (plain globals: the child is a single-threaded copy).
report_slot* child_slot = nullptr;
pid_t child_pid = 0;
long child_forked_us = 0;

pid_t raw_getpid() { return static_cast<pid_t>(syscall(SYS_getpid)); }

int site_index(const char* name, bool denied) {
  for (int i = 0; i < site_count; ++i) {
    if (strcmp(sites[i].name, name) == 0) return i;
  }
  if (site_count == kSites) return -1;
  site_tally& tally = sites[site_count];
  memset(&tally, 0, sizeof tally);
  snprintf(tally.name, sizeof tally.name, "%s", name);
  tally.denied = denied;
  return site_count++;
}

// Turns reported events into tallies; with the lock held.
void collect(long now_us, bool final) {
  for (int i = 0; i < kSlots; ++i) {
    watched_child& child = watched[i];
    if (!child.active) continue;
    unsigned long event = reports[i].event.load(std::memory_order_acquire);
    site_tally* tally = child.site >= 0 ? &sites[child.site] : nullptr;
    bool ours = event != 0 && static_cast<pid_t>(event >> 8) == child.pid;
    if (!ours) {
      if (now_us - child.forked_us <= kLearnPromptUs) {
        if (final && tally != nullptr) ++tally->pending;
        continue;
      }
      if (tally != nullptr) ++tally->no_exec;
      child.active = false;
      continue;
    }
    long after = reports[i].event_us.load(std::memory_order_relaxed) - child.forked_us;
    if ((event & 0xff) == event_exec && !final && now_us - child.forked_us - after < kLearnExecSettleUs) {
      continue;  // the attempt may still fail
    }
    if (tally != nullptr) {
      if ((event & 0xff) != event_exec) {
        ++tally->no_exec;
      } else if (after <= kLearnPromptUs) {
        ++tally->prompt;
      } else {
        ++tally->slow;
      }
      if (after > tally->slowest_us) tally->slowest_us = after;
    }
    child.active = false;
  }
}

void child_report(unsigned kind) {
  if (child_slot == nullptr || raw_getpid() != child_pid) return;
  unsigned long expected = 0;
  unsigned long event = (static_cast<unsigned long>(child_pid) << 8) | kind;
  long now = monotonic_us();
  // Only the first event counts.
  if (child_slot->event.compare_exchange_strong(expected, event, std::memory_order_acq_rel)) {
    child_slot->event_us.store(now, std::memory_order_release);
  }
}

}  // namespace

int learn_before_fork(const char* site, bool site_denied) {
  locked held(shim_lock::fork_learn);
  if (reports == nullptr) {
    void* page = mmap(nullptr, sizeof(report_slot) * kSlots, PROT_READ | PROT_WRITE,
                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED) return -1;
    reports = static_cast<report_slot*>(page);
    owner_pid = raw_getpid();
  }
  if (owner_pid != raw_getpid()) {
    // A child of a learning process learns on its own table.
    memset(watched, 0, sizeof watched);
    site_count = 0;
    owner_pid = raw_getpid();
  }
  collect(monotonic_us(), false);
  int slot = next_slot;
  next_slot = (next_slot + 1) % kSlots;
  watched_child& child = watched[slot];
  if (child.active && child.site >= 0) ++sites[child.site].no_exec;  // evicted unanswered
  child.active = false;
  child.site = site_index(site != nullptr && site[0] != '\0' ? site : "?", site_denied);
  reports[slot].event.store(0, std::memory_order_release);
  reports[slot].event_us.store(0, std::memory_order_relaxed);
  return slot;
}

void learn_after_fork(int slot, pid_t pid) {
  if (slot < 0) return;
  if (pid == 0) {
    // Child: it touches only its plain globals (the table is the parent's).
    child_slot = &reports[slot];
    child_pid = raw_getpid();
    child_forked_us = monotonic_us();
    return;
  }
  locked held(shim_lock::fork_learn);
  watched_child& child = watched[slot];
  if (pid > 0) {
    child.pid = pid;
    child.forked_us = monotonic_us();
    child.active = true;
    if (child.site >= 0) ++sites[child.site].forks;
  }
}

void learn_child_exec_attempt() { child_report(event_exec); }

void learn_child_exec_failed() {
  if (child_slot == nullptr || raw_getpid() != child_pid) return;
  unsigned long attempted = (static_cast<unsigned long>(child_pid) << 8) | event_exec;
  unsigned long failed = (static_cast<unsigned long>(child_pid) << 8) | event_exec_failed;
  child_slot->event.compare_exchange_strong(attempted, failed, std::memory_order_acq_rel);
}
void learn_child_exit_called() { child_report(event_exit); }
void learn_child_forked() { child_report(event_fork); }

void fork_learn_summary() {
  // Held while the lines are written: the log file is opened under
  // shim_lock::inflight_descriptors, which comes later in the lock order.
  locked held(shim_lock::fork_learn);
  if (reports == nullptr || owner_pid != raw_getpid() || site_count == 0) return;
  collect(monotonic_us(), true);
  char qualified[1024];
  size_t used = 0;
  qualified[0] = '\0';
  for (int i = 0; i < site_count; ++i) {
    const site_tally& tally = sites[i];
    bool exec_bound = !tally.denied && tally.forks > 0 && tally.prompt == tally.forks &&
                      tally.name[0] != '?';
    char line[512];
    snprintf(line, sizeof line,
             "fork-learn site=%.95s forks=%ld exec_prompt=%ld exec_slow=%ld no_exec=%ld pending=%ld "
             "slowest_us=%ld verdict=%s",
             tally.name, tally.forks, tally.prompt, tally.slow, tally.no_exec, tally.pending,
             tally.slowest_us,
             tally.denied ? "denied" : exec_bound ? "exec_bound" : "not_exec_bound");
    log_note(line);
    // Sites already on a list need no FORKLESS_FORK_SITES entry.
    bool listed = classify_site(tally.name, current_settings().fork_sites) == site_verdict::exec_bound;
    if (exec_bound && !listed) {
      int wrote = snprintf(qualified + used, sizeof qualified - used, "%s%s", used ? "," : "", tally.name);
      if (wrote > 0 && static_cast<size_t>(wrote) < sizeof qualified - used) used += static_cast<size_t>(wrote);
    }
  }
  char line[1100];
  snprintf(line, sizeof line, "fork-learn FORKLESS_FORK_SITES=%s", qualified);
  log_note(line);
}

}  // namespace forkless
