#include "popen_streams.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <pthread.h>

#include "support/fork_safe_lock.h"

namespace forkless {

struct stream_record {
  FILE* stream;
  int fd;  // the parent's end, kept here: the FILE is not read under the lock
  pid_t child;
  stream_maker maker;
  stream_record* next;
};

namespace {

// Under shim_lock::popen_streams.
stream_record* records = nullptr;
int records_by_library = 0;
// Changed under the lock too; read without it by fclose's fast path.
std::atomic<int> record_count{0};

pthread_mutex_t turn = PTHREAD_MUTEX_INITIALIZER;

// The parent thread that held the turn does not exist in the child.
void reopen_turn_in_child() {
  pthread_mutex_t fresh = PTHREAD_MUTEX_INITIALIZER;
  memcpy(&turn, &fresh, sizeof fresh);
}

}  // namespace

void popen_streams_at_load() { at_fork_child(&reopen_turn_in_child); }

popen_turn::popen_turn() {
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &previous_cancel_);
  pthread_mutex_lock(&turn);
  note_lock_held("popen_turn");
}

popen_turn::~popen_turn() {
  pthread_mutex_unlock(&turn);
  pthread_setcancelstate(previous_cancel_, nullptr);
}

stream_record* new_stream_record() { return static_cast<stream_record*>(malloc(sizeof(stream_record))); }

void discard_stream_record(stream_record* record) { free(record); }

void remember_stream(stream_record* record, FILE* stream, int fd, pid_t child, stream_maker maker) {
  *record = stream_record{stream, fd, child, maker, nullptr};
  locked held(shim_lock::popen_streams);
  record->next = records;
  records = record;
  if (maker == stream_maker::library) ++records_by_library;
  record_count.fetch_add(1, std::memory_order_release);
}

bool library_streams_open() {
  locked held(shim_lock::popen_streams);
  return records_by_library > 0;
}

bool open_stream_descriptors(int except, int** fds, int* count) {
  *fds = nullptr;
  *count = 0;
  // The turn is held, so no record is added meanwhile: `room` is enough.
  int room = record_count.load(std::memory_order_acquire);
  if (room == 0) return true;
  int* list = static_cast<int*>(malloc(sizeof(int) * static_cast<size_t>(room)));
  if (!list) return false;
  int used = 0;
  {
    locked held(shim_lock::popen_streams);
    for (stream_record* r = records; r && used < room; r = r->next)
      if (r->fd != except && r->fd >= 0) list[used++] = r->fd;
  }
  if (used == 0) {
    free(list);
    return true;
  }
  *fds = list;
  *count = used;
  return true;
}

bool forget_stream(FILE* stream, pid_t* child, stream_maker* maker) {
  stream_record* found = nullptr;
  {
    locked held(shim_lock::popen_streams);
    stream_record** link = &records;
    while (*link && (*link)->stream != stream) link = &(*link)->next;
    found = *link;
    if (found) {
      *link = found->next;
      if (found->maker == stream_maker::library) --records_by_library;
      record_count.fetch_sub(1, std::memory_order_release);
    }
  }
  if (!found) return false;
  *child = found->child;
  *maker = found->maker;
  free(found);
  return true;
}

bool any_streams_recorded() { return record_count.load(std::memory_order_acquire) > 0; }

}  // namespace forkless
