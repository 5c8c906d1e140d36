#include "restriction_watch.h"

#include <atomic>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "helper_identity.h"

namespace forkless {
namespace {

std::atomic<bool> landlock_domain_made{false};

void bump_generation() { identity_generation.fetch_add(1, std::memory_order_acq_rel); }

void take_effect(restriction_effect effect) {
  if (effect == restriction_effect::compare_again) bump_generation();
  if (effect == restriction_effect::landlock_domain) landlock_domain_made.store(true, std::memory_order_release);
}

}  // namespace

restriction_effect prctl_effect(int option) {
  switch (option) {
    case PR_SET_SECCOMP:
    case PR_SET_NO_NEW_PRIVS:
    case PR_CAPBSET_DROP:
    case PR_CAP_AMBIENT:
      return restriction_effect::compare_again;
    default:
      return restriction_effect::none;
  }
}

restriction_effect system_call_effect(long number, long first_argument, long result) {
  switch (number) {
    case SYS_landlock_restrict_self:
      return result == 0 ? restriction_effect::landlock_domain : restriction_effect::none;
    case SYS_unshare:
    case SYS_setns:
    case SYS_seccomp:
      return restriction_effect::compare_again;
    case SYS_prctl:
      return prctl_effect(static_cast<int>(first_argument));
    default:
      return restriction_effect::none;
  }
}

void note_prctl(int option, int result) {
  (void)result;  // compared again whatever the outcome: a comparison too many costs one status read
  take_effect(prctl_effect(option));
}

void note_raw_system_call(long number, long first_argument, long result) {
  take_effect(system_call_effect(number, first_argument, result));
}

bool landlock_restricted() { return landlock_domain_made.load(std::memory_order_acquire); }

}  // namespace forkless
