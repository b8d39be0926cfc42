#include "mck8s/k8stypes/object_key.h"

#include <string>
#include <string_view>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "mck8s/base/strings.h"

namespace mck8s::k8stypes {
namespace {

std::string Quote(std::string_view text) {
  constexpr size_t kMaxShown = 200;
  std::string quoted =
      absl::StrCat("\"", absl::CHexEscape(ToAbsl(text.substr(0, kMaxShown))), "\"");
  if (text.size() > kMaxShown) absl::StrAppend(&quoted, "...");
  return quoted;
}

// Splits "a/b" or "b" into (a, b); false for more than one '/' or an empty
// side of the '/'.
bool SplitOptionalPrefix(std::string_view text, std::string_view& prefix,
                         std::string_view& rest) {
  const size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    prefix = {};
    rest = text;
    return !rest.empty();
  }
  prefix = text.substr(0, slash);
  rest = text.substr(slash + 1);
  return !prefix.empty() && !rest.empty() && rest.find('/') == std::string_view::npos;
}

}  // namespace

absl::StatusOr<ObjectKey> ObjectKey::Parse(std::string_view key) {
  std::string_view ns;
  std::string_view name;
  if (!SplitOptionalPrefix(key, ns, name)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid object key ", Quote(key), ": expected \"namespace/name\" or \"name\""));
  }
  return ObjectKey{std::string(ns), std::string(name)};
}

std::string ObjectKey::String() const {
  return ns.empty() ? name : absl::StrCat(ns, "/", name);
}

absl::StatusOr<GroupVersion> GroupVersion::Parse(std::string_view api_version) {
  std::string_view group;
  std::string_view version;
  if (!SplitOptionalPrefix(api_version, group, version)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid apiVersion ", Quote(api_version),
                     ": expected \"group/version\" or \"version\" (e.g. \"apps/v1\", \"v1\")"));
  }
  return GroupVersion{std::string(group), std::string(version)};
}

std::string GroupVersion::String() const {
  return group.empty() ? version : absl::StrCat(group, "/", version);
}

GroupVersionKind GroupVersion::WithKind(std::string kind) const {
  return GroupVersionKind{group, version, std::move(kind)};
}

GroupVersionResource GroupVersion::WithResource(std::string resource) const {
  return GroupVersionResource{group, version, std::move(resource)};
}

absl::StatusOr<GroupVersionKind> GroupVersionKind::FromApiVersionAndKind(
    std::string_view api_version, std::string_view kind) {
  absl::StatusOr<GroupVersion> group_version = GroupVersion::Parse(api_version);
  if (!group_version.ok()) return group_version.status();
  if (kind.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("object of apiVersion ", Quote(api_version), " has an empty kind"));
  }
  return group_version->WithKind(std::string(kind));
}

std::string GroupVersionKind::String() const {
  return absl::StrCat(group, "/", version, ", Kind=", kind);
}

std::string GroupVersionResource::String() const {
  return absl::StrCat(group, "/", version, ", Resource=", resource);
}

}  // namespace mck8s::k8stypes
