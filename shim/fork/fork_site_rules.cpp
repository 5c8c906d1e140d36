#include "fork_site_rules.h"

#include <cstring>

namespace forkless {

// Functions whose fork() child runs only exec-bound code (descriptor set-up,
// chdir, setsid, set*id, signal resets) and then execs or _exits, on every
// path; each is argued path by path in docs/fork-sites.md:
// - libuv (Node's own binary exports it; Debian's libuv1 too): uv_spawn calls
//   fork() itself in 1.44 (Debian) and, with its helpers inlined, in Node 20's
//   1.46; the named helpers are listed for builds that keep them apart.
// Not listed, because a path of their child runs code on the parent's memory
// that the frames cannot tell from the others (docs/fork-sites.md): Perl's
// sites (Perl_pp_system, Perl_my_popen_list, Perl_my_popen, Perl_pp_backtick:
// the child stringifies the arguments, running tie and overload code, and for
// the command "-" returns into Perl code); APR's apr_proc_create (the child
// runs and unlinks the pools' cleanups).
const char* const kBuiltinExecBoundSites[] = {
    "uv_spawn",
    "uv__spawn_and_init_child",
    "uv__spawn_and_init_child_fork",
    nullptr,
};

// Forks that give the child to interpreted code: never emulated, whatever
// FORKLESS_FORK_SITES says, wherever they appear in the frames looked at.
const char* const kDeniedSites[] = {
    "Perl_pp_fork",                 // Perl fork()
    "os_fork_impl",                 // Python os.fork()
    "os_fork",
    "os_forkpty_impl",              // Python os.forkpty()
    "os_fork1_impl",
    "do_fork_exec",                 // Python subprocess with preexec_fn
    "subprocess_fork_exec",
    "subprocess_fork_exec_impl",
    "zif_pcntl_fork",               // PHP pcntl_fork()
    "rb_fork_ruby",                 // Ruby fork
    "rb_f_fork",
    nullptr,
};

size_t site_base_length(const char* symbol) {
  const char* dot = strchr(symbol, '.');
  return dot != nullptr ? static_cast<size_t>(dot - symbol) : strlen(symbol);
}

namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

bool name_in_table(const char* name, size_t name_len, const char* const* table) {
  for (const char* const* entry = table; *entry != nullptr; ++entry) {
    if (strlen(*entry) == name_len && memcmp(*entry, name, name_len) == 0) return true;
  }
  return false;
}

}  // namespace

bool name_in_comma_list(const char* name, size_t name_len, const char* list) {
  if (list == nullptr || name_len == 0) return false;
  const char* cursor = list;
  while (*cursor != '\0') {
    while (is_blank(*cursor) || *cursor == ',') ++cursor;
    const char* begin = cursor;
    while (*cursor != '\0' && *cursor != ',') ++cursor;
    const char* end = cursor;
    while (end > begin && is_blank(end[-1])) --end;
    if (static_cast<size_t>(end - begin) == name_len && memcmp(begin, name, name_len) == 0) {
      return true;
    }
  }
  return false;
}

site_verdict classify_site(const char* symbol, const char* extra_sites) {
  if (symbol == nullptr || symbol[0] == '\0') return site_verdict::unlisted;
  size_t length = site_base_length(symbol);
  if (length == 0) return site_verdict::unlisted;
  if (name_in_table(symbol, length, kDeniedSites)) return site_verdict::denied;
  if (name_in_table(symbol, length, kBuiltinExecBoundSites)) return site_verdict::exec_bound;
  if (name_in_comma_list(symbol, length, extra_sites)) return site_verdict::exec_bound;
  return site_verdict::unlisted;
}

bool site_renumbers_in_place(const char* symbol) {
  return symbol != nullptr && strncmp(symbol, "uv_", 3) == 0;
}

const char* site_verdict_name(site_verdict verdict) {
  switch (verdict) {
    case site_verdict::exec_bound: return "exec_bound";
    case site_verdict::denied: return "denied";
    case site_verdict::unlisted: break;
  }
  return "unlisted";
}

}  // namespace forkless
