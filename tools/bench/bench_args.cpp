// Strict "--key value" parsing; see bench_args.h.
#include "bench_args.h"

#include <cerrno>
#include <cstdlib>

namespace forkless_bench {

bool bench_args::parse(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) {
    std::string word = argv[i];
    if (word == "--") {
      command_.assign(argv + i + 1, argv + argc);
      return true;
    }
    if (word.rfind("--", 0) != 0 || word.size() < 3) {
      error_ = "unexpected argument '" + word + "'";
      return false;
    }
    if (i + 1 >= argc) {
      error_ = "option " + word + " needs a value";
      return false;
    }
    values_[word.substr(2)] = argv[++i];
  }
  return true;
}

std::string bench_args::text(const std::string& key, const std::string& fallback) const {
  auto found = values_.find(key);
  return found == values_.end() ? fallback : found->second;
}

static bool parse_number(const std::string& word, double* out) {
  if (word.empty()) return false;
  errno = 0;
  char* end = nullptr;
  double value = std::strtod(word.c_str(), &end);
  if (errno != 0 || end == nullptr || *end != '\0' || value < 0) return false;
  *out = value;
  return true;
}

double bench_args::number(const std::string& key, double fallback) {
  auto found = values_.find(key);
  if (found == values_.end()) return fallback;
  double value = 0;
  if (!parse_number(found->second, &value)) {
    error_ = "option --" + key + ": '" + found->second + "' is not a non-negative number";
    return fallback;
  }
  return value;
}

std::vector<std::string> bench_args::list(const std::string& key, const std::string& fallback) const {
  std::string joined = text(key, fallback);
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= joined.size()) {
    size_t comma = joined.find(',', start);
    if (comma == std::string::npos) comma = joined.size();
    if (comma > start) items.push_back(joined.substr(start, comma - start));
    start = comma + 1;
  }
  return items;
}

std::vector<double> bench_args::numbers(const std::string& key, const std::string& fallback) {
  std::vector<double> values;
  for (const std::string& item : list(key, fallback)) {
    double value = 0;
    if (!parse_number(item, &value)) {
      error_ = "option --" + key + ": '" + item + "' is not a non-negative number";
      continue;
    }
    values.push_back(value);
  }
  return values;
}

}  // namespace forkless_bench
