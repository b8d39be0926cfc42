#include "mck8s/kubeapi/config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include <yaml-cpp/yaml.h>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/strings/ascii.h"
#include "mck8s/base/status_macros.h"

namespace mck8s::kubeapi {
namespace {

namespace fs = std::filesystem;

constexpr char kServiceAccountDir[] = "/var/run/secrets/kubernetes.io/serviceaccount";

// One named entry (cluster, user or context) and the directory of the file
// it came from, against which its relative paths resolve.
struct Entry {
  YAML::Node node;
  std::string base_dir;
};

struct Merged {
  std::map<std::string, Entry> clusters;
  std::map<std::string, Entry> users;
  std::map<std::string, Entry> contexts;
  std::string current_context;
  std::string source;
};

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string Resolve(const std::string& path, const std::string& base_dir) {
  if (path.empty() || fs::path(path).is_absolute() || base_dir.empty()) return path;
  return (fs::path(base_dir) / path).string();
}

std::string Scalar(const YAML::Node& node, const char* key) {
  const YAML::Node value = node[key];
  if (!value || !value.IsScalar()) return "";
  return value.as<std::string>();
}

bool Bool(const YAML::Node& node, const char* key) {
  const YAML::Node value = node[key];
  if (!value || !value.IsScalar()) return false;
  return value.as<std::string>() == "true";
}

// Reads `<key>-data` (base64) or `<key>` (a file) into `out`.
absl::Status DataOrFile(const YAML::Node& node, const std::string& key,
                        const std::string& base_dir, const std::string& what,
                        std::string* out) {
  std::string data = Scalar(node, (key + "-data").c_str());
  if (!data.empty()) {
    if (!absl::Base64Unescape(data, out)) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, ": ", key, "-data is not valid base64"));
    }
    return absl::OkStatus();
  }
  std::string file = Scalar(node, key.c_str());
  if (file.empty()) return absl::OkStatus();
  absl::StatusOr<std::string> content = ReadFile(Resolve(file, base_dir));
  if (!content.ok()) {
    return absl::NotFoundError(absl::StrCat(what, ": ", key, " ",
                                            content.status().message()));
  }
  *out = *std::move(content);
  return absl::OkStatus();
}

absl::Status Collect(const YAML::Node& root, const char* list_key,
                     const char* item_key, const std::string& base_dir,
                     std::map<std::string, Entry>* into) {
  const YAML::Node list = root[list_key];
  if (!list || list.IsNull()) return absl::OkStatus();
  if (!list.IsSequence()) {
    return absl::InvalidArgumentError(
        absl::StrCat("kubeconfig: ", list_key, " must be a list"));
  }
  for (const YAML::Node& item : list) {
    if (!item.IsMap()) {
      return absl::InvalidArgumentError(
          absl::StrCat("kubeconfig: every entry of ", list_key, " must be a map"));
    }
    std::string name = Scalar(item, "name");
    if (name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("kubeconfig: an entry of ", list_key, " has no name"));
    }
    const YAML::Node body = item[item_key];
    if (body && !body.IsMap() && !body.IsNull()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "kubeconfig: ", list_key, " entry \"", name, "\": ", item_key,
          " must be a map"));
    }
    // First definition wins, as in kubectl's merge of $KUBECONFIG.
    into->emplace(name, Entry{body ? body : YAML::Node(YAML::NodeType::Map), base_dir});
  }
  return absl::OkStatus();
}

absl::Status MergeDocument(std::string_view yaml, const std::string& base_dir,
                           Merged* merged) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(
        "kubeconfig is not valid YAML (line ", e.mark.line + 1, ", column ",
        e.mark.column + 1, "): ", e.msg));
  }
  if (root.IsNull()) return absl::OkStatus();  // an empty file adds nothing
  if (!root.IsMap()) {
    return absl::InvalidArgumentError("kubeconfig must be a YAML map");
  }
  try {
    MCK8S_RETURN_IF_ERROR(Collect(root, "clusters", "cluster", base_dir, &merged->clusters));
    MCK8S_RETURN_IF_ERROR(Collect(root, "users", "user", base_dir, &merged->users));
    MCK8S_RETURN_IF_ERROR(Collect(root, "contexts", "context", base_dir, &merged->contexts));
    if (merged->current_context.empty()) {
      merged->current_context = Scalar(root, "current-context");
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("kubeconfig: ", e.msg));
  }
  return absl::OkStatus();
}

