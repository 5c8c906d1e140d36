// Counting routes in the forkless diagnostics; see route_tally.h.
#include "route_tally.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace forkless_bench {

std::string route_counts::summary() const {
  if (!logging) return "-";
  return "helper=" + std::to_string(helper) + " emulated=" + std::to_string(emulated) +
         " native=" + std::to_string(native);
}

void route_tally::begin() {
  const char* path = std::getenv("FORKLESS_LOG_FILE");
  const char* level = std::getenv("FORKLESS_LOG");
  path_ = path != nullptr && level != nullptr && std::strcmp(level, "0") != 0 ? path : "";
  offset_ = 0;
  if (path_.empty()) return;
  if (FILE* file = std::fopen(path_.c_str(), "r")) {
    std::fseek(file, 0, SEEK_END);
    offset_ = std::ftell(file);
    std::fclose(file);
  }
}

route_counts route_tally::collect() {
  route_counts counts;
  if (path_.empty()) return counts;
  counts.logging = true;  // logging asked for: no file yet means no call was logged
  FILE* file = std::fopen(path_.c_str(), "r");
  if (file == nullptr) return counts;
  std::fseek(file, offset_, SEEK_SET);
  char prefix[48];
  std::snprintf(prefix, sizeof prefix, "forkless[%d]:", static_cast<int>(getpid()));
  char line[4096];
  while (std::fgets(line, sizeof line, file) != nullptr) {
    if (std::strncmp(line, prefix, std::strlen(prefix)) != 0) continue;
    if (std::strstr(line, " api=") == nullptr) continue;
    if (std::strstr(line, " route=helper")) ++counts.helper;
    else if (std::strstr(line, " route=emulated")) ++counts.emulated;
    else if (std::strstr(line, " route=native")) ++counts.native;
  }
  offset_ = std::ftell(file);
  std::fclose(file);
  return counts;
}

bool forkless_preloaded() {
  FILE* maps = std::fopen("/proc/self/maps", "r");
  if (maps == nullptr) return false;
  char line[4096];
  bool found = false;
  while (!found && std::fgets(line, sizeof line, maps) != nullptr)
    found = std::strstr(line, "libforkless") != nullptr;
  std::fclose(maps);
  return found;
}

}  // namespace forkless_bench
