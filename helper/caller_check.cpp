#include "caller_check.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <linux/securebits.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

namespace forkless::helper {
namespace {

// Room for a signature: the eleven lines of an ordinary thread take about
// 400 bytes, which leaves a Groups line of some 200 groups. A longer one
// fails the check (credential_signature_of), which refuses the caller.
constexpr size_t kSignatureBytes = 2048;
char own_signature[kSignatureBytes];
size_t own_signature_length = 0;

// The credential signature of the status file at path (read into a stack
// buffer: the lines the signature takes come in its first 8 KiB).
bool credential_signature(const char* path, char* out, size_t capacity, size_t* length,
                          uint64_t* ignored_signals) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char status[8192];
  size_t total = 0;
  for (;;) {
    ssize_t got = read(fd, status + total, sizeof status - 1 - total);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    total += static_cast<size_t>(got);
    if (total == sizeof status - 1) break;
  }
  close(fd);
  status[total] = '\0';
  return credential_signature_of(status, out, capacity, length, ignored_signals);
}

}  // namespace

bool credential_signature_of(const char* status, char* out, size_t capacity, size_t* length,
                             uint64_t* ignored_signals) {
  static const char* const keys[] = {"Uid:",    "Gid:",    "Groups:", "CapInh:",     "CapPrm:",        "CapEff:",
                                     "CapBnd:", "CapAmb:", "NoNewPrivs:", "Seccomp:", "Seccomp_filters:"};
  size_t used = 0;
  for (const char* key : keys) {
    size_t key_length = strlen(key);
    for (const char* line = status; line && *line;) {
      const char* end = strchr(line, '\n');
      size_t line_length = end ? static_cast<size_t>(end - line) : strlen(line);
      if (line_length >= key_length && memcmp(line, key, key_length) == 0) {
        if (used + line_length + 1 > capacity) return false;
        memcpy(out + used, line, line_length);
        used += line_length;
        out[used++] = '\n';
        break;
      }
      line = end ? end + 1 : nullptr;
    }
  }
  *length = used;
  if (ignored_signals) {
    static constexpr char kSigIgn[] = "\nSigIgn:";
    const char* line = strstr(status, kSigIgn);
    if (!line) return false;
    const char* value = line + sizeof kSigIgn - 1;
    char* end = nullptr;
    *ignored_signals = strtoull(value, &end, 16);
    if (end == value) return false;
  }
  return used > 0;
}

bool parse_proc_number(const char* text, int base, long long* value) {
  char* end = nullptr;
  *value = strtoll(text, &end, base);
  return end != text;
}

bool read_proc_number(const char* path, int base, long long* value) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char text[64];
  ssize_t got;
  do {
    got = read(fd, text, sizeof text - 1);
  } while (got < 0 && errno == EINTR);
  close(fd);
  if (got <= 0) return false;
  text[got] = '\0';
  return parse_proc_number(text, base, value);
}

bool capture_own_credentials() {
  char path[64];
  snprintf(path, sizeof path, "/proc/self/task/%d/status", static_cast<int>(gettid()));
  return credential_signature(path, own_signature, sizeof own_signature, &own_signature_length, nullptr);
}

bool caller_credentials_match(pid_t caller, pid_t tid, uint64_t* ignored_signals) {
  if (own_signature_length == 0 || caller <= 1 || tid <= 0) return false;
  char path[96];
  snprintf(path, sizeof path, "/proc/%d/task/%d/status", static_cast<int>(caller), static_cast<int>(tid));
  char signature[kSignatureBytes];
  size_t length = 0;
  if (!credential_signature(path, signature, sizeof signature, &length, ignored_signals)) return false;
  return length == own_signature_length && memcmp(signature, own_signature, length) == 0;
}

bool read_caller_rlimits(pid_t caller, wire::process_context* context) {
  for (uint32_t resource = 0; resource < wire::kRlimitCount; ++resource) {
    rlimit actual{};
    if (prlimit(caller, static_cast<__rlimit_resource>(resource), nullptr, &actual) != 0) return false;
    context->rlimits[resource] = {actual.rlim_cur, actual.rlim_max};
  }
  return true;
}

}  // namespace forkless::helper

namespace forkless::helper {

bool read_caller_process_settings(pid_t caller, wire::process_context* context) {
  char path[64];
  long long oom = 0, filter = 0;
  snprintf(path, sizeof path, "/proc/%d/oom_score_adj", static_cast<int>(caller));
  if (!read_proc_number(path, 10, &oom)) return false;
  snprintf(path, sizeof path, "/proc/%d/coredump_filter", static_cast<int>(caller));
  if (!read_proc_number(path, 16, &filter)) return false;
  context->oom_score_adj = static_cast<int32_t>(oom);
  context->coredump_filter = static_cast<uint32_t>(filter);
  return true;
}

bool sender_ids_match(uint32_t uid, uint32_t gid) { return uid == getuid() && gid == getgid(); }

bool securebits_match(uint32_t claimed) { return securebits_equal(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0), claimed); }

bool securebits_equal(int own, uint32_t claimed) {
  return own >= 0 && ((static_cast<uint32_t>(own) ^ claimed) & ~uint32_t{SECBIT_KEEP_CAPS}) == 0;
}

}  // namespace forkless::helper
