#include "spawn_request.h"

#include <cstring>

namespace forkless::wire {
namespace {

// Upper bounds on counts, checked before allocating (the kernel's own limits
// are far lower; these only keep a hostile request from exhausting memory).
constexpr uint32_t kMaxStrings = 1u << 22;
constexpr uint32_t kMaxActions = 1u << 20;

void put_strings(wire_writer& out, uint32_t count, const char* const* strings) {
  out.put_u32(count);
  for (uint32_t i = 0; i < count; ++i) out.put_string(strings[i]);
}

bool get_strings(wire_reader& in, const decode_allocator& allocator, uint32_t* count,
                 const char* const** strings) {
  if (!in.get_u32(count) || *count > kMaxStrings || *count > in.remaining() / 5) return false;
  auto** array = static_cast<const char**>(
      allocator.allocate(allocator.context, (size_t{*count} + 1) * sizeof(char*)));
  if (!array) return false;
  for (uint32_t i = 0; i < *count; ++i)
    if (!in.get_string(&array[i])) return false;
  array[*count] = nullptr;
  *strings = array;
  return true;
}

void put_context(wire_writer& out, const process_context& context) {
  out.put_bytes(&context, offsetof(process_context, affinity));
  out.put_bytes(context.affinity, context.affinity_bytes <= kAffinityBytes ? context.affinity_bytes : 0);
}

bool get_context(wire_reader& in, process_context* context) {
  memset(context, 0, sizeof *context);
  if (!in.get_bytes(context, offsetof(process_context, affinity))) return false;
  if (context->affinity_bytes > kAffinityBytes) return false;
  return in.get_bytes(context->affinity, context->affinity_bytes) || context->affinity_bytes == 0;
}

bool valid_action_kind(uint32_t kind) {
  return kind >= static_cast<uint32_t>(file_action_kind::open) &&
         kind <= static_cast<uint32_t>(file_action_kind::tcsetpgrp);
}

bool action_has_path(uint32_t kind) {
  return kind == static_cast<uint32_t>(file_action_kind::open) ||
         kind == static_cast<uint32_t>(file_action_kind::chdir);
}

}  // namespace

void encode_spawn_request(const spawn_request& request, wire_writer& out) {
  out.put_u32(request.flags);
  out.put_string(request.path);
  out.put_string(request.search_path ? request.search_path : "");
  put_strings(out, request.argc, request.argv);
  put_strings(out, request.envc, request.envp);
  put_context(out, request.context);
  out.put_bytes(&request.attributes, sizeof request.attributes);
  out.put_u32(request.action_count);
  for (uint32_t i = 0; i < request.action_count; ++i) {
    const file_action& action = request.actions[i];
    out.put_u32(action.kind);
    out.put_i32(action.fd);
    out.put_i32(action.new_fd);
    out.put_i32(action.oflag);
    out.put_u32(action.mode);
    if (action_has_path(action.kind)) out.put_string(action.path);
  }
  out.put_u32(request.fd_count);
  out.put_bytes(request.fds, size_t{request.fd_count} * sizeof(fd_entry));
}

bool decode_spawn_request(wire_reader& in, uint32_t received_fds, const decode_allocator& allocator,
                          spawn_request* out) {
  memset(out, 0, sizeof *out);
  if (!in.get_u32(&out->flags) || !in.get_string(&out->path) || !in.get_string(&out->search_path))
    return false;
  if (!get_strings(in, allocator, &out->argc, &out->argv)) return false;
  if (!get_strings(in, allocator, &out->envc, &out->envp)) return false;
  if (!get_context(in, &out->context)) return false;
  if (!in.get_bytes(&out->attributes, sizeof out->attributes)) return false;
  if (!in.get_u32(&out->action_count) || out->action_count > kMaxActions ||
      out->action_count > in.remaining() / 20)
    return false;
  auto* actions = static_cast<file_action*>(
      allocator.allocate(allocator.context, (size_t{out->action_count} + 1) * sizeof(file_action)));
  if (!actions) return false;
  for (uint32_t i = 0; i < out->action_count; ++i) {
    file_action& action = actions[i];
    action.path = nullptr;
    if (!in.get_u32(&action.kind) || !valid_action_kind(action.kind) || !in.get_i32(&action.fd) ||
        !in.get_i32(&action.new_fd) || !in.get_i32(&action.oflag) || !in.get_u32(&action.mode))
      return false;
    if (action_has_path(action.kind) && !in.get_string(&action.path)) return false;
  }
  out->actions = actions;
  if (!in.get_u32(&out->fd_count) || out->fd_count + kFirstTableFd != received_fds) return false;
  const uint8_t* view;
  if (!in.get_view(&view, size_t{out->fd_count} * sizeof(fd_entry))) return false;
  auto* fds = static_cast<fd_entry*>(
      allocator.allocate(allocator.context, (size_t{out->fd_count} + 1) * sizeof(fd_entry)));
  if (!fds) return false;
  memcpy(fds, view, size_t{out->fd_count} * sizeof(fd_entry));
  for (uint32_t i = 0; i < out->fd_count; ++i)
    if (fds[i].target < 0) return false;
  out->fds = fds;
  return in.ok() && in.remaining() == 0;
}

void encode_spawn_reply(const spawn_reply& reply, wire_writer& out) {
  out.put_bytes(&reply, sizeof reply);
}

bool decode_spawn_reply(wire_reader& in, spawn_reply* out) {
  return in.get_bytes(out, sizeof *out) && in.remaining() == 0;
}

const char* context_step_name(int32_t step) {
  static const char* const names[] = {
      "none",     "cwd",      "umask",        "descriptors", "signals",     "rlimits",
      "credentials", "nice",  "scheduler",    "affinity",    "process_group", "ioprio",
      "personality", "timerslack", "no_new_privs", "oom_score_adj", "coredump_filter",
      "thp_disable", "mempolicy", "securebits"};
  if (step < 0 || static_cast<size_t>(step) >= sizeof names / sizeof names[0]) return "unknown";
  return names[step];
}

}  // namespace forkless::wire
