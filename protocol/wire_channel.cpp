#include "wire_channel.h"

#include <cerrno>
#include <cstring>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

namespace forkless::wire {
namespace {

constexpr uint32_t kContinuationMarker = 0x2b4b4c53;  // "SLK+"

int send_record(int socket, const void* head, size_t head_bytes, const void* body, size_t body_bytes,
                const int* fds, size_t fd_count, const send_wait* wait) {
  iovec iov[2] = {{const_cast<void*>(head), head_bytes}, {const_cast<void*>(body), body_bytes}};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxRecordFds)];
  msghdr msg{};
  msg.msg_iov = iov;
  msg.msg_iovlen = body_bytes ? 2 : 1;
  if (fd_count) {
    msg.msg_control = control;
    msg.msg_controllen = CMSG_SPACE(sizeof(int) * fd_count);
    cmsghdr* cmsg = CMSG_FIRSTHDR(&msg);
    cmsg->cmsg_level = SOL_SOCKET;
    cmsg->cmsg_type = SCM_RIGHTS;
    cmsg->cmsg_len = CMSG_LEN(sizeof(int) * fd_count);
    memcpy(CMSG_DATA(cmsg), fds, sizeof(int) * fd_count);
  }
  int flags = MSG_NOSIGNAL | (wait ? MSG_DONTWAIT : 0);
  for (;;) {
    ssize_t sent = sendmsg(socket, &msg, flags);
    if (sent >= 0) return static_cast<size_t>(sent) == head_bytes + body_bytes ? 0 : EPROTO;
    if (errno == EINTR) continue;
    if (!wait || (errno != EAGAIN && errno != EWOULDBLOCK)) return errno;
    if (!wait->writable(wait->context, socket)) return ETIMEDOUT;
  }
}

// Grows *buffer to hold at least `needed` elements, keeping the first `in_use`.
// Sizes are rounded up to whole pages, so a request that grows a little at a
// time does not remap on every call; the buffers are kept across requests.
bool reserve(void** buffer, size_t* capacity, size_t needed, size_t element, size_t in_use) {
  if (needed <= *capacity) return true;
  constexpr size_t kPage = 4096;
  size_t bytes = (needed * element + kPage - 1) / kPage * kPage;
  void* memory = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) return false;
  if (*buffer) {
    memcpy(memory, *buffer, in_use * element);
    munmap(*buffer, *capacity * element);
  }
  *buffer = memory;
  *capacity = bytes / element;
  return true;
}

// Folds one record's sender into the message's: the first record sets it,
// any record without one, or with another, makes it unknown.
void note_sender(received_message* message, bool first, bool has, const ucred& sender) {
  if (first && has) {
    message->sender_pid = sender.pid;
    message->sender_uid = sender.uid;
    message->sender_gid = sender.gid;
  } else if (!has || sender.pid != message->sender_pid || sender.uid != message->sender_uid ||
             sender.gid != message->sender_gid) {
    message->sender_pid = -1;
  }
}

// Receives one record into `data` (capacity kMaxRecordBytes + header); appends
// its descriptors to the message. Returns bytes read, 0 on EOF, -errno on error.
ssize_t receive_record(int socket, uint8_t* data, size_t capacity, received_message* message,
                       size_t max_fds, bool first) {
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int) * kMaxRecordFds) + CMSG_SPACE(sizeof(ucred))];
  iovec iov{data, capacity};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t got;
  do {
    got = recvmsg(socket, &msg, MSG_CMSG_CLOEXEC);
  } while (got < 0 && errno == EINTR);
  if (got < 0) return -errno;
  bool bad = (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0;
  bool has_sender = false;
  ucred sender{};
  for (cmsghdr* cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
    if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_CREDENTIALS &&
        cmsg->cmsg_len == CMSG_LEN(sizeof(ucred))) {
      memcpy(&sender, CMSG_DATA(cmsg), sizeof sender);
      has_sender = true;
      continue;
    }
    if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS) continue;
    size_t count = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    int incoming[kMaxRecordFds];
    memcpy(incoming, CMSG_DATA(cmsg), count * sizeof(int));
    bool fits = message->fd_count + count <= max_fds &&
                reserve(reinterpret_cast<void**>(&message->fds), &message->fd_capacity,
                        message->fd_count + count, sizeof(int), message->fd_count);
    for (size_t i = 0; i < count; ++i) {
      if (fits)
        message->fds[message->fd_count++] = incoming[i];
      else
        close(incoming[i]);
    }
    if (!fits) bad = true;
  }
  if (got > 0) note_sender(message, first, has_sender, sender);
  if (bad) return -EPROTO;
  return got;
}

}  // namespace

