// -----------------------------------------------------------------------------
// File: mck8s/scheduler/service_controller.h
// -----------------------------------------------------------------------------
//
// The controller of MultiClusterServices: a core/v1 Service of the same name
// and namespace in every member cluster that runs the MultiClusterDeployment
// of the same name (its status.placement, so the Service follows placement
// changes on its own), or in the clusters of `spec.locations` when given.
// The Service's spec is the MCS spec without `locations`.
//
// When the MCS carries `io.cilium/global-service: "true"` or
// `service.cilium.io/global: "true"`, every member Service gets both
// annotations (older and current Cilium spell the cluster-mesh global
// service differently).
//
// Like the workload controller: level-triggered, reads live objects, a
// finalizer removes the member Services on delete, member Services are
// found by the label fogguru.eu/multicluster-service=<namespace>.<name>.
// Status: observedGeneration, clusters [{cluster, clusterIP, global}],
// condition Ready.
//
// Usage:
//
//   ServiceController mcs(management, members, {});
//   mcds.AddEventHandler(mcs.EnqueueForWorkload());  // follow the MCDs
//   mcs.Start();
//
// Thread safety: as WorkloadController.

#ifndef MCK8S_SCHEDULER_SERVICE_CONTROLLER_H_
#define MCK8S_SCHEDULER_SERVICE_CONTROLLER_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mck8s/kubeapi/client.h"
#include "mck8s/kubeapi/controller.h"
#include "mck8s/kubeapi/informer.h"
#include "mck8s/runtime/metrics.h"
#include "mck8s/scheduler/members.h"

namespace mck8s::scheduler {

inline constexpr char kCiliumGlobalServiceLegacy[] = "io.cilium/global-service";
inline constexpr char kCiliumGlobalService[] = "service.cilium.io/global";

struct ServiceControllerOptions {
  int workers = 2;
  std::string namespace_name;
  absl::Duration resync = absl::Minutes(1);
  runtime::Registry* metrics = nullptr;
};

// The Service for one member cluster, from a MultiClusterService.
kubeapi::Object BuildMemberService(const kubeapi::Object& mcs);

class ServiceController {
 public:
  ServiceController(kubeapi::Client& management, const MemberClients& members,
                    ServiceControllerOptions options);
  ~ServiceController();

  absl::StatusOr<kubeapi::Result> Reconcile(const kubeapi::ObjectKey& key);

  // Enqueues the MCS named like the MCD an event is about.
  kubeapi::EventHandler EnqueueForWorkload();

  void Start();
  void Stop();
  bool HasSynced() const { return informer_.HasSynced(); }

 private:
  absl::Status DeleteMemberServices(std::string_view ns, std::string_view name,
                                    const std::set<std::string>& keep);

  kubeapi::Client& management_;
  const MemberClients& members_;
  const ServiceControllerOptions options_;
  kubeapi::Informer informer_;
  kubeapi::Controller controller_;
};

}  // namespace mck8s::scheduler

#endif  // MCK8S_SCHEDULER_SERVICE_CONTROLLER_H_
