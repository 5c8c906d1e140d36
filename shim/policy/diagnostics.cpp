// Hazards:
//  - The program may drop privileges, chroot or change its mounts later, so
//    the log file is opened once, while it can still be: at load in the
//    process that starts its helper eagerly (the program; a root program
//    drops root after that), at its first line in the others (a process that
//    loads the library and never logs keeps a descriptor table as it would
//    natively); at a high close-on-exec number (as the helper channels),
//    appended to with one write per line, never closed (a forked child logs
//    to the same file).
//  - The program owns the descriptor table: before each line fstat must show
//    the file opened at load (device and inode); if the program closed that
//    number or dup2'd something over it, the line is written by opening the
//    path for that line alone, and nothing is ever written to the
//    program's descriptor.
//  - stderr means fd 2. Lines are built on the stack: no allocation,
//    bounded length.
#include "diagnostics.h"

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "helper_client/helper_pool.h"
#include "helper_client/inflight_descriptors.h"
#include "support/unwinder.h"

namespace forkless {

// Provided by the fork module when it is linked in (weak: optional).
__attribute__((weak)) void fork_learn_summary();

namespace {

constexpr int kApis = static_cast<int>(api_kind::count_);
constexpr int kRoutes = static_cast<int>(route_kind::count_);
std::atomic<long> call_counts[kApis][kRoutes];
std::atomic<long> call_micros[kApis][kRoutes];

// Set once (log_fd last, with release), read-only after.
std::atomic<int> log_fd{-1};
std::atomic<bool> log_open_tried{false};
dev_t log_device = 0;
ino_t log_inode = 0;

constexpr int kLogFileFlags = O_WRONLY | O_APPEND | O_CREAT | O_NOCTTY;

// Opens the log file at its high number, once per process (the first
// thread to try does it; others meanwhile write by path).
void open_log_file() {
  if (log_open_tried.exchange(true, std::memory_order_acq_rel)) return;
  int fd = open_inflight_file(current_settings().log_file, kLogFileFlags, 0644);
  if (fd < 0) return;
  int high = fcntl(fd, F_DUPFD_CLOEXEC, high_descriptor_floor());
  struct stat st;
  if (high >= 0 && fstat(high, &st) == 0) {
    log_device = st.st_dev;
    log_inode = st.st_ino;
    log_fd.store(high, std::memory_order_release);
  } else if (high >= 0) {
    close(high);
  }
  close_inflight(&fd);
}

// The log file's descriptor, if it is still the file opened (else -1).
int intact_log_fd() {
  int fd = log_fd.load(std::memory_order_acquire);
  struct stat st;
  return fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == log_device && st.st_ino == log_inode ? fd : -1;
}

void write_line(const char* line, size_t length) {
  const char* path = current_settings().log_file;
  int saved = errno;
  if (path[0]) open_log_file();
  int fd_now = path[0] ? intact_log_fd() : -1;
  if (fd_now >= 0) {
    ssize_t ignored = write(fd_now, line, length);
    (void)ignored;
  } else if (path[0]) {
    int fd = open_inflight_file(path, kLogFileFlags, 0644);
    if (fd >= 0) {
      ssize_t ignored = write(fd, line, length);
      (void)ignored;
      close_inflight(&fd);
    }
  } else {
    ssize_t ignored = write(2, line, length);
    (void)ignored;
  }
  errno = saved;
}

// Appends " backtrace=fn+0x12<fn2+0x40<..." (innermost first) for FORKLESS_LOG=2.
size_t append_backtrace(char* line, size_t at, size_t capacity) {
  void* frames[16];
  int count = capture_backtrace(frames, 16, 3);  // from the caller of the interposer
  at += snprintf(line + at, capacity - at, " backtrace=");
  for (int i = 0; i < count && at < capacity - 2; ++i) {
    char name[128];
    uintptr_t start = 0, end = 0;
    if (proc_extent(frames[i], &start, &end, name, sizeof name))
      at += snprintf(line + at, capacity - at, "%s%s+0x%lx", i ? "<" : "", name,
                     static_cast<unsigned long>(reinterpret_cast<uintptr_t>(frames[i]) - start));
    else
      at += snprintf(line + at, capacity - at, "%s%p", i ? "<" : "", frames[i]);
  }
  return at < capacity ? at : capacity - 1;
}

}  // namespace

const char* api_name(api_kind api) {
  switch (api) {
    case api_kind::system: return "system";
    case api_kind::popen: return "popen";
    case api_kind::posix_spawn: return "posix_spawn";
    case api_kind::posix_spawnp: return "posix_spawnp";
    case api_kind::fork: return "fork";
    case api_kind::count_: break;
  }
  return "?";
}

const char* route_name(route_kind route) {
  switch (route) {
    case route_kind::helper: return "helper";
    case route_kind::emulated: return "emulated";
    case route_kind::native: return "native";
    case route_kind::count_: break;
  }
  return "?";
}

long resident_mb() {
  char buffer[128];
  ssize_t got = read_inflight_file("/proc/self/statm", buffer, sizeof buffer - 1);
  if (got <= 0) return -1;
  buffer[got] = '\0';
  return resident_mb_from_statm(buffer, sysconf(_SC_PAGESIZE));
}

long resident_mb_from_statm(const char* statm, long page_bytes) {
  long size = 0, resident = 0;
  if (sscanf(statm, "%ld %ld", &size, &resident) != 2) return -1;
  return resident * (page_bytes / 1024) / 1024;
}

bool diagnostics_enabled() { return current_settings().log_level > 0; }

void open_log_file_at_load() {
  if (!current_settings().log_file[0] || current_settings().log_level <= 0) return;
  int saved = errno;
  open_log_file();
  errno = saved;
}

long monotonic_ns() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec * 1000000000L + now.tv_nsec;
}