absl::StatusOr<ExecConfig> ParseExec(const YAML::Node& node) {
  ExecConfig exec;
  exec.api_version = Scalar(node, "apiVersion");
  exec.command = Scalar(node, "command");
  if (exec.command.empty()) {
    return absl::InvalidArgumentError("kubeconfig: user exec has no command");
  }
  if (const YAML::Node args = node["args"]; args && args.IsSequence()) {
    for (const YAML::Node& arg : args) exec.args.push_back(arg.as<std::string>());
  }
  if (const YAML::Node env = node["env"]; env && env.IsSequence()) {
    for (const YAML::Node& var : env) {
      exec.env.emplace_back(Scalar(var, "name"), Scalar(var, "value"));
    }
  }
  exec.interactive_mode = Scalar(node, "interactiveMode");
  exec.provide_cluster_info = Bool(node, "provideClusterInfo");
  return exec;
}

absl::StatusOr<RestConfig> ResolveMerged(const Merged& merged,
                                         std::string_view context_flag) {
  std::string context_name =
      context_flag.empty() ? merged.current_context : std::string(context_flag);
  if (context_name.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "kubeconfig ", merged.source, " has no current-context and none was given"));
  }
  auto context = merged.contexts.find(context_name);
  if (context == merged.contexts.end()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "context \"", context_name, "\" does not exist in kubeconfig ", merged.source));
  }
  RestConfig config;
  config.context_name = context_name;
  config.source = merged.source;
  try {
    config.cluster_name = Scalar(context->second.node, "cluster");
    const std::string user_name = Scalar(context->second.node, "user");
    if (std::string ns = Scalar(context->second.node, "namespace"); !ns.empty()) {
      config.namespace_name = ns;
    }
    auto cluster = merged.clusters.find(config.cluster_name);
    if (cluster == merged.clusters.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "context \"", context_name, "\" refers to cluster \"",
          config.cluster_name, "\", which does not exist"));
    }
    const YAML::Node& c = cluster->second.node;
    config.server = Scalar(c, "server");
    if (config.server.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cluster \"", config.cluster_name, "\" has no server"));
    }
    config.tls_server_name = Scalar(c, "tls-server-name");
    config.insecure_skip_tls_verify = Bool(c, "insecure-skip-tls-verify");
    config.proxy_url = Scalar(c, "proxy-url");
    MCK8S_RETURN_IF_ERROR(DataOrFile(c, "certificate-authority",
                                     cluster->second.base_dir,
                                     absl::StrCat("cluster \"", config.cluster_name, "\""),
                                     &config.ca_pem));
    if (!user_name.empty()) {
      auto user = merged.users.find(user_name);
      if (user == merged.users.end()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "context \"", context_name, "\" refers to user \"", user_name,
            "\", which does not exist"));
      }
      const YAML::Node& u = user->second.node;
      const std::string what = absl::StrCat("user \"", user_name, "\"");
      MCK8S_RETURN_IF_ERROR(DataOrFile(u, "client-certificate", user->second.base_dir,
                                       what, &config.client_cert_pem));
      MCK8S_RETURN_IF_ERROR(DataOrFile(u, "client-key", user->second.base_dir, what,
                                       &config.client_key_pem));
      if (config.client_cert_pem.empty() != config.client_key_pem.empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            what, ": client certificate and key must be given together"));
      }
      config.bearer_token = Scalar(u, "token");
      config.bearer_token_file = Resolve(Scalar(u, "tokenFile"), user->second.base_dir);
      config.username = Scalar(u, "username");
      config.password = Scalar(u, "password");
      if (const YAML::Node exec = u["exec"]; exec && exec.IsMap()) {
        MCK8S_ASSIGN_OR_RETURN(config.exec, ParseExec(exec));
      }
    }
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("kubeconfig: ", e.msg));
  }
  return config;
}

}  // namespace

