#include "config.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "diagnostics.h"

namespace forkless {
namespace {

settings loaded;
// Copies of the two string settings, made only when they are set.
char log_file_copy[kMaxLogFileText];
char fork_sites_copy[kMaxForkSitesText];

struct name_value {
  const char* name;
  int value;
};

void warn_invalid(settings_warning_sink warn, void* context, const char* variable, const char* value,
                  const char* expected) {
  if (!warn) return;
  char message[512];
  snprintf(message, sizeof message, "warning=invalid_setting variable=%s value=\"%.120s\" expected=%s default_used",
           variable, value, expected);
  warn(message, context);
}

// Looks value up in choices; on no match warns and leaves *out unchanged.
template <typename Enum, size_t N>
void parse_choice(const char* value, const name_value (&choices)[N], const char* variable, const char* expected,
                  settings_warning_sink warn, void* context, Enum* out) {
  if (!value) return;
  for (const name_value& choice : choices) {
    if (strcmp(value, choice.name) == 0) {
      *out = static_cast<Enum>(choice.value);
      return;
    }
  }
  warn_invalid(warn, context, variable, value, expected);
}

bool parse_int(const char* value, long low, long high, long* out) {
  if (!value || !((*value >= '0' && *value <= '9') || *value == '-')) return false;
  char* end = nullptr;
  long number = strtol(value, &end, 10);
  if (*end != '\0' || number < low || number > high) return false;
  *out = number;
  return true;
}

void warn_to_diagnostics(const char* message, void*) { log_note(message); }

}  // namespace

settings parse_settings(const settings_input& input, settings_warning_sink warn, void* context) {
  settings result;
  if (input.forkless) {
    if (strcmp(input.forkless, "0") == 0)
      result.enabled = false;
    else if (strcmp(input.forkless, "1") != 0)
      warn_invalid(warn, context, "FORKLESS", input.forkless, "0|1");
  }
  static const name_value modes[] = {{"auto", static_cast<int>(spawn_mode::auto_threads)},
                                     {"always", static_cast<int>(spawn_mode::always)},
                                     {"native", static_cast<int>(spawn_mode::native)}};
  parse_choice(input.mode, modes, "FORKLESS_MODE", "auto|always|native", warn, context, &result.mode);
  static const name_value forks[] = {{"known", static_cast<int>(fork_mode::known)},
                                     {"learn", static_cast<int>(fork_mode::learn)},
                                     {"all", static_cast<int>(fork_mode::all)},
                                     {"native", static_cast<int>(fork_mode::native)}};
  parse_choice(input.fork, forks, "FORKLESS_FORK", "known|learn|all|native", warn, context, &result.fork);
  static const name_value starts[] = {{"eager", static_cast<int>(helper_start::eager)},
                                      {"lazy", static_cast<int>(helper_start::lazy)}};
  parse_choice(input.helper_start, starts, "FORKLESS_HELPER_START", "eager|lazy", warn, context, &result.start);
  long number;
  if (input.helpers) {
    if (parse_int(input.helpers, 1, kMaxHelpersLimit, &number))
      result.max_helpers = static_cast<int>(number);
    else
      warn_invalid(warn, context, "FORKLESS_HELPERS", input.helpers, "1..64");
  }
  if (input.log) {
    if (parse_int(input.log, 0, 2, &number))
      result.log_level = static_cast<int>(number);
    else
      warn_invalid(warn, context, "FORKLESS_LOG", input.log, "0|1|2");
  }
  if (input.log_file && *input.log_file) {
    if (strlen(input.log_file) < kMaxLogFileText)
      result.log_file = input.log_file;
    else
      warn_invalid(warn, context, "FORKLESS_LOG_FILE", input.log_file, "a_path_under_1024_bytes");
  }
  if (input.fork_sites && *input.fork_sites) {
    if (strlen(input.fork_sites) < kMaxForkSitesText)
      result.fork_sites = input.fork_sites;
    else
      warn_invalid(warn, context, "FORKLESS_FORK_SITES", "(too long)", "under_4096_bytes");
  }
  return result;
}

const settings& current_settings() { return loaded; }

void load_settings_from_environment() {
  settings_input input;
  input.forkless = getenv("FORKLESS");
  input.mode = getenv("FORKLESS_MODE");
  input.fork = getenv("FORKLESS_FORK");
  input.fork_sites = getenv("FORKLESS_FORK_SITES");
  input.helpers = getenv("FORKLESS_HELPERS");
  input.helper_start = getenv("FORKLESS_HELPER_START");
  input.log = getenv("FORKLESS_LOG");
  input.log_file = getenv("FORKLESS_LOG_FILE");
  // Parse once without warnings to learn where diagnostics go, then again
  // with warnings now that the log file is known.
  loaded = parse_settings(input, nullptr, nullptr);
  if (*loaded.log_file) loaded.log_file = strcpy(log_file_copy, loaded.log_file);
  settings checked = parse_settings(input, &warn_to_diagnostics, nullptr);
  checked.log_file = loaded.log_file;
  if (*checked.fork_sites) checked.fork_sites = strcpy(fork_sites_copy, checked.fork_sites);
  loaded = checked;
}

const char* spawn_mode_name(spawn_mode mode) {
  switch (mode) {
    case spawn_mode::auto_threads: return "auto";
    case spawn_mode::always: return "always";
    case spawn_mode::native: return "native";
  }
  return "?";
}

const char* fork_mode_name(fork_mode mode) {
  switch (mode) {
    case fork_mode::known: return "known";
    case fork_mode::learn: return "learn";
    case fork_mode::all: return "all";
    case fork_mode::native: return "native";
  }
  return "?";
}

}  // namespace forkless
