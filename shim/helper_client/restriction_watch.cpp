#include "restriction_watch.h"

#include <atomic>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "helper_identity.h"

namespace forkless {
namespace {

std::atomic<bool> landlock_domain_made{false};

void bump_generation() { identity_generation.fetch_add(1, std::memory_order_acq_rel); }

}  // namespace

void note_prctl(int option, int result) {
  (void)result;  // compared again whatever the outcome: a comparison too many costs one status read
  switch (option) {
    case PR_SET_SECCOMP:
    case PR_SET_NO_NEW_PRIVS:
    case PR_CAPBSET_DROP:
    case PR_CAP_AMBIENT:
      bump_generation();
      break;
    default:
      break;
  }
}

void note_raw_system_call(long number, long first_argument, long result) {
  switch (number) {
    case SYS_landlock_restrict_self:
      if (result == 0) landlock_domain_made.store(true, std::memory_order_release);
      break;
    case SYS_unshare:
    case SYS_setns:
    case SYS_seccomp:
      bump_generation();
      break;
    case SYS_prctl:
      note_prctl(static_cast<int>(first_argument), static_cast<int>(result));
      break;
    default:
      break;
  }
}

bool landlock_restricted() { return landlock_domain_made.load(std::memory_order_acquire); }

}  // namespace forkless
