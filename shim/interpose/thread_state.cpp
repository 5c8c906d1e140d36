#include "thread_state.h"

#include <cerrno>

#include "policy/config.h"
#include "thread_block.h"

namespace forkless {

thread_state& this_thread_state() { return this_thread_block().state; }

shim_scope::shim_scope() : saved_errno_(errno) {
  thread_state& current = this_thread_state();
  was_inside_ = current.inside_shim;
  pass_through_ = was_inside_ || current.in_emulated_child || current.vfork_depth > 0 ||
                  !current_settings().enabled;
  current.inside_shim = true;
}

shim_scope::~shim_scope() {
  this_thread_state().inside_shim = was_inside_;
  errno = result_errno_set_ ? result_errno_ : saved_errno_;
}

}  // namespace forkless
