// -----------------------------------------------------------------------------
// File: mck8s/kubeapi/fleet.h
// -----------------------------------------------------------------------------
//
// The registry of member-cluster clients. Member clusters are
// MemberCluster objects (fogguru.eu/v1, cluster-scoped) on the management
// cluster; each names the Secret holding its kubeconfig:
//
//   spec:
//     kubeconfigSecretRef: {namespace: mck8s-system, name: edge-1-kubeconfig,
//                           key: value}        # key defaults to "value"
//
// The registry watches MemberClusters and Secrets (informers) and keeps one
// Client per member cluster whose kubeconfig resolves: built when the
// cluster appears, rebuilt when the kubeconfig bytes change, removed when
// the MemberCluster or its Secret goes. A cluster whose kubeconfig is
// missing or invalid has no client and an error saying why (Errors()).
//
// Usage:
//
//   FleetRegistry fleet(management_client);
//   fleet.Start();
//   fleet.WaitForSync(absl::Seconds(30));
//   if (std::shared_ptr<Client> edge = fleet.Get("edge-1")) { ... }
//
// Clients are handed out as shared_ptr: one in use stays valid after the
// registry replaced or removed it. Thread-safe.

#ifndef MCK8S_KUBEAPI_FLEET_H_
#define MCK8S_KUBEAPI_FLEET_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "mck8s/kubeapi/client.h"
#include "mck8s/kubeapi/informer.h"

namespace mck8s::kubeapi {

struct FleetOptions {
  GroupVersionResource member_clusters{"fogguru.eu", "v1", "memberclusters"};
  // Watch Secrets in this namespace only ("" : all namespaces, which needs
  // cluster-wide RBAC on secrets). References to other namespaces then
  // never resolve.
  std::string secrets_namespace;
  // Options of the member clients (rate limits, metrics, clock).
  ClientOptions member_client_options;
  // Called (on an informer thread) when a cluster's client is added,
  // replaced (client set) or removed (client null). Must be quick.
  std::function<void(const std::string& cluster, std::shared_ptr<Client> client)> on_change;
};

// A kubeconfig Secret reference of a MemberCluster. INVALID_ARGUMENT when
// spec.kubeconfigSecretRef is missing or has no name; the namespace
// defaults to `default_namespace`, the key to "value".
struct SecretRef {
  std::string ns;
  std::string name;
  std::string key = "value";
};
absl::StatusOr<SecretRef> KubeconfigSecretRef(const Object& member_cluster,
                                              std::string_view default_namespace);

class FleetRegistry {
 public:
  FleetRegistry(Client& management, FleetOptions options = {});
  ~FleetRegistry();  // Stop()

  void Start();
  void Stop();
  bool WaitForSync(absl::Duration timeout) const;

  // nullptr when the cluster is unknown or has no usable kubeconfig.
  std::shared_ptr<Client> Get(std::string_view cluster) const;
  // Clusters with a client, sorted.
  std::vector<std::string> Names() const;
  // Clusters without a client, and why.
  std::map<std::string, absl::Status> Errors() const;

 private:
  struct Member {
    std::string kubeconfig;  // the bytes the client was built from
    std::shared_ptr<Client> client;
  };
  void Reconcile(const std::string& cluster);
  void ReconcileReferencing(const Object& secret);

  Client& management_;
  const FleetOptions options_;
  Informer clusters_;
  Informer secrets_;

  // Serialises Reconcile() (called from both informers' threads) so that
  // a decision made from an older view of the caches never lands last.
  absl::Mutex reconcile_mu_;
  mutable absl::Mutex mu_;
  std::map<std::string, Member, std::less<>> members_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, absl::Status> errors_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mck8s::kubeapi

#endif  // MCK8S_KUBEAPI_FLEET_H_
