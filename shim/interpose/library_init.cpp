// Load and unload of libforkless.so: settings, the fork handlers, the
// helper pool (and the eager helper), and at exit the helpers' end and the
// diagnostics summary.
#include <pthread.h>

#include "calls/popen_streams.h"
#include "helper_client/helper_pool.h"
#include "helper_client/inflight_descriptors.h"
#include "policy/config.h"
#include "policy/diagnostics.h"
#include "policy/spawn_pressure.h"
#include "real_libc.h"
#include "support/fork_safe_lock.h"
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
  // Resolved now, not at a first use in an emulated fork child (which makes
  // raw calls through it) or in a signal handler.
  real::syscall_address();
  if (current_settings().mode == spawn_mode::auto_threads) start_pressure_sampling();
  // The program, which starts its helper before main, opens its log file
  // now: it may drop the privileges that open it before its first line.
  if (current_settings().start != helper_start::lazy) open_log_file_at_load();
  // A forked child summarises its own calls, not its parent's.
  if (diagnostics_enabled()) at_fork_child(&reset_summary_counts);
  helper_pool_at_load();
}

// A normal exit (exit(), a return from main) ends the helpers before the
// process is gone, so that none is left to a subreaper or init to reap; the
// exit status is the program's, untouched.
__attribute__((destructor)) void library_unloading() {
  if (!current_settings().enabled || shared_memory_child()) return;
  shim_scope scope;
  helpers_at_exit();
  log_summary();
}

}  // namespace
}  // namespace forkless
