// Hazards, and how each is handled:
//  - Objects are built by any thread: one lock guards the table
//    (shim_lock::spawn_file_actions, safe across a fork: fork_safe_lock.h).
//    It is held only for a lookup and a copy, never across a libc call that
//    could re-enter the shim. (An emulated fork's child passes every call
//    straight to libc and never touches this table.)
//  - A record can go stale without the shim knowing (object copied, changed
//    behind our back, memory reused without destroy): the snapshot is only
//    taken when libc's own count (__used) and array (__actions) still match
//    what was seen after the last recorded call; otherwise libc spawns.
#include "spawn_file_actions.h"

#include <cstdlib>
#include <cstring>

#include "support/fork_safe_lock.h"

namespace forkless {
namespace {

struct record {
  const void* key;
  record* next;
  bool usable;
  int libc_used;             // __used after the last recorded call
  const void* libc_actions;  // __actions after the last recorded call
  uint32_t count;
  uint32_t capacity;
  wire::file_action* actions;  // paths are owned (strdup)
};

constexpr size_t kBuckets = 256;
record* buckets[kBuckets];
uint32_t object_count;

size_t bucket_of(const void* key) {
  auto value = reinterpret_cast<uintptr_t>(key);
  return (value >> 4 ^ value >> 12) % kBuckets;
}

record** find_link(const void* key) {
  record** link = &buckets[bucket_of(key)];
  while (*link && (*link)->key != key) link = &(*link)->next;
  return link;
}

void free_actions(wire::file_action* actions, uint32_t count) {
  for (uint32_t i = 0; i < count; ++i) free(const_cast<char*>(actions[i].path));
  free(actions);
}

void clear(record* entry) {
  free_actions(entry->actions, entry->count);
  entry->actions = nullptr;
  entry->count = entry->capacity = 0;
}

void remember_libc_state(record* entry, const posix_spawn_file_actions_t* object) {
  entry->libc_used = object->__used;
  entry->libc_actions = object->__actions;
}

}  // namespace

void note_file_actions_init(const posix_spawn_file_actions_t* object) {
  locked guard(shim_lock::spawn_file_actions);
  record** link = find_link(object);
  record* entry = *link;
  if (!entry) {
    entry = static_cast<record*>(calloc(1, sizeof(record)));
    if (!entry) return;  // no record: spawns with this object go to libc
    entry->key = object;
    *link = entry;
    ++object_count;
  }
  clear(entry);
  entry->usable = true;
  remember_libc_state(entry, object);
}

void note_file_actions_destroy(const posix_spawn_file_actions_t* object) {
  locked guard(shim_lock::spawn_file_actions);
  record** link = find_link(object);
  record* entry = *link;
  if (!entry) return;
  *link = entry->next;
  --object_count;
  clear(entry);
  free(entry);
}

void note_file_action(const posix_spawn_file_actions_t* object, const wire::file_action& action) {
  locked guard(shim_lock::spawn_file_actions);
  record* entry = *find_link(object);
  if (!entry || !entry->usable) return;
  // libc must have grown by exactly this one action since what we recorded.
  if (entry->libc_used != static_cast<int>(entry->count) || object->__used != entry->libc_used + 1) {
    entry->usable = false;
    return;
  }
  if (entry->count == entry->capacity) {
    uint32_t capacity = entry->capacity ? entry->capacity * 2 : 8;
    auto* grown = static_cast<wire::file_action*>(realloc(entry->actions, capacity * sizeof(wire::file_action)));
    if (!grown) {
      entry->usable = false;
      return;
    }
    entry->actions = grown;
    entry->capacity = capacity;
  }
  wire::file_action copy = action;
  if (action.path) {
    copy.path = strdup(action.path);
    if (!copy.path) {
      entry->usable = false;
      return;
    }
  }
  entry->actions[entry->count++] = copy;
  remember_libc_state(entry, object);
}

file_action_snapshot::~file_action_snapshot() { free(actions_); }

bool file_action_snapshot::take(const posix_spawn_file_actions_t* object) {
  locked guard(shim_lock::spawn_file_actions);
  const record* entry = *find_link(object);
  if (!entry || !entry->usable || entry->libc_used != object->__used ||
      entry->libc_actions != object->__actions || static_cast<int>(entry->count) != object->__used)
    return false;
  size_t bytes = entry->count * sizeof(wire::file_action);
  for (uint32_t i = 0; i < entry->count; ++i)
    if (entry->actions[i].path) bytes += strlen(entry->actions[i].path) + 1;
  if (entry->count == 0) {
    count_ = 0;
    return true;
  }
  auto* block = static_cast<char*>(malloc(bytes));
  if (!block) return false;
  auto* actions = reinterpret_cast<wire::file_action*>(block);
  char* strings = block + entry->count * sizeof(wire::file_action);
  for (uint32_t i = 0; i < entry->count; ++i) {
    actions[i] = entry->actions[i];
    if (actions[i].path) {
      size_t length = strlen(actions[i].path) + 1;
      memcpy(strings, actions[i].path, length);
      actions[i].path = strings;
      strings += length;
    }
  }
  actions_ = actions;
  count_ = entry->count;
  return true;
}

uint32_t recorded_file_action_objects() {
  locked guard(shim_lock::spawn_file_actions);
  return object_count;
}

}  // namespace forkless
