// The helper's owner: the program that started it (--owner=PID). The helper
// leaves when its owner is gone, even if another process (a worker made by
// clone() or _Fork(), which skip the shim's fork handlers) still holds the
// channel; and it does not leave while its owner lives, even at the
// channel's EOF: its exit would send the owner a SIGCHLD the program would
// not get natively, so it waits for the shim to end it (shim/helper_client/helper_reaping.h).
#pragma once

#include <sys/types.h>

namespace forkless::helper {

// A pidfd of the owner, or -1 (no pidfd_open: the helper then leaves at the
// channel's EOF). *gone is set when the owner is not our parent any more.
int watch_owner(pid_t owner, bool* gone);

// Waits until the channel has a message (or EOF): true; or until the owner
// is gone: false.
bool wait_for_request(int channel, int owner_watch);

// After the channel's EOF: returns once the owner is gone (at once without
// a watch).
void wait_for_owner_to_go(int owner_watch);

}  // namespace forkless::helper
