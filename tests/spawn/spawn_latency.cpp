// spawn_latency: posix_spawn latency from a threaded process, for comparing
// native and helper (not a pass/fail test; the runner's "latency" command and
// the report use it).
//
//   spawn_latency PROGRAM CALLERS SPAWNS_PER_CALLER
// CALLERS threads (plus one idle thread, so the process is multithreaded
// even with one caller) each run posix_spawn + waitpid SPAWNS_PER_CALLER
// times. Prints the median and mean time of the posix_spawn call itself and
// of the whole spawn-and-wait, in microseconds, and the wall time.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <vector>

extern char** environ;

namespace {

using clock_type = std::chrono::steady_clock;

double micros(clock_type::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: spawn_latency PROGRAM CALLERS SPAWNS_PER_CALLER\n");
    return 2;
  }
  char* program = argv[1];
  int callers = atoi(argv[2]), spawns = atoi(argv[3]);
  std::atomic<bool> stop{false};
  std::thread idle([&] {
    while (!stop) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  });
  std::vector<std::vector<double>> call_us(callers), round_us(callers);
  std::atomic<int> failures{0};
  auto started = clock_type::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < callers; ++c)
    threads.emplace_back([&, c] {
      char* child_argv[] = {program, nullptr};
      for (int i = 0; i < spawns; ++i) {
        pid_t pid;
        auto t0 = clock_type::now();
        int result = posix_spawn(&pid, program, nullptr, nullptr, child_argv, environ);
        auto t1 = clock_type::now();
        if (result != 0) {
          ++failures;
          continue;
        }
        int status;
        waitpid(pid, &status, 0);
        auto t2 = clock_type::now();
        call_us[c].push_back(micros(t1 - t0));
        round_us[c].push_back(micros(t2 - t0));
      }
    });
  for (auto& t : threads) t.join();
  double wall_ms = micros(clock_type::now() - started) / 1000;
  stop = true;
  idle.join();
  auto summarize = [](std::vector<std::vector<double>>& per_thread, double* median, double* mean) {
    std::vector<double> all;
    for (auto& v : per_thread) all.insert(all.end(), v.begin(), v.end());
    std::sort(all.begin(), all.end());
    double sum = 0;
    for (double x : all) sum += x;
    *median = all.empty() ? 0 : all[all.size() / 2];
    *mean = all.empty() ? 0 : sum / static_cast<double>(all.size());
  };
  double call_median, call_mean, round_median, round_mean;
  summarize(call_us, &call_median, &call_mean);
  summarize(round_us, &round_median, &round_mean);
  printf("callers=%d spawns=%d failures=%d call_median_us=%.0f call_mean_us=%.0f round_median_us=%.0f "
         "round_mean_us=%.0f wall_ms=%.0f\n",
         callers, callers * spawns, failures.load(), call_median, call_mean, round_median, round_mean, wall_ms);
  return failures.load() ? 1 : 0;
}
