// -----------------------------------------------------------------------------
// File: mck8s/kubeapi/rest_client.h
// -----------------------------------------------------------------------------
//
// Requests to one Kubernetes API server, with everything client-go's
// rest.Client puts around the wire: the server URL's path prefix, the
// Authorization header (credentials.h), a User-Agent, a client-side token
// bucket (QPS and burst), retries with backoff, Status bodies decoded into
// errors (errors.h) and the rest_client_* metrics.
//
// Retries (each attempt is one HTTP request):
//   * 429 Too Many Requests: any verb (the server did not act on it); waits
//     Retry-After seconds when given, else the backoff.
//   * 5xx and connection errors (UNAVAILABLE): idempotent verbs only (GET,
//     HEAD, OPTIONS, PUT, DELETE); Retry-After honoured when given.
//   * 401 once, for any verb, after the credential provider dropped its cache
//     (a rotated token file, an expired plugin token).
//   Backoff doubles from retry_initial_backoff up to retry_max_backoff; at
//   most max_retries retries. Timeouts (DEADLINE_EXCEEDED) are not retried.
//
// Metrics (names, labels and buckets as client-go registers them):
//   rest_client_requests_total{code,method,host}            per attempt;
//                                                            code "<error>" without answer
//   rest_client_request_duration_seconds{verb,host}         per attempt
//   rest_client_rate_limiter_duration_seconds{verb,host}    per attempt
//   rest_client_request_size_bytes{verb,host}
//   rest_client_response_size_bytes{verb,host}
//   rest_client_request_retries_total{code,verb,host}       per retry, with the
//                                                            code that caused it
//
// Usage:
//
//   MCK8S_ASSIGN_OR_RETURN(auto rest, RestClient::Create(config, ClientOptions{}));
//   RestRequest request;
//   request.verb = "GET";
//   request.path = "/api/v1/namespaces/default/pods";
//   request.query = {{"limit", "500"}};
//   MCK8S_ASSIGN_OR_RETURN(HttpResponse response, rest->Do(request));
//
// Thread safety: thread-safe; calls block their thread.

#ifndef MCK8S_KUBEAPI_REST_CLIENT_H_
#define MCK8S_KUBEAPI_REST_CLIENT_H_

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mck8s/kubeapi/clock.h"
#include "mck8s/kubeapi/config.h"
#include "mck8s/kubeapi/credentials.h"
#include "mck8s/kubeapi/rate_limiter.h"
#include "mck8s/kubeapi/transport.h"

namespace mck8s::runtime {
class Registry;
}

namespace mck8s::kubeapi {

struct ClientOptions {
  // Client-side rate limit; qps <= 0 disables it. controller-runtime's
  // defaults are 20/30; a multi-cluster controller talks more.
  double qps = 50;
  int burst = 100;
  // Deadline of one attempt of a non-streaming request.
  absl::Duration request_timeout = absl::Seconds(60);
  absl::Duration connect_timeout = absl::Seconds(10);
  int max_retries = 10;
  absl::Duration retry_initial_backoff = absl::Milliseconds(200);
  absl::Duration retry_max_backoff = absl::Seconds(30);
  int max_idle_connections = 32;
  std::string user_agent = "mck8s/0.1.0 (linux) kubeapi";
  // Not owned; nullptr: Clock::Real(). Used for the token bucket, backoff
  // sleeps and token-file refresh.
  Clock* clock = nullptr;
  // Not owned; nullptr: runtime::Registry::Default().
  runtime::Registry* metrics = nullptr;
};

struct RestRequest {
  std::string verb = "GET";  // HTTP method, upper case
  // The API path without the server's prefix: "/apis/apps/v1/deployments".
  std::string path;
  // Query parameters, percent-encoded when sent, in this order.
  std::vector<std::pair<std::string, std::string>> query;
  std::string body;
  std::string content_type;  // for a body; default application/json
  std::string accept = "application/json";
  // Overrides ClientOptions::request_timeout when non-zero.
  absl::Duration timeout = absl::ZeroDuration();
  // When set and cancelled, Do() stops retrying: it returns CANCELLED
  // instead of sleeping through its backoff, so a shutdown is not held up by
  // a server that does not answer. Not owned; must outlive the call.
  StreamCanceller* canceller = nullptr;
};

class RestClient {
 public:
  // INVALID_ARGUMENT for a server URL it cannot use (scheme other than http
  // or https, no host), unusable TLS material or credentials config.
  static absl::StatusOr<std::unique_ptr<RestClient>> Create(const RestConfig& config,
                                                            ClientOptions options = {});
  ~RestClient();

  // Sends `request` (with the retries above). A 2xx answer is returned; any
  // other answer becomes the error its Status body describes (errors.h);
  // transport failures keep their transport codes.
  absl::StatusOr<HttpResponse> Do(const RestRequest& request);

  // A streaming request (watch): one attempt (plus the 401 retry), no
  // timeout but `idle_timeout` between two pieces of body. `on_data` gets
  // the body of a 2xx answer as it arrives; returns OK when the server ends
  // the body, CANCELLED when `canceller` fires, an API error for a non-2xx
  // answer.
  absl::Status Stream(const RestRequest& request, absl::Duration idle_timeout,
                      const std::function<bool(std::string_view)>& on_data,
                      StreamCanceller* canceller);

  // The target the server sees for `request`: prefix + path + ?query.
  std::string Target(const RestRequest& request) const;

  const RestConfig& config() const { return config_; }
  const ClientOptions& options() const { return options_; }
  Clock& clock() const { return *clock_; }
  Transport& transport() { return *transport_; }

 private:
  struct Metrics;
  RestClient(RestConfig config, ClientOptions options);

  RestConfig config_;
  ClientOptions options_;
  Clock* clock_;
  std::string path_prefix_;
  // Declared first so it outlives the transport, whose connections may ask
  // it for a client certificate.
  std::unique_ptr<CredentialProvider> credentials_;
  std::unique_ptr<Transport> transport_;
  std::unique_ptr<TokenBucket> limiter_;
  std::unique_ptr<Metrics> metrics_;
};

// Percent-encodes a query component (RFC 3986 unreserved characters stay).
std::string EscapeQueryComponent(std::string_view text);

// The parts of a kubeconfig server URL. INVALID_ARGUMENT when it is not
// http(s)://host[:port][/path].
struct ServerUrl {
  bool tls = true;
  std::string host;   // without brackets
  std::string port;   // defaulted from the scheme
  std::string path_prefix;  // "" or "/clusters/edge" (no trailing slash)
};
absl::StatusOr<ServerUrl> ParseServerUrl(std::string_view server);

}  // namespace mck8s::kubeapi

#endif  // MCK8S_KUBEAPI_REST_CLIENT_H_
