// The REST client against local test servers: what goes on the wire and how
// answers are handled (keep-alive, prefixes, auth, TLS, retries, limits).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "mck8s/kubeapi/errors.h"
#include "mck8s/kubeapi/rest_client.h"
#include "mck8s/kubeapi/transport.h"
#include "mck8s/runtime/metrics.h"
#include "process.h"
#include "test_pki.h"
#include "test_server.h"

namespace mck8s::kubeapi {
namespace {

using testing::CertAndKey;
using testing::Responder;
using testing::TestPki;
using testing::TestRequest;
using testing::TestServer;
using testing::TestTlsOptions;

struct Harness {
  runtime::Registry registry;
  FakeClock clock;
  ClientOptions options;
  Harness() {
    options.metrics = &registry;
    options.clock = &clock;
    clock.SetAutoAdvance(true);
    options.qps = 0;
  }
  std::unique_ptr<RestClient> Client(RestConfig config) {
    absl::StatusOr<std::unique_ptr<RestClient>> client = RestClient::Create(config, options);
    REQUIRE(client.ok());
    return *std::move(client);
  }
  std::unique_ptr<RestClient> Client(const std::string& server) {
    RestConfig config;
    config.server = server;
    return Client(config);
  }
  bool MetricsContain(const std::string& line) {
    return registry.Render().find(line) != std::string::npos;
  }
};

RestRequest Get(std::string path) {
  RestRequest request;
  request.path = std::move(path);
  return request;
}

TEST_CASE("wire: requests carry the server's path prefix, query and headers", "[kubeapi][wire]") {
  TestServer server([](const TestRequest&, Responder& respond) {
    respond.Send(200, R"({"kind":"PodList"})");
  });
  Harness h;
  RestConfig config;
  config.server = server.url() + "/clusters/edge-1/";
  config.bearer_token = "s3cret";
  auto client = h.Client(config);
  RestRequest request = Get("/api/v1/namespaces/default/pods");
  request.query = {{"labelSelector", "app=web,tier in (a,b)"}, {"limit", "10"}};
  absl::StatusOr<HttpResponse> response = client->Do(request);
  REQUIRE(response.ok());
  CHECK(response->status == 200);
  CHECK(response->body == R"({"kind":"PodList"})");
  CHECK(response->Header("content-type") == "application/json");
  const std::vector<TestRequest> seen = server.Requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].path == "/clusters/edge-1/api/v1/namespaces/default/pods");
  CHECK(seen[0].Query("labelSelector") == "app=web,tier in (a,b)");
  CHECK(seen[0].Query("limit") == "10");
  CHECK(seen[0].Header("Authorization") == "Bearer s3cret");
  CHECK(seen[0].Header("Accept") == "application/json");
  CHECK(seen[0].Header("User-Agent").find("mck8s") != std::string::npos);
  CHECK(seen[0].Header("Host") == "127.0.0.1:" + std::to_string(server.port()));
}

TEST_CASE("wire: connections are kept alive and reused", "[kubeapi][wire]") {
  TestServer server([](const TestRequest&, Responder& respond) { respond.Send(200, "{}"); });
  Harness h;
  auto client = h.Client(server.url());
  for (int i = 0; i < 5; ++i) REQUIRE(client->Do(Get("/version")).ok());
  CHECK(server.Connections() == 1);
  CHECK(client->transport().ConnectionsOpened() == 1);
  CHECK(client->transport().IdleConnections() == 1);
}

TEST_CASE("wire: a connection the server closed while idle is not reused", "[kubeapi][wire]") {
  TestServer server([](const TestRequest& request, Responder& respond) {
    respond.Send(200, "{}");
    if (request.path == "/close-after") respond.Close();
  });
  Harness h;
  auto client = h.Client(server.url());
  REQUIRE(client->Do(Get("/close-after")).ok());
  // Once the server has closed (its FIN is on the loopback socket), the
  // pooled connection must be recognised as dead. POST is not idempotent
  // and would not be retried on it: it must go out on a fresh connection.
  while (server.OpenConnections() > 0) std::this_thread::yield();
  RestRequest post = Get("/api/v1/namespaces");
  post.verb = "POST";
  post.body = "{}";
  REQUIRE(client->Do(post).ok());
  CHECK(server.Connections() == 2);
  CHECK(h.MetricsContain(
      "rest_client_requests_total{code=\"200\",host=\"127.0.0.1:" + std::to_string(server.port()) +
      "\",method=\"POST\"} 1"));
}

