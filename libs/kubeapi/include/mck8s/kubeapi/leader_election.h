// -----------------------------------------------------------------------------
// File: mck8s/kubeapi/leader_election.h
// -----------------------------------------------------------------------------
//
// Leader election on a coordination.k8s.io/v1 Lease, as client-go's
// leaderelection package does it, so that two replicas of a controller never
// act at once:
//
//   * Candidates try to acquire the lease every retry_period. A lease held
//     by someone else is taken over only when its holder has not renewed it
//     for lease_duration, measured on the candidate's own clock from the
//     moment it last saw the lease change (no clock sync between hosts).
//   * The leader renews every retry_period. If it cannot renew for
//     renew_deadline it stops leading (on_stopped_leading) before others may
//     take over (lease_duration > renew_deadline).
//   * Stop() while leading releases the lease (holder cleared,
//     leaseDurationSeconds 1), so a successor takes over at once.
//   * Updates are conditional (resourceVersion): two candidates racing for
//     an expired lease cannot both win.
//
// The lease record (spec): holderIdentity, leaseDurationSeconds,
// acquireTime, renewTime (RFC 3339 with microseconds), leaseTransitions.
//
// Metric: leader_election_master_status{name} (1 leading, 0 not).
//
// Usage:
//
//   LeaderElectionOptions options;
//   options.lease_namespace = "mck8s-system";
//   options.lease_name = "mck8s-scheduler";
//   options.identity = hostname;
//   options.on_started_leading = [&] { controllers.Start(); };
//   options.on_stopped_leading = [&] { controllers.Stop(); };
//   MCK8S_ASSIGN_OR_RETURN(auto elector, LeaderElector::Create(client, options));
//   std::thread election([&] { elector->Run(); });
//   ... on SIGTERM: elector->Stop(); election.join();
//
// Callbacks run on the Run() thread and must return promptly (start or stop
// work, do not do it), or renewals are delayed.
//
// Thread safety: Stop(), IsLeader() and Leader() from any thread; Run() on
// one thread, once.

#ifndef MCK8S_KUBEAPI_LEADER_ELECTION_H_
#define MCK8S_KUBEAPI_LEADER_ELECTION_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mck8s/kubeapi/client.h"
#include "mck8s/kubeapi/clock.h"

namespace mck8s::runtime {
class Gauge;
class Registry;
}  // namespace mck8s::runtime

namespace mck8s::kubeapi {

struct LeaderElectionOptions {
  std::string lease_namespace;
  std::string lease_name;
  std::string identity;  // unique per candidate (pod name, hostname_uuid)
  absl::Duration lease_duration = absl::Seconds(15);
  absl::Duration renew_deadline = absl::Seconds(10);
  absl::Duration retry_period = absl::Seconds(2);
  std::function<void()> on_started_leading;
  std::function<void()> on_stopped_leading;
  // A different identity was seen holding the lease (also our own).
  std::function<void(const std::string& identity)> on_new_leader;
  bool release_on_cancel = true;
  Clock* clock = nullptr;                // nullptr: the client's clock
  runtime::Registry* metrics = nullptr;  // nullptr: Registry::Default()
};

// What a Lease says.
struct LeaseRecord {
  std::string holder_identity;
  int64_t lease_duration_seconds = 0;
  std::optional<absl::Time> acquire_time;
  std::optional<absl::Time> renew_time;
  int64_t lease_transitions = 0;
};

// Lease spec <-> record. Parsing tolerates missing fields; times that do
// not parse are left unset.
LeaseRecord LeaseRecordFromObject(const Object& lease);
void SetLeaseRecord(const LeaseRecord& record, Object* lease);
// Kubernetes' MicroTime: "2026-01-01T10:00:00.123456Z".
std::string FormatMicroTime(absl::Time time);

class LeaderElector {
 public:
  // INVALID_ARGUMENT unless namespace, name and identity are set and
  // lease_duration > renew_deadline > retry_period > 0.
  static absl::StatusOr<std::unique_ptr<LeaderElector>> Create(Client& client,
                                                               LeaderElectionOptions options);
  ~LeaderElector();

  // Campaigns until leading, leads until the lease is lost or Stop() is
  // called, then returns (after on_stopped_leading if it led). One use.
  void Run();
  void Stop();

  bool IsLeader() const;
  // The holder last seen ("" when none).
  std::string Leader() const;

 private:
  LeaderElector(Client& client, LeaderElectionOptions options);
  // One attempt to acquire or renew; true when we hold the lease after it.
  bool TryAcquireOrRenew();
  void Release();
  // Waits on the clock; false when stopped.
  bool Sleep(absl::Duration duration);

  Client& client_;
  const LeaderElectionOptions options_;
  Clock& clock_;
  runtime::Gauge& master_status_;
  const GroupVersionResource leases_{"coordination.k8s.io", "v1", "leases"};

  mutable absl::Mutex mu_;
  bool stopped_ ABSL_GUARDED_BY(mu_) = false;
  bool leading_ ABSL_GUARDED_BY(mu_) = false;
  std::string observed_holder_ ABSL_GUARDED_BY(mu_);
  // The lease as last seen and when (our clock): takeover is judged from it.
  std::string observed_spec_;
  absl::Time observed_time_;
  LeaseRecord observed_record_;
  std::string observed_resource_version_;
};

}  // namespace mck8s::kubeapi

#endif  // MCK8S_KUBEAPI_LEADER_ELECTION_H_
