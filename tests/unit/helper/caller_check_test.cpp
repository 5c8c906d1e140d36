// The helper's own parsers (helper/caller_check.h), as pure functions of
// the text they read: the credential signature of a status file, the
// caller's SigIgn mask, small /proc numbers, and the securebits claim.
#include "caller_check.h"

#include <gtest/gtest.h>

#include <linux/securebits.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

using namespace forkless::helper;

namespace {

// A status file's credential lines, in the kernel's order, and what lies
// between them.
constexpr char kIds[] =
    "Uid:\t1000\t1000\t1000\t1000\n"
    "Gid:\t1000\t1000\t1000\t1000\n";
constexpr char kGroups[] = "Groups:\t4 24 27 1000 \n";
constexpr char kRestrictions[] =
    "CapInh:\t0000000000000000\n"
    "CapPrm:\t0000000000000000\n"
    "CapEff:\t0000000000000000\n"
    "CapBnd:\t000001ffffffffff\n"
    "CapAmb:\t0000000000000000\n"
    "NoNewPrivs:\t0\n"
    "Seccomp:\t0\n"
    "Seccomp_filters:\t0\n";

const std::string kStatus = std::string("Name:\tnode\nUmask:\t0022\nState:\tS (sleeping)\n") + kIds +
                            "FDSize:\t64\n" + kGroups +
                            "SigBlk:\t0000000000000000\nSigIgn:\t0000000000001000\nSigCgt:\t0000000188004a02\n" +
                            kRestrictions + "Speculation_Store_Bypass:\tthread vulnerable\n";
const std::string kSignature = std::string(kIds) + kGroups + kRestrictions;

struct signature_result {
  bool ok;
  std::string text;
  uint64_t ignored;
};

signature_result signature_of(const std::string& status, bool want_ignored = true, size_t capacity = 2048) {
  std::string out(capacity, '\0');
  size_t length = 0;
  uint64_t ignored = 0xdead;
  bool ok = credential_signature_of(status.c_str(), out.data(), capacity, &length, want_ignored ? &ignored : nullptr);
  return {ok, out.substr(0, ok ? length : 0), ignored};
}

std::string without_line(std::string text, const std::string& key) {
  size_t at = text.find("\n" + key);
  size_t end = text.find('\n', at + 1);
  text.erase(at, end - at);
  return text;
}

}  // namespace

TEST(HelperSignature, TheCredentialLinesInOrder) {
  signature_result result = signature_of(kStatus);
  ASSERT_TRUE(result.ok);
  EXPECT_EQ(result.text, kSignature);
  EXPECT_EQ(result.ignored, 0x1000u);  // SIGPIPE (13): bit 12
}

TEST(HelperSignature, OrderOfTheFileDoesNotMatter) {
  // The signature follows the key list, not the file: the same lines in
  // reverse give the same signature.
  std::vector<std::string> lines;
  std::istringstream in(kStatus);
  for (std::string line; std::getline(in, line);) lines.push_back(line + "\n");
  std::string reversed;
  for (auto line = lines.rbegin(); line != lines.rend(); ++line) reversed += *line;
  signature_result result = signature_of(reversed);
  ASSERT_TRUE(result.ok);
  EXPECT_EQ(result.text, kSignature);
  EXPECT_EQ(result.ignored, 0x1000u);
}

TEST(HelperSignature, AnyCredentialChangeChangesIt) {
  const std::string base = kStatus;
  const std::string signature = signature_of(base).text;
  const char* const changes[][2] = {
      {"Uid:\t1000\t1000\t1000\t1000", "Uid:\t1000\t0\t1000\t1000"},
      {"Gid:\t1000\t1000\t1000\t1000", "Gid:\t1000\t1000\t27\t1000"},
      {"Groups:\t4 24 27 1000 ", "Groups:\t4 24 1000 "},
      {"CapInh:\t0000000000000000", "CapInh:\t0000000000000001"},
      {"CapPrm:\t0000000000000000", "CapPrm:\t0000000000000400"},
      {"CapEff:\t0000000000000000", "CapEff:\t0000000000000400"},
      {"CapBnd:\t000001ffffffffff", "CapBnd:\t000001fffffffffe"},
      {"CapAmb:\t0000000000000000", "CapAmb:\t0000000000000400"},
      {"NoNewPrivs:\t0", "NoNewPrivs:\t1"},
      {"Seccomp:\t0", "Seccomp:\t2"},
      {"Seccomp_filters:\t0", "Seccomp_filters:\t1"},
  };
  for (const auto& change : changes) {
    std::string changed = base;
    changed.replace(changed.find(change[0]), strlen(change[0]), change[1]);
    signature_result result = signature_of(changed);
    ASSERT_TRUE(result.ok) << change[1];
    EXPECT_NE(result.text, signature) << change[1];
  }
}

