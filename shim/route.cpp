#include "route.h"

#include "thread_probe.h"
#include "thread_state.h"

namespace forkless {

route_decision decide_route(const route_inputs& inputs) {
  const settings& config = *inputs.config;
  route_kind served = inputs.api == api_kind::fork ? route_kind::emulated : route_kind::helper;
  if (!config.enabled) return {route_kind::native, "disabled", inputs.threads};
  if (inputs.in_emulated_child) return {route_kind::native, "in_emulated_child", inputs.threads};
  switch (config.mode) {
    case spawn_mode::native: return {route_kind::native, "mode_native", inputs.threads};
    case spawn_mode::always: return {served, "mode_always", inputs.threads};
    case spawn_mode::auto_threads: break;
  }
  if (inputs.threads < 0) return {route_kind::native, "threads_unknown", inputs.threads};
  if (inputs.threads == 1) return {route_kind::native, "single_thread", inputs.threads};
  return {served, "threads", inputs.threads};
}

route_decision route_for_call(api_kind api) {
  const settings& config = current_settings();
  bool needs_count = config.enabled && config.mode == spawn_mode::auto_threads;
  route_inputs inputs{&config, api, needs_count ? count_threads() : -1, shared_memory_child()};
  return decide_route(inputs);
}

}  // namespace forkless
