// Thread stack bounds and the per-thread snapshot buffer.
//
// Hazards:
// - glibc puts a thread's descriptor (struct pthread, which the kernel and
//   other threads write: rseq, cancellation, setxid) and its static TLS at the
//   top of the thread's stack block, and pthread_getattr_np reports the whole
//   block: the window stops below them.
// - The main thread's bounds come from pthread_getattr_np too (glibc reads
//   /proc/self/maps for it); a stack pointer outside the known bounds (an
//   alternate signal stack, a coroutine) is looked up in /proc/self/maps
//   each time, without caching.
// - The buffer is made with mmap before any clone and only memcpy touches it
//   afterwards: nothing between clone and exec allocates.
#include "stack_window.h"

#include <cerrno>
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

#include "helper_client/inflight_descriptors.h"
#include "interpose/thread_block.h"

namespace forkless {
namespace {

struct thread_stack {
  bool known;
  uintptr_t low;
  uintptr_t top;
  unsigned char* buffer;
  uintptr_t from;
  size_t length;
};

thread_stack& this_stack() { return thread_block_part<thread_stack>(this_thread_block().stack_window); }

pthread_once_t key_once = PTHREAD_ONCE_INIT;
pthread_key_t buffer_key;

// Runs in the exiting thread, so this_stack() is that thread's.
void unmap_buffer(void* buffer) {
  if (buffer == nullptr) return;
  if (this_stack().buffer == buffer) this_stack().buffer = nullptr;
  munmap(buffer, kStackWindowMax + kEmulationScratchBytes);
}

void make_key() {
  if (pthread_key_create(&buffer_key, unmap_buffer) != 0) buffer_key = static_cast<pthread_key_t>(-1);
}

// Size of the static TLS block glibc puts below a thread's descriptor:
// glibc's own answer (exported by ld.so for sanitizers), else 64 KiB, which
// covers the static TLS of ordinary programs. Asked once per thread.
size_t static_tls_size() {
  using info_function = void (*)(size_t*, size_t*);
  auto info = reinterpret_cast<info_function>(dlsym(RTLD_DEFAULT, "_dl_get_tls_static_info"));
  size_t bytes = 64 * 1024;
  size_t align = 0;
  if (info != nullptr) info(&bytes, &align);
  return bytes;
}

// How often a read interrupted by a signal (EINTR) is tried again: a signal
// handler without SA_RESTART must not turn an emulable fork native, and a
// storm of signals must not hold the fork up for ever.
constexpr int kInterruptedReadAttempts = 16;

bool learn_thread_stack() {
  pthread_attr_t attr;
  // glibc reads the main thread's bounds from /proc/self/maps, and reports
  // the read's error (EINTR included) as its own.
  int attr_status = EINTR;
  for (int attempt = 0; attempt < kInterruptedReadAttempts && attr_status == EINTR; ++attempt)
    attr_status = pthread_getattr_np(pthread_self(), &attr);
  if (attr_status != 0) return false;
  void* address = nullptr;
  size_t size = 0;
  int status = pthread_attr_getstack(&attr, &address, &size);
  pthread_attr_destroy(&attr);
  if (status != 0 || address == nullptr || size == 0) return false;
  uintptr_t low = reinterpret_cast<uintptr_t>(address);
  uintptr_t top = low + size;
  uintptr_t descriptor = reinterpret_cast<uintptr_t>(pthread_self());
  if (descriptor > low && descriptor < top) {
    size_t reserved = static_tls_size();
    top = descriptor > low + reserved ? descriptor - reserved : low;
  }
  this_stack().low = low;
  this_stack().top = top;
  this_stack().known = true;
  return true;
}

// Lower-case hex digits from cursor on (as the kernel writes addresses in
// maps), cursor left at the first other character.
uintptr_t parse_hex(const char*& cursor, const char* end) {
  uintptr_t value = 0;
  for (; cursor < end; ++cursor) {
    char c = *cursor;
    if (c >= '0' && c <= '9') value = value * 16 + static_cast<uintptr_t>(c - '0');
    else if (c >= 'a' && c <= 'f') value = value * 16 + static_cast<uintptr_t>(c - 'a' + 10);
    else break;
  }
  return value;
}

// End of the mapping holding sp, from /proc/self/maps (read in pieces into a
// stack buffer, lines split across reads kept for the next piece).
bool mapping_top(uintptr_t sp, uintptr_t* top) {
  int fd = open_inflight_file("/proc/self/maps", O_RDONLY);
  if (fd < 0) return false;
  char buffer[4096];
  size_t held = 0;
  bool found = false;
  int interrupted = 0;
  for (;;) {
    ssize_t got = read(fd, buffer + held, sizeof buffer - 1 - held);
    if (got < 0 && errno == EINTR && ++interrupted < kInterruptedReadAttempts) continue;
    if (got <= 0) break;
    held += static_cast<size_t>(got);
    maps_scan scan = scan_maps_lines(buffer, held, sp);
    if (scan.found) {
      *top = scan.top;
      found = true;
      break;
    }
    held -= scan.consumed;
    memmove(buffer, buffer + scan.consumed, held);
    if (held >= sizeof buffer - 1) held = 0;  // a line longer than the buffer: skip it
  }
  close_inflight(&fd);
  return found;
}

}  // namespace

maps_scan scan_maps_lines(const char* text, size_t length, uintptr_t address) {
  maps_scan scan{false, 0, 0};
  const char* line = text;
  const char* end = text + length;
  while (const char* newline = static_cast<const char*>(memchr(line, '\n', static_cast<size_t>(end - line)))) {
    const char* cursor = line;
    uintptr_t begin = parse_hex(cursor, newline);
    if (cursor < newline && *cursor == '-') {
      ++cursor;
      uintptr_t mapping_end = parse_hex(cursor, newline);
      if (address >= begin && address < mapping_end) {
        scan.found = true;
        scan.top = mapping_end;
        break;
      }
    }
    line = newline + 1;
  }
  scan.consumed = static_cast<size_t>(line - text);
  return scan;
}

bool stack_top_above(uintptr_t sp, uintptr_t* top, const char** reason) {
  if (!this_stack().known && !learn_thread_stack()) {
    *reason = "stack_bounds_unknown";
    return false;
  }
  if (sp >= this_stack().low && sp < this_stack().top) {
    *top = this_stack().top;
    return true;
  }
  if (mapping_top(sp, top) && *top > sp) return true;
  *reason = "stack_bounds_unknown";
  return false;
}

bool stack_snapshot_ready() {
  if (this_stack().buffer != nullptr) return true;
  pthread_once(&key_once, make_key);
  if (buffer_key == static_cast<pthread_key_t>(-1)) return false;
  void* buffer = mmap(nullptr, kStackWindowMax + kEmulationScratchBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (buffer == MAP_FAILED) return false;
  if (pthread_setspecific(buffer_key, buffer) != 0) {
    munmap(buffer, kStackWindowMax + kEmulationScratchBytes);
    return false;
  }
  this_stack().buffer = static_cast<unsigned char*>(buffer);
  return true;
}

void stack_snapshot_take(uintptr_t from, uintptr_t to) {
  size_t length = to > from ? to - from : 0;
  if (length > kStackWindowMax) length = kStackWindowMax;
  this_stack().from = from;
  this_stack().length = length;
  memcpy(this_stack().buffer, reinterpret_cast<const void*>(from), length);
}

void* emulation_scratch() { return this_stack().buffer + kStackWindowMax; }

void stack_snapshot_restore() {
  memcpy(reinterpret_cast<void*>(this_stack().from), this_stack().buffer, this_stack().length);
}

}  // namespace forkless
