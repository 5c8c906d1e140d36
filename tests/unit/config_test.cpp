// parse_settings: every variable's valid values, and one warning plus the
// default for each invalid one.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "policy/config.h"

using namespace forkless;

namespace {

struct warnings {
  std::vector<std::string> lines;
  static void sink(const char* message, void* context) {
    static_cast<warnings*>(context)->lines.emplace_back(message);
  }
};

settings parse(const settings_input& input, warnings* seen) { return parse_settings(input, &warnings::sink, seen); }

}  // namespace

TEST(Config, DefaultsWhenNothingIsSet) {
  warnings seen;
  settings result = parse({}, &seen);
  EXPECT_TRUE(result.enabled);
  EXPECT_EQ(result.mode, spawn_mode::auto_threads);
  EXPECT_EQ(result.fork, fork_mode::known);
  EXPECT_EQ(result.max_helpers, 4);
  EXPECT_EQ(result.start, helper_start::default_rule);
  EXPECT_EQ(result.log_level, 0);
  EXPECT_STREQ(result.log_file, "");
  EXPECT_TRUE(seen.lines.empty());
}

TEST(Config, ValidValues) {
  warnings seen;
  settings_input input;
  input.forkless = "0";
  input.mode = "always";
  input.fork = "learn";
  input.helpers = "7";
  input.helper_start = "lazy";
  input.log = "2";
  input.log_file = "/tmp/x.log";
  input.fork_sites = "a,b";
  settings result = parse(input, &seen);
  EXPECT_FALSE(result.enabled);
  EXPECT_EQ(result.mode, spawn_mode::always);
  EXPECT_EQ(result.fork, fork_mode::learn);
  EXPECT_EQ(result.max_helpers, 7);
  EXPECT_EQ(result.start, helper_start::lazy);
  EXPECT_EQ(result.log_level, 2);
  EXPECT_STREQ(result.log_file, "/tmp/x.log");
  EXPECT_STREQ(result.fork_sites, "a,b");
  EXPECT_TRUE(seen.lines.empty());
}

TEST(Config, InvalidValuesWarnOnceEachAndKeepDefaults) {
  warnings seen;
  settings_input input;
  input.forkless = "maybe";
  input.mode = "sometimes";
  input.fork = "every";
  input.helpers = "0";
  input.helper_start = "soon";
  input.log = "9";
  settings result = parse(input, &seen);
  EXPECT_TRUE(result.enabled);
  EXPECT_EQ(result.mode, spawn_mode::auto_threads);
  EXPECT_EQ(result.fork, fork_mode::known);
  EXPECT_EQ(result.max_helpers, 4);
  EXPECT_EQ(result.start, helper_start::default_rule);
  EXPECT_EQ(result.log_level, 0);
  ASSERT_EQ(seen.lines.size(), 6u);
  EXPECT_NE(seen.lines[1].find("FORKLESS_MODE"), std::string::npos);
  EXPECT_NE(seen.lines[1].find("sometimes"), std::string::npos);
}

TEST(Config, HelpersOutOfRangeAndGarbage) {
  for (const char* value : {"65", "-1", "3x", "", " 2"}) {
    warnings seen;
    settings_input input;
    input.helpers = value;
    EXPECT_EQ(parse(input, &seen).max_helpers, 4) << value;
    EXPECT_EQ(seen.lines.size(), 1u) << value;
  }
}
