// libforkless.so, the front library: what every process that inherits
// LD_PRELOAD loads. It exports the interposed functions and nothing else
// happens until a process needs forkless: then it loads the core
// (libforkless-core.so, beside it) with dlopen and hands every call to it.
// A process that never spawns pays for a library about the size of an empty
// one (its constructor makes a few getenv calls and one pthread_atfork; its
// code is three pages).
//
// When the core is loaded (may_load below):
// - at start, from the constructor, in the first process (no
//   FORKLESS_HELPER_START=lazy: the launched program, whose core starts its
//   helper there with FORKLESS_MODE=always and sets the variable for its
//   descendants) and wherever every fork must be seen (FORKLESS_FORK=learn
//   or all);
// - else at the first spawn call: system, popen, posix_spawn, posix_spawnp,
//   posix_spawn_file_actions_init, and fork() while other threads run;
// - never in a vfork child (it shares the parent's memory and the loader's
//   locks), never after FORKLESS=0, never twice (a load that failed stays
//   failed: every call then goes to libc, exactly as without forkless).
// Until then each call goes to the next definition (libc's), resolved with
// dlsym(RTLD_NEXT) on its first use, all of them before a vfork.
//
// Hazards:
// - dlopen runs inside the program's call. A first spawn call made from a
//   signal handler that interrupted malloc or the dynamic loader could
//   deadlock in it: system, popen and posix_spawn are not
//   async-signal-safe anyway; fork is not either in a threaded process
//   (glibc's takes malloc's locks), and in a single-threaded one the front
//   does not load (_Fork never loads).
// - Another thread calling meanwhile: one thread loads (core_state), the
//   others go to libc until the core's entries are published, one by one
//   with release stores. Every route is exact, so either answer is right.
// - A fork by another thread during the load: the child never loads (its
//   copy says "loading" and no thread there will finish it).
// - No relocations at load beyond the dynamic linker's own: names are one
//   string, tables are in .bss, services are filled in when first needed.
#include <alloca.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "interpose/front_abi.h"
#include "interpose/missing_function.h"

extern "C" const char __ehdr_start[] __attribute__((visibility("hidden")));
extern "C" const char _end[] __attribute__((visibility("hidden")));

