#include "emulation_slot.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>

#include "policy/diagnostics.h"

namespace forkless {
namespace {

// How long a fork waits for another thread's emulated child to exec before
// it goes native: about what the native fork would cost, which grows with
// the resident size (~29 ms per GiB on this project's machines, so 30 us per
// MiB), and at least 20 ms, so that a child descheduled on a busy machine is
// waited for (one usually execs in well under a millisecond).
constexpr long kEmulationWaitMinNs = 20 * 1000 * 1000;
constexpr long kEmulationWaitPerMiBNs = 30 * 1000;

// The thread whose emulated child is running (its tid), 0 when none: a
// futex word.
std::atomic<int> emulation_in_flight{0};

int* futex_word() { return reinterpret_cast<int*>(&emulation_in_flight); }

}  // namespace

bool claim_emulation() {
  int self = static_cast<int>(syscall(SYS_gettid));
  int expected = 0;
  if (emulation_in_flight.compare_exchange_strong(expected, self, std::memory_order_acquire)) return true;
  long wait_ns = resident_mb() * kEmulationWaitPerMiBNs;
  if (wait_ns < kEmulationWaitMinNs) wait_ns = kEmulationWaitMinNs;
  long deadline = monotonic_ns() + wait_ns;
  for (;;) {
    expected = 0;
    if (emulation_in_flight.compare_exchange_strong(expected, self, std::memory_order_acquire)) return true;
    long left = deadline - monotonic_ns();
    if (left <= 0) return false;
    timespec wait{left / 1000000000L, left % 1000000000L};
    syscall(SYS_futex, futex_word(), FUTEX_WAIT_PRIVATE, expected, &wait, nullptr, 0);
  }
}

void release_emulation() {
  emulation_in_flight.store(0, std::memory_order_release);
  syscall(SYS_futex, futex_word(), FUTEX_WAKE_PRIVATE, 1, nullptr, nullptr, 0);
}

void emulation_slot_reset_in_child() { emulation_in_flight.store(0, std::memory_order_relaxed); }

}  // namespace forkless
