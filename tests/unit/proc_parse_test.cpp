// The shim's /proc parsers, as pure functions of the text they read:
// /proc/thread-self/status (the costly identity, the umask), namespace
// links, /proc/self/maps, /proc/<pid>/stat, statm and a task's children
// file. Real texts of this kernel's shape, then edge cases and malformed
// ones; a last check per parser reads the real file of this process.
#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "calls/wait_hiding.h"
#include "fork/stack_window.h"
#include "helper_client/context_capture.h"
#include "helper_client/helper_identity.h"
#include "helper_client/helper_stall.h"
#include "helper_client/namespace_identity.h"
#include "policy/diagnostics.h"

using namespace forkless;

namespace {

// The lines of a thread's status file the parsers look at, in the kernel's
// order, with a few of the others around them.
constexpr char kStatus[] =
    "Name:\tcat\n"
    "Umask:\t0022\n"
    "State:\tR (running)\n"
    "Uid:\t0\t0\t0\t0\n"
    "SigIgn:\t0000000000000000\n"
    "CapInh:\t0000000000000000\n"
    "CapPrm:\t000001fffeffffff\n"
    "CapEff:\t000001fffeffffff\n"
    "CapBnd:\t000001fffeffffff\n"
    "CapAmb:\t0000000000000000\n"
    "NoNewPrivs:\t0\n"
    "Seccomp:\t0\n"
    "Seccomp_filters:\t3\n"
    "Speculation_Store_Bypass:\tvulnerable\n";

constexpr char kCapabilityLines[] = "\nCapBnd:\t000001fffeffffff\nCapAmb:\t0000000000000000";

std::string read_file(const char* path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

uint64_t hash_of(const std::string& text) { return identity_hash(text.data(), text.size()); }

}  // namespace

TEST(IdentityHash, IsFnv1a64) {
  // FNV-1a's published 64-bit values.
  EXPECT_EQ(identity_hash("", 0), 0xcbf29ce484222325ull);
  EXPECT_EQ(identity_hash("a", 1), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(identity_hash("foobar", 6), 0x85944171f73967e8ull);
}

TEST(IdentityHash, ContinuesFromAGivenHash) {
  EXPECT_EQ(identity_hash("bar", 3, identity_hash("foo", 3)), identity_hash("foobar", 6));
  EXPECT_NE(identity_hash("ab", 2), identity_hash("ba", 2));
}

TEST(StatusRestrictions, FiltersAndCapabilityLines) {
  status_restrictions parsed = parse_status_restrictions(kStatus);
  EXPECT_EQ(parsed.seccomp_filters, 3);
  EXPECT_EQ(parsed.bounding_and_ambient_hash, hash_of(kCapabilityLines));
}

TEST(StatusRestrictions, MissingLines) {
  status_restrictions parsed = parse_status_restrictions("Name:\tx\nUmask:\t0022\n");
  EXPECT_EQ(parsed.seccomp_filters, -1);
  EXPECT_EQ(parsed.bounding_and_ambient_hash, 0u);
  parsed = parse_status_restrictions("");
  EXPECT_EQ(parsed.seccomp_filters, -1);
  EXPECT_EQ(parsed.bounding_and_ambient_hash, 0u);
}

TEST(StatusRestrictions, KeysCountOnlyAtALineStart) {
  // The first line has no newline before it; a key inside a line is no key.
  status_restrictions parsed = parse_status_restrictions("Seccomp_filters:\t2\nName:\tCapBnd:\n");
  EXPECT_EQ(parsed.seccomp_filters, -1);
  EXPECT_EQ(parsed.bounding_and_ambient_hash, 0u);
  // "Seccomp:" is not "Seccomp_filters:".
  EXPECT_EQ(parse_status_restrictions("Name:\tx\nSeccomp:\t2\n").seccomp_filters, -1);
}

TEST(StatusRestrictions, CapabilityLinesRunToTheEndWithoutNoNewPrivs) {
  const char text[] = "Name:\tx\nCapBnd:\t1\nCapAmb:\t0\n";
  EXPECT_EQ(parse_status_restrictions(text).bounding_and_ambient_hash, hash_of("\nCapBnd:\t1\nCapAmb:\t0\n"));
}

TEST(StatusRestrictions, DifferentSetsHashDifferently) {
  std::string other = kStatus;
  other.replace(other.find("CapAmb:\t0000000000000000"), 24, "CapAmb:\t0000000000000400");
  EXPECT_NE(parse_status_restrictions(other.c_str()).bounding_and_ambient_hash,
            parse_status_restrictions(kStatus).bounding_and_ambient_hash);
}

TEST(StatusRestrictions, MalformedCountReadsAsAtoiDoes) {
  EXPECT_EQ(parse_status_restrictions("N\nSeccomp_filters:\tmany\n").seccomp_filters, 0);
  EXPECT_EQ(parse_status_restrictions("N\nSeccomp_filters:").seccomp_filters, 0);
  EXPECT_EQ(parse_status_restrictions("N\nSeccomp_filters:\t 12x\n").seccomp_filters, 12);
}

TEST(StatusRestrictions, ThisThread) {
  std::string text = read_file("/proc/thread-self/status");
  status_restrictions parsed = parse_status_restrictions(text.c_str());
  EXPECT_GE(parsed.seccomp_filters, 0);
  EXPECT_NE(parsed.bounding_and_ambient_hash, 0u);
}

TEST(UmaskFromStatus, OctalPermissionBits) {
  EXPECT_EQ(umask_from_status(kStatus), 022);
  EXPECT_EQ(umask_from_status("Name:\tx\nUmask:\t0777\n"), 0777);
  EXPECT_EQ(umask_from_status("Name:\tx\nUmask:\t0000\n"), 0);
  // Bits above the permission bits are dropped.
  EXPECT_EQ(umask_from_status("Name:\tx\nUmask:\t07777\n"), 0777);
}

TEST(UmaskFromStatus, NoUmaskLine) {
  EXPECT_EQ(umask_from_status("Name:\tx\nState:\tR\n"), -1);
  EXPECT_EQ(umask_from_status(""), -1);
  EXPECT_EQ(umask_from_status("Umask:\t0022\n"), -1);  // only after a newline
}

TEST(UmaskFromStatus, UnreadableValueIsZero) {
  EXPECT_EQ(umask_from_status("N\nUmask:\tmask\n"), 0);
  EXPECT_EQ(umask_from_status("N\nUmask:"), 0);
  EXPECT_EQ(umask_from_status("N\nUmask:\t0029\n"), 02);  // octal stops at the 9
}

TEST(UmaskFromStatus, ThisProcess) {
  mode_t mask = umask(027);
  std::string text = read_file("/proc/self/status");
  umask(mask);
  EXPECT_EQ(umask_from_status(text.c_str()), 027);
}

TEST(NamespaceLink, InodeBetweenTheBrackets) {
  EXPECT_EQ(namespace_id_from_link("mnt:[4026531832]"), 4026531832u);
  EXPECT_EQ(namespace_id_from_link("pid_for_children:[4026531836]"), 4026531836u);
  EXPECT_EQ(namespace_id_from_link("x:[18446744073709551615]"), UINT64_MAX);
}

TEST(NamespaceLink, MalformedTargets) {
  EXPECT_EQ(namespace_id_from_link(""), 0u);
  EXPECT_EQ(namespace_id_from_link("mnt:4026531832"), 0u);
  EXPECT_EQ(namespace_id_from_link("mnt:["), 0u);
  EXPECT_EQ(namespace_id_from_link("mnt:[]"), 0u);
  EXPECT_EQ(namespace_id_from_link("mnt:[abc]"), 0u);
  EXPECT_EQ(namespace_id_from_link("mnt:[12]3]"), 12u);
  EXPECT_EQ(namespace_id_from_link("mnt:[7][8]"), 7u);  // the first bracket
  EXPECT_EQ(namespace_id_from_link("mnt:[99999999999999999999999]"), UINT64_MAX);  // saturates
}

TEST(NamespaceLink, ThisThread) {
  char link[64];
  ssize_t length = readlink("/proc/thread-self/ns/mnt", link, sizeof link - 1);
  ASSERT_GT(length, 0);
  link[length] = '\0';
  struct stat target;
  ASSERT_EQ(stat("/proc/thread-self/ns/mnt", &target), 0);
  EXPECT_EQ(namespace_id_from_link(link), target.st_ino);
}

namespace {

constexpr char kMaps[] =
    "5595eb6df000-5595eb6e1000 r--p 00000000 fe:00 247498                     /usr/bin/head\n"
    "5595eb6e1000-5595eb6e7000 r-xp 00002000 fe:00 247498                     /usr/bin/head\n"
    "7ffd0714a000-7ffd0716b000 rw-p 00000000 00:00 0                          [stack]\n"
    "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";

maps_scan scan(const std::string& text, uintptr_t address) {
  return scan_maps_lines(text.data(), text.size(), address);
}

}  // namespace

TEST(MapsScan, FindsTheMappingHoldingTheAddress) {
  maps_scan found = scan(kMaps, 0x7ffd07150000);
  ASSERT_TRUE(found.found);
  EXPECT_EQ(found.top, 0x7ffd0716b000u);
  found = scan(kMaps, 0xffffffffff600800);
  ASSERT_TRUE(found.found);
  EXPECT_EQ(found.top, 0xffffffffff601000u);
}

TEST(MapsScan, BoundsAreHalfOpen) {
  EXPECT_TRUE(scan(kMaps, 0x5595eb6df000).found);
  maps_scan at_end = scan(kMaps, 0x5595eb6e1000);  // the end of the first is the start of the second
  ASSERT_TRUE(at_end.found);
  EXPECT_EQ(at_end.top, 0x5595eb6e7000u);
  EXPECT_FALSE(scan(kMaps, 0x5595eb6e7000).found);
  EXPECT_FALSE(scan(kMaps, 0x7ffd0716b000).found);
}

TEST(MapsScan, NotFoundConsumesEveryCompleteLine) {
  std::string text = kMaps;
  maps_scan missed = scan(text, 0x1000);
  EXPECT_FALSE(missed.found);
  EXPECT_EQ(missed.consumed, text.size());
}

TEST(MapsScan, PartialLastLineIsLeftForTheNextPiece) {
  std::string text = kMaps;
  std::string piece = text.substr(0, text.find("[stack]"));
  maps_scan missed = scan(piece, 0x7ffd07150000);
  EXPECT_FALSE(missed.found);  // its line is not complete yet
  EXPECT_EQ(missed.consumed, text.find("7ffd0714a000"));
}

TEST(MapsScan, SplitAtEveryByteFindsTheSameMapping) {
  // The reader's loop: the unconsumed rest is kept and the next piece
  // appended, whatever the piece sizes.
  std::string text = kMaps;
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    std::string held = text.substr(0, cut);
    maps_scan first = scan(held, 0x7ffd07150000);
    uintptr_t top = first.found ? first.top : 0;
    if (!first.found) {
      held = held.substr(first.consumed) + text.substr(cut);
      maps_scan second = scan(held, 0x7ffd07150000);
      ASSERT_TRUE(second.found) << cut;
      top = second.top;
    }
    EXPECT_EQ(top, 0x7ffd0716b000u) << cut;
  }
}

TEST(MapsScan, MalformedLinesArePassedOver) {
  const std::string text =
      "garbage line\n"
      "\n"
      "1000 2000 r--p\n"          // no '-' between the bounds
      "10ZZ-2000 r--p\n"          // a bad digit ends the start
      "ABC0-FFF0 r--p\n"          // upper case is not the kernel's
      "4000-5000 rw-p 0 0 0 x\n";
  EXPECT_FALSE(scan(text, 0x1500).found);
  EXPECT_FALSE(scan(text, 0xabc8).found);
  maps_scan good = scan(text, 0x4800);
  ASSERT_TRUE(good.found);
  EXPECT_EQ(good.top, 0x5000u);
}

TEST(MapsScan, MissingBoundsReadAsZero) {
  maps_scan low = scan("-3000 rw-p\n", 0x10);
  ASSERT_TRUE(low.found);  // no start: 0-0x3000
  EXPECT_EQ(low.top, 0x3000u);
  EXPECT_FALSE(scan("1000- rw-p\n", 0x1000).found);  // no end: 0x1000-0, empty
}

TEST(MapsScan, EmptyAndLineWithoutNewline) {
  EXPECT_FALSE(scan("", 0x10).found);
  EXPECT_EQ(scan("", 0x10).consumed, 0u);
  maps_scan unfinished = scan("1000-2000 r--p", 0x1800);
  EXPECT_FALSE(unfinished.found);
  EXPECT_EQ(unfinished.consumed, 0u);
}

TEST(MapsScan, ThisProcessStack) {
  std::string text = read_file("/proc/self/maps");
  int local = 0;
  uintptr_t address = reinterpret_cast<uintptr_t>(&local);
  maps_scan found = scan(text, address);
  ASSERT_TRUE(found.found);
  EXPECT_GT(found.top, address);
}

TEST(StatStopped, StateAfterTheCommandName) {
  EXPECT_TRUE(stat_shows_stopped("4242 (forkless-helper) T 1 4242 4242 0 -1"));
  EXPECT_TRUE(stat_shows_stopped("4242 (forkless-helper) t 1 4242 4242 0 -1"));
  for (const char* running : {"4242 (x) R 1", "4242 (x) S 1", "4242 (x) D 1", "4242 (x) Z 1", "4242 (x) I 1"})
    EXPECT_FALSE(stat_shows_stopped(running)) << running;
}

TEST(StatStopped, CommandNameMayHoldParenthesesAndStates) {
  EXPECT_FALSE(stat_shows_stopped("7 (a) T (b) S 1"));
  EXPECT_TRUE(stat_shows_stopped("7 (x) S) T 1"));
  EXPECT_TRUE(stat_shows_stopped("7 ()) T 1"));
}

TEST(StatStopped, MalformedText) {
  for (const char* text : {"", "7", "7 (x)", "7 (x)T 1", "7 (x)  T 1", "7 (x) ", "7 x T 1"})
    EXPECT_FALSE(stat_shows_stopped(text)) << '"' << text << '"';
}

TEST(StatStopped, ThisProcessRuns) {
  EXPECT_FALSE(stat_shows_stopped(read_file("/proc/self/stat").c_str()));
}

TEST(Statm, ResidentPagesInMebibytes) {
  EXPECT_EQ(resident_mb_from_statm("765 410 382 5 0 123 0\n", 4096), 1);
  EXPECT_EQ(resident_mb_from_statm("1000000 262144 0 0 0 0 0\n", 4096), 1024);
  EXPECT_EQ(resident_mb_from_statm("10 255 0\n", 4096), 0);  // rounded down
  EXPECT_EQ(resident_mb_from_statm("10 8 0\n", 2 * 1024 * 1024), 16);
  EXPECT_EQ(resident_mb_from_statm("0 0 0 0 0 0 0\n", 4096), 0);
}

TEST(Statm, MalformedText) {
  EXPECT_EQ(resident_mb_from_statm("", 4096), -1);
  EXPECT_EQ(resident_mb_from_statm("765", 4096), -1);
  EXPECT_EQ(resident_mb_from_statm("765 x", 4096), -1);
  EXPECT_EQ(resident_mb_from_statm("size rss", 4096), -1);
}

TEST(Statm, ThisProcess) {
  long mb = resident_mb_from_statm(read_file("/proc/self/statm").c_str(), sysconf(_SC_PAGESIZE));
  EXPECT_GE(mb, 0);
  EXPECT_EQ(mb, resident_mb());
}

namespace {

// Every pid the reader gives for text fed in pieces of piece bytes.
std::vector<pid_t> pids(const std::string& text, size_t piece) {
  std::vector<pid_t> found;
  pid_list_reader reader;
  pid_t pid = 0;
  for (size_t start = 0; start < text.size(); start += piece) {
    for (size_t i = start; i < text.size() && i < start + piece; ++i)
      if (reader.take(text[i], &pid)) found.push_back(pid);
  }
  if (reader.finish(&pid)) found.push_back(pid);
  return found;
}

}  // namespace

TEST(PidList, KernelFormat) {
  EXPECT_EQ(pids("4250 4251 12 ", 1024), (std::vector<pid_t>{4250, 4251, 12}));
  EXPECT_EQ(pids("", 1024), std::vector<pid_t>{});
  EXPECT_EQ(pids("4194304 ", 1024), std::vector<pid_t>{4194304});
}

TEST(PidList, PiecesOfAnySize) {
  const std::string text = "4250 4251 12 987654 ";
  for (size_t piece = 1; piece <= text.size(); ++piece)
    EXPECT_EQ(pids(text, piece), (std::vector<pid_t>{4250, 4251, 12, 987654})) << piece;
}

TEST(PidList, LastNumberWithoutItsSpace) {
  EXPECT_EQ(pids("4250 4251", 3), (std::vector<pid_t>{4250, 4251}));
  pid_list_reader reader;
  pid_t pid = -1;
  EXPECT_FALSE(reader.finish(&pid));
  EXPECT_EQ(pid, -1);
}

TEST(PidList, AnyNonDigitSeparates) {
  EXPECT_EQ(pids("  1\n2\t3,,4-5x", 2), (std::vector<pid_t>{1, 2, 3, 4, 5}));
  EXPECT_EQ(pids("abc ", 2), std::vector<pid_t>{});
}

TEST(PidList, OverlongRunKeepsItsFirstDigits) {
  EXPECT_EQ(pids("0000000000000000000042 7 ", 4), (std::vector<pid_t>{0, 7}));
  EXPECT_EQ(pids("00000000000004299999 ", 4), std::vector<pid_t>{42});
}
