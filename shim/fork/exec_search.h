// execvp/execvpe for the child of an emulated fork, which must take PATH
// from the environment it will exec with (its own, once the parent's environ
// is put back) instead of from environ. Otherwise the search follows glibc
// 2.36's posix/execvpe.c to the letter: an empty file is ENOENT, a name with
// '/' is exec'd as it is, PATH unset means "/bin:/usr/bin", an empty PATH
// entry is the cwd, a file without #! (ENOEXEC) is run by /bin/sh, EACCES on
// any entry is reported if nothing else was, any error other than "not
// here" (ENOENT, ESTALE, ENOTDIR, ENODEV, ETIMEDOUT) ends the search.
//
// No allocation: the candidate paths are built on the stack.
#pragma once

namespace forkless {

using execve_function = int (*)(const char*, char* const*, char* const*);

// The value of name in env (a null-terminated array of "NAME=value"), or
// nullptr.
const char* environment_value(char* const* env, const char* name);

// file searched in the PATH of path_env, exec'd with envp. Returns -1 with
// errno set, as execvpe does when nothing could be exec'd (a successful exec
// does not return).
int exec_searching_path(const char* file, char* const argv[], char* const envp[],
                        char* const* path_env, execve_function exec);

}  // namespace forkless
