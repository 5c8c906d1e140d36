// Writer threads that keep dirtying the touched memory (one byte per 4 KiB
// page, round and round their own slice) and count the pages they wrote.
// After a native fork() every page is write-protected, so each write faults
// and copies: their count shows how much the spawns stall the rest of the
// process. Hazards: counters are per thread on their own cache line (a shared
// counter would measure cache-line bouncing, not spawning); they are published
// every 64 pages, so a reading is at most 64 pages per writer behind.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

namespace forkless_bench {

class dirty_writers {
 public:
  dirty_writers() = default;
  dirty_writers(const dirty_writers&) = delete;
  dirty_writers& operator=(const dirty_writers&) = delete;
  ~dirty_writers() { stop(); }

  void start(unsigned char* memory, size_t size, unsigned count);
  void stop();
  unsigned count() const { return static_cast<unsigned>(threads_.size()); }
  // Pages written so far by all writers.
  uint64_t pages_written() const;

 private:
  struct alignas(64) counter { std::atomic<uint64_t> pages{0}; };
  std::unique_ptr<counter[]> counters_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
};

}  // namespace forkless_bench
