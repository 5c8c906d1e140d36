// Per-thread state of the shim, in initial-exec TLS (no allocation on first
// use, safe in a preloaded library).
//
// - inside_shim: the re-entrancy guard. While set, every interposer passes
//   straight to libc, so the shim's own libc calls never re-enter the shim.
// - in_emulated_child: set in the child of an emulated fork (it shares the
//   parent's memory, so this TLS slot is the parent thread's and must be
//   cleared when the parent resumes). Spawning calls made there go to libc.
// - vfork_depth: raised by the program's own vfork() until the parent
//   resumes; the child shares the parent's memory and this TLS slot alike.
// Every interposer has a rule for both children (shared_memory_child()):
// they never change the library's state, which is the parent's, and never
// take a lock (the parent thread may hold it, suspended until the exec).
#pragma once

#include <cerrno>

namespace forkless {

struct thread_state {
  bool inside_shim;
  bool in_emulated_child;
  int vfork_depth;  // > 0 in a vfork child (nested vforks count)
};

thread_state& this_thread_state();

// Running in a child that shares the parent's memory: an emulated fork's or
// the program's vfork()'s.
inline bool shared_memory_child() {
  const thread_state& state = this_thread_state();
  return state.in_emulated_child || state.vfork_depth > 0;
}

// RAII guard for the re-entrancy flag; also saves and restores errno so that
// work the shim does on its own never changes what the caller sees.
class shim_scope {
 public:
  shim_scope();
  ~shim_scope();
  shim_scope(const shim_scope&) = delete;
  shim_scope& operator=(const shim_scope&) = delete;
  // True when the interposer must go straight to libc (re-entered, disabled,
  // or running in an emulated fork's or a vfork child).
  bool pass_through() const { return pass_through_; }
  // errno as the caller must see it when the interposer returns (the call's
  // own result); without this the caller's errno is restored.
  void set_result_errno(int value) {
    result_errno_ = value;
    result_errno_set_ = true;
  }
  // Keep whatever errno holds now (after a call to libc on the caller's behalf).
  void keep_errno() { set_result_errno(errno); }

 private:
  bool was_inside_;
  bool pass_through_;
  bool result_errno_set_ = false;
  int result_errno_ = 0;
  int saved_errno_;
};

}  // namespace forkless
