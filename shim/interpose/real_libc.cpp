#include "real_libc.h"

#include <atomic>
#include <cerrno>
#include <dlfcn.h>
#include <unistd.h>

#include "front_link.h"
#include "missing_function.h"

namespace forkless::real {
namespace {


}  // namespace
}  // namespace forkless::real

// The bounds of the object this code is linked into, from the linker (its
// ELF header and the end of its bss). Comparing with them costs nothing;
// dladdr, which this replaces, walks the owning object's whole symbol table.
extern "C" const char __ehdr_start[] __attribute__((visibility("hidden")));
extern "C" const char _end[] __attribute__((visibility("hidden")));

namespace forkless::real {
namespace {

bool inside_this_object(const void* address) {
  auto* byte = static_cast<const char*>(address);
  return byte >= __ehdr_start && byte < _end;
}

// The next definition after forkless's, or nullptr if there is none or it is
// one of ours. The front has already refused its own.
void* resolve(int index, const char* name) {
  const front_services* front = serving_front();
  void* address = front ? front->next(index) : dlsym(RTLD_NEXT, name);
  if (!address || inside_this_object(address)) return nullptr;
  return address;
}

template <typename Signature>
Signature* resolve_once(std::atomic<void*>& slot, int index, const char* name) {
  void* address = slot.load(std::memory_order_acquire);
  if (!address) {
    address = resolve(index, name);
    if (!address) address = reinterpret_cast<void*>(&missing<Signature>::call);
    slot.store(address, std::memory_order_release);
  }
  return reinterpret_cast<Signature*>(address);
}

}  // namespace

#define FORKLESS_DEFINE_REAL(shape, ret, name, params, arguments)            \
  namespace {                                                                \
  std::atomic<void*> name##_slot{nullptr};                                   \
  }                                                                          \
  name##_signature* name##_address() {                                       \
    return resolve_once<name##_signature>(name##_slot, index_##name, #name); \
  }
FORKLESS_INTERPOSED_FUNCTIONS(FORKLESS_DEFINE_REAL)
#undef FORKLESS_DEFINE_REAL

void resolve_all() {
  if (const front_services* front = serving_front()) front->resolve_all_next();
#define FORKLESS_RESOLVE_REAL(shape, ret, name, params, arguments) name##_address();
  FORKLESS_INTERPOSED_FUNCTIONS(FORKLESS_RESOLVE_REAL)
#undef FORKLESS_RESOLVE_REAL
}

}  // namespace forkless::real
