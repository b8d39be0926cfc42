// -----------------------------------------------------------------------------
// File: mck8s/gateway/gateway.h
// -----------------------------------------------------------------------------
//
// The collector behind the cluster-state feed. For every MemberCluster
// (fogguru.eu/v1) on the management cluster it keeps:
//
//   * informers on the member's Nodes, Pods and Deployments (list once,
//     then watch; never re-listed periodically), from which capacity, free
//     room per node, pod counts and workload replicas are computed
//     (cluster_model.h); their caches keep only the fields the model reads
//     (TrimNode, TrimPod, TrimDeployment);
//   * a poll, once per collection round, of the member's API server
//     (GET /version: reachability), of metrics.k8s.io (node and pod usage;
//     a member that does not serve the API is reported without a METRICS
//     source and asked again every few rounds, not counted as failing) and
//     of the Prometheus the MemberCluster names in spec.prometheus.url;
//   * the time of each source's last success and its last error.
//
// A member whose API server has not answered for longer than
// `unreachable_after` is published HEALTH_STATE_UNREACHABLE with its last
// known figures; it turns READY again at the first answer. Round-trip times
// come from the RttSources (rtt.h), layered as documented there.
//
// Publishing: informer events and poll results mark their cluster dirty;
// the publisher waits `batch_window` after the first mark (so a burst of
// events becomes one revision), rebuilds the dirty clusters' statuses and
// publishes them to the Feed. The first snapshot is published once every
// registered member has synced its informers and been polled, or has been
// given up on (`unreachable_after` without an answer); Ready() turns true
// then.
//
// Metrics (on options.metrics):
//   mck8s_gateway_source_sync_duration_seconds{source}       histogram, per poll
//   mck8s_gateway_source_errors_total{member_cluster,source}  counter
//   mck8s_gateway_source_staleness_seconds{member_cluster,source}
//                                                   gauge, now - last success
//   mck8s_gateway_member_clusters{state}             gauge, clusters per health state
//   mck8s_gateway_snapshot_revision                  gauge
//   mck8s_gateway_initial_sync_seconds               gauge, start to first snapshot
//   mck8s_gateway_watch_streams                      gauge
//
// Usage:
//
//   Feed feed(NewIncarnation());
//   Gateway gateway(management_client, feed, options);
//   MCK8S_RETURN_IF_ERROR(gateway.Start());
//   ...
//   gateway.Stop();
//
// Memory: once ready, the publisher hands free heap memory back to the
// system every minute (malloc_trim): the first sync's lists leave much of
// it scattered over glibc's per-thread arenas.
//
// Thread safety: Start/Stop from one thread; Ready() and ReadyStatus()
// from any.

#ifndef MCK8S_GATEWAY_GATEWAY_H_
#define MCK8S_GATEWAY_GATEWAY_H_

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mck8s/gateway/feed.h"
#include "mck8s/gateway/prometheus.h"
#include "mck8s/gateway/rtt.h"
#include "mck8s/kubeapi/client.h"
#include "mck8s/kubeapi/fleet.h"
#include "mck8s/kubeapi/informer.h"
#include "mck8s/runtime/metrics.h"

namespace mck8s::gateway {

inline kubeapi::ClientOptions DefaultMemberClientOptions() {
  kubeapi::ClientOptions options;
  options.qps = 20;
  options.burst = 40;
  options.max_retries = 1;
  options.request_timeout = absl::Seconds(30);
  options.connect_timeout = absl::Seconds(5);
  // Three watches stream on their own connections; one more serves lists
  // and polls. Each connection costs a socket and its event loop's
  // descriptors, which adds up over a thousand members.
  options.max_idle_connections = 1;
  options.user_agent = "mck8s-metrics-gateway";
  return options;
}

struct GatewayOptions {
  // Namespace of the kubeconfig Secrets and of the RTT ConfigMap.
  std::string fleet_namespace = "mck8s-system";
  // How often members are polled (reachability, metrics.k8s.io,
  // Prometheus, RTT).
  absl::Duration collection_interval = absl::Seconds(10);
  // A member whose API server has not answered for this long is
  // UNREACHABLE; a source stale for this long makes the member DEGRADED.
  absl::Duration unreachable_after = absl::Seconds(30);
  // Deadline of one poll request.
  absl::Duration request_timeout = absl::Seconds(5);
  // How long the publisher gathers changes before publishing them.
  absl::Duration batch_window = absl::Milliseconds(50);
  // A member without metrics.k8s.io is asked again after this long.
  absl::Duration metrics_api_recheck = absl::Minutes(1);
  // Threads polling members.
  int64_t poll_workers = 8;
  // Static RTT matrix file (YAML); empty: none.
  std::string rtt_file;
  // ConfigMap in fleet_namespace with the key `rtt.yaml`; empty: none.
  std::string rtt_configmap = "mck8s-rtt";
  // Measured RTTs (e.g. Serf); nullptr: none. Not owned.
  RttSource* measured_rtt = nullptr;
  PrometheusQueries prometheus;
  // Options of the member clients (rate limits, timeouts). Few retries:
  // a member that does not answer must show as such within a round.
  kubeapi::ClientOptions member_client_options = DefaultMemberClientOptions();
  // Backoff of the member informers after a failed list or watch; bounds
  // how long a recovered member takes to stream changes again.
  absl::Duration informer_max_backoff = absl::Seconds(5);
  // A member watch that receives nothing (not even a bookmark) for this
  // long is abandoned and made again from where it stopped (no relist), so
  // a watch left hanging by a partition does not outlive it. Longer than
  // the API server's bookmark period (about a minute for kube-apiserver).
  absl::Duration watch_idle_timeout = absl::Minutes(2);
  // Not owned; nullptr: runtime::Registry::Default().
  runtime::Registry* metrics = nullptr;
};

class Gateway {
 public:
  // `management` must outlive the gateway.
  Gateway(kubeapi::Client& management, Feed& feed, GatewayOptions options);
  ~Gateway();  // Stop()
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // Loads the static RTT file (INVALID_ARGUMENT / NOT_FOUND naming it),
  // then starts the informers and threads. Once only.
  absl::Status Start();
  // Stops every thread and informer. Idempotent.
  void Stop();

