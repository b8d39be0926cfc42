// mck8s-descheduler: moves replicas back to preferred clusters when room returns and away from clusters where they stay pending or that became unreachable.
//
// A thin main: the shared controller start-up (flags, logs, metrics,
// probes, gRPC with health and reflection, graceful shutdown) with this
// service's parts added in init.

#include "mck8s/service/controller_main.h"

int main(int argc, char** argv) {
  const mck8s::runtime::ServiceSpec spec{
      .component = "descheduler",
      .binary = "mck8s-descheduler",
      .description = "mck8s-descheduler: moves replicas back to preferred clusters when room returns and away from clusters where they stay pending or that became unreachable.",
      .uses_cluster_state = true,
      .uses_scheduler = true,
      .register_flags = nullptr,  // no flags of its own
  };
  return mck8s::service::RunControllerMain(
      argc, argv, spec,
      [](mck8s::runtime::ServiceRuntime& runtime,
         const mck8s::runtime::ServiceOptions& options,
         const mck8s::kubeapi::RestConfig& config) { return absl::OkStatus(); });
}
