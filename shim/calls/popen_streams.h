// The program's open popen streams, whichever route made them, and the turn
// that orders popen calls.
//
// Hazards, and how each is handled:
//  - POSIX: a popen child closes the streams of earlier popen calls still
//    open. glibc's popen child closes only the streams glibc made, and a
//    helper's child gets every inheritable descriptor, so both kinds are
//    recorded here: the ones whose child the library made (helper, or
//    posix_spawn when libc's popen would not close them) and the ones libc's
//    popen made through the interposer. Each child of the library's gets a
//    close action for all of them; libc's popen is only called while no
//    stream of the library's is open (popen_call.cpp).
//  - Two popen calls at once: the second's child must close the first's
//    stream if the first finished before the second's child was made. glibc
//    holds its list lock across its spawn; here the calls take a turn, one
//    at a time, from the snapshot of the list to the record of the new
//    stream. The turn is held across the helper exchange, so it is not a
//    shim lock (fork_safe_lock.h): fork's prepare handler never takes it,
//    it guards no data (the records are under shim_lock::popen_streams,
//    held only to read or change them), and a forked child re-opens it.
//    Cancellation is off while it is held (the library has no exceptions).
//  - pclose unlinks the record before it closes the stream, as glibc's
//    does: a popen call in between does not close that descriptor in its
//    child, natively too.
#pragma once

#include <cstdio>
#include <sys/types.h>

namespace forkless {

enum class stream_maker : unsigned char {
  library,  // the library made the child (its pclose waits for it here)
  libc,     // libc's popen made it (libc's pclose waits for it)
};

struct stream_record;

// Registers the turn's re-opening in a forked child; once, at load.
void popen_streams_at_load();

// One popen call's turn, for its scope.
class popen_turn {
 public:
  popen_turn();
  ~popen_turn();
  popen_turn(const popen_turn&) = delete;
  popen_turn& operator=(const popen_turn&) = delete;

 private:
  int previous_cancel_;
};

// A record to fill in once the child exists (allocated first, so that a
// spawned child is never left unrecorded for want of memory), or nullptr.
stream_record* new_stream_record();
void discard_stream_record(stream_record* record);
// Adds the stream to the list; record is the list's from now on.
void remember_stream(stream_record* record, FILE* stream, int fd, pid_t child, stream_maker maker);

// With the turn held: whether a stream the library made is open.
bool library_streams_open();

// With the turn held: the descriptors of every open popen stream except
// `except` (the child's standard descriptor, which its dup2 replaces), as a
// malloc'd array the caller frees (nullptr when there are none). False when
// out of memory.
bool open_stream_descriptors(int except, int** fds, int* count);

// Unlinks stream's record if it has one: true, with its child and maker.
bool forget_stream(FILE* stream, pid_t* child, stream_maker* maker);

// Lock-free: is any popen stream recorded (fclose's fast path)?
bool any_streams_recorded();

}  // namespace forkless
