#include "path_search.h"

#include <cerrno>
#include <cstring>

namespace forkless::wire {

path_candidates::path_candidates(const char* file, const char* path)
    : file_(file),
      // glibc copies strnlen(file, NAME_MAX) + 1 bytes: the whole name and
      // its terminator, or the first NAME_MAX + 1 bytes of a longer one.
      file_length_(strnlen(file, NAME_MAX) + 1),
      entry_(path),
      path_length_(strnlen(path, PATH_MAX - 1) + 1) {}

bool path_candidates::next(char (&buffer)[kPathCandidateBytes]) {
  while (entry_ != nullptr) {
    const char* entry = entry_;
    const char* end = strchrnul(entry, ':');
    size_t length = static_cast<size_t>(end - entry);
    if (length >= path_length_) {
      // Too long for the buffer: skipped. The search goes on from its ':',
      // which reads as an empty entry (the current directory), as in glibc.
      entry_ = *end == '\0' ? nullptr : end;
      continue;
    }
    entry_ = *end == '\0' ? nullptr : end + 1;
    memcpy(buffer, entry, length);
    buffer[length] = '/';
    char* name = buffer + length + (length > 0 ? 1 : 0);  // an empty entry: the name alone
    memcpy(name, file_, file_length_);
    name[file_length_] = '\0';  // ends a name that was cut
    return true;
  }
  return false;
}

bool search_goes_on(int error) {
  switch (error) {
    case EACCES:
    case ENOENT:
    case ESTALE:
    case ENOTDIR:
    case ENODEV:
    case ETIMEDOUT:
      return true;
    default:
      return false;
  }
}

void search_path(const char* file, const char* path, path_attempt attempt, void* context) {
  if (file[0] == '\0') {
    errno = ENOENT;
    return;
  }
  if (strchr(file, '/') != nullptr) {
    attempt(file, context);
    return;
  }
  path_candidates candidates(file, path != nullptr ? path : kDefaultSearchPath);
  char buffer[kPathCandidateBytes];
  bool got_eacces = false;
  while (candidates.next(buffer)) {
    attempt(buffer, context);
    if (!search_goes_on(errno)) return;
    if (errno == EACCES) got_eacces = true;
  }
  if (got_eacces) errno = EACCES;
}

}  // namespace forkless::wire
