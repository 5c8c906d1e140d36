#include "wire_codec.h"

#include <cstring>
#include <sys/mman.h>

namespace forkless::wire {

wire_writer::~wire_writer() {
  if (mapped_) munmap(data_, capacity_);
}

bool wire_writer::grow(size_t needed) {
  if (!ok_) return false;
  if (needed <= capacity_) return true;
  size_t capacity = capacity_;
  while (capacity < needed) {
    if (capacity > (size_t{1} << 40)) {
      ok_ = false;
      return false;
    }
    capacity *= 2;
  }
  void* memory = mmap(nullptr, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) {
    ok_ = false;
    return false;
  }
  memcpy(memory, data_, size_);
  if (mapped_) munmap(data_, capacity_);
  data_ = static_cast<uint8_t*>(memory);
  capacity_ = capacity;
  mapped_ = true;
  return true;
}

void wire_writer::put_bytes(const void* data, size_t size) {
  if (size == 0 || !grow(size_ + size)) return;
  memcpy(data_ + size_, data, size);
  size_ += size;
}

void wire_writer::put_string(const char* text) {
  size_t length = text ? strlen(text) : 0;
  if (length > UINT32_MAX - 1) {
    ok_ = false;
    return;
  }
  put_u32(static_cast<uint32_t>(length));
  put_bytes(text, length);
  uint8_t nul = 0;
  put_bytes(&nul, 1);
}

size_t wire_writer::reserve_u32() {
  size_t offset = size_;
  put_u32(0);
  return offset;
}

void wire_writer::patch_u32(size_t offset, uint32_t value) {
  if (ok_ && offset + sizeof value <= size_) memcpy(data_ + offset, &value, sizeof value);
}

bool wire_reader::get_bytes(void* out, size_t size) {
  const uint8_t* view;
  if (!get_view(&view, size)) return false;
  memcpy(out, view, size);
  return true;
}

bool wire_reader::get_view(const uint8_t** out, size_t size) {
  if (!ok_ || size > size_ - offset_) {
    ok_ = false;
    return false;
  }
  *out = data_ + offset_;
  offset_ += size;
  return true;
}

bool wire_reader::get_string(const char** text) {
  uint32_t length;
  const uint8_t* view;
  if (!get_u32(&length) || length == UINT32_MAX || !get_view(&view, size_t{length} + 1)) return false;
  if (view[length] != 0 || memchr(view, 0, length) != nullptr) {
    ok_ = false;
    return false;
  }
  *text = reinterpret_cast<const char*>(view);
  return true;
}

}  // namespace forkless::wire
