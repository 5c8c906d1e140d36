// What decides that a helper cannot carry the caller's context
// (helper_client/helper_identity.h): every field of the part compared on
// each call, the order in which differences are named, the costly part's
// first comparison and later ones; and which calls make the shim compare
// the costly part again or go native (restriction_watch.h).
#include <gtest/gtest.h>

#include <linux/prctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "helper_client/helper_identity.h"
#include "helper_client/restriction_watch.h"

using namespace forkless;

namespace {

helper_identity sample() {
  helper_identity identity;
  memset(&identity, 0, sizeof identity);
  identity.uid[0] = identity.uid[1] = identity.uid[2] = 1000;
  identity.gid[0] = identity.gid[1] = identity.gid[2] = 1000;
  identity.group_count = 3;
  identity.groups_hash = 0x1234;
  identity.capabilities[1] = 0xffff;
  identity.securebits = 0;
  identity.no_new_privs = 0;
  identity.memory_deny_write_execute = -1;  // a kernel before 6.3: the call fails alike
  identity.seccomp_mode = 0;
  identity.session_keyring = 77;
  identity.session = 4242;
  identity.root_device = 0xfe00;
  identity.root_inode = 2;
  identity.cgroup_hash = 0x5678;
  identity.costly_generation = 5;
  identity.seccomp_filters = 0;
  identity.bounding_and_ambient_hash = 0xabcd;
  identity.lsm_label_hash = 0xef01;
  return identity;
}

std::string cheap_difference(const helper_identity& now, const helper_identity& helper) {
  const char* name = cheap_identity_difference(now, helper);
  return name != nullptr ? name : "";
}

struct change {
  const char* name;
  std::function<void(helper_identity&)> apply;
};

// One change per field compared on every call, in the order they are named.
const std::vector<change>& cheap_changes() {
  static const std::vector<change> changes = {
      {"ids", [](helper_identity& i) { i.uid[0] = 0; }},
      {"ids", [](helper_identity& i) { i.uid[1] = 0; }},
      {"ids", [](helper_identity& i) { i.uid[2] = 0; }},
      {"ids", [](helper_identity& i) { i.gid[0] = 0; }},
      {"ids", [](helper_identity& i) { i.gid[2] = 0; }},
      {"groups", [](helper_identity& i) { i.group_count = 4; }},
      {"groups", [](helper_identity& i) { i.groups_hash = 1; }},
      {"capabilities", [](helper_identity& i) { i.capabilities[0] = 1; }},
      {"capabilities", [](helper_identity& i) { i.capabilities[5] = 1; }},
      {"securebits", [](helper_identity& i) { i.securebits = 1; }},
      {"no_new_privs", [](helper_identity& i) { i.no_new_privs = 1; }},
      {"memory_deny_write_execute", [](helper_identity& i) { i.memory_deny_write_execute = 1; }},
      {"seccomp", [](helper_identity& i) { i.seccomp_mode = 2; }},
      {"session_keyring", [](helper_identity& i) { i.session_keyring = 78; }},
      {"session", [](helper_identity& i) { i.session = 1; }},
      {"root", [](helper_identity& i) { i.root_device = 1; }},
      {"root", [](helper_identity& i) { i.root_inode = 3; }},
      {"cgroup", [](helper_identity& i) { i.cgroup_hash = 0; }},
  };
  return changes;
}

}  // namespace

TEST(IdentityCheap, SameIdentityMatches) {
  EXPECT_EQ(cheap_identity_difference(sample(), sample()), nullptr);
}

TEST(IdentityCheap, EachFieldIsNamed) {
  for (const change& each : cheap_changes()) {
    helper_identity now = sample();
    each.apply(now);
    EXPECT_EQ(cheap_difference(now, sample()), each.name);
    // A difference counts whichever side holds the other value.
    EXPECT_EQ(cheap_difference(sample(), now), each.name);
  }
}

TEST(IdentityCheap, FirstDifferenceInOrderIsNamed) {
  const std::vector<change>& changes = cheap_changes();
  for (size_t first = 0; first < changes.size(); ++first) {
    helper_identity now = sample();
    for (size_t i = first; i < changes.size(); ++i) changes[i].apply(now);
    EXPECT_EQ(cheap_difference(now, sample()), changes[first].name) << first;
  }
}

TEST(IdentityCheap, UnreadableGroupsNeverMatch) {
  helper_identity now = sample(), helper = sample();
  now.group_count = helper.group_count = -1;
  now.groups_hash = helper.groups_hash = 0;
  EXPECT_EQ(cheap_difference(now, helper), "groups");
  // The helper's own failed read does not match a real set either.
  EXPECT_EQ(cheap_difference(sample(), helper), "groups");
}

TEST(IdentityCheap, TheLazyPartsAreNotCompared) {
  // Namespaces and the costly part have comparisons of their own.
  helper_identity now = sample();
  now.namespaces_known = true;
  now.namespace_ids[0] = 99;
  now.costly_known = true;
  now.costly_generation = 1;
  now.seccomp_filters = 7;
  now.bounding_and_ambient_hash = 1;
  now.lsm_label_hash = 1;
  EXPECT_EQ(cheap_identity_difference(now, sample()), nullptr);
}

