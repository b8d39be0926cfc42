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
// Thread-safe after Create: Api and cluster lookups are read-only.

#ifndef MCK8S_SIM_FLEET_H_
#define MCK8S_SIM_FLEET_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mck8s/sim/cluster.h"
#include "mck8s/sim/cluster_api.h"
#include "mck8s/sim/testbed.h"

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
  const Testbed& testbed() const { return testbed_; }
  const std::string& management() const { return testbed_.management; }
  std::vector<std::string> ClusterNames() const;

 private:
  struct Member {
    std::unique_ptr<Cluster> cluster;
    std::unique_ptr<ClusterApi> api;
  };
  Fleet(Testbed testbed, Options options);
  absl::Status AddNodes(Cluster& cluster, const TestbedCluster& spec, int index);
  absl::Status InstallCrds();

  const Testbed testbed_;
  const Options options_;
  std::map<std::string, Member, std::less<>> members_;
};

// Writes `content` to `path` atomically (a temporary file, then rename).
absl::Status WriteFileAtomically(const std::string& path, absl::string_view content);

}  // namespace mck8s::sim

#endif  // MCK8S_SIM_FLEET_H_
