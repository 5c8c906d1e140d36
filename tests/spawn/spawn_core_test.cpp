// Unit tests of the posix_spawn core without LD_PRELOAD: the file-action
// record (spawn_file_actions.h) and the attribute conversion. libc's own
// posix_spawn_file_actions_* build the objects; the notes are made by hand,
// as the interposers would make them.
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <spawn.h>

#include "calls/posix_spawn_call.h"
#include "calls/spawn_file_actions.h"

namespace forkless {
namespace {

using wire::file_action_kind;

wire::file_action action(file_action_kind kind, int fd, const char* path = nullptr) {
  return wire::file_action{static_cast<uint32_t>(kind), fd, 0, O_RDONLY, 0, path};
}

TEST(SpawnFileActions, RecordedObjectIsCopiedInOrder) {
  posix_spawn_file_actions_t object;
  ASSERT_EQ(posix_spawn_file_actions_init(&object), 0);
  note_file_actions_init(&object);
  ASSERT_EQ(posix_spawn_file_actions_addopen(&object, 3, "/etc/hostname", O_RDONLY, 0), 0);
  note_file_action(&object, action(file_action_kind::open, 3, "/etc/hostname"));
  ASSERT_EQ(posix_spawn_file_actions_addclose(&object, 4), 0);
  note_file_action(&object, action(file_action_kind::close, 4));
  file_action_snapshot snapshot;
  ASSERT_TRUE(snapshot.take(&object));
  ASSERT_EQ(snapshot.count(), 2u);
  EXPECT_EQ(snapshot.actions()[0].kind, static_cast<uint32_t>(file_action_kind::open));
  EXPECT_STREQ(snapshot.actions()[0].path, "/etc/hostname");
  EXPECT_EQ(snapshot.actions()[1].fd, 4);
  posix_spawn_file_actions_destroy(&object);
  note_file_actions_destroy(&object);
  file_action_snapshot after;
  EXPECT_FALSE(after.take(&object));
}

TEST(SpawnFileActions, UnseenCopiedOrChangedObjectsAreRefused) {
  posix_spawn_file_actions_t object, copy;
  posix_spawn_file_actions_init(&object);
  file_action_snapshot unseen;
  EXPECT_FALSE(unseen.take(&object));  // built without the shim seeing init
  note_file_actions_init(&object);
  posix_spawn_file_actions_addclose(&object, 5);
  note_file_action(&object, action(file_action_kind::close, 5));
  memcpy(&copy, &object, sizeof copy);
  file_action_snapshot copied;
  EXPECT_FALSE(copied.take(&copy));
  posix_spawn_file_actions_addclose(&object, 6);  // added behind the shim's back
  file_action_snapshot changed;
  EXPECT_FALSE(changed.take(&object));
  posix_spawn_file_actions_addclose(&object, 7);  // seen again: too late, the record stays unusable
  note_file_action(&object, action(file_action_kind::close, 7));
  file_action_snapshot still;
  EXPECT_FALSE(still.take(&object));
  posix_spawn_file_actions_destroy(&object);
  note_file_actions_destroy(&object);
}

TEST(SpawnAttributes, ConvertedFromLibcsObject) {
  EXPECT_EQ(attributes_from(nullptr).flags, 0u);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_USEVFORK);
  sigset_t mask;
  sigfillset(&mask);
  posix_spawnattr_setsigmask(&attributes, &mask);
  wire::spawn_attributes out = attributes_from(&attributes);
  EXPECT_EQ(out.flags, uint32_t{wire::attr_setsid | wire::attr_setsigmask});
  EXPECT_EQ(out.signal_mask & (uint64_t{3} << 31), 0u);  // glibc's internal signals 32, 33
  EXPECT_NE(out.signal_mask & (uint64_t{1} << (SIGTERM - 1)), 0u);
  posix_spawnattr_destroy(&attributes);
}

}  // namespace
}  // namespace forkless
