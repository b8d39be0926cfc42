// -----------------------------------------------------------------------------
// File: mck8s/scheduler/members.h
// -----------------------------------------------------------------------------
//
// The member clusters' API clients as the controllers need them: one client
// by cluster name, and the names of every cluster with a client (to find
// objects left behind on clusters a workload no longer uses).
//
// FleetMembers adapts kubeapi::FleetRegistry (MemberCluster objects and
// their kubeconfig Secrets on the management cluster); tests may supply
// their own.
//
// Thread safety: implementations are thread-safe.

#ifndef MCK8S_SCHEDULER_MEMBERS_H_
#define MCK8S_SCHEDULER_MEMBERS_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mck8s/kubeapi/client.h"
#include "mck8s/kubeapi/fleet.h"

namespace mck8s::scheduler {

class MemberClients {
 public:
  virtual ~MemberClients() = default;
  // nullptr when the cluster is unknown or has no usable kubeconfig.
  virtual std::shared_ptr<kubeapi::Client> Get(std::string_view cluster) const = 0;
  // Clusters with a client, sorted.
  virtual std::vector<std::string> Names() const = 0;
};

class FleetMembers : public MemberClients {
 public:
  explicit FleetMembers(const kubeapi::FleetRegistry& fleet) : fleet_(fleet) {}
  std::shared_ptr<kubeapi::Client> Get(std::string_view cluster) const override {
    return fleet_.Get(cluster);
  }
  std::vector<std::string> Names() const override { return fleet_.Names(); }

 private:
  const kubeapi::FleetRegistry& fleet_;
};

}  // namespace mck8s::scheduler

#endif  // MCK8S_SCHEDULER_MEMBERS_H_
