// The PATH search both sides make (protocol/path_search.h): the candidates
// glibc 2.36's execvp and posix_spawnp try, in order, for every shape of
// PATH, and the errno the search leaves. The attempt is a fake that records
// each candidate and fails it with the errno a test gives.
#include "path_search.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <climits>
#include <string>
#include <utility>
#include <vector>

using namespace forkless::wire;

namespace {

std::vector<std::string> candidates(const char* file, const char* path) {
  std::vector<std::string> found;
  path_candidates all(file, path);
  char buffer[kPathCandidateBytes];
  while (all.next(buffer)) found.emplace_back(buffer);
  return found;
}

using list = std::vector<std::string>;

struct fake_exec {
  list tried;
  std::vector<std::pair<std::string, int>> outcomes;  // errno per candidate; ENOENT for any other

  static void attempt(const char* candidate, void* context) {
    auto* self = static_cast<fake_exec*>(context);
    self->tried.emplace_back(candidate);
    errno = ENOENT;
    for (const auto& [where, error] : self->outcomes)
      if (where == candidate) errno = error;
  }

  int search(const char* file, const char* path) {
    tried.clear();
    errno = 0;
    search_path(file, path, &attempt, this);
    return errno;
  }
};

}  // namespace

TEST(PathCandidates, EachEntryInOrder) {
  EXPECT_EQ(candidates("tool", "/a:/b:/usr/local/bin"), (list{"/a/tool", "/b/tool", "/usr/local/bin/tool"}));
  EXPECT_EQ(candidates("tool", "/only"), (list{"/only/tool"}));
}

TEST(PathCandidates, EmptyEntriesAreTheWorkingDirectory) {
  EXPECT_EQ(candidates("tool", ""), (list{"tool"}));
  EXPECT_EQ(candidates("tool", ":"), (list{"tool", "tool"}));
  EXPECT_EQ(candidates("tool", "::"), (list{"tool", "tool", "tool"}));
  EXPECT_EQ(candidates("tool", ":/a"), (list{"tool", "/a/tool"}));
  EXPECT_EQ(candidates("tool", "/a:"), (list{"/a/tool", "tool"}));
  EXPECT_EQ(candidates("tool", "/a::/b"), (list{"/a/tool", "tool", "/b/tool"}));
}

TEST(PathCandidates, EntriesAreTakenAsTheyAre) {
  // No normalisation: a trailing slash doubles, relative entries stay
  // relative, "." is not the empty entry's bare name.
  EXPECT_EQ(candidates("tool", "/a/:bin:.:./x/"), (list{"/a//tool", "bin/tool", "./tool", "./x//tool"}));
  EXPECT_EQ(candidates("tool", "/"), (list{"//tool"}));
}

TEST(PathCandidates, DefaultSearchPathIsBinThenUsrBin) {
  EXPECT_EQ(candidates("tool", kDefaultSearchPath), (list{"/bin/tool", "/usr/bin/tool"}));
}

TEST(PathCandidates, NameIsCutAtNameMaxPlusOneBytes) {
  std::string longest(NAME_MAX, 'n');
  EXPECT_EQ(candidates(longest.c_str(), "/a"), (list{"/a/" + longest}));
  std::string cut(NAME_MAX + 1, 'n');
  EXPECT_EQ(candidates(cut.c_str(), "/a"), (list{"/a/" + cut}));
  std::string longer(NAME_MAX + 40, 'n');
  EXPECT_EQ(candidates(longer.c_str(), "/a:"), (list{"/a/" + cut, cut}));
}

TEST(PathCandidates, LongestEntryThatFitsFillsTheBuffer) {
  // A PATH longer than PATH_MAX - 1 admits entries up to PATH_MAX - 1 bytes,
  // which with '/', a name cut at NAME_MAX + 1 and the terminator fill the
  // buffer exactly.
  std::string entry(PATH_MAX - 1, 'd');
  std::string name(NAME_MAX + 10, 'n');
  std::string path = entry + ":/b";
  list found = candidates(name.c_str(), path.c_str());
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].size(), kPathCandidateBytes - 1);
  EXPECT_EQ(found[0], entry + "/" + std::string(NAME_MAX + 1, 'n'));
  EXPECT_EQ(found[1], "/b/" + std::string(NAME_MAX + 1, 'n'));
}

TEST(PathCandidates, TooLongEntryIsSkippedAndTheWorkingDirectoryTriedInstead) {
  std::string entry(PATH_MAX, 'd');
  EXPECT_EQ(candidates("tool", ("/a:" + entry + ":/b").c_str()), (list{"/a/tool", "tool", "/b/tool"}));
  EXPECT_EQ(candidates("tool", (entry + ":/b").c_str()), (list{"tool", "/b/tool"}));
}

TEST(PathCandidates, TooLongLastEntryEndsTheCandidates) {
  std::string entry(PATH_MAX + 100, 'd');
  EXPECT_EQ(candidates("tool", ("/a:" + entry).c_str()), (list{"/a/tool"}));
  EXPECT_EQ(candidates("tool", entry.c_str()), list{});
}

