// Start and end of the core (libforkless-core.so): the front library loads
// it when a process first needs it and calls forkless_core_attach, its only
// export; the core then sets up what the front's constructor would have:
// settings, the fork handlers, the helper pool (and the eager helper), and
// at exit ends the helpers and writes the diagnostics summary.
//
// Hazards:
// - Nothing of the core may run before the attach: its per-thread block and
//   its libc calls are the front's. So the core has no constructor; its
//   destructor does nothing unless the attach succeeded.
// - The attach runs inside the program's first spawn call (or in the front's
//   constructor, before main): only the first caller gets here (the front
//   lets one thread load), but other threads run meanwhile, calling the
//   front, which sends them to libc until the entries are published.
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "calls/popen_streams.h"
#include "front_link.h"
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

bool attached = false;

void core_start() {
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
__attribute__((destructor)) void core_unloading() {
  if (!attached || !current_settings().enabled || shared_memory_child()) return;
  shim_scope scope;
  helpers_at_exit();
  log_summary();
}

}  // namespace
}  // namespace forkless

using namespace forkless;

extern "C" __attribute__((visibility("default"))) bool forkless_core_attach(const front_services* front,
                                                                           void** entries) {
  if (attached || front == nullptr || front->abi_version != kFrontAbiVersion ||
      front->interposed != interposed_count || front->block_bytes != sizeof(thread_block))
    return false;
  set_serving_front(front);
  attached = true;
  core_start();
#define FORKLESS_ENTRY(shape, ret, name, params, arguments) \
  entries[index_##name] = reinterpret_cast<void*>(&::name);
  FORKLESS_INTERPOSED_FUNCTIONS(FORKLESS_ENTRY)
#undef FORKLESS_ENTRY
  return true;
}
