// -----------------------------------------------------------------------------
// File: mck8s/base/status_macros.h
// -----------------------------------------------------------------------------
//
// Propagation macros for absl::Status and absl::StatusOr<T>. Abseil 20220623
// ships none, so mck8s keeps this small set of its own.
//
// Usage:
//
//   absl::StatusOr<Config> LoadConfig(std::string_view path) {
//     MCK8S_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
//     MCK8S_RETURN_IF_ERROR(Validate(text));
//     return Parse(text);
//   }
//
// Both macros evaluate their argument exactly once and return the error
// unchanged (code and message) from the enclosing function, which must
// return absl::Status or absl::StatusOr<U>.

#ifndef MCK8S_BASE_STATUS_MACROS_H_
#define MCK8S_BASE_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns from the enclosing function when `expr` (an absl::Status) is not OK.
#define MCK8S_RETURN_IF_ERROR(expr)                      \
  do {                                                   \
    if (::absl::Status mck8s_status_ = (expr);           \
        !mck8s_status_.ok()) {                           \
      return mck8s_status_;                              \
    }                                                    \
  } while (false)

#define MCK8S_STATUS_MACROS_CONCAT_INNER_(a, b) a##b
#define MCK8S_STATUS_MACROS_CONCAT_(a, b) MCK8S_STATUS_MACROS_CONCAT_INNER_(a, b)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status from
// the enclosing function, otherwise moves the value into `lhs`, which may be
// a declaration (`auto x`, `const Foo& y` is not allowed: use a value).
#define MCK8S_ASSIGN_OR_RETURN(lhs, rexpr)                                    \
  MCK8S_ASSIGN_OR_RETURN_IMPL_(                                               \
      MCK8S_STATUS_MACROS_CONCAT_(mck8s_statusor_, __LINE__), lhs, rexpr)

#define MCK8S_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) {                                    \
    return std::move(statusor).status();                   \
  }                                                        \
  lhs = *std::move(statusor)

#endif  // MCK8S_BASE_STATUS_MACROS_H_
