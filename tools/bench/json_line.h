// One flat JSON object per line: written by the spawn cases, read back by the
// demo (which runs them as child processes). Hazard: only flat objects with
// plain keys and values without quotes or backslashes; enough for our own
// output, not a general JSON reader.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

namespace forkless_bench {

class json_line {
 public:
  json_line& add(const char* key, const std::string& value) {
    separate(key);
    text_ += "\"" + value + "\"";
    return *this;
  }
  json_line& add(const char* key, const char* value) { return add(key, std::string(value)); }
  json_line& add(const char* key, double value) {
    separate(key);
    char number[64];
    std::snprintf(number, sizeof number, "%.6g", value);
    text_ += number;
    return *this;
  }
  json_line& add(const char* key, long value) { return add(key, static_cast<double>(value)); }
  json_line& add(const char* key, int value) { return add(key, static_cast<double>(value)); }
  std::string str() const { return "{" + text_ + "}"; }

 private:
  void separate(const char* key) {
    if (!text_.empty()) text_ += ", ";
    text_ += "\"" + std::string(key) + "\": ";
  }
  std::string text_;
};

// The raw value of "key" in a line written by json_line ("" if absent).
inline std::string json_value(const std::string& line, const std::string& key) {
  size_t at = line.find("\"" + key + "\": ");
  if (at == std::string::npos) return "";
  at += key.size() + 4;
  if (at < line.size() && line[at] == '"') {
    size_t end = line.find('"', at + 1);
    return end == std::string::npos ? "" : line.substr(at + 1, end - at - 1);
  }
  size_t end = line.find_first_of(",}", at);
  return line.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

inline double json_number(const std::string& line, const std::string& key, double fallback) {
  std::string value = json_value(line, key);
  if (value.empty()) return fallback;
  char* end = nullptr;
  double number = std::strtod(value.c_str(), &end);
  return end != nullptr && *end == '\0' ? number : fallback;
}

}  // namespace forkless_bench
