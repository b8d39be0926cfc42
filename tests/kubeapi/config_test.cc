#include "mck8s/kubeapi/config.h"

#include <catch2/catch.hpp>
#include <cstdlib>

#include "absl/strings/escaping.h"
#include "process.h"

namespace mck8s::kubeapi {
namespace {

using testing::TempDir;
using testing::WriteFile;

const std::string kFull = R"(apiVersion: v1
kind: Config
current-context: mgmt
clusters:
- name: mgmt-cluster
  cluster:
    server: https://127.0.0.1:6443/clusters/management
    certificate-authority-data: )" + absl::Base64Escape("CA PEM") + R"(
    tls-server-name: api.local
- name: edge
  cluster:
    server: http://127.0.0.1:8001
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    client-certificate-data: )" + absl::Base64Escape("CERT PEM") + R"(
    client-key-data: )" + absl::Base64Escape("KEY PEM") + R"(
- name: robot
  user:
    token: s3cret
- name: plugin
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: get-token
      args: ["--cluster", "edge"]
      env: [{name: REGION, value: eu}]
      provideClusterInfo: true
contexts:
- name: mgmt
  context: {cluster: mgmt-cluster, user: admin, namespace: mck8s-system}
- name: edge
  context: {cluster: edge, user: robot}
- name: edge-exec
  context: {cluster: edge, user: plugin}
)";

TEST_CASE("kubeconfig: the current context resolves with inline data", "[kubeapi][config]") {
  absl::StatusOr<RestConfig> c = ParseKubeconfig(kFull, "", "");
  REQUIRE(c.ok());
  CHECK(c->server == "https://127.0.0.1:6443/clusters/management");
  CHECK(c->ca_pem == "CA PEM");
  CHECK(c->tls_server_name == "api.local");
  CHECK(c->client_cert_pem == "CERT PEM");
  CHECK(c->client_key_pem == "KEY PEM");
  CHECK(c->namespace_name == "mck8s-system");
  CHECK(c->context_name == "mgmt");
  CHECK(c->cluster_name == "mgmt-cluster");
}

TEST_CASE("kubeconfig: another context, token and exec users", "[kubeapi][config]") {
  absl::StatusOr<RestConfig> edge = ParseKubeconfig(kFull, "edge", "");
  REQUIRE(edge.ok());
  CHECK(edge->server == "http://127.0.0.1:8001");
  CHECK(edge->insecure_skip_tls_verify);
  CHECK(edge->bearer_token == "s3cret");
  CHECK(edge->namespace_name == "default");

  absl::StatusOr<RestConfig> exec = ParseKubeconfig(kFull, "edge-exec", "");
  REQUIRE(exec.ok());
  REQUIRE(exec->exec.has_value());
  CHECK(exec->exec->command == "get-token");
  CHECK(exec->exec->args == std::vector<std::string>{"--cluster", "edge"});
  CHECK(exec->exec->env.at(0) == std::pair<std::string, std::string>{"REGION", "eu"});
  CHECK(exec->exec->provide_cluster_info);
}

TEST_CASE("kubeconfig: file references resolve against the kubeconfig's folder",
          "[kubeapi][config]") {
  TempDir dir;
  WriteFile(dir.File("ca.crt"), "FILE CA");
  WriteFile(dir.File("token"), "tok");
  WriteFile(dir.File("config"), R"(
current-context: c
clusters: [{name: k, cluster: {server: "https://h:1", certificate-authority: ca.crt}}]
users: [{name: u, user: {tokenFile: token}}]
contexts: [{name: c, context: {cluster: k, user: u}}]
)");
  absl::StatusOr<RestConfig> c = LoadKubeconfigFiles({dir.File("config")}, "");
  REQUIRE(c.ok());
  CHECK(c->ca_pem == "FILE CA");
  CHECK(c->bearer_token_file == dir.File("token"));
  CHECK(c->source == dir.File("config"));
}

TEST_CASE("kubeconfig: a $KUBECONFIG list merges with the first definition winning",
          "[kubeapi][config]") {
  TempDir dir;
  WriteFile(dir.File("a"), R"(
current-context: one
clusters: [{name: k, cluster: {server: "https://first:1"}}]
contexts: [{name: one, context: {cluster: k}}]
)");
  WriteFile(dir.File("b"), R"(
current-context: two
clusters: [{name: k, cluster: {server: "https://second:1"}}, {name: k2, cluster: {server: "https://k2:1"}}]
contexts: [{name: two, context: {cluster: k2}}]
)");
  absl::StatusOr<RestConfig> c = LoadKubeconfigFiles({dir.File("a"), dir.File("b")}, "");
  REQUIRE(c.ok());
  CHECK(c->server == "https://first:1");
  absl::StatusOr<RestConfig> two = LoadKubeconfigFiles({dir.File("a"), dir.File("b")}, "two");
  REQUIRE(two.ok());
  CHECK(two->server == "https://k2:1");
}

TEST_CASE("kubeconfig: malformed input gets a clear error, never a crash",
          "[kubeapi][config]") {
  struct Case {
    std::string yaml;
    std::string context;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"clusters: [unclosed", "", "not valid YAML (line"},
      {"- a\n- b\n", "", "must be a YAML map"},
      {"clusters: 3\n", "", "clusters must be a list"},
      {"clusters: [3]\n", "", "every entry of clusters must be a map"},
      {"clusters: [{cluster: {server: x}}]\n", "", "has no name"},
      {"contexts: [{name: c, context: {cluster: k}}]\n", "", "no current-context"},
      {"current-context: c\n", "", "context \"c\" does not exist"},
      {"current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\n", "",
       "refers to cluster \"k\", which does not exist"},
      {"current-context: c\nclusters: [{name: k, cluster: {}}]\n"
       "contexts: [{name: c, context: {cluster: k}}]\n",
       "", "has no server"},
      {"current-context: c\nclusters: [{name: k, cluster: {server: s}}]\n"
       "contexts: [{name: c, context: {cluster: k, user: u}}]\n",
       "", "refers to user \"u\", which does not exist"},
      {"current-context: c\nclusters: [{name: k, cluster: {server: s, "
       "certificate-authority-data: '!!!'}}]\ncontexts: [{name: c, context: {cluster: k}}]\n",
       "", "not valid base64"},
      {"current-context: c\nclusters: [{name: k, cluster: {server: s}}]\n"
       "users: [{name: u, user: {client-certificate-data: Y2VydA==}}]\n"
       "contexts: [{name: c, context: {cluster: k, user: u}}]\n",
       "", "must be given together"},
      {"current-context: c\nclusters: [{name: k, cluster: {server: s}}]\n"
       "users: [{name: u, user: {exec: {args: [a]}}}]\n"
       "contexts: [{name: c, context: {cluster: k, user: u}}]\n",
       "", "exec has no command"},
      {kFull, "nope", "context \"nope\" does not exist"},
  };
  for (const Case& c : cases) {
    INFO(c.yaml);
    absl::StatusOr<RestConfig> r = ParseKubeconfig(c.yaml, c.context, "");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(r.status().message()), Catch::Contains(c.message));
  }
  absl::StatusOr<RestConfig> missing_file = ParseKubeconfig(
      "current-context: c\nclusters: [{name: k, cluster: {server: s, "
      "certificate-authority: /no/such/ca.crt}}]\ncontexts: [{name: c, context: {cluster: k}}]\n",
      "", "");
  CHECK(missing_file.status().code() == absl::StatusCode::kNotFound);
  CHECK_THAT(std::string(missing_file.status().message()), Catch::Contains("/no/such/ca.crt"));
}

