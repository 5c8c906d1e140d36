// Small helpers shared by the end-to-end drivers: busy threads (a
// multithreaded program, as the helper route serves), reading a stream to EOF,
// and looking at this process's children through /proc.
#pragma once

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace e2e {

// Threads that spin until stopped: the caller is multithreaded while they run.
class BusyThreads {
 public:
  explicit BusyThreads(int count) {
    for (int i = 0; i < count; i++)
      threads_.emplace_back([this] {
        while (!stop_.load(std::memory_order_relaxed)) spins_.fetch_add(1, std::memory_order_relaxed);
      });
  }
  ~BusyThreads() { stop(); }
  void stop() {
    stop_ = true;
    for (auto &t : threads_)
      if (t.joinable()) t.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<unsigned long> spins_{0};
  std::vector<std::thread> threads_;
};

inline std::string read_all(FILE *stream) {
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, stream)) > 0) out.append(buf, n);
  return out;
}

inline std::string read_file(const std::string &path) {
  std::string out;
  if (FILE *f = fopen(path.c_str(), "r")) {
    out = read_all(f);
    fclose(f);
  }
  return out;
}

// FNV-1a, to print a short fingerprint of a long output.
inline unsigned long long fingerprint(const std::string &text) {
  unsigned long long h = 1469598103934665603ULL;
  for (unsigned char c : text) h = (h ^ c) * 1099511628211ULL;
  return h;
}

struct ProcInfo {
  pid_t pid;
  pid_t ppid;
  char state;
  std::string comm;
  unsigned long long start_time;
};

// Parses /proc/PID/stat; false if the process is gone.
inline bool read_proc(pid_t pid, ProcInfo &info) {
  std::string stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  size_t open = stat.find('('), close = stat.rfind(')');
  if (open == std::string::npos || close == std::string::npos) return false;
  info.pid = pid;
  info.comm = stat.substr(open + 1, close - open - 1);
  // Fields after the comm: state ppid pgrp session tty tpgid flags minflt
  // cminflt majflt cmajflt utime stime cutime cstime priority nice
  // num_threads itrealvalue starttime
  unsigned long long fields[20] = {};
  char state = '?';
  int ppid = 0;
  if (sscanf(stat.c_str() + close + 1, " %c %d", &state, &ppid) != 2) return false;
  const char *p = stat.c_str() + close + 1;
  int field = 0;
  for (; *p && field < 20; field++) {
    while (*p == ' ') p++;
    fields[field] = strtoull(p, nullptr, 10);
    while (*p && *p != ' ') p++;
  }
  info.state = state;
  info.ppid = ppid;
  info.start_time = fields[19];
  return true;
}

inline std::vector<ProcInfo> children_of(pid_t parent) {
  std::vector<ProcInfo> out;
  DIR *dir = opendir("/proc");
  if (!dir) return out;
  while (dirent *entry = readdir(dir)) {
    pid_t pid = atoi(entry->d_name);
    ProcInfo info;
    if (pid > 0 && read_proc(pid, info) && info.ppid == parent) out.push_back(info);
  }
  closedir(dir);
  return out;
}

inline std::vector<pid_t> helper_pids(pid_t parent) {
  std::vector<pid_t> out;
  for (const ProcInfo &p : children_of(parent))
    if (p.comm == "forkless-helper" && p.state != 'Z') out.push_back(p.pid);
  return out;
}

}  // namespace e2e
