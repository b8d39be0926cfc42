#include "mck8s/k8stypes/validation.h"

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "mck8s/base/strings.h"

namespace mck8s::k8stypes {
namespace {

bool IsAlphanumeric(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool IsLowerAlphanumeric(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]
bool IsQualifiedNamePart(std::string_view s) {
  if (s.empty() || !IsAlphanumeric(s.front()) || !IsAlphanumeric(s.back())) return false;
  for (char c : s) {
    if (!IsAlphanumeric(c) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

// [a-z0-9]([-a-z0-9]*[a-z0-9])?
bool IsDns1123LabelSyntax(std::string_view s) {
  if (s.empty() || !IsLowerAlphanumeric(s.front()) || !IsLowerAlphanumeric(s.back())) {
    return false;
  }
  for (char c : s) {
    if (!IsLowerAlphanumeric(c) && c != '-') return false;
  }
  return true;
}

// label(\.label)*
bool IsDns1123SubdomainSyntax(std::string_view s) {
  size_t start = 0;
  while (true) {
    const size_t dot = s.find('.', start);
    if (!IsDns1123LabelSyntax(s.substr(start, dot - start))) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

std::string Quote(std::string_view value) {
  constexpr size_t kMaxShown = 300;
  std::string quoted =
      absl::StrCat("\"", absl::CHexEscape(ToAbsl(value.substr(0, kMaxShown))), "\"");
  if (value.size() > kMaxShown) absl::StrAppend(&quoted, "...");
  return quoted;
}

constexpr std::string_view kQualifiedNameRule =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start "
    "and end with an alphanumeric character (e.g. 'MyName', 'my.name', "
    "'123-abc')";
constexpr std::string_view kSubdomainRule =
    "must be a lowercase RFC 1123 subdomain: lower case alphanumeric "
    "characters, '-' or '.', each part starting and ending with an "
    "alphanumeric character (e.g. 'example.com')";
constexpr std::string_view kLabelRule =
    "must be a lowercase RFC 1123 label: lower case alphanumeric characters "
    "or '-', starting and ending with an alphanumeric character (e.g. "
    "'my-name', '123-abc')";

}  // namespace

absl::Status ValidateLabelKey(std::string_view key) {
  std::string_view name = key;
  const size_t slash = key.find('/');
  if (slash != std::string_view::npos) {
    if (key.find('/', slash + 1) != std::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "label key ", Quote(key),
          ": a qualified name is a name with an optional DNS subdomain prefix "
          "and one '/' (e.g. 'example.com/MyName')"));
    }
    const std::string_view prefix = key.substr(0, slash);
    name = key.substr(slash + 1);
    if (prefix.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("label key ", Quote(key), ": prefix part must be non-empty"));
    }
    if (absl::Status status = ValidateDns1123Subdomain(prefix); !status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("label key ", Quote(key), ": prefix part: ", status.message()));
    }
  }
  if (name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("label key ", Quote(key), ": name part must be non-empty"));
  }
  if (name.size() > kQualifiedNameMaxLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("label key ", Quote(key), ": name part must be no more than ",
                     kQualifiedNameMaxLength, " characters"));
  }
  if (!IsQualifiedNamePart(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("label key ", Quote(key), ": name part ", ToAbsl(kQualifiedNameRule)));
  }
  return absl::OkStatus();
}

absl::Status ValidateLabelValue(std::string_view value) {
  if (value.size() > kLabelValueMaxLength) {
    return absl::InvalidArgumentError(absl::StrCat("label value ", Quote(value),
                                                   " must be no more than ",
                                                   kLabelValueMaxLength, " characters"));
  }
  if (!value.empty() && !IsQualifiedNamePart(value)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "label value ", Quote(value), " must be empty or consist of alphanumeric "
        "characters, '-', '_' or '.', and must start and end with an alphanumeric "
        "character (e.g. 'MyValue', 'my_value', '12345')"));
  }
  return absl::OkStatus();
}

absl::Status ValidateDns1123Subdomain(std::string_view value) {
  if (value.size() > kDns1123SubdomainMaxLength) {
    return absl::InvalidArgumentError(absl::StrCat(Quote(value), " must be no more than ",
                                                   kDns1123SubdomainMaxLength,
                                                   " characters"));
  }
  if (!IsDns1123SubdomainSyntax(value)) {
    return absl::InvalidArgumentError(absl::StrCat(Quote(value), " ", ToAbsl(kSubdomainRule)));
  }
  return absl::OkStatus();
}

absl::Status ValidateDns1123Label(std::string_view value) {
  if (value.size() > kDns1123LabelMaxLength) {
    return absl::InvalidArgumentError(absl::StrCat(
        Quote(value), " must be no more than ", kDns1123LabelMaxLength, " characters"));
  }
  if (!IsDns1123LabelSyntax(value)) {
    return absl::InvalidArgumentError(absl::StrCat(Quote(value), " ", ToAbsl(kLabelRule)));
  }
  return absl::OkStatus();
}

}  // namespace mck8s::k8stypes
