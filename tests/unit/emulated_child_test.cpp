// The emulated fork child's bookkeeping, as pure functions
// (fork/emulated_child.h): the signal mask it wants (sigprocmask's
// semantics, glibc's internal signals dropped), which handlers are reset
// before its exec, libuv's in-place renumbering and the dup2/dup3 sources
// it implies, and the mirror's pid argument.
#include <gtest/gtest.h>

#include <fcntl.h>

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include "fork/emulated_child.h"

using namespace forkless;

namespace {

constexpr int kSigcancel = 32;  // glibc's SIGCANCEL (__SIGRTMIN)
constexpr int kSigsetxid = 33;  // glibc's SIGSETXID (__SIGRTMIN + 1)

// The signal's bit set directly: glibc's sigaddset refuses its internal
// signals, but a program may hand over any bits (a set built by hand, or
// from another library's view of the kernel's mask).
void add_raw(sigset_t* set, int signal_number) {
  constexpr int kWordBits = 8 * sizeof set->__val[0];
  set->__val[(signal_number - 1) / kWordBits] |= 1ul << ((signal_number - 1) % kWordBits);
}

sigset_t set_of(std::initializer_list<int> signals) {
  sigset_t set;
  sigemptyset(&set);
  for (int signal_number : signals) add_raw(&set, signal_number);
  return set;
}

std::vector<int> members(const sigset_t& set) {
  std::vector<int> found;
  for (int signal_number = 1; signal_number < _NSIG; ++signal_number)
    if (sigismember(&set, signal_number) == 1) found.push_back(signal_number);
  return found;
}

using signals = std::vector<int>;

}  // namespace

TEST(WantedMask, BlockAddsUnblockRemovesSetmaskReplaces) {
  sigset_t wanted = set_of({SIGCHLD});
  sigset_t change = set_of({SIGINT, SIGTERM});
  ASSERT_EQ(change_wanted_mask(&wanted, SIG_BLOCK, &change, nullptr), 0);
  EXPECT_EQ(members(wanted), (signals{SIGINT, SIGTERM, SIGCHLD}));
  change = set_of({SIGTERM, SIGHUP});  // SIGHUP was not blocked: nothing to remove
  ASSERT_EQ(change_wanted_mask(&wanted, SIG_UNBLOCK, &change, nullptr), 0);
  EXPECT_EQ(members(wanted), (signals{SIGINT, SIGCHLD}));
  change = set_of({SIGUSR1, 40, 64});
  ASSERT_EQ(change_wanted_mask(&wanted, SIG_SETMASK, &change, nullptr), 0);
  EXPECT_EQ(members(wanted), (signals{SIGUSR1, 40, 64}));
}

TEST(WantedMask, OldIsTheMaskBeforeTheChange) {
  sigset_t wanted = set_of({SIGCHLD});
  sigset_t change = set_of({SIGINT});
  sigset_t old = set_of({SIGHUP});
  ASSERT_EQ(change_wanted_mask(&wanted, SIG_SETMASK, &change, &old), 0);
  EXPECT_EQ(members(old), (signals{SIGCHLD}));
  EXPECT_EQ(members(wanted), (signals{SIGINT}));
  // old may be set itself: sigprocmask(SIG_SETMASK, &mask, &mask) swaps.
  ASSERT_EQ(change_wanted_mask(&wanted, SIG_SETMASK, &old, &old), 0);
  EXPECT_EQ(members(wanted), (signals{SIGCHLD}));
  EXPECT_EQ(members(old), (signals{SIGINT}));
}

TEST(WantedMask, NullSetOnlyReads) {
  sigset_t wanted = set_of({SIGCHLD, SIGPIPE});
  sigset_t old;
  sigemptyset(&old);
  for (int how : {SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK, 99, -1}) {
    ASSERT_EQ(change_wanted_mask(&wanted, how, nullptr, &old), 0) << how;  // how is not looked at
    EXPECT_EQ(members(old), (signals{SIGPIPE, SIGCHLD}));
    EXPECT_EQ(members(wanted), (signals{SIGPIPE, SIGCHLD}));
  }
  EXPECT_EQ(change_wanted_mask(&wanted, SIG_BLOCK, nullptr, nullptr), 0);
}