// Bytes that differ from one offset to the next, so that a piece read twice,
// dropped or out of order shows.
std::string Pattern(size_t size) {
  std::string out(size, '\0');
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return out;
}

TEST_CASE("wire: large bodies, with a length or chunked, arrive whole on one connection",
          "[kubeapi][wire]") {
  const std::string large = Pattern(3 * 1024 * 1024 + 17);
  TestServer server([&](const TestRequest& request, Responder& respond) {
    if (request.path == "/chunked") {
      respond.StartChunked(200);
      for (size_t at = 0; at < large.size(); at += 7001) {
        respond.WriteChunk(std::string_view(large).substr(at, 7001));
      }
      respond.EndChunked();
    } else if (request.path == "/small") {
      respond.Send(200, "{}");
    } else {
      respond.Send(200, large);
    }
  });
  TransportOptions options;
  options.tls = false;
  options.host = "127.0.0.1";
  options.port = std::to_string(server.port());
  absl::StatusOr<std::unique_ptr<Transport>> transport = Transport::Create(options);
  REQUIRE(transport.ok());
  for (const char* path : {"/length", "/chunked", "/small", "/length", "/small"}) {
    HttpRequest get;
    get.method = "GET";
    get.target = path;
    absl::StatusOr<HttpResponse> response = (*transport)->RoundTrip(get);
    REQUIRE(response.ok());
    CHECK(response->status == 200);
    if (std::string_view(path) == "/small") {
      CHECK(response->body == "{}");
    } else {
      CHECK(response->body.size() == large.size());
      CHECK(response->body == large);
    }
  }
  CHECK((*transport)->ConnectionsOpened() == 1);
  CHECK(server.Connections() == 1);
}

TEST_CASE("wire: a body over max_response_body_bytes is RESOURCE_EXHAUSTED", "[kubeapi][wire]") {
  TestServer server([](const TestRequest& request, Responder& respond) {
    if (request.path == "/chunked") {
      respond.StartChunked(200);
      for (int i = 0; i < 64; ++i) respond.WriteChunk(std::string(4096, 'x'));
      respond.EndChunked();
    } else {
      respond.Send(200, std::string(256 * 1024, 'x'));
    }
  });
  TransportOptions options;
  options.tls = false;
  options.host = "127.0.0.1";
  options.port = std::to_string(server.port());
  options.max_response_body_bytes = 100 * 1024;
  absl::StatusOr<std::unique_ptr<Transport>> transport = Transport::Create(options);
  REQUIRE(transport.ok());
  for (const char* path : {"/length", "/chunked"}) {
    HttpRequest get;
    get.method = "GET";
    get.target = path;
    absl::StatusOr<HttpResponse> response = (*transport)->RoundTrip(get);
    CHECK(response.status().code() == absl::StatusCode::kResourceExhausted);
  }
}

TEST_CASE("wire: Status answers become errors with their reason", "[kubeapi][wire]") {
  TestServer server([](const TestRequest& request, Responder& respond) {
    if (request.path.find("missing") != std::string::npos) {
      respond.Send(404, R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods \"missing\" not found","reason":"NotFound","details":{"name":"missing","kind":"pods"},"code":404})");
    } else {
      respond.Send(422, R"({"kind":"Status","status":"Failure","message":"invalid","reason":"Invalid","details":{"causes":[{"reason":"FieldValueRequired","message":"Required value","field":"spec.containers"}]},"code":422})");
    }
  });
  Harness h;
  auto client = h.Client(server.url());
  absl::StatusOr<HttpResponse> missing = client->Do(Get("/api/v1/namespaces/a/pods/missing"));
  REQUIRE(IsNotFound(missing.status()));
  CHECK(std::string(missing.status().message()) ==
        "GET /api/v1/namespaces/a/pods/missing: pods \"missing\" not found");
  RestRequest create = Get("/api/v1/namespaces/a/pods");
  create.verb = "POST";
  create.body = "{}";
  absl::StatusOr<HttpResponse> invalid = client->Do(create);
  REQUIRE(IsInvalid(invalid.status()));
  REQUIRE(Causes(invalid.status()).size() == 1);
  CHECK(Causes(invalid.status())[0].field == "spec.containers");
  CHECK(server.Requests().size() == 2);  // neither is retried
}

