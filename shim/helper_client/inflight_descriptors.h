// Descriptors the shim opens for a short while: for one helper exchange (the
// status pipe's two ends, the cwd), while a helper starts (both ends of its
// channel), and the files it reads for a moment (under /proc, the log file).
// They are kept out of children made by a real fork().
//
// Hazard: between the moment such a descriptor exists and the moment the
// shim closes it (or hands it to the helper pool, whose own fork handler
// closes the channels it holds), another thread of the program may fork(). The child would
// then hold a copy: a leaked descriptor in the program's child, and, for the
// status pipe's write end, a copy that keeps the pipe from hanging up, so the
// caller would wait until that child execs or exits (a pre-forked worker may
// never do either). So every such descriptor is registered, and a fork
// handler closes the registered ones in the child. Creating and registering,
// and unregistering and closing, happen under a lock the fork's prepare
// handler also takes, with signals blocked (a handler that forks cannot run
// while the lock is held) and cancellation off, so a fork never sees a
// descriptor half-way (fork_safe_lock.h). When the table is full, opening fails (EMFILE) and
// the call goes native.
#pragma once

#include <sys/types.h>

namespace forkless {

// Registers the fork child's clean-up; call once at load, before any exchange.
void inflight_descriptors_at_load();

// pipe2(O_CLOEXEC), registered. Returns 0 or -1 with errno.
int open_inflight_pipe(int fds[2]);

// open(".", O_PATH | O_DIRECTORY | O_CLOEXEC), registered. Returns the
// descriptor or -1 with errno.
int open_inflight_cwd();

// A helper channel: a SEQPACKET socketpair whose two ends are moved to
// close-on-exec numbers at or above floor, both registered. Returns 0 or -1
// with errno.
int open_inflight_channel(int floor, int* shim_end, int* helper_end);

// open(path, flags | O_CLOEXEC, mode), registered. Returns the descriptor or
// -1 with errno. Not for use inside fork handlers (the lock is held there).
int open_inflight_file(const char* path, int flags, unsigned mode = 0);

// Reads the file at path (a small one, under /proc) into buffer, up to
// capacity bytes or its end. Returns the bytes read, or -1 when it cannot be
// opened. The table's lock is held from the open to the close (a /proc read
// returns at once), so no fork ever sees the descriptor and none needs
// registering: two system calls fewer than open, register, close.
ssize_t read_inflight_file(const char* path, char* buffer, size_t capacity);

// The same for a /proc file of any length: piece(data, length, context) is
// called for each read until it returns false or the file ends. Returns 0,
// or -1 when it cannot be opened or read.
int scan_inflight_file(const char* path, bool (*piece)(const char* data, size_t length, void* context),
                       void* context);

// Unregisters and closes fd (nothing for -1); sets *fd to -1.
void close_inflight(int* fd);

// Unregisters fd without closing it: it has another owner now.
void settle_inflight(int fd);

}  // namespace forkless
