#include "exec_search.h"

#include <alloca.h>

#include <cerrno>
#include <climits>
#include <cstddef>
#include <cstring>

#include "path_search.h"

namespace forkless {
namespace {

constexpr char kShell[] = "/bin/sh";

struct exec_call {
  char* const* argv;
  char* const* envp;
  execve_function exec;
};

// A file without #! that execve refused with ENOEXEC: /bin/sh runs it, with
// the original arguments after the file name.
void run_as_script(const char* file, const exec_call& call) {
  size_t argc = 0;
  while (call.argv[argc] != nullptr) ++argc;
  auto** shell_argv = static_cast<char**>(alloca((argc + 3) * sizeof(char*)));
  shell_argv[0] = const_cast<char*>(kShell);
  shell_argv[1] = const_cast<char*>(file);
  size_t used = 2;
  for (size_t i = 1; i < argc; ++i) shell_argv[used++] = call.argv[i];
  shell_argv[used] = nullptr;
  call.exec(kShell, shell_argv, call.envp);
}

// execvp's attempt: the candidate, then /bin/sh when it has no #!.
void exec_or_run_as_script(const char* candidate, void* context) {
  const exec_call& call = *static_cast<const exec_call*>(context);
  call.exec(candidate, call.argv, call.envp);
  if (errno == ENOEXEC) run_as_script(candidate, call);
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
  // A name to search that is longer than NAME_MAX is refused before any
  // attempt (glibc tries it cut to NAME_MAX + 1 bytes, which the kernel
  // refuses when the entry's directory exists).
  if (file[0] != '\0' && strchr(file, '/') == nullptr && strnlen(file, NAME_MAX + 1) > NAME_MAX) {
    errno = ENAMETOOLONG;
    return -1;
  }
  exec_call call{argv, envp, exec};
  wire::search_path(file, environment_value(path_env, "PATH"), &exec_or_run_as_script, &call);
  return -1;
}

}  // namespace forkless