TEST_CASE("wire: 429 is retried after Retry-After, for any verb", "[kubeapi][wire]") {
  std::atomic<int> calls{0};
  TestServer server([&](const TestRequest&, Responder& respond) {
    if (calls.fetch_add(1) < 2) {
      respond.Send(429, R"({"kind":"Status","reason":"TooManyRequests","code":429})",
                   {{"Retry-After", "3"}});
    } else {
      respond.Send(201, R"({"kind":"ConfigMap"})");
    }
  });
  Harness h;
  auto client = h.Client(server.url());
  RestRequest create = Get("/api/v1/namespaces/a/configmaps");
  create.verb = "POST";
  create.body = R"({"kind":"ConfigMap"})";
  absl::StatusOr<HttpResponse> response = client->Do(create);
  REQUIRE(response.ok());
  CHECK(response->status == 201);
  CHECK(calls.load() == 3);
  CHECK(h.clock.AutoAdvanced() == absl::Seconds(6));
  const std::string host = "127.0.0.1:" + std::to_string(server.port());
  CHECK(h.MetricsContain("rest_client_request_retries_total{code=\"429\",host=\"" + host +
                         "\",verb=\"POST\"} 2"));
  CHECK(h.MetricsContain("rest_client_requests_total{code=\"429\",host=\"" + host +
                         "\",method=\"POST\"} 2"));
  CHECK(h.MetricsContain("rest_client_request_duration_seconds_count{host=\"" + host +
                         "\",verb=\"POST\"} 3"));
}

TEST_CASE("wire: 429 retries stop at max_retries", "[kubeapi][wire]") {
  TestServer server([&](const TestRequest&, Responder& respond) {
    respond.Send(429, R"({"kind":"Status","reason":"TooManyRequests","code":429})");
  });
  Harness h;
  h.options.max_retries = 3;
  h.options.retry_initial_backoff = absl::Seconds(1);
  auto client = h.Client(server.url());
  absl::StatusOr<HttpResponse> response = client->Do(Get("/api/v1/pods"));
  CHECK(IsTooManyRequests(response.status()));
  CHECK(server.Requests().size() == 4);
  CHECK(h.clock.AutoAdvanced() == absl::Seconds(1 + 2 + 4));  // doubling backoff
}

TEST_CASE("wire: 5xx is retried for GET but not for POST", "[kubeapi][wire]") {
  std::atomic<int> calls{0};
  TestServer server([&](const TestRequest&, Responder& respond) {
    if (calls.fetch_add(1) % 2 == 0) {
      respond.Send(503, R"({"kind":"Status","reason":"ServiceUnavailable","code":503})");
    } else {
      respond.Send(200, "{}");
    }
  });
  Harness h;
  auto client = h.Client(server.url());
  REQUIRE(client->Do(Get("/api/v1/pods")).ok());
  CHECK(calls.load() == 2);
  RestRequest post = Get("/api/v1/namespaces/a/pods");
  post.verb = "POST";
  post.body = "{}";
  absl::StatusOr<HttpResponse> response = client->Do(post);
  CHECK(response.status().code() == absl::StatusCode::kUnavailable);
  CHECK(Reason(response.status()) == "ServiceUnavailable");
  CHECK(calls.load() == 3);
}