// Runs `body` with the given variables set (or unset when empty) and
// restores them after.
template <typename F>
void WithEnv(const std::vector<std::pair<std::string, std::string>>& vars, F body) {
  std::vector<std::pair<std::string, std::optional<std::string>>> saved;
  for (const auto& [k, v] : vars) {
    const char* old = std::getenv(k.c_str());
    saved.emplace_back(k, old ? std::optional<std::string>(old) : std::nullopt);
    if (v.empty()) {
      unsetenv(k.c_str());
    } else {
      setenv(k.c_str(), v.c_str(), 1);
    }
  }
  body();
  for (const auto& [k, v] : saved) {
    if (v) {
      setenv(k.c_str(), v->c_str(), 1);
    } else {
      unsetenv(k.c_str());
    }
  }
}

TEST_CASE("kubeconfig: resolution order and the error when nothing is found",
          "[kubeapi][config]") {
  TempDir home;
  TempDir dir;
  WriteFile(dir.File("env"), "current-context: c\nclusters: [{name: k, cluster: {server: "
                             "https://from-env:1}}]\ncontexts: [{name: c, context: {cluster: k}}]\n");
  WriteFile(dir.File("flag"), "current-context: c\nclusters: [{name: k, cluster: {server: "
                              "https://from-flag:1}}]\ncontexts: [{name: c, context: {cluster: k}}]\n");
  WithEnv({{"HOME", home.path()}, {"KUBECONFIG", dir.File("env")},
           {"KUBERNETES_SERVICE_HOST", ""}, {"KUBERNETES_SERVICE_PORT", ""}},
          [&] {
            CHECK(LoadRestConfig(dir.File("flag"), "")->server == "https://from-flag:1");
            CHECK(LoadRestConfig("", "")->server == "https://from-env:1");
          });
  WithEnv({{"HOME", home.path()}, {"KUBECONFIG", ""}, {"KUBERNETES_SERVICE_HOST", ""},
           {"KUBERNETES_SERVICE_PORT", ""}},
          [&] {
            absl::StatusOr<RestConfig> none = LoadRestConfig("", "");
            CHECK(none.status().code() == absl::StatusCode::kFailedPrecondition);
            CHECK_THAT(std::string(none.status().message()),
                       Catch::Contains("--kubeconfig is not set") &&
                           Catch::Contains("$HOME/.kube/config does not exist"));
            CHECK(LoadRestConfig(dir.File("absent"), "").status().code() ==
                  absl::StatusCode::kNotFound);
          });
  WithEnv({{"HOME", home.path()}, {"KUBECONFIG", ""}, {"KUBERNETES_SERVICE_HOST", "10.0.0.1"},
           {"KUBERNETES_SERVICE_PORT", "443"}},
          [&] {
            // No service-account mount on a test machine: a clear error.
            absl::StatusOr<RestConfig> in_cluster = LoadRestConfig("", "");
            CHECK(in_cluster.status().code() == absl::StatusCode::kFailedPrecondition);
            CHECK_THAT(std::string(in_cluster.status().message()),
                       Catch::Contains("service-account token"));
          });
}

}  // namespace
}  // namespace mck8s::kubeapi
