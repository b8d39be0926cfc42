// -----------------------------------------------------------------------------
// File: mck8s/sim/control.h
// -----------------------------------------------------------------------------
//
// The simulator's control plane for tests and demos: per-cluster faults and
// reachability (FaultInjector, consulted by the HTTP server on every request
// under /clusters/<name>/), and the JSON control endpoint that sets them,
// the load model and the nodes (ControlApi, served under /sim/v1/ on the
// same port to loopback peers only: others get 403 Forbidden).
//
//   GET    /sim/v1/clusters                    every cluster's state
//   GET    /sim/v1/clusters/C                  one cluster's state
//   PUT    /sim/v1/clusters/C/load             {"namespace": "default",
//                                               "deployment": "web" |
//                                               "selector": "app=web", "cpu":
//                                               "1.5", "networkReceive":
//                                               125000}
//                                              sets a workload's offered load
//                                              (cpu 0 and networkReceive 0
//                                              remove it)
//   GET    /sim/v1/clusters/C/load             the workloads' loads
//   POST   /sim/v1/clusters/C/nodes            {"group": "worker", "count": 2}
//                                              adds Ready workers of a node
//                                              group
//   DELETE /sim/v1/clusters/C/nodes/NODE       removes a node, evicting its
//   pods PUT    /sim/v1/clusters/C/reachability     {"reachable": false} PUT
//   /sim/v1/clusters/C/faults           {"errorRate": 0.5, "errorCode": 503,
//                                               "throttleRate": 0.1,
//                                               "retryAfterSeconds": 2,
//                                               "latencyRate": 1, "latency":
//                                               "200ms", "watchDropRate": 1,
//                                               "watchDropAfter": "1s"}
//   DELETE /sim/v1/clusters/C/faults           clears the faults
//
// Errors are JSON {"error": "..."} with 400 (bad body), 404 (unknown
// cluster, group or node) or 405.
//
// Semantics of the faults (each rate is a fraction of requests in [0, 1],
// applied deterministically: with rate r the n-th request is hit when
// floor(n*r) > floor((n-1)*r), so 0.5 hits every second request):
//
//   - unreachable: requests to the cluster are read and never answered;
//     the connection stays open until the client gives up (its timeout) or
//     closes it, as a site cut off by a network partition looks to a client
//     whose TCP connection is established (client-go sees its request
//     timeout or context deadline, not an HTTP error). Watches open on the
//     cluster are cut (connection closed without the terminating chunk)
//     when it becomes unreachable. Reachable again: new requests are served;
//   - errorRate: answered with errorCode (500, 502, 503 or 504) and a
//     kube-apiserver Status body;
//   - throttleRate: 429 TooManyRequests with `Retry-After:
//     retryAfterSeconds` and details.retryAfterSeconds, as API Priority and
//     Fairness rejects;
//   - latencyRate: answered after `latency` more;
//   - watchDropRate: a watch that starts is cut after `watchDropAfter`
//     (connection closed without the terminating chunk: client-go sees an
//     unexpected EOF and re-watches).
//
// Thread-safe: every method may be called from any thread.

#ifndef MCK8S_SIM_CONTROL_H_
#define MCK8S_SIM_CONTROL_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mck8s/sim/cluster_api.h"
#include "mck8s/sim/fleet.h"

namespace mck8s::sim {

struct ClusterFaults {
  double error_rate = 0;
  int error_code = 503;
  double throttle_rate = 0;
  int retry_after_seconds = 1;
  double latency_rate = 0;
  absl::Duration latency = absl::ZeroDuration();
  double watch_drop_rate = 0;
  absl::Duration watch_drop_after = absl::ZeroDuration();
};

class FaultInjector {
 public:
  // What to do with one request.
  struct Decision {
    bool hang = false;                    // unreachable: never answer
    std::optional<ApiResponse> response;  // an injected error, instead of serving
    absl::Duration delay = absl::ZeroDuration();
  };

  Decision Decide(absl::string_view cluster);
  // Whether a watch that just started on `cluster` is to be cut, and when.
  std::optional<absl::Duration> DropWatch(absl::string_view cluster);

  void SetFaults(absl::string_view cluster, const ClusterFaults& faults);
  ClusterFaults faults(absl::string_view cluster) const;
  void SetReachable(absl::string_view cluster, bool reachable);
  bool reachable(absl::string_view cluster) const;
  // Called (outside the injector's lock) when a cluster becomes unreachable.
  void SetUnreachableListener(std::function<void(const std::string& cluster)> listener);

 private:
  struct State {
    ClusterFaults faults;
    bool reachable = true;
    // Requests seen per fault kind (the deterministic rate).
    uint64_t errors_seen = 0, throttles_seen = 0, latencies_seen = 0, watches_seen = 0;
  };
  static bool Hit(double rate, uint64_t& seen);

  mutable absl::Mutex mu_;
  std::map<std::string, State, std::less<>> states_ ABSL_GUARDED_BY(mu_);
  std::function<void(const std::string&)> listener_ ABSL_GUARDED_BY(mu_);
};

class ControlApi {
 public:
  // `fleet` and `faults` must outlive this object.
  ControlApi(Fleet& fleet, FaultInjector& faults);

  // `request.path` is the whole path ("/sim/v1/clusters/nantes/load").
  ApiResponse Handle(const ApiRequest& request);

 private:
  std::string ClusterState(const std::string& cluster) const;

  Fleet& fleet_;
  FaultInjector& faults_;
};

}  // namespace mck8s::sim

#endif  // MCK8S_SIM_CONTROL_H_