long monotonic_us() { return monotonic_ns() / 1000; }

void log_call(const call_record& record) {
  int api = static_cast<int>(record.api), route = static_cast<int>(record.route);
  call_counts[api][route].fetch_add(1, std::memory_order_relaxed);
  if (record.us > 0) call_micros[api][route].fetch_add(record.us, std::memory_order_relaxed);
  if (!diagnostics_enabled()) return;
  char argv0[96];
  snprintf(argv0, sizeof argv0, "%s", record.argv0 ? record.argv0 : "-");
  for (char* c = argv0; *c; ++c)
    if (*c == ' ' || *c == '\n' || *c == '\t' || *c == '=') *c = '_';
  char line[4096];
  size_t at = static_cast<size_t>(snprintf(
      line, sizeof line, "forkless[%d]: api=%s route=%s reason=%s threads=%d rss_mb=%ld us=%ld child=%d argv0=%s site=%s",
      getpid(), api_name(record.api), route_name(record.route), record.reason ? record.reason : "-",
      record.threads, resident_mb(), record.us, static_cast<int>(record.child), argv0[0] ? argv0 : "-",
      record.site ? record.site : "-"));
  if (at >= sizeof line) at = sizeof line - 1;
  if (current_settings().log_level >= 2) at = append_backtrace(line, at, sizeof line - 1);
  line[at++] = '\n';
  write_line(line, at);
}

void log_note(const char* text) {
  char line[1024];
  int length = snprintf(line, sizeof line, "forkless[%d]: %s\n", getpid(), text);
  if (length < 0) return;
  size_t size = static_cast<size_t>(length) < sizeof line ? static_cast<size_t>(length) : sizeof line - 1;
  if (line[size - 1] != '\n') line[size - 1] = '\n';
  write_line(line, size);
}

void reset_summary_counts() {
  for (int api = 0; api < kApis; ++api) {
    for (int route = 0; route < kRoutes; ++route) {
      call_counts[api][route].store(0, std::memory_order_relaxed);
      call_micros[api][route].store(0, std::memory_order_relaxed);
    }
  }
}

void log_summary() {
  if (!diagnostics_enabled()) return;
  for (int api = 0; api < kApis; ++api) {
    for (int route = 0; route < kRoutes; ++route) {
      long calls = call_counts[api][route].load(std::memory_order_relaxed);
      if (!calls) continue;
      char text[256];
      snprintf(text, sizeof text, "summary=exit api=%s route=%s calls=%ld mean_us=%ld", api_name(static_cast<api_kind>(api)),
               route_name(static_cast<route_kind>(route)), calls,
               call_micros[api][route].load(std::memory_order_relaxed) / calls);
      log_note(text);
    }
  }
  if (fork_learn_summary) fork_learn_summary();
}

}  // namespace forkless