TEST(HelperSignature, OtherLinesDoNotCount) {
  std::string changed = kStatus;
  changed.replace(changed.find("State:\tS (sleeping)"), 19, "State:\tR (running) ");
  changed.replace(changed.find("SigCgt:\t0000000188004a02"), 24, "SigCgt:\t0000000000000000");
  EXPECT_EQ(signature_of(changed).text, kSignature);
}

TEST(HelperSignature, KeysMatchWholePrefixesOnly) {
  // "Seccomp:" is not the start of "Seccomp_filters:", nor "Uid:" of "XUid:".
  std::string text = "Name:\tx\nXUid:\t0\nSeccomp_filters:\t4\nSigIgn:\t0\n";
  signature_result result = signature_of(text);
  ASSERT_TRUE(result.ok);
  EXPECT_EQ(result.text, "Seccomp_filters:\t4\n");
}

TEST(HelperSignature, FirstLineOfAKeyWins) {
  signature_result result = signature_of("Uid:\t1\nUid:\t2\nSigIgn:\t0\n");
  ASSERT_TRUE(result.ok);
  EXPECT_EQ(result.text, "Uid:\t1\n");
}

TEST(HelperSignature, MissingKeysAddNothing) {
  signature_result result = signature_of(without_line(kStatus, "CapAmb:"));
  ASSERT_TRUE(result.ok);
  EXPECT_EQ(result.text, without_line(std::string("\n") + kSignature, "CapAmb:").substr(1));
}

TEST(HelperSignature, LastLineWithoutNewline) {
  signature_result result = signature_of("Name:\tx\nSigIgn:\t0\nSeccomp_filters:\t3");
  ASSERT_TRUE(result.ok);
  EXPECT_EQ(result.text, "Seccomp_filters:\t3\n");
}

TEST(HelperSignature, NoKeyAtAllFails) {
  EXPECT_FALSE(signature_of("Name:\tx\nSigIgn:\t0\n").ok);
  EXPECT_FALSE(signature_of("").ok);
  EXPECT_FALSE(signature_of("", false).ok);
}

TEST(HelperSignature, TooLongForTheBufferFails) {
  std::string text = kStatus;
  EXPECT_TRUE(signature_of(text, true, kSignature.size()).ok);  // exactly fits
  EXPECT_FALSE(signature_of(text, true, kSignature.size() - 1).ok);
  std::string groups = "Groups:\t";
  for (int group = 0; group < 400; ++group) groups += std::to_string(100000 + group) + " ";
  text.replace(text.find("Groups:\t4 24 27 1000 "), 21, groups);
  EXPECT_FALSE(signature_of(text).ok);  // 400 groups do not fit the helper's 2 KiB
}

TEST(HelperSignature, SigIgnIsNeededOnlyWhenAskedFor) {
  std::string text = without_line(kStatus, "SigIgn:");
  EXPECT_FALSE(signature_of(text).ok);
  signature_result own = signature_of(text, false);
  ASSERT_TRUE(own.ok);
  EXPECT_EQ(own.text, kSignature);
}

TEST(HelperSignature, MalformedSigIgn) {
  std::string text = kStatus;
  text.replace(text.find("SigIgn:\t0000000000001000"), 24, "SigIgn:\tzzzzzzzzzzzzzzzz");
  EXPECT_FALSE(signature_of(text).ok);
  text = kStatus;
  text.replace(text.find("SigIgn:\t0000000000001000"), 24, "SigIgn:\t                ");
  EXPECT_FALSE(signature_of(text).ok);
  // A SigIgn key as the very first line is not found (it follows Name:).
  EXPECT_FALSE(signature_of("SigIgn:\t0\nUid:\t1\n").ok);
  // Every signal ignored: the whole 64-bit mask.
  text = kStatus;
  text.replace(text.find("SigIgn:\t0000000000001000"), 24, "SigIgn:\tffffffffffffffff");
  signature_result result = signature_of(text);
  ASSERT_TRUE(result.ok);
  EXPECT_EQ(result.ignored, UINT64_MAX);
}

