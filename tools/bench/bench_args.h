// Command-line options of forkless-bench: "--key value" pairs, and the words
// after "--" (a command to run). Hazard: values are parsed strictly; a bad
// number is reported, never silently read as 0.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace forkless_bench {

class bench_args {
 public:
  // Parses argv[first..argc); returns false (and error()) on malformed input.
  bool parse(int argc, char** argv, int first);
  const std::string& error() const { return error_; }

  bool has(const std::string& key) const { return values_.count(key) != 0; }
  std::string text(const std::string& key, const std::string& fallback) const;
  double number(const std::string& key, double fallback);
  // Comma-separated list, e.g. "--writers 0,1,4".
  std::vector<std::string> list(const std::string& key, const std::string& fallback) const;
  std::vector<double> numbers(const std::string& key, const std::string& fallback);
  const std::vector<std::string>& command() const { return command_; }

 private:
  std::map<std::string, std::string> values_;
  std::vector<std::string> command_;
  std::string error_;
};

}  // namespace forkless_bench
