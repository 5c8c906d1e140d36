// execvp/execvpe for the child of an emulated fork, which must take PATH
// from the environment it will exec with (its own, once the parent's environ
// is put back) instead of from environ. Otherwise the search is glibc 2.36's
// (protocol/path_search.h), with execvp's attempt: a file without #!
// (ENOEXEC) is run by /bin/sh. One difference: a name to search longer than
// NAME_MAX is ENAMETOOLONG at once, where glibc tries it cut to NAME_MAX + 1
// bytes (the errno then differs from glibc's where no directory named in PATH
// exists).
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
