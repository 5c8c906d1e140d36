// The one routing of system, popen, posix_spawn and posix_spawnp: the scope
// guard, the pass-through, the route decision, the call by that route, and
// the diagnostics line. Each interposer gives only what differs:
//   pass_through()             libc's call, made where the scope passes
//                              through (re-entered, disabled, a shared-memory
//                              child); errno as libc leaves it
//   natively()                 the native route (libc's call, or its exact
//                              equivalent); errno as it leaves it
//   via_helper(report, scope)  the helper route: fills *report and sets the
//                              errno the caller sees through scope
//   child_of(result, report)   the child's pid for the diagnostics line
#pragma once

#include "helper_client/helper_spawn.h"
#include "interpose/thread_state.h"
#include "policy/diagnostics.h"
#include "policy/route.h"
#include "policy/spawn_pressure.h"

namespace forkless {

template <typename PassThrough, typename Natively, typename ViaHelper, typename ChildOf>
auto routed_spawn(api_kind api, const char* argv0, PassThrough pass_through, Natively natively,
                  ViaHelper via_helper, ChildOf child_of) {
  shim_scope scope;
  if (scope.pass_through()) {
    auto result = pass_through();
    scope.keep_errno();
    return result;
  }
  long started = monotonic_us();
  spawn_in_flight counted;
  route_decision route = route_for_call(api);
  if (route.route != route_kind::helper) {
    auto result = natively();
    scope.keep_errno();
    call_report report{false, route.reason, -1};
    log_spawn_call(api, route, report, started, argv0, child_of(result, report));
    return result;
  }
  call_report report;
  auto result = via_helper(&report, scope);
  log_spawn_call(api, route, report, started, argv0, child_of(result, report));
  return result;
}

}  // namespace forkless
