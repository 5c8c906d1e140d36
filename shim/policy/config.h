// Settings read once from the environment (FORKLESS, FORKLESS_MODE, ...).
//
// parse_settings is a pure function of the variables' values so that unit
// tests can drive it; load_settings reads the real environment once, from the
// library constructor, before the program can change it. Invalid values give
// one diagnostics line each and the default: never a crash or an exit.
//
// Every process that inherits the library runs the constructor, most of them
// never spawning: settings stay a few words, and the two strings are copied
// (out of an environment the program may later overwrite, as process-title
// setters do) only when they are set.
#pragma once

#include <cstddef>

namespace forkless {

enum class spawn_mode { auto_threads, always, native };
enum class fork_mode { known, learn, all, native };
enum class helper_start { default_rule, eager, lazy };

inline constexpr int kMaxHelpersLimit = 64;
inline constexpr size_t kMaxLogFileText = 1024;
inline constexpr size_t kMaxForkSitesText = 4096;

struct settings {
  bool enabled = true;                     // FORKLESS=0 turns everything off
  spawn_mode mode = spawn_mode::auto_threads;
  fork_mode fork = fork_mode::known;
  int max_helpers = 4;                     // FORKLESS_HELPERS
  helper_start start = helper_start::default_rule;
  int log_level = 0;                       // FORKLESS_LOG
  const char* log_file = "";              // FORKLESS_LOG_FILE, empty: stderr
  const char* fork_sites = "";            // FORKLESS_FORK_SITES, comma list
};

// Values of the variables (nullptr when unset).
struct settings_input {
  const char* forkless = nullptr;
  const char* mode = nullptr;
  const char* fork = nullptr;
  const char* fork_sites = nullptr;
  const char* helpers = nullptr;
  const char* helper_start = nullptr;
  const char* log = nullptr;
  const char* log_file = nullptr;
};

// Receives one message per invalid value ("FORKLESS_MODE=foo is not one of ...").
using settings_warning_sink = void (*)(const char* message, void* context);

// The result's strings point into input's.
settings parse_settings(const settings_input& input, settings_warning_sink warn, void* context);

// The process's settings, loaded by the constructor (defaults before that).
const settings& current_settings();
void load_settings_from_environment();

const char* spawn_mode_name(spawn_mode mode);
const char* fork_mode_name(fork_mode mode);

}  // namespace forkless
