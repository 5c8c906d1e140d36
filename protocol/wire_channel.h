// Sending and receiving whole messages over the SOCK_SEQPACKET channel.
//
// Hazards:
//  - A message may need several records (payload over kMaxRecordBytes or more
//    than kMaxRecordFds descriptors). Every record starts with a u32 marker,
//    so no record is ever empty (an empty SEQPACKET read means EOF).
//  - Sends use MSG_NOSIGNAL: a dead peer gives EPIPE, never SIGPIPE in the
//    host program. Receives use MSG_CMSG_CLOEXEC, and a truncated record or
//    control message is a protocol error, after which received descriptors
//    are closed, never leaked.
//  - On a socket with SO_PASSCRED (the helper's end) every record carries its
//    sender's kernel-attested pid, uid and gid; the message keeps them only
//    if every record had the same (a record from another process mixed into
//    a message leaves sender_pid at -1).
//  - EINTR is retried: a signal handler in the host program must not turn an
//    internal exchange into a failure.
//  - A peer that stops reading (a stopped helper) fills the socket buffer: a
//    blocking send would then wait for ever. The shim's sends therefore pass
//    a send_wait: records go out with MSG_DONTWAIT, and while the buffer is
//    full its callback decides how long to wait and when to give up.
#pragma once

#include <cstddef>
#include <cstdint>

#include "protocol.h"

namespace forkless::wire {

// How a sender waits while the socket buffer is full. writable() returns
// true once the socket may take more (poll it), false to give up: the send
// then fails with ETIMEDOUT, a message possibly sent in part.
struct send_wait {
  bool (*writable)(void* context, int socket);
  void* context;
};

// Returns 0, or a positive errno value. Without `wait` (the helper's
// replies) a full buffer blocks the sender.
int send_message(int socket, message_type type, const void* payload, size_t payload_bytes,
                 const int* fds, size_t fd_count, const send_wait* wait = nullptr);

struct received_message {
  uint16_t type = 0;
  uint8_t* payload = nullptr;   // owned (mmap), released by release_message
  size_t payload_bytes = 0;
  size_t payload_capacity = 0;
  int* fds = nullptr;           // owned (mmap); descriptors the receiver now holds
  size_t fd_count = 0;
  size_t fd_capacity = 0;
  // The sender of every record (SCM_CREDENTIALS), or -1 when a record had
  // none or records disagree. Only set on a socket with SO_PASSCRED.
  int32_t sender_pid = -1;
  uint32_t sender_uid = ~0u;
  uint32_t sender_gid = ~0u;
};

// Returns 0 with a whole message, -1 on orderly EOF before any byte, or a
// positive errno value (EPROTO for a malformed message). A message that held
// an earlier one (after recycle_message) keeps its buffers: the helper reuses
// them, since unmapping memory a CLONE_VM child has run on costs a TLB
// shoot-down on every CPU it used. max_fds bounds the
// descriptors accepted (the shim accepts none). record_buffer holds one
// record: a record larger than record_capacity is a protocol error (the shim
// passes a small stack buffer, since replies are small; the helper a large one).
int receive_message(int socket, received_message* message, size_t max_fds, uint8_t* record_buffer,
                    size_t record_capacity);

// Closes the message's descriptors that were not taken (set to -1 when taken)
// and frees its buffers.
void release_message(received_message* message);

// Closes the descriptors as release_message does but keeps the buffers for
// the next receive_message.
void recycle_message(received_message* message);

}  // namespace forkless::wire