TEST(WantedMask, UnknownHowIsEinvalAndChangesNothing) {
  sigset_t wanted = set_of({SIGCHLD});
  sigset_t change = set_of({SIGINT});
  sigset_t old = set_of({SIGHUP});
  for (int how : {3, -1, 1000}) {
    EXPECT_EQ(change_wanted_mask(&wanted, how, &change, &old), EINVAL) << how;
    EXPECT_EQ(members(wanted), (signals{SIGCHLD}));
    EXPECT_EQ(members(old), (signals{SIGHUP})) << "old is not written on EINVAL";
  }
}

TEST(WantedMask, InternalSignalsNeverEnterIt) {
  sigset_t wanted;
  sigemptyset(&wanted);
  sigset_t all;
  memset(&all, 0xff, sizeof all);  // every bit: sigfillset would leave the internal two out itself
  ASSERT_EQ(change_wanted_mask(&wanted, SIG_BLOCK, &all, nullptr), 0);
  EXPECT_EQ(sigismember(&wanted, kSigcancel), 0);
  EXPECT_EQ(sigismember(&wanted, kSigsetxid), 0);
  EXPECT_EQ(sigismember(&wanted, SIGKILL), 1);  // left for the kernel to ignore, as sigprocmask does
  EXPECT_EQ(sigismember(&wanted, 34), 1);
  EXPECT_EQ(members(wanted).size(), static_cast<size_t>(_NSIG - 1 - 2));
  sigset_t internal = set_of({kSigcancel, kSigsetxid});
  ASSERT_EQ(change_wanted_mask(&wanted, SIG_SETMASK, &internal, nullptr), 0);
  EXPECT_EQ(members(wanted), signals{});
}

TEST(WantedMask, InternalSignalsAlreadyWantedStayUntilChanged) {
  // The caller's mask, read from the kernel before the clone, is taken as
  // it is; only what the child asks for is filtered.
  sigset_t wanted = set_of({kSigcancel, SIGINT});
  sigset_t change = set_of({SIGTERM});
  ASSERT_EQ(change_wanted_mask(&wanted, SIG_BLOCK, &change, nullptr), 0);
  EXPECT_EQ(members(wanted), (signals{SIGINT, SIGTERM, kSigcancel}));
  // Unblocking an internal signal is dropped from the request too.
  sigset_t unblock = set_of({kSigcancel, SIGINT});
  ASSERT_EQ(change_wanted_mask(&wanted, SIG_UNBLOCK, &unblock, nullptr), 0);
  EXPECT_EQ(members(wanted), (signals{SIGTERM, kSigcancel}));
}

TEST(WantedMask, CallersSetIsNotModified) {
  sigset_t wanted;
  sigemptyset(&wanted);
  sigset_t change = set_of({SIGINT, kSigcancel});
  ASSERT_EQ(change_wanted_mask(&wanted, SIG_BLOCK, &change, nullptr), 0);
  EXPECT_EQ(members(change), (signals{SIGINT, kSigcancel}));
}

namespace {

void handler(int) {}

}  // namespace

TEST(ResetBeforeExec, OnlyCaughtSignals) {
  EXPECT_TRUE(reset_before_exec(SIGINT, &handler));
  EXPECT_TRUE(reset_before_exec(SIGCHLD, &handler));
  EXPECT_TRUE(reset_before_exec(64, &handler));
  EXPECT_FALSE(reset_before_exec(SIGINT, SIG_DFL));
  EXPECT_FALSE(reset_before_exec(SIGPIPE, SIG_IGN));  // an ignored signal stays ignored across exec
  EXPECT_FALSE(reset_before_exec(SIGKILL, &handler));
  EXPECT_FALSE(reset_before_exec(SIGSTOP, &handler));
}