int send_message(int socket, message_type type, const void* payload, size_t payload_bytes,
                 const int* fds, size_t fd_count, const send_wait* wait) {
  if (payload_bytes > kMaxRequestBytes || fd_count > kMaxRequestFds) return E2BIG;
  header head{kMagic, kVersion, static_cast<uint16_t>(type), static_cast<uint32_t>(payload_bytes),
              static_cast<uint32_t>(fd_count)};
  const auto* bytes = static_cast<const uint8_t*>(payload);
  size_t chunk = payload_bytes < kMaxRecordBytes - sizeof head ? payload_bytes : kMaxRecordBytes - sizeof head;
  size_t fd_chunk = fd_count < kMaxRecordFds ? fd_count : kMaxRecordFds;
  if (int error = send_record(socket, &head, sizeof head, bytes, chunk, fds, fd_chunk, wait)) return error;
  size_t sent = chunk, fds_sent = fd_chunk;
  while (sent < payload_bytes || fds_sent < fd_count) {
    chunk = payload_bytes - sent < kMaxRecordBytes - 4 ? payload_bytes - sent : kMaxRecordBytes - 4;
    fd_chunk = fd_count - fds_sent < kMaxRecordFds ? fd_count - fds_sent : kMaxRecordFds;
    uint32_t marker = kContinuationMarker;
    if (int error = send_record(socket, &marker, sizeof marker, bytes + sent, chunk, fds + fds_sent, fd_chunk, wait))
      return error;
    sent += chunk;
    fds_sent += fd_chunk;
  }
  return 0;
}

int receive_message(int socket, received_message* message, size_t max_fds, uint8_t* record,
                    size_t record_capacity) {
  message->type = 0;
  message->payload_bytes = 0;
  message->fd_count = 0;
  message->sender_pid = -1;
  ssize_t got = receive_record(socket, record, record_capacity, message, max_fds, true);
  if (got == 0) return -1;
  if (got < 0) return static_cast<int>(-got);
  header head;
  if (static_cast<size_t>(got) < sizeof head) return EPROTO;
  memcpy(&head, record, sizeof head);
  if (head.magic != kMagic || head.version != kVersion || head.payload_bytes > kMaxRequestBytes ||
      head.fd_count > kMaxRequestFds || head.fd_count > max_fds)
    return EPROTO;
  message->type = head.type;
  size_t capacity = head.payload_bytes ? head.payload_bytes : 1;
  if (!reserve(reinterpret_cast<void**>(&message->payload), &message->payload_capacity, capacity, 1, 0))
    return ENOMEM;
  size_t body = static_cast<size_t>(got) - sizeof head;
  if (body > head.payload_bytes) return EPROTO;
  memcpy(message->payload, record + sizeof head, body);
  message->payload_bytes = body;
  while (message->payload_bytes < head.payload_bytes || message->fd_count < head.fd_count) {
    got = receive_record(socket, record, record_capacity, message, head.fd_count, false);
    if (got == 0) return EPROTO;  // EOF inside a message
    if (got < 0) return static_cast<int>(-got);
    uint32_t marker;
    if (static_cast<size_t>(got) < sizeof marker) return EPROTO;
    memcpy(&marker, record, sizeof marker);
    body = static_cast<size_t>(got) - sizeof marker;
    if (marker != kContinuationMarker || body > head.payload_bytes - message->payload_bytes)
      return EPROTO;
    memcpy(message->payload + message->payload_bytes, record + sizeof marker, body);
    message->payload_bytes += body;
  }
  return message->fd_count == head.fd_count ? 0 : EPROTO;
}

namespace {

void close_descriptors(received_message* message) {
  for (size_t i = 0; i < message->fd_count; ++i)
    if (message->fds[i] >= 0) close(message->fds[i]);
  message->type = 0;
  message->payload_bytes = 0;
  message->fd_count = 0;
}

}  // namespace

void recycle_message(received_message* message) {
  close_descriptors(message);
  // A rare huge request (megabytes of arguments) does not pin its buffer.
  constexpr size_t kKeptPayloadBytes = 256 * 1024;
  if (message->payload_capacity > kKeptPayloadBytes) {
    munmap(message->payload, message->payload_capacity);
    message->payload = nullptr;
    message->payload_capacity = 0;
  }
}

void release_message(received_message* message) {
  close_descriptors(message);
  if (message->fds) munmap(message->fds, message->fd_capacity * sizeof(int));
  if (message->payload) munmap(message->payload, message->payload_capacity);
  *message = received_message{};
}

}  // namespace forkless::wire