absl::StatusOr<RestConfig> ParseKubeconfig(std::string_view yaml,
                                           std::string_view context,
                                           std::string_view base_dir) {
  Merged merged;
  merged.source = "(inline)";
  MCK8S_RETURN_IF_ERROR(MergeDocument(yaml, std::string(base_dir), &merged));
  return ResolveMerged(merged, context);
}

absl::StatusOr<RestConfig> LoadKubeconfigFiles(const std::vector<std::string>& paths,
                                               std::string_view context) {
  Merged merged;
  std::vector<std::string> read;
  for (const std::string& path : paths) {
    if (path.empty()) continue;
    absl::StatusOr<std::string> text = ReadFile(path);
    if (!text.ok()) return text.status();
    absl::Status merged_status =
        MergeDocument(*text, fs::path(path).parent_path().string(), &merged);
    if (!merged_status.ok()) {
      return absl::Status(merged_status.code(),
                          absl::StrCat(path, ": ", merged_status.message()));
    }
    read.push_back(path);
  }
  if (read.empty()) return absl::InvalidArgumentError("no kubeconfig file given");
  merged.source = absl::StrJoin(read, ":");
  return ResolveMerged(merged, context);
}

absl::StatusOr<RestConfig> InClusterConfig() {
  const char* host = std::getenv("KUBERNETES_SERVICE_HOST");
  const char* port = std::getenv("KUBERNETES_SERVICE_PORT");
  if (host == nullptr || *host == '\0' || port == nullptr || *port == '\0') {
    return absl::FailedPreconditionError(
        "not running in a cluster: KUBERNETES_SERVICE_HOST and "
        "KUBERNETES_SERVICE_PORT are not set");
  }
  RestConfig config;
  std::string host_text = host;
  if (host_text.find(':') != std::string::npos) host_text = absl::StrCat("[", host_text, "]");
  config.server = absl::StrCat("https://", host_text, ":", port);
  config.bearer_token_file = absl::StrCat(kServiceAccountDir, "/token");
  if (!fs::exists(config.bearer_token_file)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "in-cluster config: service-account token ", config.bearer_token_file,
        " is missing"));
  }
  MCK8S_ASSIGN_OR_RETURN(config.ca_pem,
                         ReadFile(absl::StrCat(kServiceAccountDir, "/ca.crt")));
  if (absl::StatusOr<std::string> ns = ReadFile(absl::StrCat(kServiceAccountDir, "/namespace"));
      ns.ok() && !ns->empty()) {
    config.namespace_name = std::string(absl::StripAsciiWhitespace(*ns));
  }
  config.context_name = "in-cluster";
  config.source = "in-cluster";
  return config;
}

absl::StatusOr<RestConfig> LoadRestConfig(std::string_view kubeconfig_flag,
                                          std::string_view context) {
  if (!kubeconfig_flag.empty()) {
    return LoadKubeconfigFiles({std::string(kubeconfig_flag)}, context);
  }
  if (const char* env = std::getenv("KUBECONFIG"); env != nullptr && *env != '\0') {
    std::vector<std::string> paths = absl::StrSplit(env, ':', absl::SkipEmpty());
    return LoadKubeconfigFiles(paths, context);
  }
  if (std::getenv("KUBERNETES_SERVICE_HOST") != nullptr) {
    return InClusterConfig();
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    std::string path = absl::StrCat(home, "/.kube/config");
    if (fs::exists(path)) return LoadKubeconfigFiles({path}, context);
  }
  return absl::FailedPreconditionError(
      "no Kubernetes configuration found: --kubeconfig is not set, $KUBECONFIG "
      "is not set, not running in a cluster (KUBERNETES_SERVICE_HOST is not "
      "set) and $HOME/.kube/config does not exist");
}

}  // namespace mck8s::kubeapi
