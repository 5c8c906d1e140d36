// parse_popen_mode: the mode strings glibc 2.36's popen accepts and the ones
// it refuses with EINVAL (each case checked against glibc's own popen).
#include <gtest/gtest.h>

#include "calls/popen_call.h"

using namespace forkless;

namespace {

// The value *out holds when parse_popen_mode must leave it alone.
constexpr popen_mode kUntouched{true, true};

bool accepted(const char* mode, popen_mode* out) {
  *out = kUntouched;
  return parse_popen_mode(mode, out);
}

}  // namespace

TEST(PopenMode, ReadAndWrite) {
  popen_mode mode;
  ASSERT_TRUE(accepted("r", &mode));
  EXPECT_TRUE(mode.read);
  EXPECT_FALSE(mode.cloexec);
  ASSERT_TRUE(accepted("w", &mode));
  EXPECT_FALSE(mode.read);
  EXPECT_FALSE(mode.cloexec);
}

TEST(PopenMode, CloseOnExecInEitherPlace) {
  for (const char* text : {"re", "er", "eer"}) {
    popen_mode mode;
    ASSERT_TRUE(accepted(text, &mode)) << text;
    EXPECT_TRUE(mode.read) << text;
    EXPECT_TRUE(mode.cloexec) << text;
  }
  for (const char* text : {"we", "ew"}) {
    popen_mode mode;
    ASSERT_TRUE(accepted(text, &mode)) << text;
    EXPECT_FALSE(mode.read) << text;
    EXPECT_TRUE(mode.cloexec) << text;
  }
}

TEST(PopenMode, RepeatedLettersAreAccepted) {
  popen_mode mode;
  ASSERT_TRUE(accepted("rr", &mode));
  EXPECT_TRUE(mode.read);
  ASSERT_TRUE(accepted("ww", &mode));
  EXPECT_FALSE(mode.read);
  ASSERT_TRUE(accepted("rre", &mode));
  EXPECT_TRUE(mode.read);
  EXPECT_TRUE(mode.cloexec);
}

TEST(PopenMode, NeitherOrBothDirectionsAreRefused) {
  for (const char* text : {"", "e", "ee", "rw", "wr", "rwe", "ewr"}) {
    popen_mode mode;
    EXPECT_FALSE(accepted(text, &mode)) << '"' << text << '"';
    EXPECT_TRUE(mode.read && mode.cloexec) << "left alone: " << text;
  }
}

TEST(PopenMode, AnyOtherCharacterIsRefused) {
  // fopen's letters, upper case, white space and a byte with the top bit set
  // are all EINVAL for popen.
  for (const char* text : {"x", "r+", "rb", "wb", "R", "W", " r", "r ", "w\n", "eee r", "r\xff"}) {
    popen_mode mode;
    EXPECT_FALSE(accepted(text, &mode)) << text;
    EXPECT_TRUE(mode.read && mode.cloexec) << "left alone: " << text;
  }
}

TEST(PopenMode, ParsingStopsAtTheTerminator) {
  const char text[] = {'r', '\0', 'w', '\0'};
  popen_mode mode;
  ASSERT_TRUE(accepted(text, &mode));
  EXPECT_TRUE(mode.read);
}
