// Site matching for fork(), with a per-chain cache.
//
// Hazards:
// - The key is the chain of the first kSiteFrames + 1 return addresses, not
//   the return address of fork alone: Perl calls fork() from Perl_my_fork for
//   system() (exec-bound) and for fork() (denied) alike.
// - The top of the listed function's frame (its canonical frame address)
//   bounds the stack the parent gets back after the child ran; it changes
//   with alloca, so a cached offset is only trusted when the word below it
//   still is the return address into the listed function's caller.
#include "fork_site_match.h"

#include <cstring>

#include "support/fork_safe_lock.h"
#include "support/unwinder.h"

namespace forkless {
namespace {

constexpr int kKeyFrames = kSiteFrames + 1;
constexpr int kCacheEntries = 64;
// Stack arguments of the listed function belong to it (the callee may write
// them): they lie just above its frame.
constexpr uintptr_t kStackArgumentsMargin = 256;

struct cache_entry {
  bool used;
  uintptr_t key[kKeyFrames];
  int key_frames;
  site_verdict verdict;
  int depth;
  uintptr_t frame_top_offset;  // from entry_sp, 0 unknown
  char site[kSiteNameMax];
};

// Both under shim_lock::fork_site_cache.
cache_entry cache[kCacheEntries];
int cache_next_victim = 0;

// The caller chain, beginning at return_address.
int caller_chain(void* return_address, uintptr_t* chain) {
  constexpr int kLook = kKeyFrames + 8;
  void* ips[kLook];
  int got = capture_backtrace(ips, kLook, 0);
  for (int i = 0; i < got; ++i) {
    if (ips[i] != return_address) continue;
    int count = 0;
    for (int j = i; j < got && count < kKeyFrames; ++j) chain[count++] = reinterpret_cast<uintptr_t>(ips[j]);
    return count;
  }
  return 0;
}

cache_entry* find(const uintptr_t* chain, int frames) {
  for (cache_entry& entry : cache) {
    if (entry.used && entry.key_frames == frames &&
        memcmp(entry.key, chain, sizeof(uintptr_t) * static_cast<size_t>(frames)) == 0) {
      return &entry;
    }
  }
  return nullptr;
}

void copy_name(char* to, const char* from) {
  size_t length = strlen(from);
  if (length >= kSiteNameMax) length = kSiteNameMax - 1;
  memcpy(to, from, length);
  to[length] = '\0';
}

// Names each frame of the chain and applies the lists: a denied function
// anywhere wins, else the innermost exec-bound one decides.
void classify_chain(const uintptr_t* chain, int frames, const char* extra_sites, cache_entry* entry) {
  entry->verdict = site_verdict::unlisted;
  entry->depth = -1;
  entry->site[0] = '\0';
  int look = frames < kSiteFrames ? frames : kSiteFrames;
  for (int i = 0; i < look; ++i) {
    uintptr_t start = 0;
    uintptr_t end = 0;
    char name[kSiteNameMax];
    if (!proc_extent(reinterpret_cast<void*>(chain[i]), &start, &end, name, sizeof name)) continue;
    // The return address lies inside [start, end] (ip - 1 within the extent).
    if (chain[i] - 1 < start || chain[i] - 1 >= end) continue;
    if (i == 0 && entry->verdict == site_verdict::unlisted) copy_name(entry->site, name);
    site_verdict verdict = classify_site(name, extra_sites);
    if (verdict == site_verdict::denied) {
      entry->verdict = verdict;
      entry->depth = i;
      copy_name(entry->site, name);
      return;
    }
    if (verdict == site_verdict::exec_bound && entry->verdict != site_verdict::exec_bound) {
      entry->verdict = verdict;
      entry->depth = i;
      copy_name(entry->site, name);
    }
  }
}

// Frame top of the function at depth, as an offset from entry_sp, through the
// full unwinder (stack pointers of each frame). 0 when not found.
uintptr_t measure_frame_top(const uintptr_t* chain, int frames, int depth, uintptr_t entry_sp) {
  if (depth + 1 >= frames) return 0;
  constexpr int kLook = kKeyFrames + 8;
  stack_frame found[kLook];
  int got = capture_frames(found, kLook, 0);
  for (int i = 0; i + depth + 1 < got; ++i) {
    if (found[i].ip != chain[0]) continue;
    uintptr_t top = found[i + depth + 1].sp;  // the caller's sp: the listed frame's CFA
    if (top <= entry_sp) return 0;
    return top - entry_sp;
  }
  return 0;
}

bool offset_still_valid(uintptr_t entry_sp, uintptr_t offset, uintptr_t return_into_caller) {
  if (offset < sizeof(uintptr_t)) return false;
  uintptr_t word;
  memcpy(&word, reinterpret_cast<const void*>(entry_sp + offset - sizeof(uintptr_t)), sizeof word);
  return word == return_into_caller;
}

}  // namespace

bool match_fork_site(void* return_address, uintptr_t entry_sp, const char* extra_sites,
                     site_match* out) {
  uintptr_t chain[kKeyFrames];
  int frames = caller_chain(return_address, chain);
  if (frames == 0) return false;

  cache_entry decided;
  cache_entry* hit;
  {
    locked held(shim_lock::fork_site_cache);
    hit = find(chain, frames);
    if (hit != nullptr) decided = *hit;
  }

  if (hit == nullptr) {
    // Named outside the lock: naming reads ELF files and may take a while.
    memset(&decided, 0, sizeof decided);
    decided.used = true;
    memcpy(decided.key, chain, sizeof(uintptr_t) * static_cast<size_t>(frames));
    decided.key_frames = frames;
    classify_chain(chain, frames, extra_sites, &decided);
  }

  uintptr_t offset = 0;
  if (decided.verdict == site_verdict::exec_bound) {
    uintptr_t into_caller = decided.depth + 1 < frames ? chain[decided.depth + 1] : 0;
    offset = decided.frame_top_offset;
    if (offset == 0 || !offset_still_valid(entry_sp, offset, into_caller)) {
      offset = measure_frame_top(chain, frames, decided.depth, entry_sp);
      if (offset != 0 && !offset_still_valid(entry_sp, offset, into_caller)) offset = 0;
    }
  }

  if (hit == nullptr || offset != decided.frame_top_offset) {
    decided.frame_top_offset = offset;
    locked held(shim_lock::fork_site_cache);
    cache_entry* slot = find(chain, frames);
    if (slot == nullptr) {
      slot = &cache[cache_next_victim];
      cache_next_victim = (cache_next_victim + 1) % kCacheEntries;
    }
    *slot = decided;
  }

  out->verdict = decided.verdict;
  out->depth = decided.depth;
  copy_name(out->site, decided.site);
  out->frame_top = offset != 0 ? entry_sp + offset + kStackArgumentsMargin : 0;
  return true;
}

}  // namespace forkless
