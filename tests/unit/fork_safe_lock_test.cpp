// The shim's lock primitive (shim/support/fork_safe_lock.h), without LD_PRELOAD:
// signals and cancellation while held, a fork by another thread while held,
// and wait/notify_all.
#include "support/fork_safe_lock.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <thread>

namespace forkless {
namespace {

void register_once() {
  static bool done = false;
  if (!done) fork_safe_locks_at_load();
  done = true;
}

bool sigusr1_blocked() {
  sigset_t now;
  pthread_sigmask(SIG_SETMASK, nullptr, &now);
  return sigismember(&now, SIGUSR1) == 1;
}

TEST(ForkSafeLock, BlocksSignalsAndCancellationWhileHeld) {
  ASSERT_FALSE(sigusr1_blocked());
  {
    locked held(shim_lock::helper_pool);
    EXPECT_TRUE(sigusr1_blocked());
    int state;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &state);
    EXPECT_EQ(state, PTHREAD_CANCEL_DISABLE);
    {
      locked inner(shim_lock::inflight_descriptors);  // later in the order
      EXPECT_TRUE(sigusr1_blocked());
    }
    EXPECT_TRUE(sigusr1_blocked());  // still the outer lock's
    held.unlock();
    EXPECT_FALSE(sigusr1_blocked());
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, &state);
    EXPECT_EQ(state, PTHREAD_CANCEL_ENABLE);
  }
  EXPECT_FALSE(sigusr1_blocked());
}

// The child of a fork made while another thread holds a lock can take it:
// the fork waits for the holder (prepare), and the child starts unlocked.
TEST(ForkSafeLock, ForkByAnotherThreadWaitsAndChildCanLock) {
  register_once();
  std::atomic<bool> holding{false};
  constexpr auto kHeldFor = std::chrono::milliseconds(200);
  std::thread holder([&] {
    locked held(shim_lock::popen_streams);
    holding = true;
    std::this_thread::sleep_for(kHeldFor);
  });
  while (!holding) std::this_thread::yield();
  auto start = std::chrono::steady_clock::now();
  pid_t pid = fork();
  if (pid == 0) {
    locked held(shim_lock::popen_streams);
    _exit(sigusr1_blocked() ? 0 : 2);
  }
  auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_GT(pid, 0);
  EXPECT_FALSE(sigusr1_blocked());  // the parent's mask is back after the fork
  // A child hung on the lock has every signal blocked: killed after 5 s.
  int status = 0;
  pid_t got = 0;
  for (int i = 0; i < 500 && got == 0; ++i) {
    got = waitpid(pid, &status, WNOHANG);
    if (got == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (got == 0) {
    kill(pid, SIGKILL);
    got = waitpid(pid, &status, 0);
    ADD_FAILURE() << "the child hung on the lock";
  }
  ASSERT_EQ(got, pid);
  holder.join();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  EXPECT_GE(waited, kHeldFor / 2) << "fork() did not wait for the lock's holder";
}

TEST(ForkSafeLock, WaitReleasesTheLockUntilNotified) {
  int value = 0;  // under shim_lock::fork_learn
  std::thread setter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    locked held(shim_lock::fork_learn);
    value = 1;
    held.notify_all();
  });
  {
    locked held(shim_lock::fork_learn);
    while (value == 0) held.wait();
    EXPECT_TRUE(sigusr1_blocked());  // held again after the wait
  }
  setter.join();
  EXPECT_EQ(value, 1);
}

}  // namespace
}  // namespace forkless
