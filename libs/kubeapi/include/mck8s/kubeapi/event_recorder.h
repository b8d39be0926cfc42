// -----------------------------------------------------------------------------
// File: mck8s/kubeapi/event_recorder.h
// -----------------------------------------------------------------------------
//
// Records core/v1 Events about objects ("kubectl describe" shows them), the
// way client-go's recorder does for controllers:
//
//   * The event is created in the involved object's namespace ("default"
//     for cluster-scoped objects), named <object name>.<hex nanoseconds>,
//     with involvedObject, reason, message, type (Normal/Warning), source
//     {component, host}, first/lastTimestamp, count, reportingComponent and
//     reportingInstance.
//   * The same event again (same object uid, type, reason and message)
//     within the aggregation window is not a new Event: the existing one
//     gets count+1 and a new lastTimestamp (a merge patch), so a reconcile
//     loop that fails the same way every 10 s does not flood etcd.
//
// Usage:
//
//   EventRecorder events(client, "mck8s-scheduler");
//   events.Warning(mcd, "PlacementFailed", "no cluster has 4 CPUs free");
//
// Recording blocks for one request; failures are logged and returned, and
// callers usually ignore them (an event is never worth failing a reconcile).
// Thread-safe.

#ifndef MCK8S_KUBEAPI_EVENT_RECORDER_H_
#define MCK8S_KUBEAPI_EVENT_RECORDER_H_

#include <list>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mck8s/kubeapi/client.h"
#include "mck8s/kubeapi/clock.h"

namespace mck8s::kubeapi {

enum class EventType { kNormal, kWarning };

struct EventRecorderOptions {
  std::string host;      // source.host and reportingInstance
  absl::Duration aggregation_window = absl::Minutes(10);
  size_t cache_size = 4096;  // distinct events remembered for aggregation
  Clock* clock = nullptr;    // nullptr: the client's clock
};

class EventRecorder {
 public:
  EventRecorder(Client& client, std::string component, EventRecorderOptions options = {});

  absl::Status Record(const Object& involved, EventType type, std::string_view reason,
                      std::string_view message);
  absl::Status Normal(const Object& involved, std::string_view reason, std::string_view message) {
    return Record(involved, EventType::kNormal, reason, message);
  }
  absl::Status Warning(const Object& involved, std::string_view reason,
                       std::string_view message) {
    return Record(involved, EventType::kWarning, reason, message);
  }

 private:
  struct Seen {
    std::string ns;
    std::string name;
    int64_t count = 0;
    absl::Time first;
    absl::Time last;
    std::list<std::string>::iterator lru;
  };

  Client& client_;
  const std::string component_;
  const EventRecorderOptions options_;
  Clock& clock_;
  const GroupVersionResource events_{"", "v1", "events"};

  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Seen> seen_ ABSL_GUARDED_BY(mu_);
  std::list<std::string> lru_ ABSL_GUARDED_BY(mu_);  // most recent first
};

}  // namespace mck8s::kubeapi

#endif  // MCK8S_KUBEAPI_EVENT_RECORDER_H_
