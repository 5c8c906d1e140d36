// missing<Signature>::call: the stand-in for a function no library after
// forkless defines. It fails as libc's calls fail: ENOSYS, and -1 or a null
// pointer (a variadic one takes its fixed arguments only).
#pragma once

#include <cerrno>
#include <type_traits>

namespace forkless {

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
template <typename R, typename... A>
struct missing<R(A..., ...)> {
  static R call(A..., ...) {
    errno = ENOSYS;
    return static_cast<R>(-1);
  }
};

}  // namespace forkless