TEST_CASE("wire: connection errors are retried for GET only", "[kubeapi][wire]") {
  std::atomic<int> calls{0};
  TestServer server([&](const TestRequest&, Responder& respond) {
    if (calls.fetch_add(1) == 0) {
      respond.Close();  // no answer at all
    } else {
      respond.Send(200, "{}");
    }
  });
  Harness h;
  auto client = h.Client(server.url());
  REQUIRE(client->Do(Get("/api/v1/pods")).ok());
  CHECK(calls.load() == 2);
  CHECK(h.MetricsContain("code=\"<error>\""));

  calls = 0;
  RestRequest post = Get("/api/v1/namespaces/a/pods");
  post.verb = "POST";
  post.body = "{}";
  CHECK(client->Do(post).status().code() == absl::StatusCode::kUnavailable);
  CHECK(calls.load() == 1);
}

TEST_CASE("wire: nothing listening is UNAVAILABLE after retries", "[kubeapi][wire]") {
  int port = 0;
  {
    TestServer server([](const TestRequest&, Responder& r) { r.Send(200, "{}"); });
    port = server.port();
  }
  Harness h;
  h.options.max_retries = 2;
  auto client = h.Client("http://127.0.0.1:" + std::to_string(port));
  absl::StatusOr<HttpResponse> response = client->Do(Get("/version"));
  CHECK(response.status().code() == absl::StatusCode::kUnavailable);
  CHECK(std::string(response.status().message()).find("connect") != std::string::npos);
}

TEST_CASE("wire: a server that never answers hits the request timeout", "[kubeapi][wire]") {
  absl::Notification release;
  TestServer server([&](const TestRequest&, Responder& respond) {
    release.WaitForNotification();
    respond.Close();
  });
  Harness h;
  h.options.request_timeout = absl::Milliseconds(300);
  auto client = h.Client(server.url());
  absl::StatusOr<HttpResponse> response = client->Do(Get("/api/v1/pods"));
  CHECK(response.status().code() == absl::StatusCode::kDeadlineExceeded);
  CHECK(server.Requests().size() == 1);  // timeouts are not retried
  release.Notify();
}

TEST_CASE("wire: the token bucket spaces requests", "[kubeapi][wire]") {
  TestServer server([](const TestRequest&, Responder& respond) { respond.Send(200, "{}"); });
  Harness h;
  h.options.qps = 2;
  h.options.burst = 2;
  auto client = h.Client(server.url());
  for (int i = 0; i < 6; ++i) REQUIRE(client->Do(Get("/version")).ok());
  CHECK(h.clock.AutoAdvanced() == absl::Seconds(2));  // 4 beyond the burst at 2/s
  CHECK(h.MetricsContain("rest_client_rate_limiter_duration_seconds_count"));
}

TEST_CASE("wire: a 401 re-reads a rotated token file once", "[kubeapi][wire]") {
  mck8s::testing::TempDir dir;
  const std::string token_path = dir.File("token");
  mck8s::testing::WriteFile(token_path, "old");
  TestServer server([](const TestRequest& request, Responder& respond) {
    if (request.Header("Authorization") == "Bearer new") {
      respond.Send(200, "{}");
    } else {
      respond.Send(401, R"({"kind":"Status","reason":"Unauthorized","code":401})");
    }
  });
  Harness h;
  RestConfig config;
  config.server = server.url();
  config.bearer_token_file = token_path;
  auto client = h.Client(config);
  CHECK(IsUnauthorized(client->Do(Get("/version")).status()));
  CHECK(server.Requests().size() == 2);  // the retry read the same old token
  mck8s::testing::WriteFile(token_path, "new");
  REQUIRE(client->Do(Get("/version")).ok());
  CHECK(server.Requests().back().Header("Authorization") == "Bearer new");
}

