// What a posix_spawn_file_actions_t holds, as the shim saw it being built.
//
// glibc's object is opaque (its __actions array holds private structs), so
// the interposers of init/destroy/add* call libc first and, when libc
// accepted the call, note the same action here, keyed by the object's
// address. At spawn time file_action_snapshot::take copies the record only if
// it still describes libc's object exactly: same number of actions as
// __used and the same __actions array as after the last add. An object the
// shim did not see being built (made before the library was loaded, copied
// with memcpy, changed in an emulated fork child, or a record lost to a
// failed allocation) has no matching record, and the call goes to libc.
#pragma once

#include <cstdint>
#include <spawn.h>

#include "spawn_request.h"

namespace forkless {

// init: a fresh, empty record (replacing any stale one at that address).
void note_file_actions_init(const posix_spawn_file_actions_t* object);
// destroy: the record is dropped.
void note_file_actions_destroy(const posix_spawn_file_actions_t* object);
// A successful add*: appends action (its path is copied). Without a record
// for object nothing is noted; if the copy cannot be made the record is
// marked unusable.
void note_file_action(const posix_spawn_file_actions_t* object, const wire::file_action& action);

// A private copy of the recorded actions of one object.
class file_action_snapshot {
 public:
  file_action_snapshot() = default;
  ~file_action_snapshot();
  file_action_snapshot(const file_action_snapshot&) = delete;
  file_action_snapshot& operator=(const file_action_snapshot&) = delete;

  // False when object has no record that matches it exactly (or no memory).
  bool take(const posix_spawn_file_actions_t* object);

  const wire::file_action* actions() const { return actions_; }
  uint32_t count() const { return count_; }

 private:
  wire::file_action* actions_ = nullptr;
  uint32_t count_ = 0;
};

// Test hook: how many objects have a record.
uint32_t recorded_file_action_objects();

}  // namespace forkless
