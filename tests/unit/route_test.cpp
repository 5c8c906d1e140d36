// decide_route: the thread rule of FORKLESS_MODE and what overrides it.
#include <gtest/gtest.h>

#include <cstring>

#include "route.h"

using namespace forkless;

namespace {

route_decision decide(spawn_mode mode, api_kind api, int threads, bool enabled = true, bool emulated_child = false) {
  static settings config;
  config = settings{};
  config.enabled = enabled;
  config.mode = mode;
  return decide_route(route_inputs{&config, api, threads, emulated_child});
}

}  // namespace

TEST(Route, AutoUsesTheHelperOnlyWhileOtherThreadsRun) {
  EXPECT_EQ(decide(spawn_mode::auto_threads, api_kind::system, 1).route, route_kind::native);
  EXPECT_STREQ(decide(spawn_mode::auto_threads, api_kind::system, 1).reason, "single_thread");
  EXPECT_EQ(decide(spawn_mode::auto_threads, api_kind::system, 2).route, route_kind::helper);
  EXPECT_EQ(decide(spawn_mode::auto_threads, api_kind::popen, 8).route, route_kind::helper);
  EXPECT_EQ(decide(spawn_mode::auto_threads, api_kind::system, -1).route, route_kind::native);
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