  // True once the first snapshot was published.
  bool Ready() const { return ready_.load(); }
  // OK when ready, else UNAVAILABLE saying what is still awaited.
  absl::Status ReadyStatus() const;

 private:
  struct SourceHealth {
    absl::Time last_success = absl::InfinitePast();
    std::string last_error;
  };
  struct Member;
  struct Metrics;

  std::shared_ptr<Member> FindMember(const std::string& name) const;
  void OnMemberCluster(const std::string& name);
  void OnClient(const std::string& name, std::shared_ptr<kubeapi::Client> client);
  void MarkDirty(const std::string& name);
  void PublisherLoop();
  void RoundLoop();
  void WorkerLoop();
  void Poll(const std::shared_ptr<Member>& member);
  // Recombines the RTT layers; asks the measured source first when
  // `measure` (the round thread), else reuses its last table (a ConfigMap
  // change, on an informer thread that must not block on the network).
  void FetchRtt(bool measure);
  void ApplyClientChanges();
  // Whether the first snapshot may be published; `waiting` says for what.
  // Publisher thread only.
  bool Settled(absl::Time now, std::string* waiting) const;
  ClusterStatusPtr BuildStatus(Member& member, absl::Time now);
  void UpdateMetrics();
  void LoadRttConfigMap();

  kubeapi::Client& management_;
  Feed& feed_;
  GatewayOptions options_;
  runtime::Registry& registry_;
  std::unique_ptr<Metrics> metrics_;
  const absl::Time started_at_;

  kubeapi::Informer member_clusters_;
  std::unique_ptr<kubeapi::Informer> rtt_configmaps_;
  std::unique_ptr<kubeapi::FleetRegistry> fleet_;

  StaticRttSource file_rtt_;
  StaticRttSource configmap_rtt_;

  mutable absl::Mutex members_mu_;
  std::map<std::string, std::shared_ptr<Member>> members_ ABSL_GUARDED_BY(members_mu_);

  // Dirty clusters and client changes, consumed by the publisher.
  mutable absl::Mutex dirty_mu_;
  std::set<std::string> dirty_ ABSL_GUARDED_BY(dirty_mu_);
  std::map<std::string, std::shared_ptr<kubeapi::Client>> client_changes_
      ABSL_GUARDED_BY(dirty_mu_);
  bool rtt_dirty_ ABSL_GUARDED_BY(dirty_mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(dirty_mu_) = false;
  std::optional<RttTable> rtt_ ABSL_GUARDED_BY(dirty_mu_);
  std::optional<RttTable> measured_rtt_ ABSL_GUARDED_BY(dirty_mu_);
  std::string rtt_error_ ABSL_GUARDED_BY(dirty_mu_);
  absl::Time rtt_last_success_ ABSL_GUARDED_BY(dirty_mu_) = absl::InfinitePast();

  // Poll tasks for the workers.
  absl::Mutex tasks_mu_;
  std::deque<std::shared_ptr<Member>> tasks_ ABSL_GUARDED_BY(tasks_mu_);
  bool tasks_stopping_ ABSL_GUARDED_BY(tasks_mu_) = false;

  // What the first snapshot still waits for (publisher thread writes).
  mutable absl::Mutex waiting_mu_;
  std::string waiting_ ABSL_GUARDED_BY(waiting_mu_);

  std::atomic<bool> ready_{false};
  std::atomic<bool> started_{false};
  std::atomic<bool> stopped_{false};
  std::thread publisher_;
  std::thread rounds_;
  std::vector<std::thread> workers_;
};

}  // namespace mck8s::gateway

#endif  // MCK8S_GATEWAY_GATEWAY_H_
