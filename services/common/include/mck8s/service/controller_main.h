// -----------------------------------------------------------------------------
// File: mck8s/service/controller_main.h
// -----------------------------------------------------------------------------
//
// RunControllerMain is RunServiceMain (mck8s/runtime/service.h) for a
// Kubernetes controller: before the service's own `init` runs, it resolves
// the management cluster's REST configuration (--kubeconfig, $KUBECONFIG,
// in-cluster, $HOME/.kube/config, in that order). When none is found, the
// process prints which places it looked in and exits 1 without binding any
// port: a controller that cannot reach its API server must not look healthy.
//
// Usage:
//
//   int main(int argc, char** argv) {
//     return mck8s::service::RunControllerMain(argc, argv, Spec(),
//         [](runtime::ServiceRuntime& rt, const runtime::ServiceOptions& o,
//            const kubeapi::RestConfig& config) { ...; return absl::OkStatus(); });
//   }

#ifndef MCK8S_SERVICE_CONTROLLER_MAIN_H_
#define MCK8S_SERVICE_CONTROLLER_MAIN_H_

#include <functional>

#include "absl/status/status.h"
#include "mck8s/kubeapi/config.h"
#include "mck8s/kubeapi/rest_client.h"
#include "mck8s/runtime/service.h"

namespace mck8s::service {

using ControllerInit = std::function<absl::Status(runtime::ServiceRuntime& runtime,
                                                  const runtime::ServiceOptions& options,
                                                  const kubeapi::RestConfig& config)>;

int RunControllerMain(int argc, char** argv, const runtime::ServiceSpec& spec,
                      const ControllerInit& init);

// Client options for the management cluster from the shared flags: the
// --kube-api-qps and --kube-api-burst limits, and request metrics in the
// runtime's registry. Every controller starts its management client from
// these, so the flags mean the same in every service.
kubeapi::ClientOptions ManagementClientOptions(runtime::ServiceRuntime& runtime,
                                               const runtime::ServiceOptions& options);

}  // namespace mck8s::service

#endif  // MCK8S_SERVICE_CONTROLLER_MAIN_H_