TEST(IdentityCostly, FirstComparisonAdoptsTheCallersReading) {
  helper_identity helper = sample();
  helper.costly_known = false;
  helper.seccomp_filters = -1;
  helper.bounding_and_ambient_hash = 0;
  helper.lsm_label_hash = 0;
  helper_identity costly = sample();
  costly.seccomp_filters = 2;
  costly.bounding_and_ambient_hash = 0x1111;
  costly.lsm_label_hash = 0x2222;
  EXPECT_EQ(costly_identity_difference(helper, costly, helper.costly_generation), nullptr);
  EXPECT_TRUE(helper.costly_known);
  EXPECT_EQ(helper.seccomp_filters, 2);
  EXPECT_EQ(helper.bounding_and_ambient_hash, 0x1111u);
  EXPECT_EQ(helper.lsm_label_hash, 0x2222u);
  // From then on it is compared.
  EXPECT_EQ(costly_identity_difference(helper, costly, helper.costly_generation + 9), nullptr);
  costly.seccomp_filters = 3;
  EXPECT_STREQ(costly_identity_difference(helper, costly, helper.costly_generation), "seccomp_filters");
}

TEST(IdentityCostly, MovedGenerationBeforeTheFirstComparisonIsUnknown) {
  helper_identity helper = sample();
  helper.costly_known = false;
  helper_identity costly = sample();
  EXPECT_STREQ(costly_identity_difference(helper, costly, helper.costly_generation + 1), "filters_unknown");
  EXPECT_FALSE(helper.costly_known);
  EXPECT_STREQ(costly_identity_difference(helper, costly, helper.costly_generation - 1), "filters_unknown");
}

TEST(IdentityCostly, EachFieldIsNamedInOrder) {
  helper_identity helper = sample();
  helper.costly_known = true;
  helper_identity costly = sample();
  EXPECT_EQ(costly_identity_difference(helper, costly, 0), nullptr);
  costly.lsm_label_hash = 0;
  EXPECT_STREQ(costly_identity_difference(helper, costly, 0), "lsm_label");
  costly.bounding_and_ambient_hash = 0;
  EXPECT_STREQ(costly_identity_difference(helper, costly, 0), "bounding_or_ambient");
  costly.seccomp_filters = 1;
  EXPECT_STREQ(costly_identity_difference(helper, costly, 0), "seccomp_filters");
  // A known helper's values are never replaced.
  EXPECT_EQ(helper.seccomp_filters, 0);
  EXPECT_EQ(helper.lsm_label_hash, 0xef01u);
}

TEST(IdentityMatches, ThisThreadMatchesItselfThenNotAfterAChange) {
  // The readers around the pure parts: a helper captured from this thread
  // (its namespaces read from this process) matches this thread.
  helper_identity helper;
  capture_identity(&helper);
  const char* what = "untouched";
  EXPECT_TRUE(identity_matches(helper, getpid(), &what)) << what;
  EXPECT_STREQ(what, "untouched");
  EXPECT_TRUE(helper.namespaces_known);
  EXPECT_TRUE(helper.costly_known);
  helper.session += 1;
  EXPECT_FALSE(identity_matches(helper, getpid(), &what));
  EXPECT_STREQ(what, "session");
}

TEST(RestrictionEffect, PrctlOptionsThatChangeTheCostlyPart) {
  for (int option : {PR_SET_SECCOMP, PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP, PR_CAP_AMBIENT})
    EXPECT_EQ(prctl_effect(option), restriction_effect::compare_again) << option;
  for (int option : {PR_SET_NAME, PR_SET_PDEATHSIG, PR_GET_SECCOMP, PR_GET_NO_NEW_PRIVS, PR_CAPBSET_READ,
                     PR_SET_SECUREBITS, PR_SET_KEEPCAPS, PR_SET_DUMPABLE, 0, -1, 1 << 30})
    EXPECT_EQ(prctl_effect(option), restriction_effect::none) << option;
}

TEST(RestrictionEffect, SystemCalls) {
  for (long number : {long{SYS_unshare}, long{SYS_setns}, long{SYS_seccomp}}) {
    EXPECT_EQ(system_call_effect(number, 0, 0), restriction_effect::compare_again) << number;
    // Whatever the outcome: a failed call is compared again too.
    EXPECT_EQ(system_call_effect(number, 0, -1), restriction_effect::compare_again) << number;
  }
  for (long number : {long{SYS_getpid}, long{SYS_keyctl}, long{SYS_landlock_create_ruleset},
                      long{SYS_landlock_add_rule}, -1L, 100000L})
    EXPECT_EQ(system_call_effect(number, 0, 0), restriction_effect::none) << number;
}

TEST(RestrictionEffect, LandlockDomainOnlyWhenMade) {
  EXPECT_EQ(system_call_effect(SYS_landlock_restrict_self, 3, 0), restriction_effect::landlock_domain);
  EXPECT_EQ(system_call_effect(SYS_landlock_restrict_self, 3, -1), restriction_effect::none);
}

TEST(RestrictionEffect, PrctlThroughSyscallIsPrctl) {
  EXPECT_EQ(system_call_effect(SYS_prctl, PR_CAPBSET_DROP, 0), restriction_effect::compare_again);
  EXPECT_EQ(system_call_effect(SYS_prctl, PR_CAP_AMBIENT, -1), restriction_effect::compare_again);
  EXPECT_EQ(system_call_effect(SYS_prctl, PR_SET_NAME, 0), restriction_effect::none);
  // The option is an int: the upper bits of the argument register are not
  // part of it.
  EXPECT_EQ(system_call_effect(SYS_prctl, (1L << 32) | PR_SET_SECCOMP, 0), restriction_effect::compare_again);
}
