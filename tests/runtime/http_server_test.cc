// Specification of the operational HTTP server, driven over real sockets by
// a Boost.Beast client on the loopback interface.

#include "mck8s/runtime/http_server.h"

#include <catch2/catch.hpp>
#include <atomic>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/write.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "mck8s/runtime/metrics.h"
#include "mck8s/runtime/probes.h"

namespace mck8s::runtime {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

using Response = http::response<http::string_body>;

// One client connection; requests are sent and answered in turn.
class Client {
 public:
  explicit Client(int port) : stream_(io_) {
    stream_.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                  static_cast<uint16_t>(port)));
  }

  Response Send(http::verb method, std::string target, std::string body = "",
                bool keep_alive = true) {
    http::request<http::string_body> request(method, target, 11);
    request.set(http::field::host, "127.0.0.1");
    request.keep_alive(keep_alive);
    if (!body.empty() || method == http::verb::post) {
      request.body() = std::move(body);
      request.prepare_payload();
    }
    http::write(stream_, request);
    return Read(method == http::verb::head);
  }

  Response Read(bool head = false) {
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024);
    parser.skip(head);
    http::read(stream_, buffer_, parser);
    return parser.release();
  }

  // True when the server has closed the connection (the next read sees the
  // end of the stream).
  bool ServerClosed() {
    beast::error_code ec;
    http::response_parser<http::string_body> parser;
    http::read(stream_, buffer_, parser, ec);
    return ec == http::error::end_of_stream ||
           ec == asio::error::connection_reset;
  }

  tcp::socket& socket() { return stream_.socket(); }

 private:
  asio::io_context io_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
};

std::unique_ptr<HttpServer> StartedServer(
    const std::function<void(HttpServer&)>& setup = nullptr) {
  auto server = HttpServer::Create("127.0.0.1:0");
  REQUIRE(server.ok());
  if (setup) setup(**server);
  REQUIRE((*server)->Start().ok());
  REQUIRE((*server)->port() > 0);
  return *std::move(server);
}

TEST_CASE("Create parses bind addresses", "[http]") {
  for (const char* valid :
       {"0", ":8080", ":0", "127.0.0.1:0", "localhost:9090", "[::1]:0",
        "0.0.0.0:65535", "metrics.example:8443"}) {
    INFO(valid);
    const auto server = HttpServer::Create(valid);
    CHECK(server.ok());
  }
  for (const char* invalid :
       {"", "8080", "host:", ":99999", ":-1", ":80x", "::1:80", "[::1]",
        "[]:80", "a b:80", ":123456"}) {
    INFO(invalid);
    const auto server = HttpServer::Create(invalid);
    REQUIRE_FALSE(server.ok());
    CHECK(server.status().code() == absl::StatusCode::kInvalidArgument);
    CHECK(server.status().message().find(absl::StrCat("\"", invalid, "\"")) !=
          std::string_view::npos);
  }
}

TEST_CASE("a server bound to \"0\" is disabled", "[http]") {
  auto server = HttpServer::Create("0");
  REQUIRE(server.ok());
  (*server)->Handle("/metrics", [](const HttpRequest&) { return HttpResponse{}; });
  CHECK((*server)->Start().ok());
  CHECK((*server)->port() == 0);
  (*server)->Stop();
}

TEST_CASE("serves /metrics twice on one keep-alive connection", "[http]") {
  Registry registry;
  Counter& scrapes =
      registry.AddCounter("test_scrapes_total", "Scrapes.").WithLabels({});
  auto server = StartedServer(
      [&](HttpServer& s) { InstallMetricsHandler(s, registry); });

  Client client(server->port());
  const tcp::endpoint local = client.socket().local_endpoint();
  Response first = client.Send(http::verb::get, "/metrics");
  CHECK(first.result_int() == 200);
  CHECK(first[http::field::content_type] ==
        "text/plain; version=0.0.4; charset=utf-8");
  CHECK(first.keep_alive());
  CHECK(first.body() ==
        "# HELP test_scrapes_total Scrapes.\n"
        "# TYPE test_scrapes_total counter\n"
        "test_scrapes_total 0\n");

  scrapes.Increment();
  Response second = client.Send(http::verb::get, "/metrics");
  CHECK(client.socket().local_endpoint() == local);  // same connection
  CHECK(second.result_int() == 200);
  CHECK(second.keep_alive());
  CHECK(second.body().find("test_scrapes_total 1\n") != std::string::npos);
  server->Stop();
}

