// -----------------------------------------------------------------------------
// File: mck8s/base/strings.h
// -----------------------------------------------------------------------------
//
// Debian 12's Abseil (20220623) is built with ABSL_OPTION_USE_STD_STRING_VIEW
// set to 0: absl::string_view is its own type and std::string_view does not
// convert to it. mck8s's interfaces speak std::string_view; these two
// functions cross the border where an Abseil function takes a string_view
// (absl::StrCat, absl::StrSplit, absl::SimpleAtoi, ...).
//
//   absl::StrCat("unknown flag: --", ToAbsl(name));

#ifndef MCK8S_BASE_STRINGS_H_
#define MCK8S_BASE_STRINGS_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace mck8s {

inline absl::string_view ToAbsl(std::string_view s) { return {s.data(), s.size()}; }
inline std::string_view ToStd(absl::string_view s) { return {s.data(), s.size()}; }

}  // namespace mck8s

#endif  // MCK8S_BASE_STRINGS_H_