TEST(HelperSignature, ThisThreadMatchesItself) {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%d/status", static_cast<int>(gettid()));
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  signature_result first = signature_of(text.str());
  signature_result again = signature_of(text.str(), false);
  ASSERT_TRUE(first.ok);
  EXPECT_EQ(first.text, again.text);
  EXPECT_NE(first.text.find("CapEff:"), std::string::npos);
  // The readers around the pure part: this thread, as a caller, has the
  // credentials it captured as its own; init and a missing tid never match.
  ASSERT_TRUE(capture_own_credentials());
  uint64_t ignored = 0xdead;
  EXPECT_TRUE(caller_credentials_match(getpid(), gettid(), &ignored));
  EXPECT_EQ(ignored, first.ignored);
  EXPECT_FALSE(caller_credentials_match(1, 1, &ignored));
  EXPECT_FALSE(caller_credentials_match(getpid(), 0, &ignored));
}

TEST(HelperProcNumber, StrtollReading) {
  long long value = 0;
  EXPECT_TRUE(parse_proc_number("-1000\n", 10, &value));
  EXPECT_EQ(value, -1000);
  EXPECT_TRUE(parse_proc_number("0\n", 10, &value));
  EXPECT_EQ(value, 0);
  EXPECT_TRUE(parse_proc_number("00000033\n", 16, &value));  // coredump_filter's default
  EXPECT_EQ(value, 0x33);
  EXPECT_TRUE(parse_proc_number("  42abc", 10, &value));
  EXPECT_EQ(value, 42);
}

TEST(HelperProcNumber, NoDigitsFail) {
  long long value = 7;
  EXPECT_FALSE(parse_proc_number("", 10, &value));
  EXPECT_FALSE(parse_proc_number("\n", 10, &value));
  EXPECT_FALSE(parse_proc_number("x1", 10, &value));
  EXPECT_FALSE(parse_proc_number("-", 10, &value));
  EXPECT_FALSE(parse_proc_number("g", 16, &value));
}

TEST(HelperProcNumber, ThisProcessFiles) {
  long long value = 0;
  EXPECT_TRUE(read_proc_number("/proc/self/oom_score_adj", 10, &value));
  EXPECT_GE(value, -1000);
  EXPECT_LE(value, 1000);
  EXPECT_TRUE(read_proc_number("/proc/self/coredump_filter", 16, &value));
  EXPECT_FALSE(read_proc_number("/proc/self/no-such-file", 10, &value));
}

TEST(HelperSecurebits, KeepCapsIsIgnored) {
  EXPECT_TRUE(securebits_equal(0, 0));
  EXPECT_TRUE(securebits_equal(SECBIT_KEEP_CAPS, 0));
  EXPECT_TRUE(securebits_equal(0, SECBIT_KEEP_CAPS));
  EXPECT_TRUE(securebits_equal(SECBIT_NOROOT | SECBIT_NOROOT_LOCKED, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED));
}

TEST(HelperSecurebits, AnyOtherBitDiffers) {
  for (uint32_t bit : {uint32_t{SECBIT_NOROOT}, uint32_t{SECBIT_NOROOT_LOCKED}, uint32_t{SECBIT_NO_SETUID_FIXUP},
                       uint32_t{SECBIT_KEEP_CAPS_LOCKED}, uint32_t{SECBIT_NO_CAP_AMBIENT_RAISE}, 1u << 31}) {
    EXPECT_FALSE(securebits_equal(0, bit)) << bit;
    EXPECT_FALSE(securebits_equal(static_cast<int>(bit), 0)) << bit;
  }
}

TEST(HelperSecurebits, UnreadableOwnWordMatchesNothing) {
  EXPECT_FALSE(securebits_equal(-1, 0));
  EXPECT_FALSE(securebits_equal(-1, 0xffffffffu));
}
