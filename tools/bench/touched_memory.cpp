// Allocation and first touch of the benchmark's memory; see touched_memory.h.
// Pages are faulted in with MADV_POPULATE_WRITE where the kernel has it; the
// fallback touch runs on two threads (the machines have two cores) because
// faulting 4 GiB of 4 KiB pages one by one takes seconds.
#include "touched_memory.h"

#include <sys/mman.h>

#include <cstdio>
#include <cstring>
#include <cstdint>
#include <thread>
#include <vector>

namespace forkless_bench {

static constexpr size_t huge_page = size_t{2} << 20;
static constexpr size_t small_page = 4096;
// MADV_POPULATE_WRITE (Linux 5.14): faults every page in writable from the
// kernel, several times faster than touching them from user space (one
// exception per page), and breaks the copy-on-write sharing a fork left.
#ifdef MADV_POPULATE_WRITE
static constexpr int populate_write_advice = MADV_POPULATE_WRITE;
#else
static constexpr int populate_write_advice = 23;
#endif

bool populate_writable(unsigned char* data, size_t size) {
  return madvise(data, size, populate_write_advice) == 0;
}

touched_memory::~touched_memory() {
  if (mapping_ != nullptr) munmap(mapping_, mapping_size_);
}

bool touched_memory::allocate(size_t bytes, page_kind pages) {
  size_ = (bytes + huge_page - 1) / huge_page * huge_page;
  mapping_size_ = size_ + huge_page;
  mapping_ = mmap(nullptr, mapping_size_, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mapping_ == MAP_FAILED) {
    mapping_ = nullptr;
    return false;
  }
  auto start = reinterpret_cast<uintptr_t>(mapping_);
  data_ = reinterpret_cast<unsigned char*>((start + huge_page - 1) & ~(huge_page - 1));
  // Advice is best effort: on kernels without THP it fails and pages stay small.
  madvise(data_, size_, pages == page_kind::huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);

  if (populate_writable(data_, size_)) return true;
  unsigned cores = std::thread::hardware_concurrency();
  size_t parts = cores >= 2 ? 2 : 1;
  size_t chunk = size_ / huge_page / parts * huge_page;
  std::vector<std::thread> touchers;
  for (size_t part = 0; part < parts; ++part) {
    size_t begin = part * chunk;
    size_t end = part + 1 == parts ? size_ : begin + chunk;
    touchers.emplace_back([this, begin, end] {
      for (size_t offset = begin; offset < end; offset += small_page) data_[offset] = 1;
    });
  }
  for (std::thread& toucher : touchers) toucher.join();
  return true;
}

resident_memory read_resident_memory() {
  resident_memory result;
  FILE* file = std::fopen("/proc/self/smaps_rollup", "r");
  if (file == nullptr) return result;
  char line[256];
  while (std::fgets(line, sizeof line, file) != nullptr) {
    long kib = 0;
    if (std::sscanf(line, "Rss: %ld kB", &kib) == 1) result.rss_mib = kib / 1024;
    if (std::sscanf(line, "AnonHugePages: %ld kB", &kib) == 1) result.huge_mib = kib / 1024;
  }
  std::fclose(file);
  return result;
}

}  // namespace forkless_bench
