// Call stacks through libgcc's unwinder, linked into the library statically
// (-static-libgcc): it walks the .eh_frame tables of the loaded objects it
// finds with dl_iterate_phdr, and needs no descriptor, thread or library of
// its own.
//
// Hazards:
// - libunwind, used before, opened a pipe at its first use and kept it; it
//   read and wrote that pipe whenever it met a frame without unwind
//   information. A program that closed those two descriptors and reused the
//   numbers had its own descriptors read and written. libgcc's unwinder
//   instead stops at the first frame without unwind information (JIT code):
//   the frames fork() sites are matched on lie below such frames.
// - capture_* are never inlined and never tail-call: the first frame the
//   unwinder reports is their own, so skip counts stay exact.
// - A return address may be the last byte of a procedure (a call to a
//   noreturn function): lookups use ip - 1, the call instruction itself.
// - Names of functions that are not exported come from the file's .symtab,
//   read with a private mapping of the file (descriptor registered like any
//   the library holds for a moment); stripped files have none, and the
//   dynamic symbol table (dladdr1) is tried first anyway.
#include "unwinder.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <unwind.h>

#include <cstring>

#include "helper_client/inflight_descriptors.h"

namespace forkless {
namespace {

struct frame_walk {
  stack_frame* frames;
  int max;
  int skip;  // frames still to drop, the capturing function's own included
  int count;
};

// The context of frame i holds, as its CFA, the canonical frame address of
// the frame it was reached from (i - 1): frame i's stack pointer at its call.
_Unwind_Reason_Code collect_frame(_Unwind_Context* context, void* argument) {
  auto* walk = static_cast<frame_walk*>(argument);
  uintptr_t ip = _Unwind_GetIP(context);
  if (ip == 0) return _URC_END_OF_STACK;
  if (walk->skip > 0) {
    --walk->skip;
    return _URC_NO_REASON;
  }
  if (walk->count >= walk->max) return _URC_END_OF_STACK;
  walk->frames[walk->count++] = stack_frame{ip, static_cast<uintptr_t>(_Unwind_GetCFA(context))};
  return _URC_NO_REASON;
}

void copy_name(char* name, size_t name_len, const char* from) {
  size_t length = strlen(from);
  if (length >= name_len) length = name_len - 1;
  memcpy(name, from, length);
  name[length] = '\0';
}

// The exported symbol covering address (cheap: no file is read).
bool exported_symbol(uintptr_t address, uintptr_t* start, uintptr_t* end, char* name, size_t name_len) {
  Dl_info info;
  void* extra = nullptr;
  if (dladdr1(reinterpret_cast<void*>(address), &info, &extra, RTLD_DL_SYMENT) == 0) return false;
  const auto* symbol = static_cast<const ElfW(Sym)*>(extra);
  if (info.dli_sname == nullptr || info.dli_saddr == nullptr || symbol == nullptr) return false;
  uintptr_t begin = reinterpret_cast<uintptr_t>(info.dli_saddr);
  if (address < begin || address >= begin + symbol->st_size) return false;
  *start = begin;
  *end = begin + symbol->st_size;
  copy_name(name, name_len, info.dli_sname);
  return true;
}

// The loaded object holding address: its load bias and file name.
struct object_lookup {
  uintptr_t address;
  bool found;
  uintptr_t bias;
  const char* path;
};

int find_object(dl_phdr_info* info, size_t, void* argument) {
  auto* lookup = static_cast<object_lookup*>(argument);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& segment = info->dlpi_phdr[i];
    if (segment.p_type != PT_LOAD) continue;
    uintptr_t begin = info->dlpi_addr + segment.p_vaddr;
    if (lookup->address >= begin && lookup->address < begin + segment.p_memsz) {
      lookup->found = true;
      lookup->bias = info->dlpi_addr;
      lookup->path = info->dlpi_name;
      return 1;
    }
  }
  return 0;
}

// The function symbol of the file's .symtab covering address - bias.
bool file_symbol(const char* path, uintptr_t bias, uintptr_t address, uintptr_t* start, uintptr_t* end,
                 char* name, size_t name_len) {
  int fd = open_inflight_file(path, O_RDONLY);
  if (fd < 0) return false;
  struct stat st;
  void* image = MAP_FAILED;
  if (fstat(fd, &st) == 0 && st.st_size >= static_cast<off_t>(sizeof(ElfW(Ehdr))))
    image = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
  close_inflight(&fd);
  if (image == MAP_FAILED) return false;
  const auto* bytes = static_cast<const uint8_t*>(image);
  const size_t size = static_cast<size_t>(st.st_size);
  auto inside = [size](uint64_t offset, uint64_t length) { return offset <= size && length <= size - offset; };
  const auto* header = static_cast<const ElfW(Ehdr)*>(image);
  bool found = false;
  if (memcmp(header->e_ident, ELFMAG, SELFMAG) == 0 && header->e_shentsize == sizeof(ElfW(Shdr)) &&
      inside(header->e_shoff, uint64_t{header->e_shnum} * sizeof(ElfW(Shdr)))) {
    const auto* sections = reinterpret_cast<const ElfW(Shdr)*>(bytes + header->e_shoff);
    const uintptr_t wanted = address - bias;
    for (int i = 0; i < header->e_shnum && !found; ++i) {
      const ElfW(Shdr)& table = sections[i];
      if (table.sh_type != SHT_SYMTAB || table.sh_entsize != sizeof(ElfW(Sym)) || table.sh_link >= header->e_shnum)
        continue;
      const ElfW(Shdr)& strings = sections[table.sh_link];
      if (!inside(table.sh_offset, table.sh_size) || !inside(strings.sh_offset, strings.sh_size)) continue;
      const auto* symbols = reinterpret_cast<const ElfW(Sym)*>(bytes + table.sh_offset);
      size_t count = table.sh_size / sizeof(ElfW(Sym));
      for (size_t k = 0; k < count; ++k) {
        const ElfW(Sym)& symbol = symbols[k];
        if ((symbol.st_info & 0xf) != STT_FUNC || symbol.st_size == 0 || symbol.st_shndx == SHN_UNDEF) continue;
        if (wanted < symbol.st_value || wanted - symbol.st_value >= symbol.st_size) continue;
        if (symbol.st_name >= strings.sh_size) continue;
        const char* text = reinterpret_cast<const char*>(bytes + strings.sh_offset + symbol.st_name);
        size_t room = strings.sh_size - symbol.st_name;
        if (strnlen(text, room) == room) continue;  // not terminated inside the table
        *start = bias + symbol.st_value;
        *end = *start + symbol.st_size;
        copy_name(name, name_len, text);
        found = true;
        break;
      }
    }
  }
  munmap(image, size);
  return found;
}

}  // namespace

