#include "mck8s/service/controller_main.h"

#include "absl/strings/str_cat.h"
#include "mck8s/runtime/log.h"

namespace mck8s::service {

int RunControllerMain(int argc, char** argv, const runtime::ServiceSpec& spec,
                      const ControllerInit& init) {
  return runtime::RunServiceMain(
      argc, argv, spec,
      [&init](runtime::ServiceRuntime& rt, const runtime::ServiceOptions& options) -> absl::Status {
        absl::StatusOr<kubeapi::RestConfig> config =
            kubeapi::LoadRestConfig(options.kubeconfig, "");
        if (!config.ok()) {
          return absl::Status(config.status().code(),
                              absl::StrCat("unable to load the management cluster's Kubernetes "
                                           "configuration: ",
                                           config.status().message()));
        }
        runtime::log::Info("management cluster", {{"server", config->server},
                                                  {"context", config->context_name},
                                                  {"source", config->source}});
        return init(rt, options, *config);
      });
}

kubeapi::ClientOptions ManagementClientOptions(runtime::ServiceRuntime& runtime,
                                               const runtime::ServiceOptions& options) {
  kubeapi::ClientOptions client_options;
  client_options.qps = options.kube_api_qps;
  client_options.burst = static_cast<int>(options.kube_api_burst);
  client_options.metrics = &runtime.registry();
  return client_options;
}

}  // namespace mck8s::service