TEST_CASE("wire: an exec plugin's token is sent and cached", "[kubeapi][wire]") {
  mck8s::testing::TempDir dir;
  const std::string script = dir.File("plugin.sh");
  mck8s::testing::WriteFile(script, R"(#!/bin/sh
n=$(cat "$COUNT_FILE" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$COUNT_FILE"
echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"from-plugin"}}'
)");
  std::filesystem::permissions(script, std::filesystem::perms::owner_all);
  TestServer server([](const TestRequest& request, Responder& respond) {
    respond.Send(request.Header("Authorization") == "Bearer from-plugin" ? 200 : 401, "{}");
  });
  Harness h;
  RestConfig config;
  config.server = server.url();
  config.exec = ExecConfig{"client.authentication.k8s.io/v1", script, {},
                           {{"COUNT_FILE", dir.File("count")}}, "Never", false};
  auto client = h.Client(config);
  REQUIRE(client->Do(Get("/version")).ok());
  REQUIRE(client->Do(Get("/version")).ok());
  std::ifstream count(dir.File("count"));
  int runs = 0;
  count >> runs;
  CHECK(runs == 1);
}

TEST_CASE("wire: streaming delivers the body as it arrives and can be cancelled",
          "[kubeapi][wire]") {
  absl::Notification first_seen;
  absl::Notification finish;
  TestServer server([&](const TestRequest& request, Responder& respond) {
    respond.StartChunked(200);
    respond.WriteChunk("one\n");
    if (request.Query("watch") == "cancel") {
      first_seen.WaitForNotification();
      finish.WaitForNotification();
      respond.Close();
      return;
    }
    respond.WriteChunk("two\n");
    respond.EndChunked();
  });
  Harness h;
  auto client = h.Client(server.url());
  std::string received;
  RestRequest request = Get("/api/v1/pods");
  request.query = {{"watch", "true"}};
  absl::Status done = client->Stream(request, absl::Seconds(30), [&](std::string_view data) {
    received.append(data);
    return true;
  }, nullptr);
  REQUIRE(done.ok());
  CHECK(received == "one\ntwo\n");

  StreamCanceller canceller;
  received.clear();
  request.query = {{"watch", "cancel"}};
  std::thread stream([&] {
    done = client->Stream(request, absl::Seconds(30), [&](std::string_view data) {
      received.append(data);
      first_seen.Notify();
      return true;
    }, &canceller);
  });
  first_seen.WaitForNotification();
  canceller.Cancel();
  stream.join();
  finish.Notify();
  CHECK(done.code() == absl::StatusCode::kCancelled);
  CHECK(received == "one\n");
}

TEST_CASE("wire: a stream answered with an error decodes the Status", "[kubeapi][wire]") {
  TestServer server([](const TestRequest&, Responder& respond) {
    respond.Send(410, R"({"kind":"Status","reason":"Expired","message":"too old resource version","code":410})");
  });
  Harness h;
  auto client = h.Client(server.url());
  bool called = false;
  absl::Status status = client->Stream(Get("/api/v1/pods"), absl::Seconds(5),
                                       [&](std::string_view) { return called = true; }, nullptr);
  CAPTURE(status.ToString());
  CHECK(IsGone(status));
  CHECK_FALSE(called);
}

TEST_CASE("wire: a stream idle for too long ends with DEADLINE_EXCEEDED", "[kubeapi][wire]") {
  absl::Notification finish;
  TestServer server([&](const TestRequest&, Responder& respond) {
    respond.StartChunked(200);
    finish.WaitForNotification();
    respond.Close();
  });
  Harness h;
  auto client = h.Client(server.url());
  absl::Status status = client->Stream(Get("/api/v1/pods"), absl::Milliseconds(200),
                                       [](std::string_view) { return true; }, nullptr);
  finish.Notify();
  CHECK(status.code() == absl::StatusCode::kDeadlineExceeded);
}

