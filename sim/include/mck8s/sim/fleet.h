// -----------------------------------------------------------------------------
// File: mck8s/sim/fleet.h
// -----------------------------------------------------------------------------
//
// A Fleet is every cluster of a testbed, built and registered the way a
// platform team would have it:
//
//   - each cluster serves its Nodes (a control-plane node labelled
//     node-role.kubernetes.io/control-plane and tainted NoSchedule, and the
//     workers of its node groups) with capacity and allocatable from the
//     testbed, Ready, with topology labels;
//   - the management cluster serves the mck8s CRDs (read from a directory,
//     normally deploy/helm/mck8s/crds) and, in namespace mck8s-system, a
//     kubeconfig Secret `<cluster>-kubeconfig` (key `value`) and a
//     cluster-scoped MemberCluster `<cluster>` (fogguru.eu/v1) for every
//     member cluster;
//   - the management cluster holds the testbed's RTT matrix as the
//     ConfigMap mck8s-system/mck8s-rtt (key `rtt.yaml`, the shape of the
//     testbed's `rtt:` section, milliseconds);
//   - each cluster has a UsageModel (usage.h) fed by the testbed's load
//     model, behind its metrics.k8s.io API and /metrics exposition;
//   - a kubeconfig with one context per cluster, named as the cluster, the
//     management cluster's context current.
//
// Clusters are reached under one server URL, each at its own path prefix
// (`<server>/clusters/<name>`).
//
// Usage:
//
//   MCK8S_ASSIGN_OR_RETURN(std::unique_ptr<Fleet> fleet, Fleet::Create(testbed, {}));
//   HttpServer server({}, [&](absl::string_view n) { return fleet->Api(n); });
//   MCK8S_RETURN_IF_ERROR(server.Start());
//   std::string url = absl::StrCat("http://127.0.0.1:", server.port());
//   MCK8S_RETURN_IF_ERROR(fleet->Register(url));
//   MCK8S_RETURN_IF_ERROR(WriteFile(path, fleet->Kubeconfig(url)));
//
// Thread-safe after Create: lookups are read-only; AddNodes and RemoveNode
// may be called from any thread.

#ifndef MCK8S_SIM_FLEET_H_
#define MCK8S_SIM_FLEET_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "mck8s/sim/cluster.h"
#include "mck8s/sim/cluster_api.h"
#include "mck8s/sim/testbed.h"
#include "mck8s/sim/usage.h"

namespace mck8s::sim {

class Fleet {
 public:
  struct Options {
    // Directory of CRD manifests installed in the management cluster; empty:
    // none (and no MemberCluster objects).
    std::string crds_dir;
    // Bearer token written into kubeconfigs (empty: no credentials).
    std::string token;
    // PEM of the CA that signed the server certificate, for HTTPS server URLs.
    std::string ca_pem;
    // Where the kubeconfig written to disk finds the CA file (HTTPS only).
    std::string ca_file;
    // Events kept per cluster for watches resuming from a resourceVersion.
    size_t watch_history = 10000;
    // Simulated time of the usage models; absl::Now when unset.
    std::function<absl::Time()> clock;
  };

  // Builds every cluster with its nodes and installs the CRDs. Errors: an
  // unreadable or invalid CRD manifest (InvalidArgument naming the file).
  static absl::StatusOr<std::unique_ptr<Fleet>> Create(const Testbed& testbed, Options options);

  // Creates the kubeconfig Secrets and MemberClusters of every member in the
  // management cluster, pointing at `server_url` (idempotent).
  absl::Status Register(absl::string_view server_url);

  // A kubeconfig for every cluster (current context: the management cluster).
  std::string Kubeconfig(absl::string_view server_url) const;
  // A kubeconfig for one cluster, with inline CA data (what the Secrets hold).
  std::string ClusterKubeconfig(absl::string_view server_url, absl::string_view cluster) const;

  // nullptr for an unknown name.
  ClusterApi* Api(absl::string_view name) const;
  Cluster* cluster(absl::string_view name) const;
  UsageModel* usage(absl::string_view name) const;

  // Adds `count` Ready workers of node group `group` (as the testbed
  // defines it) to `cluster`, named after the group with the next free
  // numbers; returns their names. NotFound for an unknown cluster or group.
  absl::StatusOr<std::vector<std::string>> AddNodes(absl::string_view cluster,
                                                    absl::string_view group, int count);
  // Deletes a node and evicts (deletes) the pods bound to it: their
  // controllers recreate them and the binder places them where they fit.
  // NotFound for an unknown cluster or node.
  absl::Status RemoveNode(absl::string_view cluster, absl::string_view node);
  const Testbed& testbed() const { return testbed_; }
  const std::string& management() const { return testbed_.management; }
  std::vector<std::string> ClusterNames() const;

 private:
  struct Member {
    std::unique_ptr<Cluster> cluster;
    std::unique_ptr<UsageModel> usage;
    std::unique_ptr<ClusterApi> api;
    int index = 0;  // the cluster's position in the testbed (node addresses)
  };
  Fleet(Testbed testbed, Options options);
  absl::Status AddInitialNodes(Cluster& cluster, const TestbedCluster& spec, int index);
  // Creates one Node; `serial` numbers it within its cluster (addresses).
  absl::Status CreateNode(Cluster& cluster, const TestbedCluster& spec, const NodeGroup& group,
                          const std::string& name, bool control_plane, int index, int serial);
  absl::Status InstallCrds();
  absl::Status PublishRtt();

  const Testbed testbed_;
  const Options options_;
  std::map<std::string, Member, std::less<>> members_;
  absl::Mutex nodes_mu_;  // serializes AddNodes (name and serial choice)
};

// Writes `content` to `path` atomically (a temporary file, then rename).
absl::Status WriteFileAtomically(const std::string& path, absl::string_view content);

}  // namespace mck8s::sim

#endif  // MCK8S_SIM_FLEET_H_
