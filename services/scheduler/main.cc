// mck8s-scheduler: places the replicas of MultiClusterDeployments,
// MultiClusterJobs and MultiClusterServices on member clusters and serves the
// Scheduler gRPC API.
//
// A thin main: the shared controller start-up (flags, logs, metrics,
// probes, gRPC with health and reflection, graceful shutdown) with the
// scheduler's parts (mck8s/scheduler/scheduler.h) added in init.

#include <memory>

#include "mck8s/scheduler/scheduler.h"
#include "mck8s/service/controller_main.h"

int main(int argc, char** argv) {
  const mck8s::runtime::ServiceSpec spec{
      .component = "scheduler",
      .binary = "mck8s-scheduler",
      .description =
          "mck8s-scheduler: places the replicas of MultiClusterDeployments, "
          "MultiClusterJobs and MultiClusterServices on member clusters and "
          "serves the Scheduler gRPC API.",
      .uses_cluster_state = true,
      .uses_scheduler = false,
      .register_flags = nullptr,  // no flags of its own
  };
  // Outlives the runtime (which serves its gRPC service until shutdown).
  std::unique_ptr<mck8s::scheduler::Scheduler> scheduler;
  return mck8s::service::RunControllerMain(
      argc, argv, spec,
      [&scheduler](mck8s::runtime::ServiceRuntime& runtime,
                   const mck8s::runtime::ServiceOptions& options,
                   const mck8s::kubeapi::RestConfig& config) -> absl::Status {
        absl::StatusOr<std::unique_ptr<mck8s::scheduler::Scheduler>> created =
            mck8s::scheduler::Scheduler::Create(runtime, options, config);
        if (!created.ok()) return created.status();
        scheduler = *std::move(created);
        return absl::OkStatus();
      });
}
