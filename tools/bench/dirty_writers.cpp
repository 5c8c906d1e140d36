// Writer threads; see dirty_writers.h.
#include "dirty_writers.h"

namespace forkless_bench {

static constexpr size_t page_size = 4096;
static constexpr uint64_t publish_every = 64;

void dirty_writers::start(unsigned char* memory, size_t size, unsigned count) {
  stop();
  if (count == 0) return;
  stopping_.store(false);
  counters_ = std::make_unique<counter[]>(count);
  size_t slice = size / count / page_size * page_size;
  for (unsigned index = 0; index < count; ++index) {
    unsigned char* begin = memory + index * slice;
    counter* mine = &counters_[index];
    threads_.emplace_back([this, begin, slice, mine] {
      uint64_t written = 0;
      for (;;) {
        for (size_t offset = 0; offset < slice; offset += page_size) {
          auto* byte = reinterpret_cast<volatile unsigned char*>(begin + offset);
          *byte = static_cast<unsigned char>(*byte + 1);
          if (++written % publish_every == 0) {
            mine->pages.store(written, std::memory_order_relaxed);
            if (stopping_.load(std::memory_order_relaxed)) return;
          }
        }
      }
    });
  }
}

void dirty_writers::stop() {
  stopping_.store(true);
  for (std::thread& thread : threads_) thread.join();
  threads_.clear();
}

uint64_t dirty_writers::pages_written() const {
  uint64_t total = 0;
  for (size_t index = 0; index < threads_.size(); ++index)
    total += counters_[index].pages.load(std::memory_order_relaxed);
  return total;
}

}  // namespace forkless_bench
