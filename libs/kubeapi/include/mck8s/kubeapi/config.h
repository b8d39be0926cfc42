// -----------------------------------------------------------------------------
// File: mck8s/kubeapi/config.h
// -----------------------------------------------------------------------------
//
// Where a client finds its Kubernetes API server and credentials: a
// kubeconfig file (or the `$KUBECONFIG` list of them, merged as kubectl
// merges them: the first file to set a map entry wins) or the in-cluster
// service-account configuration.
//
// LoadRestConfig() follows the order controller-runtime uses, so a service
// behaves the same here as any Kubernetes controller:
//   1. the --kubeconfig flag, when set;
//   2. $KUBECONFIG, when set;
//   3. in-cluster config, when KUBERNETES_SERVICE_HOST is set;
//   4. $HOME/.kube/config, when it exists.
// Nothing found is an error that says all four were tried.
//
// Usage:
//
//   absl::StatusOr<RestConfig> config = LoadRestConfig(flags.kubeconfig, "");
//   if (!config.ok()) { log::Error("...", {{"error", config.status()}}); ... }
//
// Pure parsing lives in ParseKubeconfig() so it can be tested and fuzzed
// without files. Thread-compatible.

#ifndef MCK8S_KUBEAPI_CONFIG_H_
#define MCK8S_KUBEAPI_CONFIG_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace mck8s::kubeapi {

// An exec credential plugin (client.authentication.k8s.io/v1).
struct ExecConfig {
  std::string api_version;
  std::string command;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string interactive_mode;
  bool provide_cluster_info = false;
};

// Everything needed to talk to one API server.
struct RestConfig {
  std::string server;             // "https://host:port[/path-prefix]"
  std::string tls_server_name;
  bool insecure_skip_tls_verify = false;
  std::string ca_pem;             // empty: system roots
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string bearer_token;
  std::string bearer_token_file;  // re-read on use (rotation)
  std::string username;
  std::string password;
  std::optional<ExecConfig> exec;
  std::string proxy_url;
  std::string namespace_name = "default";  // the context's namespace
  // Provenance, for messages.
  std::string context_name;
  std::string cluster_name;
  std::string source;  // file path(s) or "in-cluster"
};

// Parses one kubeconfig document and resolves `context` (empty: the file's
// current-context). Relative file references resolve against `base_dir`.
// Errors are InvalidArgument naming the problem (malformed YAML with its
// line, missing context/cluster/user, bad base64) or NotFound for a file it
// references that does not exist.
absl::StatusOr<RestConfig> ParseKubeconfig(std::string_view yaml,
                                           std::string_view context,
                                           std::string_view base_dir);

// Reads and merges the files (in order: the first to define a named
// cluster, user or context, or current-context, wins), then resolves.
absl::StatusOr<RestConfig> LoadKubeconfigFiles(
    const std::vector<std::string>& paths, std::string_view context);

// The in-cluster configuration from the service-account mount and the
// KUBERNETES_SERVICE_HOST/PORT environment. FailedPrecondition outside a
// cluster.
absl::StatusOr<RestConfig> InClusterConfig();

// The controller-runtime resolution order described above.
absl::StatusOr<RestConfig> LoadRestConfig(std::string_view kubeconfig_flag,
                                          std::string_view context);

}  // namespace mck8s::kubeapi

#endif  // MCK8S_KUBEAPI_CONFIG_H_
