// The wire protocol: requests survive a round trip through a real socket
// pair (large payloads and many descriptors span several records), and the
// decoder refuses malformed or truncated input without crashing.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "spawn_request.h"
#include "wire_channel.h"

using namespace forkless::wire;

namespace {

struct arena {
  std::vector<void*> blocks;
  static void* allocate(void* context, size_t bytes) {
    void* block = malloc(bytes ? bytes : 1);
    static_cast<arena*>(context)->blocks.push_back(block);
    return block;
  }
  ~arena() {
    for (void* block : blocks) free(block);
  }
};

struct sample_request {
  std::vector<std::string> argv_text, env_text;
  std::vector<const char*> argv, envp;
  std::vector<fd_entry> fds;
  std::vector<file_action> actions;
  spawn_request request{};

  explicit sample_request(size_t big_arg, uint32_t fd_count) {
    argv_text = {"sh", "-c", std::string(big_arg, 'x')};
    env_text = {"A=1", "PATH=/bin", "EMPTY="};
    for (auto& s : argv_text) argv.push_back(s.c_str());
    argv.push_back(nullptr);
    for (auto& s : env_text) envp.push_back(s.c_str());
    envp.push_back(nullptr);
    for (uint32_t i = 0; i < fd_count; ++i) fds.push_back(fd_entry{static_cast<int32_t>(i + 3), i % 2});
    actions.push_back(file_action{static_cast<uint32_t>(file_action_kind::open), 5, 0, O_RDONLY, 0644, "/etc/hostname"});
    actions.push_back(file_action{static_cast<uint32_t>(file_action_kind::dup2), 5, 0, 0, 0, nullptr});
    actions.push_back(file_action{static_cast<uint32_t>(file_action_kind::chdir), 0, 0, 0, 0, "/tmp"});
    request.flags = request_search_path;
    request.path = "true";
    request.search_path = "/usr/bin:/bin";
    request.argc = 3;
    request.argv = argv.data();
    request.envc = 3;
    request.envp = envp.data();
    request.context.umask = 027;
    request.context.pgid = 42;
    request.context.signal_mask = 0x1234;
    request.context.affinity_bytes = 2;
    request.context.affinity[1] = 7;
    request.attributes.flags = attr_setsid | attr_setsigmask;
    request.action_count = static_cast<uint32_t>(actions.size());
    request.actions = actions.data();
    request.fd_count = fd_count;
    request.fds = fds.data();
  }
};

void expect_same(const spawn_request& a, const spawn_request& b) {
  EXPECT_EQ(a.flags, b.flags);
  EXPECT_STREQ(a.path, b.path);
  EXPECT_STREQ(a.search_path, b.search_path);
  ASSERT_EQ(a.argc, b.argc);
  for (uint32_t i = 0; i < a.argc; ++i) EXPECT_STREQ(a.argv[i], b.argv[i]);
  EXPECT_EQ(b.argv[b.argc], nullptr);
  ASSERT_EQ(a.envc, b.envc);
  for (uint32_t i = 0; i < a.envc; ++i) EXPECT_STREQ(a.envp[i], b.envp[i]);
  EXPECT_EQ(a.context.umask, b.context.umask);
  EXPECT_EQ(a.context.pgid, b.context.pgid);
  EXPECT_EQ(a.context.signal_mask, b.context.signal_mask);
  EXPECT_EQ(b.context.affinity[1], 7);
  EXPECT_EQ(a.attributes.flags, b.attributes.flags);
  ASSERT_EQ(a.action_count, b.action_count);
  EXPECT_STREQ(b.actions[0].path, "/etc/hostname");
  EXPECT_EQ(b.actions[1].new_fd, 0);
  EXPECT_STREQ(b.actions[2].path, "/tmp");
  ASSERT_EQ(a.fd_count, b.fd_count);
  for (uint32_t i = 0; i < a.fd_count; ++i) {
    EXPECT_EQ(a.fds[i].target, b.fds[i].target);
    EXPECT_EQ(a.fds[i].flags, b.fds[i].flags);
  }
}

void round_trip(size_t big_arg, uint32_t fd_count) {
  sample_request sample(big_arg, fd_count);
  wire_writer writer;
  encode_spawn_request(sample.request, writer);
  ASSERT_TRUE(writer.ok());

  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
  int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  std::vector<int> fds(fd_count + kFirstTableFd, null_fd);
  int status = -1;
  std::thread sender([&] {
    status = send_message(pair[0], message_type::spawn_request, writer.data(), writer.size(), fds.data(), fds.size());
  });
  static uint8_t record[kMaxRecordBytes + 64];
  received_message message;
  ASSERT_EQ(receive_message(pair[1], &message, kMaxRequestFds, record, sizeof record), 0);
  sender.join();
  EXPECT_EQ(status, 0);
  EXPECT_EQ(message.type, static_cast<uint16_t>(message_type::spawn_request));
  ASSERT_EQ(message.fd_count, fds.size());
  struct stat expected, got;
  fstat(null_fd, &expected);
  fstat(message.fds[fd_count], &got);
  EXPECT_EQ(expected.st_ino, got.st_ino);
  EXPECT_EQ(fcntl(message.fds[0], F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);

  arena memory;
  decode_allocator allocator{&arena::allocate, &memory};
  wire_reader reader(message.payload, message.payload_bytes);
  spawn_request decoded;
  ASSERT_TRUE(decode_spawn_request(reader, static_cast<uint32_t>(message.fd_count), allocator, &decoded));
  expect_same(sample.request, decoded);
  release_message(&message);
  close(null_fd);
  close(pair[0]);
  close(pair[1]);
}

}  // namespace

TEST(Wire, SmallRequestRoundTrip) { round_trip(10, 3); }
TEST(Wire, OneMebibyteArgumentSpansRecords) { round_trip(1 << 20, 3); }
TEST(Wire, ThousandsOfDescriptorsSpanRecords) { round_trip(100, 1000); }

TEST(Wire, TruncatedPayloadsAreRefused) {
  sample_request sample(64, 2);
  wire_writer writer;
  encode_spawn_request(sample.request, writer);
  for (size_t cut = 0; cut < writer.size(); ++cut) {
    arena memory;
    decode_allocator allocator{&arena::allocate, &memory};
    wire_reader reader(writer.data(), cut);
    spawn_request decoded;
    EXPECT_FALSE(decode_spawn_request(reader, 2 + kFirstTableFd, allocator, &decoded)) << cut;
  }
}

TEST(Wire, WrongDescriptorCountIsRefused) {
  sample_request sample(8, 2);
  wire_writer writer;
  encode_spawn_request(sample.request, writer);
  arena memory;
  decode_allocator allocator{&arena::allocate, &memory};
  wire_reader reader(writer.data(), writer.size());
  spawn_request decoded;
  EXPECT_FALSE(decode_spawn_request(reader, 2 + kFirstTableFd - 1, allocator, &decoded));
  wire_reader again(writer.data(), writer.size());
  EXPECT_TRUE(decode_spawn_request(again, 2 + kFirstTableFd, allocator, &decoded));
}

TEST(Wire, RandomBytesNeverCrashTheDecoder) {
  std::mt19937 random(12345);
  sample_request sample(32, 4);
  wire_writer writer;
  encode_spawn_request(sample.request, writer);
  std::vector<uint8_t> bytes(writer.data(), writer.data() + writer.size());
  for (int round = 0; round < 5000; ++round) {
    std::vector<uint8_t> mutated = bytes;
    for (int flips = 0; flips < 4; ++flips) mutated[random() % mutated.size()] = static_cast<uint8_t>(random());
    arena memory;
    decode_allocator allocator{&arena::allocate, &memory};
    wire_reader reader(mutated.data(), mutated.size());
    spawn_request decoded;
    if (decode_spawn_request(reader, 4 + kFirstTableFd, allocator, &decoded)) {
      // Whatever decodes must be self-consistent.
      for (uint32_t i = 0; i < decoded.argc; ++i) ASSERT_NE(decoded.argv[i], nullptr);
      ASSERT_EQ(decoded.argv[decoded.argc], nullptr);
      for (uint32_t i = 0; i < decoded.fd_count; ++i) ASSERT_GE(decoded.fds[i].target, 0);
    }
  }
}

TEST(Wire, BadHeaderIsAProtocolError) {
  int pair[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair), 0);
  header bogus{0xdeadbeef, kVersion, 2, 0, 0};
  ASSERT_EQ(write(pair[0], &bogus, sizeof bogus), static_cast<ssize_t>(sizeof bogus));
  uint8_t record[256];
  received_message message;
  EXPECT_EQ(receive_message(pair[1], &message, 0, record, sizeof record), EPROTO);
  release_message(&message);
  close(pair[0]);
  EXPECT_EQ(receive_message(pair[1], &message, 0, record, sizeof record), -1);  // EOF
  close(pair[1]);
}