TEST_CASE("routing: 404, 405, HEAD, prefixes and request fields", "[http]") {
  auto server = StartedServer([](HttpServer& s) {
    s.Handle("/echo", [](const HttpRequest& request) {
      HttpResponse response;
      response.body = request.method + " " + request.path + " ? " +
                      request.query + " | " +
                      request.headers.at("x-test-header");
      response.headers.emplace_back("X-Extra", "yes");
      return response;
    });
    s.HandleAllMethods("/submit", [](const HttpRequest& request) {
      HttpResponse response;
      response.status = 201;
      response.body = request.method + ":" + request.body;
      return response;
    });
    s.HandlePrefix("/tree/", [](const HttpRequest& request) {
      HttpResponse response;
      response.body = "tree " + request.path;
      return response;
    });
    s.HandlePrefix("/tree/deep/", [](const HttpRequest& request) {
      HttpResponse response;
      response.body = "deep " + request.path;
      return response;
    });
    s.Handle("/throws", [](const HttpRequest&) -> HttpResponse {
      throw std::runtime_error("boom");
    });
  });
  Client client(server->port());

  SECTION("unknown path is 404") {
    Response response = client.Send(http::verb::get, "/nope");
    CHECK(response.result_int() == 404);
    CHECK(response.body() == "404 page not found\n");
    CHECK(response.keep_alive());
  }
  SECTION("GET-only handlers refuse other methods with 405") {
    Response response = client.Send(http::verb::post, "/echo", "data");
    CHECK(response.result_int() == 405);
    CHECK(response[http::field::allow] == "GET, HEAD");
  }
  SECTION("request fields reach the handler") {
    http::request<http::string_body> request(http::verb::get,
                                             "/echo?verbose&x=1", 11);
    request.set(http::field::host, "127.0.0.1");
    request.set("X-Test-Header", "first");
    request.insert("X-Test-Header", "second");
    http::write(client.socket(), request);
    Response response = client.Read();
    CHECK(response.result_int() == 200);
    CHECK(response.body() == "GET /echo ? verbose&x=1 | first, second");
    CHECK(response["X-Extra"] == "yes");
  }
  SECTION("HEAD answers headers only") {
    Response response = client.Send(http::verb::head, "/tree/x");
    CHECK(response.result_int() == 200);
    CHECK(response[http::field::content_length] == "12");  // "tree /tree/x"
    CHECK(response.body().empty());
    // The connection is still usable afterwards.
    CHECK(client.Send(http::verb::get, "/tree/x").body() == "tree /tree/x");
  }
  SECTION("the longest prefix wins") {
    CHECK(client.Send(http::verb::get, "/tree/deep/a").body() ==
          "deep /tree/deep/a");
    CHECK(client.Send(http::verb::get, "/tree").result_int() == 404);
  }
  SECTION("all-method handlers see the body") {
    Response response = client.Send(http::verb::put, "/submit", "payload");
    CHECK(response.result_int() == 201);
    CHECK(response.body() == "PUT:payload");
  }
  SECTION("a throwing handler answers 500") {
    Response response = client.Send(http::verb::get, "/throws");
    CHECK(response.result_int() == 500);
    CHECK(response.body() == "internal error: boom\n");
  }
  SECTION("an oversized body is refused with 413 and the connection closed") {
    // Headers only: the declared length alone exceeds the limit, so the
    // server answers without reading (and resetting on) a body.
    asio::write(client.socket(),
                asio::buffer(std::string("POST /submit HTTP/1.1\r\n"
                                         "Host: 127.0.0.1\r\n"
                                         "Content-Length: 2097152\r\n\r\n")));
    Response response = client.Read();
    CHECK(response.result_int() == 413);
    CHECK_FALSE(response.keep_alive());
    CHECK(client.ServerClosed());
  }
  SECTION("Connection: close is honoured") {
    Response response = client.Send(http::verb::get, "/tree/a", "",
                                     /*keep_alive=*/false);
    CHECK(response.result_int() == 200);
    CHECK_FALSE(response.keep_alive());
    CHECK(client.ServerClosed());
  }
  server->Stop();
}

TEST_CASE("Start reports an address in use and refuses to start twice",
          "[http]") {
  auto first = StartedServer();
  const std::string address = "127.0.0.1:" + std::to_string(first->port());
  auto second = HttpServer::Create(address);
  REQUIRE(second.ok());
  const absl::Status status = (*second)->Start();
  CHECK(status.code() == absl::StatusCode::kUnavailable);
  CHECK(status.message().find(address) != std::string_view::npos);
  CHECK(status.message().find("in use") != std::string_view::npos);

  CHECK(first->Start().code() == absl::StatusCode::kFailedPrecondition);
  first->Stop();
  CHECK(first->Start().code() == absl::StatusCode::kFailedPrecondition);
}

TEST_CASE("Stop closes idle keep-alive connections and is idempotent",
          "[http]") {
  auto server = StartedServer([](HttpServer& s) {
    s.Handle("/", [](const HttpRequest&) { return HttpResponse{}; });
  });
  Client idle(server->port());
  CHECK(idle.Send(http::verb::get, "/").result_int() == 200);
  server->Stop();  // returns although `idle` keeps its connection open
  CHECK(idle.ServerClosed());
  server->Stop();

  beast::error_code ec;
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                               static_cast<uint16_t>(server->port())),
                 ec);
  CHECK(ec);  // no longer listening
}

TEST_CASE("probes are served over HTTP", "[http]") {
  Probes probes;
  std::atomic<bool> synced{false};
  probes.AddReadinessCheck("informers-synced", [&]() -> absl::Status {
    return synced ? absl::OkStatus() : absl::UnavailableError("not synced");
  });
  auto server = StartedServer([&](HttpServer& s) { probes.Install(s); });
  Client client(server->port());

  CHECK(client.Send(http::verb::get, "/healthz").body() == "ok");
  CHECK(client.Send(http::verb::get, "/livez").body() == "ok");
  Response not_ready = client.Send(http::verb::get, "/readyz");
  CHECK(not_ready.result_int() == 500);
  CHECK(not_ready.body() ==
        "[+]ping ok\n"
        "[-]informers-synced failed: not synced\n"
        "[+]shutdown ok\n"
        "readyz check failed\n");
  CHECK(client.Send(http::verb::get, "/readyz/ping").body() == "ok");
  synced = true;
  Response ready = client.Send(http::verb::get, "/readyz?verbose");
  CHECK(ready.result_int() == 200);
  CHECK(ready.body() ==
        "[+]ping ok\n"
        "[+]informers-synced ok\n"
        "[+]shutdown ok\n"
        "readyz check passed\n");
  server->Stop();
}

}  // namespace
}  // namespace mck8s::runtime