TEST_CASE("wire: a stream that goes quiet mid-chunk and between chunks loses no byte",
          "[kubeapi][wire]") {
  // A bare HTTP server, to cut the chunked body where a test server would
  // not: the client sees the stream stop inside a chunk's data and right
  // after it (before its closing CRLF), and waits each time with nothing
  // left to parse.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(listener >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0);
  REQUIRE(::listen(listener, 1) == 0);
  socklen_t length = sizeof(address);
  REQUIRE(::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length) == 0);
  const int port = ntohs(address.sin_port);

  absl::Mutex mu;
  std::string received;
  auto received_at_least = [&](size_t n) {
    absl::MutexLock lock(&mu);
    auto enough = [&] { return received.size() >= n; };
    return mu.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(30));
  };
  std::thread server([&] {
    const int connection = ::accept(listener, nullptr, nullptr);
    if (connection < 0) return;
    std::string request;
    char byte;
    while (request.find("\r\n\r\n") == std::string::npos && ::read(connection, &byte, 1) == 1) {
      request.push_back(byte);
    }
    auto send = [&](std::string_view bytes) {
      (void)::write(connection, bytes.data(), bytes.size());
    };
    send(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n8\r\n{\"a\":1}\n\r\n");
    if (received_at_least(8)) send("8\r\n{\"b\"");  // cut inside the chunk's data
    if (received_at_least(12)) send(":2}\n");       // the data ends, its CRLF does not
    if (received_at_least(16)) send("\r\n8\r\n{\"c\":3}\n\r\n0\r\n\r\n");
    ::close(connection);
  });

  Harness h;
  auto client = h.Client(absl::StrCat("http://127.0.0.1:", port));
  RestRequest request = Get("/api/v1/pods");
  request.query = {{"watch", "true"}};
  absl::Status done = client->Stream(
      request, absl::Seconds(30),
      [&](std::string_view data) {
        absl::MutexLock lock(&mu);
        received.append(data);
        return true;
      },
      nullptr);
  server.join();
  ::close(listener);
  CHECK(done.ok());
  absl::MutexLock lock(&mu);
  CHECK(received == "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
}

// ---------------------------------------------------------------------------
// TLS

struct TlsSetup {
  TestPki pki;
  CertAndKey server_cert = pki.Issue("kube-apiserver", {"api.test", "localhost"}, {"127.0.0.1"});
};

TEST_CASE("tls: the server is verified against the configured CA", "[kubeapi][wire][tls]") {
  TlsSetup tls;
  TestServer server([](const TestRequest&, Responder& respond) { respond.Send(200, "{}"); },
                    TestTlsOptions{tls.server_cert.cert_pem, tls.server_cert.key_pem, ""});
  Harness h;
  RestConfig config;
  config.server = server.url();
  config.ca_pem = tls.pki.ca_pem();
  auto client = h.Client(config);
  REQUIRE(client->Do(Get("/version")).ok());
  REQUIRE(client->Do(Get("/version")).ok());
  CHECK(server.Connections() == 1);  // TLS connections are pooled too

  SECTION("another CA is refused") {
    TestPki other("other-ca");
    config.ca_pem = other.ca_pem();
    absl::StatusOr<HttpResponse> response = h.Client(config)->Do(Get("/version"));
    CHECK(response.status().code() == absl::StatusCode::kFailedPrecondition);
    CHECK(std::string(response.status().message()).find("certificate verify failed") !=
          std::string::npos);
  }
  SECTION("the system roots do not know the test CA") {
    config.ca_pem.clear();
    CHECK(h.Client(config)->Do(Get("/version")).status().code() ==
          absl::StatusCode::kFailedPrecondition);
  }
  SECTION("tls-server-name is what the certificate must name") {
    config.tls_server_name = "api.test";
    CHECK(h.Client(config)->Do(Get("/version")).ok());
    config.tls_server_name = "other.test";
    CHECK(h.Client(config)->Do(Get("/version")).status().code() ==
          absl::StatusCode::kFailedPrecondition);
  }
  SECTION("a DNS name in the URL is checked against DNS SANs") {
    config.server = "https://localhost:" + std::to_string(server.port());
    CHECK(h.Client(config)->Do(Get("/version")).ok());
  }
  SECTION("insecure-skip-tls-verify accepts any certificate") {
    config.ca_pem.clear();
    config.insecure_skip_tls_verify = true;
    config.tls_server_name = "other.test";
    CHECK(h.Client(config)->Do(Get("/version")).ok());
  }
}

TEST_CASE("tls: client certificates authenticate", "[kubeapi][wire][tls]") {
  TlsSetup tls;
  TestPki client_ca("client-ca");
  CertAndKey admin = client_ca.Issue("system:admin", {}, {}, /*client=*/true);
  TestServer server(
      [](const TestRequest& request, Responder& respond) {
        respond.Send(200, "{}", {{"X-Client", request.client_common_name}});
      },
      TestTlsOptions{tls.server_cert.cert_pem, tls.server_cert.key_pem, client_ca.ca_pem()});
  Harness h;
  RestConfig config;
  config.server = server.url();
  config.ca_pem = tls.pki.ca_pem();
  config.client_cert_pem = admin.cert_pem;
  config.client_key_pem = admin.key_pem;
  absl::StatusOr<HttpResponse> response = h.Client(config)->Do(Get("/version"));
  REQUIRE(response.ok());
  CHECK(response->Header("X-Client") == "system:admin");

  // Without a certificate the handshake fails.
  config.client_cert_pem.clear();
  config.client_key_pem.clear();
  CHECK_FALSE(h.Client(config)->Do(Get("/version")).ok());
}

// JSON string literal of `text` (PEM has newlines).
std::string JsonString(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

TEST_CASE("tls: an exec plugin's client certificate authenticates", "[kubeapi][wire][tls]") {
  TlsSetup tls;
  TestPki client_ca("client-ca");
  CertAndKey user = client_ca.Issue("plugin-user", {}, {}, /*client=*/true);
  std::atomic<int> requests_with_authorization{0};
  TestServer server(
      [&](const TestRequest& request, Responder& respond) {
        if (!request.Header("Authorization").empty()) ++requests_with_authorization;
        respond.Send(200, "{}", {{"X-Client", request.client_common_name}});
      },
      TestTlsOptions{tls.server_cert.cert_pem, tls.server_cert.key_pem, client_ca.ca_pem()});
  mck8s::testing::TempDir dir;
  const std::string credential = dir.File("credential.json");
  mck8s::testing::WriteFile(credential,
                     "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":"
                     "\"ExecCredential\",\"status\":{\"clientCertificateData\":" +
                         JsonString(user.cert_pem) + ",\"clientKeyData\":" +
                         JsonString(user.key_pem) + "}}");
  const std::string plugin = dir.File("plugin.sh");
  mck8s::testing::WriteFile(plugin, "#!/bin/sh\nexec cat \"$CREDENTIAL\"\n");
  std::filesystem::permissions(plugin, std::filesystem::perms::owner_all);

  Harness h;
  RestConfig config;
  config.server = server.url();
  config.ca_pem = tls.pki.ca_pem();
  config.exec = ExecConfig{"client.authentication.k8s.io/v1", plugin, {},
                           {{"CREDENTIAL", credential}}, "Never", false};
  std::unique_ptr<RestClient> client = h.Client(config);
  absl::StatusOr<HttpResponse> response = client->Do(Get("/version"));
  REQUIRE(response.ok());
  CHECK(response->Header("X-Client") == "plugin-user");
  CHECK(requests_with_authorization == 0);

  SECTION("a certificate the plugin cannot give fails the request clearly") {
    mck8s::testing::WriteFile(credential, "{}");
    config.server = server.url();
    absl::StatusOr<HttpResponse> failed = h.Client(config)->Do(Get("/version"));
    REQUIRE_FALSE(failed.ok());
    CHECK(failed.status().code() == absl::StatusCode::kUnauthenticated);
    CHECK(failed.status().message().find("exec credential plugin") != std::string::npos);
  }
}

TEST_CASE("tls: unusable PEM material is INVALID_ARGUMENT at creation", "[kubeapi][wire][tls]") {
  RestConfig config;
  config.server = "https://127.0.0.1:1";
  config.ca_pem = "not a certificate";
  CHECK(RestClient::Create(config).status().code() == absl::StatusCode::kInvalidArgument);
  config.ca_pem.clear();
  config.client_cert_pem = "junk";
  config.client_key_pem = "junk";
  CHECK(RestClient::Create(config).status().code() == absl::StatusCode::kInvalidArgument);
  config.client_cert_pem.clear();
  config.client_key_pem.clear();
  config.proxy_url = "http://proxy:3128";
  CHECK(RestClient::Create(config).status().code() == absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mck8s::kubeapi
