// decide_route: the thread rule of FORKLESS_MODE and what overrides it.
#include <gtest/gtest.h>

#include <cstring>

#include "policy/route.h"
#include "policy/spawn_pressure.h"

using namespace forkless;

namespace {

route_decision decide(spawn_mode mode, api_kind api, int threads, bool enabled = true, bool emulated_child = false,
                      int busy = -1, bool libc_forks = false, int others_in_flight = 0) {
  static settings config;
  config = settings{};
  config.enabled = enabled;
  config.mode = mode;
  return decide_route(route_inputs{&config, api, threads, emulated_child, busy, others_in_flight, libc_forks});
}

}  // namespace

TEST(Route, AutoUsesTheHelperOnlyWhereItIsFaster) {
  const auto automatic = spawn_mode::auto_threads;
  EXPECT_EQ(decide(automatic, api_kind::system, 1).route, route_kind::native);
  EXPECT_STREQ(decide(automatic, api_kind::system, 1).reason, "single_thread");
  EXPECT_EQ(decide(automatic, api_kind::system, -1).route, route_kind::native);
  // Other threads, processors not saturated (or not known yet): libc's
  // vfork-style call is the faster one.
  EXPECT_EQ(decide(automatic, api_kind::system, 2, true, false, 50).route, route_kind::native);
  EXPECT_STREQ(decide(automatic, api_kind::system, 2, true, false, 50).reason, "native_faster");
  EXPECT_EQ(decide(automatic, api_kind::popen, 8, true, false, -1).route, route_kind::native);
  EXPECT_EQ(decide(automatic, api_kind::posix_spawn, 8, true, false, kSaturatedBusyPercent - 1).route,
            route_kind::native);
  // Saturated by the process's threads: the helper.
  EXPECT_EQ(decide(automatic, api_kind::posix_spawn, 8, true, false, kSaturatedBusyPercent).route,
            route_kind::helper);
  EXPECT_STREQ(decide(automatic, api_kind::popen, 3, true, false, 100).reason, "saturated");
  // Saturated, but other spawns in flight: libc's again.
  EXPECT_EQ(decide(automatic, api_kind::system, 8, true, false, 100, false, 1).route, route_kind::native);
  EXPECT_STREQ(decide(automatic, api_kind::system, 8, true, false, 100, false, 3).reason, "native_faster");
  // A libc whose call forks: the helper, even single-threaded.
  EXPECT_EQ(decide(automatic, api_kind::system, 1, true, false, -1, true).route, route_kind::helper);
  EXPECT_STREQ(decide(automatic, api_kind::system, 1, true, false, -1, true).reason, "libc_forks");
}

TEST(Route, ForkKeepsTheThreadRule) {
  EXPECT_EQ(decide(spawn_mode::auto_threads, api_kind::fork, 2, true, false, 0).route, route_kind::emulated);
  EXPECT_EQ(decide(spawn_mode::auto_threads, api_kind::fork, 1, true, false, 100).route, route_kind::native);
  EXPECT_EQ(decide(spawn_mode::auto_threads, api_kind::fork, 2, true, false, -1, true).route,
            route_kind::emulated);
}

TEST(Route, WhichGlibcCallsFork) {
  EXPECT_FALSE(libc_call_forks(api_kind::system, "2.36"));
  EXPECT_FALSE(libc_call_forks(api_kind::popen, "2.29"));
  EXPECT_TRUE(libc_call_forks(api_kind::popen, "2.28"));
  EXPECT_FALSE(libc_call_forks(api_kind::posix_spawn, "2.24"));
  EXPECT_TRUE(libc_call_forks(api_kind::posix_spawnp, "2.23"));
  EXPECT_FALSE(libc_call_forks(api_kind::posix_spawn, "2.28"));
  EXPECT_TRUE(libc_call_forks(api_kind::system, "2.28"));
  EXPECT_FALSE(libc_call_forks(api_kind::system, "3.0"));
  EXPECT_FALSE(libc_call_forks(api_kind::system, "garbage"));
  EXPECT_FALSE(libc_call_forks(api_kind::system, nullptr));
  EXPECT_FALSE(libc_call_forks(api_kind::fork, "2.10"));
}

TEST(Route, ForkIsEmulatedNotSentToTheHelper) {
  EXPECT_EQ(decide(spawn_mode::auto_threads, api_kind::fork, 3).route, route_kind::emulated);
  EXPECT_EQ(decide(spawn_mode::always, api_kind::fork, 1).route, route_kind::emulated);
}

TEST(Route, AlwaysNativeDisabledAndEmulatedChild) {
  EXPECT_EQ(decide(spawn_mode::always, api_kind::system, 1).route, route_kind::helper);
  EXPECT_EQ(decide(spawn_mode::native, api_kind::system, 5).route, route_kind::native);
  EXPECT_EQ(decide(spawn_mode::always, api_kind::system, 5, false).route, route_kind::native);
  EXPECT_STREQ(decide(spawn_mode::always, api_kind::system, 5, false).reason, "disabled");
  EXPECT_EQ(decide(spawn_mode::always, api_kind::posix_spawn, 5, true, true).route, route_kind::native);
  EXPECT_STREQ(decide(spawn_mode::always, api_kind::posix_spawn, 5, true, true).reason, "in_emulated_child");
}

TEST(SpawnPressure, BusyPercentOfTheAllowedProcessors) {
  constexpr long ms = 1000 * 1000;
  EXPECT_EQ(busy_percent_between(0, 20 * ms, 0, 10 * ms, 2), 100);   // two processors busy
  EXPECT_EQ(busy_percent_between(0, 10 * ms, 0, 10 * ms, 2), 50);    // one of two
  EXPECT_EQ(busy_percent_between(0, 40 * ms, 0, 10 * ms, 2), 100);   // clamped
  EXPECT_EQ(busy_percent_between(0, 0, 0, 10 * ms, 4), 0);
  EXPECT_EQ(busy_percent_between(0, 5 * ms, 0, 0, 2), -1);           // no window
  EXPECT_EQ(busy_percent_between(10, 5, 0, 10 * ms, 2), -1);         // clock went back
  EXPECT_EQ(busy_percent_between(0, 5 * ms, 0, 10 * ms, 0), -1);     // processors unknown
}