TEST(PathCandidates, EntryLimitFollowsTheMeasuredPathLength) {
  // An entry is too long only when it is at least as long as PATH measured
  // up to PATH_MAX - 1 bytes: PATH_MAX - 1 fits, PATH_MAX does not.
  std::string fits(PATH_MAX - 1, 'd'), too_long(PATH_MAX, 'd');
  EXPECT_EQ(candidates("t", (fits + ":").c_str()), (list{fits + "/t", "t"}));
  EXPECT_EQ(candidates("t", (too_long + ":").c_str()), (list{"t", "t"}));
}

TEST(PathCandidates, NothingAfterTheEnd) {
  path_candidates all("tool", "/a");
  char buffer[kPathCandidateBytes];
  ASSERT_TRUE(all.next(buffer));
  EXPECT_FALSE(all.next(buffer));
  EXPECT_FALSE(all.next(buffer));
}

TEST(SearchGoesOn, NotHereErrors) {
  for (int error : {EACCES, ENOENT, ESTALE, ENOTDIR, ENODEV, ETIMEDOUT}) EXPECT_TRUE(search_goes_on(error)) << error;
}

TEST(SearchGoesOn, AnyOtherErrorEndsTheSearch) {
  for (int error : {0, ENOEXEC, E2BIG, ENOMEM, EPERM, ELOOP, ENAMETOOLONG, ETXTBSY, EISDIR, EIO, EFAULT, -1})
    EXPECT_FALSE(search_goes_on(error)) << error;
}

TEST(SearchPath, EmptyFileIsEnoentWithoutAttempt) {
  fake_exec exec;
  EXPECT_EQ(exec.search("", "/a"), ENOENT);
  EXPECT_TRUE(exec.tried.empty());
}

TEST(SearchPath, FileWithSlashIsTriedAsItIs) {
  fake_exec exec;
  exec.outcomes = {{"./tool", E2BIG}};
  EXPECT_EQ(exec.search("./tool", "/a:/b"), E2BIG);
  EXPECT_EQ(exec.tried, (list{"./tool"}));
  exec.outcomes.clear();
  EXPECT_EQ(exec.search("dir/tool", "/a"), ENOENT);
  EXPECT_EQ(exec.tried, (list{"dir/tool"}));
  EXPECT_EQ(exec.search("/", "/a"), ENOENT);
  EXPECT_EQ(exec.tried, (list{"/"}));
}

TEST(SearchPath, NoPathMeansTheDefault) {
  fake_exec exec;
  EXPECT_EQ(exec.search("tool", nullptr), ENOENT);
  EXPECT_EQ(exec.tried, (list{"/bin/tool", "/usr/bin/tool"}));
}

TEST(SearchPath, EveryEntryTriedWhileNothingIsFound) {
  fake_exec exec;
  exec.outcomes = {{"/a/tool", ENOTDIR}, {"/b/tool", ESTALE}, {"/c/tool", ENODEV}, {"/d/tool", ETIMEDOUT}};
  EXPECT_EQ(exec.search("tool", "/a:/b:/c:/d:/e"), ENOENT);
  EXPECT_EQ(exec.tried, (list{"/a/tool", "/b/tool", "/c/tool", "/d/tool", "/e/tool"}));
}

TEST(SearchPath, LastNotHereErrorIsLeft) {
  fake_exec exec;
  exec.outcomes = {{"/b/tool", ENOTDIR}};
  EXPECT_EQ(exec.search("tool", "/a:/b"), ENOTDIR);
}

TEST(SearchPath, EaccesAnywhereIsReportedAtTheEnd) {
  fake_exec exec;
  exec.outcomes = {{"/a/tool", EACCES}};
  EXPECT_EQ(exec.search("tool", "/a:/b:/c"), EACCES);
  EXPECT_EQ(exec.tried, (list{"/a/tool", "/b/tool", "/c/tool"}));
  exec.outcomes = {{"/c/tool", EACCES}};
  EXPECT_EQ(exec.search("tool", "/a:/b:/c"), EACCES);
}

TEST(SearchPath, OtherErrorEndsTheSearchWithIt) {
  fake_exec exec;
  exec.outcomes = {{"/a/tool", EACCES}, {"/b/tool", ENOEXEC}};
  EXPECT_EQ(exec.search("tool", "/a:/b:/c"), ENOEXEC);
  EXPECT_EQ(exec.tried, (list{"/a/tool", "/b/tool"}));
  exec.outcomes = {{"/a/tool", E2BIG}};
  EXPECT_EQ(exec.search("tool", "/a:/b"), E2BIG);
  EXPECT_EQ(exec.tried, (list{"/a/tool"}));
}

TEST(SearchPath, EmptyPathTriesTheWorkingDirectoryOnly) {
  fake_exec exec;
  EXPECT_EQ(exec.search("tool", ""), ENOENT);
  EXPECT_EQ(exec.tried, (list{"tool"}));
}

TEST(SearchPath, LongNameIsTriedCut) {
  fake_exec exec;
  std::string name(NAME_MAX + 45, 'n');
  exec.outcomes = {{"/a/" + std::string(NAME_MAX + 1, 'n'), ENAMETOOLONG}};
  EXPECT_EQ(exec.search(name.c_str(), "/a:/b"), ENAMETOOLONG);
  EXPECT_EQ(exec.tried, (list{"/a/" + std::string(NAME_MAX + 1, 'n')}));
}
