// Bounds-checked encoding of the wire protocol's payloads.
//
// wire_writer appends little-endian integers and length-prefixed strings to a
// buffer that starts on the stack and grows with mmap (never malloc: the shim
// may run inside a host whose allocator is busy or replaced). wire_reader
// decodes untrusted bytes: every read checks the remaining length, strings
// must be NUL-terminated inside their declared length, and a failed read
// poisons the reader so callers can check once at the end.
#pragma once

#include <cstddef>
#include <cstdint>

namespace forkless::wire {

class wire_writer {
 public:
  wire_writer() = default;
  ~wire_writer();
  wire_writer(const wire_writer&) = delete;
  wire_writer& operator=(const wire_writer&) = delete;

  void put_u32(uint32_t value) { put_bytes(&value, sizeof value); }
  void put_i32(int32_t value) { put_bytes(&value, sizeof value); }
  void put_u64(uint64_t value) { put_bytes(&value, sizeof value); }
  void put_bytes(const void* data, size_t size);
  // u32 length (without the NUL), the bytes, then a NUL.
  void put_string(const char* text);
  // Reserve a u32 to be filled in later (a count not known up front).
  size_t reserve_u32();
  void patch_u32(size_t offset, uint32_t value);

  bool ok() const { return ok_; }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  bool grow(size_t needed);
  uint8_t inline_[8 * 1024];
  uint8_t* data_ = inline_;
  size_t size_ = 0;
  size_t capacity_ = sizeof inline_;
  bool mapped_ = false;
  bool ok_ = true;
};

class wire_reader {
 public:
  wire_reader(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  bool get_u32(uint32_t* value) { return get_bytes(value, sizeof *value); }
  bool get_i32(int32_t* value) { return get_bytes(value, sizeof *value); }
  bool get_u64(uint64_t* value) { return get_bytes(value, sizeof *value); }
  bool get_bytes(void* out, size_t size);
  // Points *text into the buffer; checks the length prefix and the NUL.
  bool get_string(const char** text);
  // Points *out at `size` bytes inside the buffer without copying.
  bool get_view(const uint8_t** out, size_t size);
  bool ok() const { return ok_; }
  size_t remaining() const { return size_ - offset_; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t offset_ = 0;
  bool ok_ = true;
};

}  // namespace forkless::wire
