// Pure parts of the REST client: server URLs and query encoding.
#include "mck8s/kubeapi/rest_client.h"

#include <catch2/catch.hpp>

namespace mck8s::kubeapi {
namespace {

TEST_CASE("server URL: scheme, host, port and path prefix", "[kubeapi][rest]") {
  struct Row {
    const char* server;
    bool tls;
    const char* host;
    const char* port;
    const char* prefix;
  };
  const Row rows[] = {
      {"https://10.0.0.1:6443", true, "10.0.0.1", "6443", ""},
      {"https://api.example", true, "api.example", "443", ""},
      {"http://127.0.0.1:8080/clusters/edge-1/", false, "127.0.0.1", "8080", "/clusters/edge-1"},
      {"http://localhost", false, "localhost", "80", ""},
      {"https://[::1]:6443/k8s", true, "::1", "6443", "/k8s"},
      {"https://[fd00::1]", true, "fd00::1", "443", ""},
  };
  for (const Row& row : rows) {
    CAPTURE(row.server);
    absl::StatusOr<ServerUrl> url = ParseServerUrl(row.server);
    REQUIRE(url.ok());
    CHECK(url->tls == row.tls);
    CHECK(url->host == row.host);
    CHECK(url->port == row.port);
    CHECK(url->path_prefix == row.prefix);
  }
}

TEST_CASE("server URL: unusable ones are named", "[kubeapi][rest]") {
  for (const char* server : {"", "ftp://x", "api.example:6443", "https://", "https://:443",
                             "https://[::1", "https://[::1]x", "https://host:0",
                             "https://host:99999", "https://host:http", "https://u:p@host"}) {
    CAPTURE(server);
    absl::StatusOr<ServerUrl> url = ParseServerUrl(server);
    REQUIRE_FALSE(url.ok());
    CHECK(url.status().code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("query components are percent-encoded", "[kubeapi][rest]") {
  CHECK(EscapeQueryComponent("app=web,tier in (a,b)") == "app%3Dweb%2Ctier%20in%20%28a%2Cb%29");
  CHECK(EscapeQueryComponent("metadata.name!=x") == "metadata.name%21%3Dx");
  CHECK(EscapeQueryComponent("AZaz09-._~") == "AZaz09-._~");
  CHECK(EscapeQueryComponent("\xff/") == "%FF%2F");
}

}  // namespace
}  // namespace mck8s::kubeapi
