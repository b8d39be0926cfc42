// -----------------------------------------------------------------------------
// File: tests/kubeapi/test_server.h
// -----------------------------------------------------------------------------
//
// A tiny HTTP/1.1 server (Boost.Beast, optional TLS with client
// certificates) for wire tests of the Kubernetes client: the test decides
// exactly what goes back, byte by byte if it wants (a watch stream cut at an
// odd place, a Retry-After header, a connection dropped mid-answer). Every
// request is recorded for the test to inspect.
//
//   TestServer server([](const TestRequest& request, Responder& respond) {
//     respond.Send(200, R"({"kind":"Pod"})");
//   });
//   ... client to server.url() ...
//   REQUIRE(server.Requests().size() == 1);
//
// One thread per connection; handlers run on it and may block (a test
// releases them before the server is destroyed). Listens on 127.0.0.1:0.

#ifndef MCK8S_TESTS_KUBEAPI_TEST_SERVER_H_
#define MCK8S_TESTS_KUBEAPI_TEST_SERVER_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace mck8s::kubeapi::testing {

struct TestRequest {
  std::string method;
  std::string target;  // path and query as received
  std::string path;    // before '?'
  std::map<std::string, std::string> query;     // decoded
  std::map<std::string, std::string> headers;   // lower-case names
  std::string body;
  std::string client_common_name;  // TLS client certificate CN, if any
  int connection = 0;              // 1, 2, ... in accept order

  std::string Header(const std::string& name) const;
  std::string Query(const std::string& name) const;
};

// How a handler answers. Methods write straight to the connection.
class Responder {
 public:
  virtual ~Responder() = default;
  // A whole response with Content-Length.
  virtual void Send(int status, std::string_view body,
                    const std::vector<std::pair<std::string, std::string>>& headers = {}) = 0;
  // The head of a chunked response; then WriteChunk()... and EndChunked().
  virtual void StartChunked(int status,
                            const std::vector<std::pair<std::string, std::string>>& headers = {}) = 0;
  // One HTTP chunk; false when the client has gone.
  virtual bool WriteChunk(std::string_view data) = 0;
  virtual void EndChunked() = 0;
  // Closes the connection at once (no more bytes, no keep-alive).
  virtual void Close() = 0;
};

using TestHandler = std::function<void(const TestRequest&, Responder&)>;

struct TestTlsOptions {
  std::string cert_pem;
  std::string key_pem;
  // When set, clients must present a certificate signed by this CA.
  std::string client_ca_pem;
};

class TestServer {
 public:
  explicit TestServer(TestHandler handler, std::optional<TestTlsOptions> tls = std::nullopt);
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  int port() const;
  // "http://127.0.0.1:PORT" or "https://127.0.0.1:PORT".
  std::string url() const;
  std::vector<TestRequest> Requests() const;
  int Connections() const;
  // Connections still open on the server side (their FIN not yet sent).
  int OpenConnections() const;
  // Closes the listener and every connection, then joins all threads.
  void Stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mck8s::kubeapi::testing

#endif  // MCK8S_TESTS_KUBEAPI_TEST_SERVER_H_
