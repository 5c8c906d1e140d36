// The helper's own check of who is asking, independent of the shim.
//
// The shim starts a fresh helper when the program's credentials change, but
// the channel stays open until the next spawn, and a program that dropped
// privileges could write a request to it by hand. So before every spawn the
// helper compares the calling thread's credentials (ids, groups,
// capabilities, no_new_privs, seccomp) with its own, as the kernel reports
// them in /proc/<caller>/task/<tid>/status, and refuses on any difference.
// The caller is the helper's parent (getppid, which the request cannot
// forge); the tid is the request's, and must be one of that process's
// threads. Resource limits are likewise read from the kernel (prlimit on the
// caller), never taken from the request, so a child never gets a hard limit
// its caller gave up. The signals the caller ignores come from the same
// status read (SigIgn), which saves the caller 64 sigaction calls per spawn.
//
// Who the caller is comes from the kernel too: the helper's end of the
// channel has SO_PASSCRED, and a message is served only when every record's
// attested sender is the helper's parent with the helper's real uid and gid
// (main.cpp). Securebits are the exception: no /proc file shows another
// process's, so the request's word is compared with the helper's own. That
// claim cannot give a hand-written request a privilege: securebits only
// withhold capabilities at exec, and the capability sets (checked from the
// kernel above) already equal the helper's, so a caller that lies about them
// gets no capability it does not hold itself.
#pragma once

#include <cstddef>
#include <cstdint>
#include <sys/types.h>

#include "spawn_request.h"

namespace forkless::helper {

// Reads the helper's own credential lines; call once at start.
bool capture_own_credentials();

// True when the caller's thread has exactly the helper's credentials; then
// *ignored_signals is the caller's SigIgn (bit n-1: signal n is SIG_IGN).
bool caller_credentials_match(pid_t caller, pid_t tid, uint64_t* ignored_signals);

// Replaces the request's limits by the caller's actual ones. False if they
// cannot be read.
bool read_caller_rlimits(pid_t caller, wire::process_context* context);

// Replaces the request's oom_score_adj and coredump_filter by the caller's
// (from /proc/<caller>: lowering oom_score_adj takes a privilege, so it is
// never taken from the request). False if they cannot be read.
bool read_caller_process_settings(pid_t caller, wire::process_context* context);

// True when the attested sender of a message is the helper's own real uid
// and gid.
bool sender_ids_match(uint32_t uid, uint32_t gid);

// True when the securebits the request names are the helper's own (ignoring
// SECBIT_KEEP_CAPS, which every exec clears, the helper's own included).
bool securebits_match(uint32_t claimed);

// The number a small /proc file holds (oom_score_adj, coredump_filter),
// read from its first line in `base`. False if it cannot be read.
bool read_proc_number(const char* path, int base, long long* value);

// The pure parts, input to output.

// A thread's credential signature, from its /proc/<pid>/task/<tid>/status
// text (terminated): the first line starting with each of Uid:, Gid:,
// Groups:, CapInh:, CapPrm:, CapEff:, CapBnd:, CapAmb:, NoNewPrivs:,
// Seccomp: and Seccomp_filters:, in that order, each with a newline, into
// out (*length bytes, not terminated). A key that is missing adds nothing.
// With ignored_signals, also the hex SigIgn mask (a key after the first
// line). False when no key is found, the signature exceeds capacity, or a
// wanted SigIgn is missing or not hex.
bool credential_signature_of(const char* status, char* out, size_t capacity, size_t* length,
                             uint64_t* ignored_signals);

// strtoll's reading of text in base (leading white space, a sign, digits up
// to the first other character) into *value; false when no digit was read.
bool parse_proc_number(const char* text, int base, long long* value);

// securebits_match with the helper's own word given: own < 0 (it could not
// be read) matches nothing.
bool securebits_equal(int own, uint32_t claimed);

}  // namespace forkless::helper
