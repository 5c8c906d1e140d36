// libunwind through dlopen: the library must not need libunwind at load time
// (readelf -d lists only libc), and most processes never ask for a stack.
//
// Hazards:
// - libunwind.so.8 exports the local-only API under mangled names
//   (_ULx86_64_step, ...; the unw_* names in <libunwind.h> are macros), and
//   also defines _Unwind_Backtrace: it is opened RTLD_LOCAL so that it never
//   takes the place of libgcc's unwinder for the host program.
// - capture_* start unwinding in their own frame (the context is taken there),
//   so they are never inlined and skip counts stay exact.
// - A return address may be the last byte of a procedure (a call to a
//   noreturn function): lookups use ip - 1, the call instruction itself.
#define UNW_LOCAL_ONLY
#include "unwinder.h"

#include <dlfcn.h>
#include <link.h>
#include <libunwind.h>
#include <pthread.h>

#include <cstring>

namespace forkless {
namespace {

#if defined(__x86_64__)
#define FORKLESS_UNW_ARCH "x86_64"
#elif defined(__aarch64__)
#define FORKLESS_UNW_ARCH "aarch64"
#else
#define FORKLESS_UNW_ARCH "unknown"
#endif
#define FORKLESS_UNW_LOCAL(fn) "_UL" FORKLESS_UNW_ARCH "_" fn

struct libunwind_api {
  int (*getcontext)(unw_context_t*);
  int (*init_local)(unw_cursor_t*, unw_context_t*);
  int (*step)(unw_cursor_t*);
  int (*get_reg)(unw_cursor_t*, unw_regnum_t, unw_word_t*);
  int (*set_reg)(unw_cursor_t*, unw_regnum_t, unw_word_t);
  int (*get_proc_info)(unw_cursor_t*, unw_proc_info_t*);
  int (*get_proc_name)(unw_cursor_t*, char*, size_t, unw_word_t*);
  int (*backtrace)(void**, int);
};

libunwind_api api;
bool api_loaded = false;
pthread_once_t api_once = PTHREAD_ONCE_INIT;

template <typename F>
bool resolve(void* handle, const char* name, F* out) {
  void* address = dlsym(handle, name);
  if (address == nullptr) return false;
  *out = reinterpret_cast<F>(address);
  return true;
}

void load_libunwind() {
  void* handle = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) return;
  libunwind_api loaded{};
  bool ok = resolve(handle, "_U" FORKLESS_UNW_ARCH "_getcontext", &loaded.getcontext) &&
            resolve(handle, FORKLESS_UNW_LOCAL("init_local"), &loaded.init_local) &&
            resolve(handle, FORKLESS_UNW_LOCAL("step"), &loaded.step) &&
            resolve(handle, FORKLESS_UNW_LOCAL("get_reg"), &loaded.get_reg) &&
            resolve(handle, FORKLESS_UNW_LOCAL("set_reg"), &loaded.set_reg) &&
            resolve(handle, FORKLESS_UNW_LOCAL("get_proc_info"), &loaded.get_proc_info) &&
            resolve(handle, FORKLESS_UNW_LOCAL("get_proc_name"), &loaded.get_proc_name) &&
            resolve(handle, "unw_backtrace", &loaded.backtrace);
  if (!ok) {
    dlclose(handle);
    return;
  }
  api = loaded;
  api_loaded = true;
}

}  // namespace

bool unwinder_available() {
  pthread_once(&api_once, load_libunwind);
  return api_loaded;
}

__attribute__((noinline)) int capture_frames(stack_frame* frames, int max, int skip) {
  if (max <= 0 || !unwinder_available()) return 0;
  unw_context_t context;
  unw_cursor_t cursor;
  if (api.getcontext(&context) != 0 || api.init_local(&cursor, &context) != 0) return 0;
  // The cursor starts in this function; its first step reaches our caller.
  int to_skip = skip + 1;
  int count = 0;
  while (count < max && api.step(&cursor) > 0) {
    if (to_skip > 0) {
      --to_skip;
      continue;
    }
    unw_word_t ip = 0;
    unw_word_t sp = 0;
    if (api.get_reg(&cursor, UNW_REG_IP, &ip) != 0 || ip == 0) break;
    api.get_reg(&cursor, UNW_REG_SP, &sp);
    frames[count].ip = ip;
    frames[count].sp = sp;
    ++count;
  }
  return count;
}

__attribute__((noinline)) int capture_backtrace(void** ips, int max, int skip) {
  if (max <= 0 || skip < 0 || !unwinder_available()) return 0;
  // unw_backtrace (libunwind's cached fast path, about 15 ns a frame) starts
  // at its caller: this function, hence the extra frame dropped.
  constexpr int kMost = 256;
  void* all[kMost];
  int want = max + skip + 1;
  if (want > kMost) want = kMost;
  int got = api.backtrace(all, want);
  int count = 0;
  for (int i = skip + 1; i < got && count < max; ++i) ips[count++] = all[i];
  return count;
}

namespace {

// Name from the dynamic symbol table when an exported symbol covers address
// (cheap: no file is read); libunwind's lookup reads the file's .symtab.
bool exported_name(uintptr_t address, char* name, size_t name_len) {
  Dl_info info;
  void* extra = nullptr;
  if (dladdr1(reinterpret_cast<void*>(address), &info, &extra, RTLD_DL_SYMENT) == 0) return false;
  const auto* symbol = static_cast<const ElfW(Sym)*>(extra);
  if (info.dli_sname == nullptr || info.dli_saddr == nullptr || symbol == nullptr) return false;
  uintptr_t begin = reinterpret_cast<uintptr_t>(info.dli_saddr);
  if (address < begin || address >= begin + symbol->st_size) return false;
  size_t length = strlen(info.dli_sname);
  if (length >= name_len) length = name_len - 1;
  memcpy(name, info.dli_sname, length);
  name[length] = '\0';
  return true;
}

}  // namespace

bool proc_extent(void* ip, uintptr_t* start, uintptr_t* end, char* name, size_t name_len) {
  if (name != nullptr && name_len > 0) name[0] = '\0';
  if (ip == nullptr || !unwinder_available()) return false;
  unw_context_t context;
  unw_cursor_t cursor;
  if (api.getcontext(&context) != 0 || api.init_local(&cursor, &context) != 0) return false;
  // The cursor is made to point at the call instruction before ip.
  if (api.set_reg(&cursor, UNW_REG_IP, reinterpret_cast<unw_word_t>(ip) - 1) != 0) return false;
  unw_proc_info_t info;
  memset(&info, 0, sizeof info);
  if (api.get_proc_info(&cursor, &info) != 0 || info.start_ip == 0) return false;
  *start = info.start_ip;
  *end = info.end_ip;
  uintptr_t call = reinterpret_cast<uintptr_t>(ip) - 1;
  if (name != nullptr && name_len > 0 && !exported_name(call, name, name_len)) {
    unw_word_t offset = 0;
    if (api.get_proc_name(&cursor, name, name_len, &offset) != 0) name[0] = '\0';
    name[name_len - 1] = '\0';
  }
  return true;
}

}  // namespace forkless
