// Private helper: this platform's Abseil is built with its own
// absl::string_view (ABSL_OPTION_USE_STD_STRING_VIEW == 0), which does not
// convert from std::string_view. The public API speaks std::string_view; these
// adapters hand views to Abseil's string functions without copying.

#ifndef MCK8S_K8STYPES_SRC_ABSL_COMPAT_H_
#define MCK8S_K8STYPES_SRC_ABSL_COMPAT_H_

#include <string_view>

#include "absl/strings/string_view.h"

namespace mck8s::k8stypes::internal {

inline absl::string_view ToAbsl(std::string_view view) {
  return absl::string_view(view.data(), view.size());
}

}  // namespace mck8s::k8stypes::internal

#endif  // MCK8S_K8STYPES_SRC_ABSL_COMPAT_H_
