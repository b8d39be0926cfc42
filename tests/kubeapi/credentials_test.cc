#include "mck8s/kubeapi/credentials.h"

#include <catch2/catch.hpp>

#include <filesystem>

#include <rapidjson/document.h>

#include "absl/strings/escaping.h"
#include "process.h"

namespace mck8s::kubeapi {
namespace {

using mck8s::testing::TempDir;
using mck8s::testing::WriteFile;

constexpr char kV1[] = "client.authentication.k8s.io/v1";

TEST_CASE("exec credential: valid outputs decode", "[kubeapi][credentials]") {
  absl::StatusOr<ExecCredentialStatus> token = ParseExecCredential(
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",
          "status":{"token":"abc","expirationTimestamp":"2026-01-01T10:00:00Z"}})",
      kV1);
  REQUIRE(token.ok());
  CHECK(token->token == "abc");
  REQUIRE(token->expiration.has_value());
  CHECK(*token->expiration == absl::FromUnixSeconds(1767261600));

  absl::StatusOr<ExecCredentialStatus> cert = ParseExecCredential(
      R"({"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential",
          "status":{"clientCertificateData":"C","clientKeyData":"K"}})",
      kV1);
  REQUIRE(cert.ok());
  CHECK(cert->client_certificate_pem == "C");
  CHECK_FALSE(cert->expiration.has_value());
}

TEST_CASE("exec credential: bad outputs are clear errors", "[kubeapi][credentials]") {
  struct Row {
    const char* output;
    const char* expect;
  };
  const Row rows[] = {
      {"", "not JSON"},
      {"not json", "not JSON"},
      {"[1]", "not a JSON object"},
      {R"({"kind":"Pod"})", "not an ExecCredential"},
      {R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1beta1","status":{"token":"x"}})",
       "apiVersion"},
      {R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1"})", "no status"},
      {R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{}})",
       "neither a token"},
      {R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"clientCertificateData":"C"}})",
       "together"},
      {R"({"kind":"ExecCredential","apiVersion":"client.authentication.k8s.io/v1","status":{"token":"x","expirationTimestamp":"tomorrow"}})",
       "RFC 3339"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.output);
    absl::StatusOr<ExecCredentialStatus> result = ParseExecCredential(row.output, kV1);
    REQUIRE_FALSE(result.ok());
    CHECK(result.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(result.status().message()).find(row.expect) != std::string::npos);
  }
}

TEST_CASE("exec credential: KUBERNETES_EXEC_INFO carries the cluster when asked",
          "[kubeapi][credentials]") {
  RestConfig config;
  config.server = "https://api.example:6443";
  config.ca_pem = "CA";
  config.exec = ExecConfig{kV1, "plugin", {}, {}, "", true};
  rapidjson::Document doc;
  doc.Parse(BuildExecInfo(config).c_str());
  REQUIRE(doc.IsObject());
  CHECK(std::string(doc["kind"].GetString()) == "ExecCredential");
  CHECK(std::string(doc["apiVersion"].GetString()) == kV1);
  CHECK(doc["spec"]["interactive"].GetBool() == false);
  CHECK(std::string(doc["spec"]["cluster"]["server"].GetString()) == config.server);
  CHECK(std::string(doc["spec"]["cluster"]["certificate-authority-data"].GetString()) ==
        absl::Base64Escape("CA"));
  config.exec->provide_cluster_info = false;
  doc.Parse(BuildExecInfo(config).c_str());
  CHECK_FALSE(doc["spec"].HasMember("cluster"));
}

TEST_CASE("credentials: static token, basic auth and none", "[kubeapi][credentials]") {
  FakeClock clock;
  RestConfig config;
  config.bearer_token = "t0k";
  auto provider = NewCredentialProvider(config, clock);
  REQUIRE(provider.ok());
  CHECK(*(*provider)->Authorization() == "Bearer t0k");
  CHECK_FALSE((*provider)->OnUnauthorized());

  RestConfig basic;
  basic.username = "admin";
  basic.password = "pw";
  provider = NewCredentialProvider(basic, clock);
  REQUIRE(provider.ok());
  CHECK(*(*provider)->Authorization() == "Basic " + absl::Base64Escape("admin:pw"));

  provider = NewCredentialProvider(RestConfig{}, clock);
  REQUIRE(provider.ok());
  CHECK((*provider)->Authorization()->empty());
}