namespace forkless {
namespace {

__attribute__((tls_model("initial-exec"))) thread_local thread_block block;

thread_block* block_of_thread() { return &block; }

enum load_state : int { not_loaded, loading, loaded, failed };

int core_state = not_loaded;
bool enabled = true;
void* core_entries[interposed_count];
void* next_entries[interposed_count];
bool all_next_resolved = false;
void (*core_prepare)() = nullptr;
void (*core_parent)() = nullptr;
void (*core_child)() = nullptr;
front_services services;

// Every interposed name, in table order, each ended by a null byte.
constexpr char kNames[] =
#define FORKLESS_NAME(shape, ret, name, params, arguments) #name "\0"
    FORKLESS_INTERPOSED_FUNCTIONS(FORKLESS_NAME)
#undef FORKLESS_NAME
    ;

const char* name_of(int index) {
  const char* name = kNames;
  for (int i = 0; i < index; ++i) name += strlen(name) + 1;
  return name;
}


// A stand-in that fails with ENOSYS, for a function no library after the
// front defines.
void* missing_entry(int index) {
  switch (index) {
#define FORKLESS_MISSING(shape, ret, name, params, arguments) \
  case index_##name:                                          \
    return reinterpret_cast<void*>(&missing<ret params>::call);
    FORKLESS_INTERPOSED_FUNCTIONS(FORKLESS_MISSING)
#undef FORKLESS_MISSING
    default:
      return nullptr;
  }
}

bool inside_front(const void* address) {
  auto* byte = static_cast<const char*>(address);
  return byte >= __ehdr_start && byte < _end;
}

void* next_of(int index) {
  void* address = __atomic_load_n(&next_entries[index], __ATOMIC_ACQUIRE);
  if (address) return address;
  int saved_errno = errno;
  address = dlsym(RTLD_NEXT, name_of(index));
  if (!address || inside_front(address)) address = missing_entry(index);
  __atomic_store_n(&next_entries[index], address, __ATOMIC_RELEASE);
  errno = saved_errno;
  return address;
}

void resolve_all_next() {
  if (__atomic_load_n(&all_next_resolved, __ATOMIC_ACQUIRE)) return;
  for (int index = 0; index < interposed_count; ++index) next_of(index);
  __atomic_store_n(&all_next_resolved, true, __ATOMIC_RELEASE);
}

void set_fork_handlers(void (*prepare)(), void (*parent)(), void (*child)()) {
  __atomic_store_n(&core_parent, parent, __ATOMIC_RELEASE);
  __atomic_store_n(&core_child, child, __ATOMIC_RELEASE);
  __atomic_store_n(&core_prepare, prepare, __ATOMIC_RELEASE);
}

void run(void (**handler)()) {
  if (void (*call)() = __atomic_load_n(handler, __ATOMIC_ACQUIRE)) call();
}
void before_fork() { run(&core_prepare); }
void after_fork_in_parent() { run(&core_parent); }
void after_fork_in_child() {
  if (__atomic_load_n(&core_state, __ATOMIC_ACQUIRE) == loading) __atomic_store_n(&core_state, failed, __ATOMIC_RELEASE);
  run(&core_child);
}

bool setting_is(const char* name, const char* value) {
  const char* set = getenv(name);
  return set != nullptr && strcmp(set, value) == 0;
}

bool diagnostics_asked() {
  const char* level = getenv("FORKLESS_LOG");
  return level != nullptr && *level != '\0' && strcmp(level, "0") != 0;
}

// One line where the diagnostics go, when they are on, in their format: the
// core did not load, so every call goes to libc.
void note_core_not_loaded(const char* detail) {
  if (!diagnostics_asked()) return;
  char line[512];
  int length = snprintf(line, sizeof line, "forkless[%d]: note=core_not_loaded detail=%s\n",
                        static_cast<int>(getpid()), detail ? detail : "?");
  if (length <= 0) return;
  if (length >= static_cast<int>(sizeof line)) {
    length = sizeof line - 1;
    line[length - 1] = '\n';
  }
  // One key=value token: dlerror's words joined.
  for (char* c = strstr(line, "detail="); c && *c != '\n'; ++c)
    if (*c == ' ' || *c == '\t') *c = '_';
  const char* file = getenv("FORKLESS_LOG_FILE");
  int fd = file && *file ? open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600) : STDERR_FILENO;
  if (fd < 0) return;
  ssize_t ignored = write(fd, line, static_cast<size_t>(length));
  (void)ignored;
  if (fd != STDERR_FILENO) close(fd);
}

// The working directory at start, kept only when LD_PRELOAD names a library
// by a relative path with a directory in it: the loader resolved it from
// there, and the program may have moved by its first spawn.
char start_directory[PATH_MAX];

void keep_start_directory_if_needed() {
  const char* preload = getenv("LD_PRELOAD");
  if (preload == nullptr) return;
  // Entries are separated by spaces or colons.
  for (const char* entry = preload; *entry;) {
    size_t length = strcspn(entry, " :");
    const char* slash = static_cast<const char*>(memchr(entry, '/', length));
    if (length > 0 && entry[0] != '/' && slash != nullptr) {
      if (getcwd(start_directory, sizeof start_directory) == nullptr) start_directory[0] = '\0';
      return;
    }
    entry += length;
    if (*entry) ++entry;
  }
}

// The core's path: this library's directory and kCoreFileName. A front
// found by name alone (no slash) has its core found the same way.
bool core_path(char* path, size_t size) {
  Dl_info info;
  if (dladdr(reinterpret_cast<void*>(&core_state), &info) == 0 || info.dli_fname == nullptr) return false;
  const char* slash = strrchr(info.dli_fname, '/');
  size_t directory = slash ? static_cast<size_t>(slash - info.dli_fname) + 1 : 0;
  size_t prefix = 0;
  if (slash && info.dli_fname[0] != '/' && start_directory[0] != '\0') prefix = strlen(start_directory) + 1;
  if (prefix + directory + sizeof kCoreFileName > size) return false;
  if (prefix) {
    memcpy(path, start_directory, prefix - 1);
    path[prefix - 1] = '/';
  }
  memcpy(path + prefix, info.dli_fname, directory);
  memcpy(path + prefix + directory, kCoreFileName, sizeof kCoreFileName);
  return true;
}

bool attach_core() {
  char path[PATH_MAX];
  if (!core_path(path, sizeof path)) {
    note_core_not_loaded("own_path_unknown");
    return false;
  }
  void* handle = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
  if (handle == nullptr) {
    note_core_not_loaded(dlerror());
    return false;
  }
  auto* attach = reinterpret_cast<core_attach_function*>(dlsym(handle, kCoreAttachName));
  services = front_services{kFrontAbiVersion,  interposed_count, sizeof(thread_block), &block_of_thread,
                            &next_of,          &resolve_all_next, &set_fork_handlers};
  void* entries[interposed_count] = {};
  if (attach == nullptr || !attach(&services, entries)) {
    // Left loaded: its code may be on a stack or registered somewhere.
    note_core_not_loaded("core_refused");
    return false;
  }
  for (int index = 0; index < interposed_count; ++index)
    if (entries[index]) __atomic_store_n(&core_entries[index], entries[index], __ATOMIC_RELEASE);
  return true;
}

void load_core() {
  int expected = not_loaded;
  if (!__atomic_compare_exchange_n(&core_state, &expected, loading, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
    return;
  int saved_errno = errno;
  bool ok = attach_core();
  __atomic_store_n(&core_state, ok ? loaded : failed, __ATOMIC_RELEASE);
  errno = saved_errno;
}

bool may_load() {
  return enabled && block.state.vfork_depth == 0 && __atomic_load_n(&core_state, __ATOMIC_ACQUIRE) == not_loaded;
}

// procfs gives the task directory 2 + the number of threads links; unknown
// counts as "other threads" (the core then decides).
bool other_threads_running() {
  struct stat task;
  return stat("/proc/self/task", &task) != 0 || task.st_nlink > 3;
}

void* core_entry(int index) { return __atomic_load_n(&core_entries[index], __ATOMIC_ACQUIRE); }

void* passing_target(int index) {
  void* core = core_entry(index);
  return core ? core : next_of(index);
}

void* loading_target(int index) {
  void* core = core_entry(index);
  if (core) return core;
  if (may_load()) {
    load_core();
    if ((core = core_entry(index))) return core;
  }
  return next_of(index);
}

__attribute__((constructor(101))) void front_loaded() {
  enabled = !setting_is("FORKLESS", "0");
  if (!enabled) return;
  pthread_atfork(&before_fork, &after_fork_in_parent, &after_fork_in_child);
  keep_start_directory_if_needed();
  bool lazy = setting_is("FORKLESS_HELPER_START", "lazy");
  bool every_fork = setting_is("FORKLESS_FORK", "learn") || setting_is("FORKLESS_FORK", "all");
  if (!lazy || every_fork) load_core();
}

// execl, execle and execlp: the list becomes an argv on the stack (as
// glibc's own do; the child of an emulated fork must not allocate), in the
// frame that makes the exec, and goes to execv, execve or execvp.
enum class exec_list_kind { execl, execle, execlp };

int exec_list(exec_list_kind kind, const char* path, const char* arg0, va_list args) {
  va_list counting;
  va_copy(counting, args);
  size_t count = arg0 != nullptr ? 1 : 0;
  if (arg0 != nullptr) {
    while (va_arg(counting, const char*) != nullptr) ++count;
  }
  va_end(counting);
  auto** argv = static_cast<char**>(alloca((count + 1) * sizeof(char*)));
  argv[0] = const_cast<char*>(arg0);
  for (size_t i = 1; i < count; ++i) argv[i] = va_arg(args, char*);
  argv[count] = nullptr;
  using exec_v = int (*)(const char*, char* const*);
  switch (kind) {
    case exec_list_kind::execl:
      return reinterpret_cast<exec_v>(passing_target(index_execv))(path, argv);
    case exec_list_kind::execlp:
      return reinterpret_cast<exec_v>(passing_target(index_execvp))(path, argv);
    case exec_list_kind::execle:
      break;
  }
  // The environment follows the terminating null pointer.
  if (count > 0) va_arg(args, char*);
  char* const* envp = va_arg(args, char* const*);
  return reinterpret_cast<int (*)(const char*, char* const*, char* const*)>(passing_target(index_execve))(
      path, argv, envp);
}

}  // namespace
}  // namespace forkless

using namespace forkless;

#define FORKLESS_STUB_loads(ret, name, params, arguments)                                  \
  extern "C" __attribute__((visibility("default"))) ret name params {                      \
    return reinterpret_cast<ret(*) params>(loading_target(index_##name)) arguments;        \
  }
#define FORKLESS_STUB_passes(ret, name, params, arguments)                                 \
  extern "C" __attribute__((visibility("default"))) ret name params {                      \
    return reinterpret_cast<ret(*) params>(passing_target(index_##name)) arguments;        \
  }
#define FORKLESS_STUB_written(ret, name, params, arguments)
#define FORKLESS_STUB_entry(ret, name, params, arguments)
#define FORKLESS_STUB(shape, ret, name, params, arguments) FORKLESS_STUB_##shape(ret, name, params, arguments)
FORKLESS_INTERPOSED_FUNCTIONS(FORKLESS_STUB)
#undef FORKLESS_STUB

#define FORKLESS_EXPORT extern "C" __attribute__((visibility("default")))

// libc's prctl and syscall read their arguments as unsigned longs and longs,
// as many as the call may take; fcntl one pointer-sized argument.
FORKLESS_EXPORT int prctl(int option, ...) {
  va_list list;
  va_start(list, option);
  unsigned long a2 = va_arg(list, unsigned long), a3 = va_arg(list, unsigned long),
                a4 = va_arg(list, unsigned long), a5 = va_arg(list, unsigned long);
  va_end(list);
  return reinterpret_cast<int (*)(int, ...)>(passing_target(index_prctl))(option, a2, a3, a4, a5);
}

FORKLESS_EXPORT long syscall(long number, ...) {
  va_list list;
  va_start(list, number);
  long a[6];
  for (long& argument : a) argument = va_arg(list, long);
  va_end(list);
  return reinterpret_cast<long (*)(long, ...)>(passing_target(index_syscall))(number, a[0], a[1], a[2], a[3],
                                                                              a[4], a[5]);
}

FORKLESS_EXPORT int fcntl(int fd, int command, ...) {
  va_list list;
  va_start(list, command);
  void* argument = va_arg(list, void*);
  va_end(list);
  return reinterpret_cast<int (*)(int, int, ...)>(passing_target(index_fcntl))(fd, command, argument);
}

FORKLESS_EXPORT int fcntl64(int fd, int command, ...) {
  va_list list;
  va_start(list, command);
  void* argument = va_arg(list, void*);
  va_end(list);
  return reinterpret_cast<int (*)(int, int, ...)>(passing_target(index_fcntl64))(fd, command, argument);
}

FORKLESS_EXPORT int execl(const char* path, const char* arg0, ...) {
  va_list list;
  va_start(list, arg0);
  int result = exec_list(exec_list_kind::execl, path, arg0, list);
  va_end(list);
  return result;
}

FORKLESS_EXPORT int execlp(const char* file, const char* arg0, ...) {
  va_list list;
  va_start(list, arg0);
  int result = exec_list(exec_list_kind::execlp, file, arg0, list);
  va_end(list);
  return result;
}

FORKLESS_EXPORT int execle(const char* path, const char* arg0, ...) {
  va_list list;
  va_start(list, arg0);
  int result = exec_list(exec_list_kind::execle, path, arg0, list);
  va_end(list);
  return result;
}

FORKLESS_EXPORT void exit(int status) noexcept {
  reinterpret_cast<void (*)(int)>(passing_target(index_exit))(status);
  _exit(status);  // only if no exit() could be found
}

// The assembly entries' decisions (front_entry_x86_64.S).
//
// fork() and _Fork(): where to jump with the caller's stack untouched.
extern "C" __attribute__((visibility("hidden"))) void* forkless_front_fork_target(int underscore) {
  int index = underscore ? index__Fork : index_fork;
  void* core = core_entry(index);
  if (core) return core;
  if (!underscore && may_load()) {
    int saved_errno = errno;
    if (other_threads_running()) load_core();
    errno = saved_errno;
    if ((core = core_entry(index))) return core;
  }
  return next_of(index);
}

// The program's vfork(): every next definition resolved first (the child
// may call any of them, and must not be the one to take the loader's lock),
// then the thread marked as a vfork child's until the parent resumes.
extern "C" __attribute__((visibility("hidden"))) void forkless_front_vfork_enter() {
  resolve_all_next();
  ++block.state.vfork_depth;
}

extern "C" __attribute__((visibility("hidden"))) pid_t forkless_front_vfork_leave(long vfork_result) {
  --block.state.vfork_depth;
  if (vfork_result < 0) {
    errno = static_cast<int>(-vfork_result);
    return -1;
  }
  return static_cast<pid_t>(vfork_result);
}
