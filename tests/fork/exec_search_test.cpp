// Unit tests of the emulated child's execvp search (shim/fork/exec_search.h):
// the candidates tried, in order, and the errno left, against glibc 2.36's
// execvpe rules. The exec is a fake that records each attempt.
#include "fork/exec_search.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

namespace forkless {
namespace {

struct attempt {
  std::string path;
  std::vector<std::string> argv;
};

std::vector<attempt> attempts;
// errno the fake gives each path (ENOENT for any other).
std::vector<std::pair<std::string, int>> outcomes;

int fake_execve(const char* path, char* const argv[], char* const[]) {
  attempt made{path, {}};
  for (char* const* arg = argv; *arg != nullptr; ++arg) made.argv.emplace_back(*arg);
  attempts.push_back(made);
  errno = ENOENT;
  for (const auto& [where, error] : outcomes) {
    if (where == path) errno = error;
  }
  return -1;
}

std::vector<std::string> tried() {
  std::vector<std::string> paths;
  for (const attempt& made : attempts) paths.push_back(made.path);
  return paths;
}

int search(const char* file, const char* path_value) {
  attempts.clear();
  std::string entry = std::string("PATH=") + (path_value != nullptr ? path_value : "");
  char* with_path[] = {entry.data(), nullptr};
  char* without_path[] = {nullptr};
  char* argv[] = {const_cast<char*>("prog"), const_cast<char*>("arg"), nullptr};
  char* envp[] = {nullptr};
  return exec_searching_path(file, argv, envp, path_value != nullptr ? with_path : without_path, &fake_execve);
}

TEST(ExecSearch, PathComesFromTheGivenEnvironment) {
  outcomes.clear();
  EXPECT_EQ(search("tool", "/a:/b"), -1);
  EXPECT_EQ(errno, ENOENT);
  EXPECT_EQ(tried(), (std::vector<std::string>{"/a/tool", "/b/tool"}));
}

TEST(ExecSearch, UnsetPathIsBinThenUsrBin) {
  outcomes.clear();
  search("tool", nullptr);
  EXPECT_EQ(tried(), (std::vector<std::string>{"/bin/tool", "/usr/bin/tool"}));
}

TEST(ExecSearch, EmptyEntryIsTheWorkingDirectory) {
  outcomes.clear();
  search("tool", ":/a:");
  EXPECT_EQ(tried(), (std::vector<std::string>{"tool", "/a/tool", "tool"}));
}

TEST(ExecSearch, SlashMeansNoSearch) {
  outcomes.clear();
  search("./tool", "/a");
  EXPECT_EQ(tried(), (std::vector<std::string>{"./tool"}));
}

TEST(ExecSearch, EmptyFileIsEnoent) {
  outcomes.clear();
  EXPECT_EQ(search("", "/a"), -1);
  EXPECT_EQ(errno, ENOENT);
  EXPECT_TRUE(tried().empty());
}

TEST(ExecSearch, EaccesIsReportedWhenNothingElseWorked) {
  outcomes = {{"/a/tool", EACCES}};
  search("tool", "/a:/b");
  EXPECT_EQ(errno, EACCES);
  EXPECT_EQ(tried(), (std::vector<std::string>{"/a/tool", "/b/tool"}));
}

TEST(ExecSearch, OtherErrorsEndTheSearch) {
  outcomes = {{"/a/tool", E2BIG}};
  search("tool", "/a:/b");
  EXPECT_EQ(errno, E2BIG);
  EXPECT_EQ(tried(), (std::vector<std::string>{"/a/tool"}));
}

TEST(ExecSearch, NoExecFileRunsThroughTheShell) {
  outcomes = {{"/a/script", ENOEXEC}};
  search("script", "/a");
  ASSERT_EQ(tried(), (std::vector<std::string>{"/a/script", "/bin/sh"}));
  EXPECT_EQ(attempts[1].argv, (std::vector<std::string>{"/bin/sh", "/a/script", "arg"}));
}

TEST(ExecSearch, TooLongNameIsEnametoolong) {
  outcomes.clear();
  std::string name(300, 'x');
  EXPECT_EQ(search(name.c_str(), "/a"), -1);
  EXPECT_EQ(errno, ENAMETOOLONG);
  EXPECT_TRUE(tried().empty());
}

TEST(ExecSearch, EnvironmentValue) {
  char a[] = "PATHX=no", b[] = "PATH=yes";
  char* env[] = {a, b, nullptr};
  EXPECT_STREQ(environment_value(env, "PATH"), "yes");
  EXPECT_EQ(environment_value(env, "HOME"), nullptr);
  EXPECT_EQ(environment_value(nullptr, "PATH"), nullptr);
}

}  // namespace
}  // namespace forkless