TEST_CASE("credentials: a token file is re-read after a minute or a 401",
          "[kubeapi][credentials]") {
  TempDir dir;
  const std::string path = dir.File("token");
  WriteFile(path, "first\n");
  FakeClock clock;
  RestConfig config;
  config.bearer_token_file = path;
  auto provider = NewCredentialProvider(config, clock);
  REQUIRE(provider.ok());
  CHECK(*(*provider)->Authorization() == "Bearer first");
  WriteFile(path, "second");
  clock.Advance(absl::Seconds(59));
  CHECK(*(*provider)->Authorization() == "Bearer first");
  clock.Advance(absl::Seconds(1));
  CHECK(*(*provider)->Authorization() == "Bearer second");
  WriteFile(path, "third");
  CHECK((*provider)->OnUnauthorized());
  CHECK(*(*provider)->Authorization() == "Bearer third");
  // A file that disappears keeps the last good token.
  std::filesystem::remove(path);
  clock.Advance(absl::Minutes(2));
  CHECK(*(*provider)->Authorization() == "Bearer third");
}

TEST_CASE("credentials: a missing token file is UNAUTHENTICATED", "[kubeapi][credentials]") {
  FakeClock clock;
  RestConfig config;
  config.bearer_token_file = "/nonexistent/token";
  auto provider = NewCredentialProvider(config, clock);
  REQUIRE(provider.ok());
  CHECK((*provider)->Authorization().status().code() == absl::StatusCode::kUnauthenticated);
}

// A plugin script that counts its runs in a file and prints a token that
// expires at a time given through its environment.
std::string WritePlugin(const TempDir& dir) {
  const std::string script = dir.File("plugin.sh");
  WriteFile(script, R"(#!/bin/sh
n=$(cat "$COUNT_FILE" 2>/dev/null || echo 0)
n=$((n+1))
echo $n > "$COUNT_FILE"
case "$KUBERNETES_EXEC_INFO" in *ExecCredential*) ;; *) exit 3 ;; esac
echo "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"run-$n-$1\",\"expirationTimestamp\":\"$EXPIRES\"}}"
)");
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  return script;
}

TEST_CASE("credentials: exec plugin tokens are cached until they expire",
          "[kubeapi][credentials]") {
  TempDir dir;
  FakeClock clock(absl::FromUnixSeconds(1767225600));  // 2026-01-01T00:00:00Z
  RestConfig config;
  config.exec = ExecConfig{kV1, WritePlugin(dir), {"arg"},
                           {{"COUNT_FILE", dir.File("count")}, {"EXPIRES", "2026-01-01T00:05:00Z"}},
                           "Never", false};
  auto provider = NewCredentialProvider(config, clock);
  REQUIRE(provider.ok());
  CHECK(*(*provider)->Authorization() == "Bearer run-1-arg");
  CHECK(*(*provider)->Authorization() == "Bearer run-1-arg");
  clock.Advance(absl::Minutes(4));
  CHECK(*(*provider)->Authorization() == "Bearer run-1-arg");
  clock.Advance(absl::Seconds(55));  // within the 10 s leeway of expiry
  CHECK(*(*provider)->Authorization() == "Bearer run-2-arg");
  CHECK((*provider)->OnUnauthorized());
  CHECK(*(*provider)->Authorization() == "Bearer run-3-arg");
}

TEST_CASE("credentials: a failing or missing plugin is UNAUTHENTICATED",
          "[kubeapi][credentials]") {
  FakeClock clock;
  RestConfig config;
  config.exec = ExecConfig{kV1, "/bin/false", {}, {}, "", false};
  auto provider = NewCredentialProvider(config, clock);
  REQUIRE(provider.ok());
  absl::StatusOr<std::string> auth = (*provider)->Authorization();
  CHECK(auth.status().code() == absl::StatusCode::kUnauthenticated);
  CHECK(std::string(auth.status().message()).find("exit code 1") != std::string::npos);

  config.exec->command = "/nonexistent/plugin";
  provider = NewCredentialProvider(config, clock);
  REQUIRE(provider.ok());
  CHECK((*provider)->Authorization().status().code() == absl::StatusCode::kUnauthenticated);

  config.exec->command = "/bin/echo";  // prints something that is not JSON
  provider = NewCredentialProvider(config, clock);
  REQUIRE(provider.ok());
  auth = (*provider)->Authorization();
  CHECK(auth.status().code() == absl::StatusCode::kUnauthenticated);
  CHECK(std::string(auth.status().message()).find("not JSON") != std::string::npos);

  config.exec->api_version = "client.authentication.k8s.io/v1alpha1";
  CHECK(NewCredentialProvider(config, clock).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mck8s::kubeapi
