// mck8s-scheduler: places the replicas of MultiClusterDeployments, MultiClusterJobs and MultiClusterServices on member clusters and serves the Scheduler gRPC API.
//
// A thin main: the shared controller start-up (flags, logs, metrics,
// probes, gRPC with health and reflection, graceful shutdown) with this
// service's parts added in init.

#include "mck8s/service/controller_main.h"

int main(int argc, char** argv) {
  const mck8s::runtime::ServiceSpec spec{
      .component = "scheduler",
      .binary = "mck8s-scheduler",
      .description = "mck8s-scheduler: places the replicas of MultiClusterDeployments, MultiClusterJobs and MultiClusterServices on member clusters and serves the Scheduler gRPC API.",
      .uses_cluster_state = true,
      .uses_scheduler = false,
  };
  return mck8s::service::RunControllerMain(
      argc, argv, spec,
      [](mck8s::runtime::ServiceRuntime& runtime,
         const mck8s::runtime::ServiceOptions& options,
         const mck8s::kubeapi::RestConfig& config) { return absl::OkStatus(); });
}
