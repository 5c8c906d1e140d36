// Unit tests of the fork site rules (no unwinding, no LD_PRELOAD).
#include "fork/fork_site_rules.h"

#include <gtest/gtest.h>

#include <cstring>

namespace forkless {
namespace {

TEST(ForkSiteRules, BuiltinSitesAreExecBound) {
  for (const char* name : {"uv_spawn", "uv__spawn_and_init_child", "uv__spawn_and_init_child_fork"}) {
    EXPECT_EQ(classify_site(name, ""), site_verdict::exec_bound) << name;
  }
}

// Sites with a child path that runs code on the parent's memory stay off the
// built-in list: Perl's child stringifies its arguments (tie and overload
// code) and, for the command "-", returns into Perl code; APR's child runs
// the pools' cleanups. A user may still name them.
TEST(ForkSiteRules, SitesWithAStrayChildPathAreNotBuiltin) {
  for (const char* name : {"Perl_pp_system", "Perl_my_popen_list", "Perl_my_popen", "Perl_pp_backtick",
                           "apr_proc_create"}) {
    EXPECT_EQ(classify_site(name, ""), site_verdict::unlisted) << name;
    EXPECT_EQ(classify_site(name, name), site_verdict::exec_bound) << name;
  }
}

TEST(ForkSiteRules, InterpreterForksAreDenied) {
  EXPECT_EQ(classify_site("Perl_pp_fork", ""), site_verdict::denied);
  EXPECT_EQ(classify_site("os_fork_impl", ""), site_verdict::denied);
}

TEST(ForkSiteRules, DenyListWinsOverUserSites) {
  EXPECT_EQ(classify_site("Perl_pp_fork", "Perl_pp_fork,os_fork_impl"), site_verdict::denied);
  EXPECT_EQ(classify_site("os_fork_impl", "os_fork_impl"), site_verdict::denied);
}

TEST(ForkSiteRules, UserSitesFromCommaList) {
  EXPECT_EQ(classify_site("spawn_worker", "a, spawn_worker ,b"), site_verdict::exec_bound);
  EXPECT_EQ(classify_site("spawn_work", "a,spawn_worker,b"), site_verdict::unlisted);
  EXPECT_EQ(classify_site("spawn_worker2", "spawn_worker"), site_verdict::unlisted);
  EXPECT_EQ(classify_site("x", ""), site_verdict::unlisted);
  EXPECT_EQ(classify_site("x", nullptr), site_verdict::unlisted);
  EXPECT_EQ(classify_site("", "x"), site_verdict::unlisted);
  EXPECT_EQ(classify_site(nullptr, "x"), site_verdict::unlisted);
  EXPECT_EQ(classify_site("x", ",,x,,"), site_verdict::exec_bound);
}

TEST(ForkSiteRules, CompilerSuffixesCountAsTheFunction) {
  EXPECT_EQ(classify_site("uv_spawn.cold", ""), site_verdict::exec_bound);
  EXPECT_EQ(classify_site("Perl_pp_fork.part.0", ""), site_verdict::denied);
  EXPECT_EQ(classify_site("spawn_worker.isra.0", "spawn_worker"), site_verdict::exec_bound);
  EXPECT_EQ(site_base_length("f.constprop.0"), 1u);
  EXPECT_EQ(site_base_length("plain"), 5u);
}

TEST(ForkSiteRules, CommaListMatchesWholeEntries) {
  const char* name = "abc";
  EXPECT_TRUE(name_in_comma_list(name, 3, "x,abc"));
  EXPECT_FALSE(name_in_comma_list(name, 3, "abcd,ab"));
  EXPECT_TRUE(name_in_comma_list("abcdef", 3, "abc"));  // a prefix length is a name
  EXPECT_FALSE(name_in_comma_list(name, 0, "abc"));
}

}  // namespace
}  // namespace forkless
