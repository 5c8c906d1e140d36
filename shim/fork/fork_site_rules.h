// Which fork() call sites may be emulated: the pure rules, without any
// unwinding, so unit tests can drive them.
//
// A site is named by the symbol of a function on the caller's stack. A name
// matches a listed one when they are equal up to the first '.', so that the
// parts GCC splits off a function (uv_spawn.cold, f.part.0, f.isra.0,
// f.constprop.0) count as the function itself.
#pragma once

#include <cstddef>

namespace forkless {

enum class site_verdict {
  unlisted,    // on no list
  exec_bound,  // on the built-in list or FORKLESS_FORK_SITES: the child execs promptly
  denied,      // an interpreter-level fork: the child runs arbitrary code
};

// nullptr-terminated lists.
extern const char* const kBuiltinExecBoundSites[];
extern const char* const kDeniedSites[];

// Length of symbol up to its first '.', the part compared with the lists.
size_t site_base_length(const char* symbol);

// True when the first name_len characters of name equal one entry of the
// comma-separated list (blanks around entries are ignored).
bool name_in_comma_list(const char* name, size_t name_len, const char* list);

// The verdict for one function name; the deny list wins over both others.
site_verdict classify_site(const char* symbol, const char* extra_sites);

const char* site_verdict_name(site_verdict verdict);

// libuv's sites: their child renumbers descriptors with fcntl(F_DUPFD*) into
// an array the parent reads (emulated_child.h says how that is kept off the
// parent's memory).
bool site_renumbers_in_place(const char* symbol);

}  // namespace forkless
