#include "mck8s/kubeapi/event_recorder.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "mck8s/base/status_macros.h"
#include "mck8s/base/strings.h"
#include "mck8s/kubeapi/errors.h"
#include "mck8s/runtime/log.h"

namespace mck8s::kubeapi {
namespace {

std::string Timestamp(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

// Keys differ by a byte that cannot appear in the parts.
std::string AggregationKey(const Object& involved, EventType type, std::string_view reason,
                           std::string_view message) {
  std::string identity = involved.uid().empty()
                             ? absl::StrCat(ToAbsl(involved.kind()), "/",
                                            ToAbsl(involved.namespace_name()), "/",
                                            ToAbsl(involved.name()))
                             : std::string(involved.uid());
  return absl::StrCat(identity, std::string(1, '\0'), type == EventType::kWarning ? "W" : "N",
                      std::string(1, '\0'), ToAbsl(reason), std::string(1, '\0'),
                      ToAbsl(message));
}

}  // namespace

EventRecorder::EventRecorder(Client& client, std::string component, EventRecorderOptions options)
    : client_(client),
      component_(std::move(component)),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : client.rest().clock()) {}

absl::Status EventRecorder::Record(const Object& involved, EventType type,
                                   std::string_view reason, std::string_view message) {
  const absl::Time now = clock_.Now();
  const std::string key = AggregationKey(involved, type, reason, message);
  absl::MutexLock lock(&mu_);
  auto it = seen_.find(key);
  if (it != seen_.end() && now - it->second.last < options_.aggregation_window) {
    Seen& seen = it->second;
    Object patch;
    MCK8S_RETURN_IF_ERROR(patch.SetInt("/count", seen.count + 1));
    MCK8S_RETURN_IF_ERROR(patch.SetString("/lastTimestamp", Timestamp(now)));
    absl::StatusOr<Object> patched = client_.MergePatch(events_, seen.ns, seen.name, patch);
    if (patched.ok()) {
      ++seen.count;
      seen.last = now;
      lru_.splice(lru_.begin(), lru_, seen.lru);
      return absl::OkStatus();
    }
    if (!IsNotFound(patched.status())) {
      runtime::log::Warn("event not recorded",
                         {{"reason", std::string(reason)}, {"error", ErrorText(patched.status())}});
      return patched.status();
    }
    // The event expired on the server (events have a TTL): start a new one.
  }
  const std::string ns =
      involved.namespace_name().empty() ? "default" : std::string(involved.namespace_name());
  const std::string name = absl::StrCat(ToAbsl(involved.name()), ".",
                                        absl::StrFormat("%x", absl::ToUnixNanos(now)));
  Object event("v1", "Event");
  event.SetNamespace(ns);
  event.SetName(name);
  MCK8S_RETURN_IF_ERROR(event.SetString("/involvedObject/apiVersion", involved.api_version()));
  MCK8S_RETURN_IF_ERROR(event.SetString("/involvedObject/kind", involved.kind()));
  if (!involved.namespace_name().empty()) {
    MCK8S_RETURN_IF_ERROR(
        event.SetString("/involvedObject/namespace", involved.namespace_name()));
  }
  MCK8S_RETURN_IF_ERROR(event.SetString("/involvedObject/name", involved.name()));
  if (!involved.uid().empty()) {
    MCK8S_RETURN_IF_ERROR(event.SetString("/involvedObject/uid", involved.uid()));
  }
  if (!involved.resource_version().empty()) {
    MCK8S_RETURN_IF_ERROR(
        event.SetString("/involvedObject/resourceVersion", involved.resource_version()));
  }
  MCK8S_RETURN_IF_ERROR(event.SetString("/reason", reason));
  MCK8S_RETURN_IF_ERROR(event.SetString("/message", message));
  MCK8S_RETURN_IF_ERROR(
      event.SetString("/type", type == EventType::kWarning ? "Warning" : "Normal"));
  MCK8S_RETURN_IF_ERROR(event.SetString("/source/component", component_));
  if (!options_.host.empty()) MCK8S_RETURN_IF_ERROR(event.SetString("/source/host", options_.host));
  MCK8S_RETURN_IF_ERROR(event.SetString("/firstTimestamp", Timestamp(now)));
  MCK8S_RETURN_IF_ERROR(event.SetString("/lastTimestamp", Timestamp(now)));
  MCK8S_RETURN_IF_ERROR(event.SetInt("/count", 1));
  MCK8S_RETURN_IF_ERROR(event.SetString("/reportingComponent", component_));
  MCK8S_RETURN_IF_ERROR(event.SetString("/reportingInstance", options_.host));
  absl::StatusOr<Object> created = client_.Create(events_, event);
  if (!created.ok()) {
    runtime::log::Warn("event not recorded",
                       {{"reason", std::string(reason)}, {"error", ErrorText(created.status())}});
    return created.status();
  }
  if (it == seen_.end()) {
    lru_.push_front(key);
    it = seen_.emplace(key, Seen{}).first;
    it->second.lru = lru_.begin();
  } else {
    lru_.splice(lru_.begin(), lru_, it->second.lru);
  }
  it->second.ns = ns;
  it->second.name = name;
  it->second.count = 1;
  it->second.first = now;
  it->second.last = now;
  while (seen_.size() > options_.cache_size && !lru_.empty()) {
    seen_.erase(lru_.back());
    lru_.pop_back();
  }
  return absl::OkStatus();
}

}  // namespace mck8s::kubeapi
