// mck8s-metrics-gateway: aggregates capacity, usage, traffic and RTT of every member cluster into one cluster-state feed served over the ClusterState gRPC API.
//
// A thin main: the shared controller start-up (flags, logs, metrics,
// probes, gRPC with health and reflection, graceful shutdown) with this
// service's parts added in init.

#include "mck8s/service/controller_main.h"

int main(int argc, char** argv) {
  const mck8s::runtime::ServiceSpec spec{
      .component = "metrics-gateway",
      .binary = "mck8s-metrics-gateway",
      .description = "mck8s-metrics-gateway: aggregates capacity, usage, traffic and RTT of every member cluster into one cluster-state feed served over the ClusterState gRPC API.",
      .uses_cluster_state = false,
      .uses_scheduler = false,
  };
  return mck8s::service::RunControllerMain(
      argc, argv, spec,
      [](mck8s::runtime::ServiceRuntime& runtime,
         const mck8s::runtime::ServiceOptions& options,
         const mck8s::kubeapi::RestConfig& config) { return absl::OkStatus(); });
}
