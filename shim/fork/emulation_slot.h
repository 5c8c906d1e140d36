// One emulated child at a time per process.
//
// The parent's environ is shared by all its threads: a second thread's fork
// while another thread's emulated child runs would save that child's environ
// as the parent's (and put it back after it was freed). A fork meanwhile
// waits for the running child's exec, then goes native.
#pragma once

namespace forkless {

// Takes the process's slot, waiting up to about what a native fork would
// cost. False when it is still held then. Signals stay deliverable while it
// waits.
bool claim_emulation();
void release_emulation();

// In the child of any real fork: the slot a thread of the parent held is
// not held in the child (that thread does not exist there).
void emulation_slot_reset_in_child();

}  // namespace forkless
