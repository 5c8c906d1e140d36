// The PATH search of glibc 2.36's execvp and posix_spawnp (posix/execvpe.c,
// __execvpe_common), made by both sides: the emulated fork child's execvp
// (shim/fork/exec_search.h) and the helper's posix_spawnp child
// (helper/spawn_child.cpp). The search is the same; only an attempt differs,
// and the caller gives it: execvp runs a file without #! (ENOEXEC) through
// /bin/sh, posix_spawnp does not.
//
// glibc's rules, quirks included: an empty file is ENOENT; a file with a '/'
// is tried as it is; an empty PATH entry is the current directory; the name
// is cut at NAME_MAX + 1 bytes (the kernel then refuses it); an entry too
// long for the buffer (only in a PATH longer than PATH_MAX) is skipped and,
// unless it is the last, the search goes on with an empty entry first;
// EACCES on any candidate is reported if nothing else was; any error other
// than "not here" ends the search.
//
// Both callers run between clone and exec: nothing here allocates or makes a
// system call, and candidates are built in the caller's buffer.
#pragma once

#include <climits>
#include <cstddef>

namespace forkless::wire {

// confstr(_CS_PATH) on Linux: the search path when PATH is unset.
inline constexpr char kDefaultSearchPath[] = "/bin:/usr/bin";

// Room for one candidate: an entry shorter than PATH_MAX (longer ones are
// skipped), '/', the name cut at NAME_MAX + 1 bytes, and the terminator.
inline constexpr size_t kPathCandidateBytes = PATH_MAX + NAME_MAX + 2;

// The candidates for a file without '/' along a PATH value, in glibc's
// order. Pure: it only reads file and path, which must outlive it.
class path_candidates {
 public:
  path_candidates(const char* file, const char* path);
  // Writes the next candidate, terminated, into buffer; false when none is
  // left.
  bool next(char (&buffer)[kPathCandidateBytes]);

 private:
  const char* file_;
  size_t file_length_;  // bytes of file copied into a candidate
  const char* entry_;   // where the next entry starts; nullptr once done
  size_t path_length_;  // entries this long or longer do not fit
};

// Whether the search goes on after a candidate failed with error: glibc's
// "not here" errors (EACCES among them, which is remembered).
bool search_goes_on(int error);

// One exec attempt of a candidate, returning only when it failed, with errno
// set.
using path_attempt = void (*)(const char* candidate, void* context);

// file searched along path (nullptr: kDefaultSearchPath), attempt called for
// each candidate in turn. Returns, when nothing could be exec'd, with errno
// as glibc's search leaves it.
void search_path(const char* file, const char* path, path_attempt attempt, void* context);

}  // namespace forkless::wire
