// Which route forkless took for the calls of one case, read from its own
// diagnostics (FORKLESS_LOG=1, FORKLESS_LOG_FILE=path). Only lines of this
// process (forkless[PID] with our pid) holding api= and route= count: the
// children (/bin/true, sh) may share the file. Hazard: logging costs a write
// per call; the driver turns it on for the forkless leg only, where the route
// is the point of the measurement.
#pragma once

#include <string>

namespace forkless_bench {

struct route_counts {
  bool logging = false;  // FORKLESS_LOG_FILE was set and readable
  long helper = 0, emulated = 0, native = 0;
  std::string summary() const;  // "helper=40 native=0 emulated=0" or "-"
};

class route_tally {
 public:
  // Remembers the end of the log file; collect() reads what was added since.
  void begin();
  route_counts collect();

 private:
  std::string path_;
  long offset_ = 0;
};

// True if libforkless is mapped into this process.
bool forkless_preloaded();

}  // namespace forkless_bench
