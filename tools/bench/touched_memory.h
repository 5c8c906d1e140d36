// A large anonymous region, every page written once so that it is resident
// and must be copied (page tables, and pages on write) by fork().
// Hazards: MADV_HUGEPAGE only helps when the region is 2 MiB aligned and THP
// is "madvise" or "always"; we align by over-mapping and report the huge
// fraction actually obtained (AnonHugePages) rather than assume it.
#pragma once

#include <cstddef>

namespace forkless_bench {

enum class page_kind { huge, small };

class touched_memory {
 public:
  touched_memory() = default;
  touched_memory(const touched_memory&) = delete;
  touched_memory& operator=(const touched_memory&) = delete;
  ~touched_memory();

  // Maps and touches `bytes` (rounded up to 2 MiB). Returns false on failure.
  bool allocate(size_t bytes, page_kind pages);
  unsigned char* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  void* mapping_ = nullptr;
  size_t mapping_size_ = 0;
  unsigned char* data_ = nullptr;
  size_t size_ = 0;
};

// Makes every page of [data, data+size) present and writable (no shared
// copy-on-write pages left); false if the kernel cannot (then write them).
bool populate_writable(unsigned char* data, size_t size);

// Resident memory and its transparent-huge-page part, in MiB, from
// /proc/self/smaps_rollup (-1 if unreadable).
struct resident_memory { long rss_mib = -1; long huge_mib = -1; };
resident_memory read_resident_memory();

}  // namespace forkless_bench
