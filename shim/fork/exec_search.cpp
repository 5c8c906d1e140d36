#include "exec_search.h"

#include <alloca.h>

#include <climits>
#include <cstddef>
#include <cstring>

#include <cerrno>

namespace forkless {
namespace {

// confstr(_CS_PATH) on Linux: the search path when PATH is unset.
constexpr char kDefaultPath[] = "/bin:/usr/bin";
constexpr char kShell[] = "/bin/sh";
// glibc bounds its stack buffer by __libc_alloca_cutoff: PATH_MAX +
// NAME_MAX bytes always pass it, which is all the buffer needs here.
constexpr size_t kBufferMax = PATH_MAX + NAME_MAX + 2;

// A file without #! that execve refused with ENOEXEC: /bin/sh runs it, with
// the original arguments after the file name.
void run_as_script(const char* file, char* const argv[], char* const envp[], execve_function exec) {
  size_t argc = 0;
  while (argv[argc] != nullptr) ++argc;
  auto** shell_argv = static_cast<char**>(alloca((argc + 3) * sizeof(char*)));
  shell_argv[0] = const_cast<char*>(kShell);
  shell_argv[1] = const_cast<char*>(file);
  size_t used = 2;
  for (size_t i = 1; i < argc; ++i) shell_argv[used++] = argv[i];
  shell_argv[used] = nullptr;
  exec(kShell, shell_argv, envp);
}

}  // namespace

const char* environment_value(char* const* env, const char* name) {
  if (env == nullptr) return nullptr;
  size_t length = strlen(name);
  for (char* const* entry = env; *entry != nullptr; ++entry) {
    if (strncmp(*entry, name, length) == 0 && (*entry)[length] == '=') return *entry + length + 1;
  }
  return nullptr;
}

int exec_searching_path(const char* file, char* const argv[], char* const envp[],
                        char* const* path_env, execve_function exec) {
  if (*file == '\0') {
    errno = ENOENT;
    return -1;
  }
  if (strchr(file, '/') != nullptr) {
    exec(file, argv, envp);
    if (errno == ENOEXEC) run_as_script(file, argv, envp, exec);
    return -1;
  }
  const char* path = environment_value(path_env, "PATH");
  if (path == nullptr) path = kDefaultPath;
  size_t file_length = strnlen(file, NAME_MAX + 1) + 1;
  size_t path_length = strnlen(path, PATH_MAX - 1) + 1;
  if (file_length - 1 > NAME_MAX) {
    errno = ENAMETOOLONG;
    return -1;
  }
  char buffer[kBufferMax];
  bool got_eacces = false;
  const char* next = nullptr;
  for (const char* entry = path;; entry = next) {
    next = strchrnul(entry, ':');
    size_t entry_length = static_cast<size_t>(next - entry);
    if (entry_length >= path_length) {
      // An entry longer than PATH was measured to be (PATH longer than
      // PATH_MAX) is skipped; as in glibc, the search goes on from its ':',
      // which reads as an empty entry (the cwd).
      if (*next == '\0') break;
      continue;
    }
    memcpy(buffer, entry, entry_length);
    buffer[entry_length] = '/';
    memcpy(buffer + entry_length + (entry_length > 0 ? 1 : 0), file, file_length);
    exec(buffer, argv, envp);
    if (errno == ENOEXEC) run_as_script(buffer, argv, envp, exec);
    switch (errno) {
      case EACCES:
        got_eacces = true;
        [[fallthrough]];
      case ENOENT:
      case ESTALE:
      case ENOTDIR:
      case ENODEV:
      case ETIMEDOUT:
        break;
      default:
        return -1;
    }
    if (*next == '\0') break;
    ++next;
  }
  if (got_eacces) errno = EACCES;
  return -1;
}

}  // namespace forkless
