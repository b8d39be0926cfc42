// -----------------------------------------------------------------------------
// File: mck8s/k8stypes/validation.h
// -----------------------------------------------------------------------------
//
// The Kubernetes syntax rules for names that label selectors, labels and
// object metadata use (k8s.io/apimachinery/pkg/util/validation):
//
//   qualified name (label and annotation keys):
//       [prefix "/"] name
//       prefix: a DNS-1123 subdomain, at most 253 characters
//       name:   at most 63 characters of [A-Za-z0-9_.-], starting and ending
//               with an alphanumeric
//   label value: empty, or at most 63 characters like a qualified name's name
//   DNS-1123 subdomain: at most 253 characters of [a-z0-9.-], each
//               dot-separated part starting and ending with an alphanumeric
//   DNS-1123 label: a subdomain without dots, at most 63 characters
//
// Each check returns OK or InvalidArgument whose message quotes the value and
// says which rule it breaks, in words close to the API server's so that users
// recognise them.
//
// Usage:
//
//   MCK8S_RETURN_IF_ERROR(ValidateLabelKey("app.kubernetes.io/name"));
//   MCK8S_RETURN_IF_ERROR(ValidateLabelValue(""));  // OK: values may be empty
//
// All functions are pure and thread-safe.

#ifndef MCK8S_K8STYPES_VALIDATION_H_
#define MCK8S_K8STYPES_VALIDATION_H_

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"

namespace mck8s::k8stypes {

inline constexpr size_t kQualifiedNameMaxLength = 63;
inline constexpr size_t kLabelValueMaxLength = 63;
inline constexpr size_t kDns1123SubdomainMaxLength = 253;
inline constexpr size_t kDns1123LabelMaxLength = 63;

// A label (or annotation) key: a qualified name.
absl::Status ValidateLabelKey(std::string_view key);
// A label value (empty allowed).
absl::Status ValidateLabelValue(std::string_view value);
// A DNS-1123 subdomain, e.g. an object name or a label key prefix.
absl::Status ValidateDns1123Subdomain(std::string_view value);
// A DNS-1123 label, e.g. a namespace name.
absl::Status ValidateDns1123Label(std::string_view value);

}  // namespace mck8s::k8stypes

#endif  // MCK8S_K8STYPES_VALIDATION_H_
