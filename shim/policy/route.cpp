#include "route.h"

#include <gnu/libc-version.h>

#include <atomic>
#include <cstdlib>

#include "interpose/thread_state.h"
#include "spawn_pressure.h"
#include "thread_probe.h"

namespace forkless {
namespace {

// glibc versions from which the call is vfork-style (clone(CLONE_VM |
// CLONE_VFORK)): posix_spawn since 2.24, system and popen since 2.29.
constexpr int kVforkSpawnSince = 24;
constexpr int kVforkSystemPopenSince = 29;

// Cached per api kind: 0 unknown, 1 forks, 2 vfork-style.
std::atomic<int> libc_forks_cache[4] = {};

int cache_index(api_kind api) {
  switch (api) {
    case api_kind::system: return 0;
    case api_kind::popen: return 1;
    case api_kind::posix_spawn: return 2;
    case api_kind::posix_spawnp: return 3;
    case api_kind::fork:
    case api_kind::count_: break;
  }
  return -1;
}

bool this_libc_forks(api_kind api) {
  int index = cache_index(api);
  if (index < 0) return false;
  int known = libc_forks_cache[index].load(std::memory_order_relaxed);
  if (known == 0) {
    known = libc_call_forks(api, gnu_get_libc_version()) ? 1 : 2;
    libc_forks_cache[index].store(known, std::memory_order_relaxed);
  }
  return known == 1;
}

}  // namespace

bool libc_call_forks(api_kind api, const char* glibc_version) {
  if (api == api_kind::fork || glibc_version == nullptr) return false;
  char* end = nullptr;
  long major = strtol(glibc_version, &end, 10);
  if (end == glibc_version || *end != '.') return false;
  long minor = strtol(end + 1, nullptr, 10);
  if (major != 2) return major < 2;
  int since = api == api_kind::posix_spawn || api == api_kind::posix_spawnp ? kVforkSpawnSince
                                                                              : kVforkSystemPopenSince;
  return minor < since;
}

route_decision decide_route(const route_inputs& inputs) {
  const settings& config = *inputs.config;
  bool fork_api = inputs.api == api_kind::fork;
  route_kind served = fork_api ? route_kind::emulated : route_kind::helper;
  if (!config.enabled) return {route_kind::native, "disabled", inputs.threads};
  if (inputs.in_emulated_child) return {route_kind::native, "in_emulated_child", inputs.threads};
  switch (config.mode) {
    case spawn_mode::native: return {route_kind::native, "mode_native", inputs.threads};
    case spawn_mode::always: return {served, "mode_always", inputs.threads};
    case spawn_mode::auto_threads: break;
  }
  if (!fork_api && inputs.libc_forks) return {served, "libc_forks", inputs.threads};
  if (inputs.threads < 0) return {route_kind::native, "threads_unknown", inputs.threads};
  if (inputs.threads == 1) return {route_kind::native, "single_thread", inputs.threads};
  if (fork_api) return {served, "threads", inputs.threads};
  if (inputs.busy_percent >= kSaturatedBusyPercent && inputs.others_in_flight == 0) {
    return {served, "saturated", inputs.threads};
  }
  return {route_kind::native, "native_faster", inputs.threads};
}

route_decision route_for_call(api_kind api) {
  const settings& config = current_settings();
  bool automatic = config.enabled && config.mode == spawn_mode::auto_threads;
  route_inputs inputs{&config, api, automatic ? count_threads() : -1, shared_memory_child()};
  if (automatic && api != api_kind::fork) {
    inputs.libc_forks = this_libc_forks(api);
    if (!inputs.libc_forks && inputs.threads > 1) {
      inputs.busy_percent = busy_percent();
      inputs.others_in_flight = other_spawns_in_flight();
    }
  }
  return decide_route(inputs);
}

}  // namespace forkless
