// Load and unload of libforkless.so: settings, the fork handlers, the
// helper pool (and the eager helper), and the diagnostics summary at exit.
#include "config.h"
#include "diagnostics.h"
#include "fork_safe_lock.h"
#include "helper_pool.h"
#include "inflight_descriptors.h"
#include "popen_streams.h"
#include "thread_state.h"

namespace forkless {
namespace {

__attribute__((constructor(101))) void library_loaded() {
  shim_scope scope;
  load_settings_from_environment();
  if (!current_settings().enabled) return;
  // First: the locks' fork handlers, whose child handler runs the others.
  fork_safe_locks_at_load();
  inflight_descriptors_at_load();
  popen_streams_at_load();
  // A forked child summarises its own calls, not its parent's.
  if (diagnostics_enabled()) at_fork_child(&reset_summary_counts);
  helper_pool_at_load();
}

__attribute__((destructor)) void library_unloading() {
  if (!current_settings().enabled || this_thread_state().in_emulated_child) return;
  shim_scope scope;
  log_summary();
}

}  // namespace
}  // namespace forkless
