#include "real_libc.h"

#include <atomic>
#include <cerrno>
#include <dlfcn.h>
#include <type_traits>
#include <unistd.h>

namespace forkless::real {
namespace {

template <typename Signature>
struct missing;
template <typename R, typename... A>
struct missing<R(A...)> {
  static R call(A...) {
    errno = ENOSYS;
    if constexpr (std::is_pointer_v<R>)
      return nullptr;
    else if constexpr (!std::is_void_v<R>)
      return static_cast<R>(-1);
  }
};
// A variadic one (syscall): its fixed arguments only.
template <typename R, typename... A>
struct missing<R(A..., ...)> {
  static R call(A..., ...) {
    errno = ENOSYS;
    return static_cast<R>(-1);
  }
};

}  // namespace
}  // namespace forkless::real

// The bounds of the object this code is linked into, from the linker (its
// ELF header and the end of its bss). Comparing with them costs nothing;
// dladdr, which this replaces, walks the owning object's whole symbol table
// (about 20 us for libc's, paid in every process that loads the library).
extern "C" const char __ehdr_start[] __attribute__((visibility("hidden")));
extern "C" const char _end[] __attribute__((visibility("hidden")));

namespace forkless::real {
namespace {

bool inside_this_object(const void* address) {
  auto* byte = static_cast<const char*>(address);
  return byte >= __ehdr_start && byte < _end;
}

// The next definition after ours, or nullptr if there is none or it is ours.
void* resolve(const char* name) {
  void* address = dlsym(RTLD_NEXT, name);
  if (!address || inside_this_object(address)) return nullptr;
  return address;
}

template <typename Signature>
Signature* resolve_once(std::atomic<void*>& slot, const char* name) {
  void* address = slot.load(std::memory_order_acquire);
  if (!address) {
    address = resolve(name);
    if (!address) address = reinterpret_cast<void*>(&missing<Signature>::call);
    slot.store(address, std::memory_order_release);
  }
  return reinterpret_cast<Signature*>(address);
}

}  // namespace

#define FORKLESS_DEFINE_REAL(ret, name, params)                     \
  namespace {                                                       \
  std::atomic<void*> name##_slot{nullptr};                          \
  }                                                                 \
  name##_signature* name##_address() {                              \
    return resolve_once<name##_signature>(name##_slot, #name);      \
  }
FORKLESS_LIBC_FUNCTIONS(FORKLESS_DEFINE_REAL)
#undef FORKLESS_DEFINE_REAL

void* address_of(const char* name) { return resolve(name); }

void resolve_all() {
#define FORKLESS_RESOLVE_REAL(ret, name, params) name##_address();
  FORKLESS_LIBC_FUNCTIONS(FORKLESS_RESOLVE_REAL)
#undef FORKLESS_RESOLVE_REAL
}

}  // namespace forkless::real