__attribute__((noinline)) int capture_backtrace(void** ips, int max, int skip) {
  constexpr int kMost = 64;
  if (max <= 0 || skip < 0) return 0;
  if (max > kMost) max = kMost;
  stack_frame frames[kMost];
  frame_walk walk{frames, max, skip + 1, 0};
  _Unwind_Backtrace(collect_frame, &walk);
  for (int i = 0; i < walk.count; ++i) ips[i] = reinterpret_cast<void*>(frames[i].ip);
  return walk.count;
}

__attribute__((noinline)) int capture_frames(stack_frame* frames, int max, int skip) {
  if (max <= 0 || skip < 0) return 0;
  frame_walk walk{frames, max, skip + 1, 0};
  _Unwind_Backtrace(collect_frame, &walk);
  return walk.count;
}

bool proc_extent(void* ip, uintptr_t* start, uintptr_t* end, char* name, size_t name_len) {
  char scratch[2];
  if (name == nullptr || name_len == 0) {
    name = scratch;
    name_len = sizeof scratch;
  }
  name[0] = '\0';
  if (ip == nullptr) return false;
  uintptr_t call = reinterpret_cast<uintptr_t>(ip) - 1;
  if (exported_symbol(call, start, end, name, name_len)) return true;
  object_lookup lookup{call, false, 0, nullptr};
  dl_iterate_phdr(find_object, &lookup);
  if (!lookup.found) return false;
  const char* path = lookup.path && lookup.path[0] ? lookup.path : "/proc/self/exe";
  return file_symbol(path, lookup.bias, call, start, end, name, name_len);
}

}  // namespace forkless