TEST(RenumberPlan, OnlyDupfdCommandsAtARenumberingSite) {
  EXPECT_EQ(renumber_plan(F_DUPFD, true, 0, 4), renumber_action::move_in_place);
  EXPECT_EQ(renumber_plan(F_DUPFD_CLOEXEC, true, 3, 4), renumber_action::move_in_place);
  for (int cmd : {F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_SETLK, F_DUPFD_CLOEXEC + 1, -1})
    EXPECT_EQ(renumber_plan(cmd, true, 0, 4), renumber_action::libc) << cmd;
  EXPECT_EQ(renumber_plan(F_DUPFD, false, 0, 4), renumber_action::libc);
  EXPECT_EQ(renumber_plan(F_DUPFD_CLOEXEC, false, 4, 4), renumber_action::libc);  // no table: no limit either
}

TEST(RenumberPlan, FullTableRefuses) {
  EXPECT_EQ(renumber_plan(F_DUPFD_CLOEXEC, true, 4, 4), renumber_action::refuse);
  EXPECT_EQ(renumber_plan(F_DUPFD, true, 5, 4), renumber_action::refuse);
  EXPECT_EQ(renumber_plan(F_DUPFD, true, 0, 0), renumber_action::refuse);
  EXPECT_EQ(renumber_plan(F_GETFD, true, 4, 4), renumber_action::libc);  // other commands are not limited
}

TEST(DupSource, NoMovesMeansTheNumberItself) {
  EXPECT_EQ(dup_source_after_moves(nullptr, 0, 5, 1), 5);
  descriptor_move moves[] = {{0, 10}};
  EXPECT_EQ(dup_source_after_moves(moves, 1, 5, 1), 5);
}

TEST(DupSource, MovedNumberStandsForWhereItWent) {
  // libuv: fd 0 and 1 hold the child's stdio pipes numbered below their
  // entries; each is moved up, and the stored (unchanged) numbers are then
  // dup2'd onto the entries.
  descriptor_move moves[] = {{0, 10}, {1, 11}};
  EXPECT_EQ(dup_source_after_moves(moves, 2, 0, 1), 10);
  EXPECT_EQ(dup_source_after_moves(moves, 2, 1, 2), 11);
  EXPECT_EQ(dup_source_after_moves(moves, 2, 2, 0), 2);
}

TEST(DupSource, LatestMoveOfANumberWins) {
  descriptor_move moves[] = {{3, 10}, {4, 11}, {3, 12}};
  EXPECT_EQ(dup_source_after_moves(moves, 3, 3, 0), 12);
  EXPECT_EQ(dup_source_after_moves(moves, 2, 3, 0), 10);  // only the first count entries count
}

TEST(DupSource, SameSourceAndTargetKeepTheirMeaning) {
  descriptor_move moves[] = {{1, 11}};
  EXPECT_EQ(dup_source_after_moves(moves, 1, 1, 1), 1);
  EXPECT_EQ(dup_source_after_moves(moves, 1, 11, 11), 11);
}

TEST(DupSource, MovesAreNotFollowedTransitively) {
  // A moved descriptor's new number is a real descriptor: dup2 from it is
  // not translated again.
  descriptor_move moves[] = {{0, 10}, {10, 20}};
  EXPECT_EQ(dup_source_after_moves(moves, 2, 0, 1), 10);
  EXPECT_EQ(dup_source_after_moves(moves, 2, 10, 1), 20);
}

TEST(DupSource, NegativeNumbersPassThrough) {
  descriptor_move moves[] = {{0, 10}};
  EXPECT_EQ(dup_source_after_moves(moves, 1, -1, 1), -1);  // dup2 reports EBADF itself
}

TEST(FormatPid, DecimalDigits) {
  auto text = [](pid_t pid) {
    char digits[16];
    format_pid(pid, digits);
    return std::string(digits);
  };
  EXPECT_EQ(text(0), "0");
  EXPECT_EQ(text(7), "7");
  EXPECT_EQ(text(10), "10");
  EXPECT_EQ(text(4242), "4242");
  EXPECT_EQ(text(4194304), "4194304");  // pid_max's highest value
  EXPECT_EQ(text(INT_MAX), "2147483647");
  EXPECT_EQ(text(-1), "4294967295");
}
