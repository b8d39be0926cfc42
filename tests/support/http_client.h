// -----------------------------------------------------------------------------
// File: tests/support/http_client.h
// -----------------------------------------------------------------------------
//
// A blocking HTTP/1.1 client for tests (Boost.Beast), to check what a
// server really puts on the wire: status, headers and body.
//
//   HttpResult r = HttpGet("127.0.0.1", port, "/metrics");
//   REQUIRE(r.status == 200);

#ifndef MCK8S_TESTS_SUPPORT_HTTP_CLIENT_H_
#define MCK8S_TESTS_SUPPORT_HTTP_CLIENT_H_

#include <map>
#include <string>

namespace mck8s::testing {

struct HttpResult {
  int status = 0;  // 0: no response (the error is in `error`)
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string error;
};

HttpResult HttpRequest(const std::string& host, int port, const std::string& method,
                       const std::string& target, const std::string& body = "",
                       const std::map<std::string, std::string>& headers = {});

inline HttpResult HttpGet(const std::string& host, int port, const std::string& target) {
  return HttpRequest(host, port, "GET", target);
}

}  // namespace mck8s::testing

#endif  // MCK8S_TESTS_SUPPORT_HTTP_CLIENT_H_
