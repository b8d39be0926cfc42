#include "mck8s/kubeapi/rest_client.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "mck8s/base/status_macros.h"
#include "mck8s/base/strings.h"
#include "mck8s/kubeapi/errors.h"
#include "mck8s/runtime/metrics.h"

namespace mck8s::kubeapi {
namespace {

constexpr char kErrorCode[] = "<error>";

std::vector<double> LatencyBuckets() {
  return {0.005, 0.025, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60};
}
std::vector<double> SizeBuckets() {
  return {64, 256, 512, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216};
}

// Retry-After in seconds (the delta-seconds form; the HTTP-date form is rare
// from API servers and falls back to the backoff).
std::optional<absl::Duration> RetryAfter(const HttpResponse& response) {
  const std::string value = response.Header("Retry-After");
  int64_t seconds = 0;
  if (value.empty() || !absl::SimpleAtoi(value, &seconds) || seconds < 0) return std::nullopt;
  return absl::Seconds(seconds);
}

}  // namespace

struct RestClient::Metrics {
  runtime::CounterFamily& requests;
  runtime::HistogramFamily& duration;
  runtime::HistogramFamily& rate_limiter;
  runtime::HistogramFamily& request_size;
  runtime::HistogramFamily& response_size;
  runtime::CounterFamily& retries;

  explicit Metrics(runtime::Registry& r)
      : requests(r.AddCounter("rest_client_requests_total",
                              "Number of HTTP requests, partitioned by status "
                              "code, method, and host.",
                              {"code", "method", "host"})),
        duration(r.AddHistogram("rest_client_request_duration_seconds",
                                "Request latency in seconds. Broken down by verb and host.",
                                {"verb", "host"}, LatencyBuckets())),
        rate_limiter(r.AddHistogram("rest_client_rate_limiter_duration_seconds",
                                    "Client side rate limiter latency in "
                                    "seconds. Broken down by verb and host.",
                                    {"verb", "host"}, LatencyBuckets())),
        request_size(r.AddHistogram("rest_client_request_size_bytes",
                                    "Request size in bytes. Broken down by verb and host.",
                                    {"verb", "host"}, SizeBuckets())),
        response_size(r.AddHistogram("rest_client_response_size_bytes",
                                     "Response size in bytes. Broken down by verb and host.",
                                     {"verb", "host"}, SizeBuckets())),
        retries(r.AddCounter("rest_client_request_retries_total",
                             "Number of request retries, partitioned by status "
                             "code, verb, and host.",
                             {"code", "verb", "host"})) {}
};

std::string EscapeQueryComponent(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

absl::StatusOr<ServerUrl> ParseServerUrl(std::string_view server) {
  ServerUrl url;
  std::string_view rest;
  if (server.substr(0, 8) == "https://") {
    url.tls = true;
    rest = server.substr(8);
  } else if (server.substr(0, 7) == "http://") {
    url.tls = false;
    rest = server.substr(7);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("server URL \"", ToAbsl(server), "\" must start with https:// or http://"));
  }
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view path = rest.substr(slash);
    while (!path.empty() && path.back() == '/') path.remove_suffix(1);
    url.path_prefix = std::string(path);
  }
  if (authority.find('@') != std::string_view::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("server URL \"", ToAbsl(server), "\" must not carry user information"));
  }
  std::string_view port;
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("server URL \"", ToAbsl(server), "\" has an unclosed '['"));
    }
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return absl::InvalidArgumentError(
            absl::StrCat("server URL \"", ToAbsl(server), "\" has junk after ']'"));
      }
      port = after.substr(1);
    }
  } else {
    const size_t colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (url.host.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("server URL \"", ToAbsl(server), "\" has no host"));
  }
  if (!port.empty()) {
    int number = 0;
    if (!absl::SimpleAtoi(ToAbsl(port), &number) || number <= 0 || number > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("server URL \"", ToAbsl(server), "\" has a bad port"));
    }
    url.port = std::string(port);
  } else {
    url.port = url.tls ? "443" : "80";
  }
  return url;
}

RestClient::RestClient(RestConfig config, ClientOptions options)
    : config_(std::move(config)),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &Clock::Real()) {}

RestClient::~RestClient() = default;

absl::StatusOr<std::unique_ptr<RestClient>> RestClient::Create(const RestConfig& config,
                                                               ClientOptions options) {
  MCK8S_ASSIGN_OR_RETURN(ServerUrl url, ParseServerUrl(config.server));
  if (!config.proxy_url.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cluster \"", config.cluster_name, "\": proxy-url is not supported"));
  }
  std::unique_ptr<RestClient> client(new RestClient(config, std::move(options)));
  client->path_prefix_ = url.path_prefix;
  TransportOptions transport;
  transport.tls = url.tls;
  transport.host = url.host;
  transport.port = url.port;
  transport.tls_server_name = config.tls_server_name;
  transport.insecure_skip_tls_verify = config.insecure_skip_tls_verify;
  transport.ca_pem = config.ca_pem;
  transport.client_cert_pem = config.client_cert_pem;
  transport.client_key_pem = config.client_key_pem;
  transport.connect_timeout = client->options_.connect_timeout;
  transport.max_idle_connections = client->options_.max_idle_connections;
  MCK8S_ASSIGN_OR_RETURN(client->credentials_, NewCredentialProvider(config, *client->clock_));
  if (config.exec.has_value()) {
    // Exec plugins may answer with a client certificate that rotates; the
    // client (and so the provider) outlives its transport's connections.
    CredentialProvider* credentials = client->credentials_.get();
    transport.client_certificate_source = [credentials] {
      return credentials->TlsClientCertificate();
    };
  }
  MCK8S_ASSIGN_OR_RETURN(client->transport_, Transport::Create(std::move(transport)));
  client->limiter_ =
      std::make_unique<TokenBucket>(client->options_.qps, client->options_.burst, *client->clock_);
  runtime::Registry& registry = client->options_.metrics != nullptr ? *client->options_.metrics
                                                                    : runtime::Registry::Default();
  client->metrics_ = std::make_unique<Metrics>(registry);
  return client;
}

std::string RestClient::Target(const RestRequest& request) const {
  std::string target = absl::StrCat(path_prefix_, request.path);
  char separator = '?';
  for (const auto& [name, value] : request.query) {
    absl::StrAppend(&target, std::string(1, separator), EscapeQueryComponent(name), "=",
                    EscapeQueryComponent(value));
    separator = '&';
  }
  return target;
}

absl::StatusOr<HttpResponse> RestClient::Do(const RestRequest& request) {
  const std::string& host = transport_->host_port();
  const std::string target = Target(request);
  const std::string context = absl::StrCat(request.verb, " ", target);
  runtime::Histogram& duration = metrics_->duration.WithLabels({request.verb, host});
  runtime::Histogram& limiter_wait = metrics_->rate_limiter.WithLabels({request.verb, host});
  const bool idempotent = IsIdempotentMethod(request.verb);
  absl::Duration backoff = options_.retry_initial_backoff;
  bool reauthenticated = false;
  int retries = 0;
  while (true) {
    limiter_wait.Observe(absl::ToDoubleSeconds(limiter_->Wait()));
    MCK8S_ASSIGN_OR_RETURN(std::string authorization, credentials_->Authorization());
    HttpRequest http;
    http.method = request.verb;
    http.target = target;
    http.headers.emplace_back("Accept", request.accept);
    http.headers.emplace_back("User-Agent", options_.user_agent);
    if (!authorization.empty()) http.headers.emplace_back("Authorization", authorization);
    if (!request.body.empty() || request.verb == "POST" || request.verb == "PUT" ||
        request.verb == "PATCH") {
      http.headers.emplace_back(
          "Content-Type", request.content_type.empty() ? "application/json" : request.content_type);
    }
    http.body = request.body;
    const absl::Duration timeout =
        request.timeout > absl::ZeroDuration() ? request.timeout : options_.request_timeout;
    http.deadline = absl::Now() + timeout;
    metrics_->request_size.WithLabels({request.verb, host})
        .Observe(static_cast<double>(request.body.size()));
    const absl::Time start = absl::Now();
    absl::StatusOr<HttpResponse> response = transport_->RoundTrip(http);
    duration.Observe(absl::ToDoubleSeconds(absl::Now() - start));

    std::string code = kErrorCode;
    std::optional<absl::Duration> wait;
    bool retry = false;
    if (!response.ok()) {
      metrics_->requests.WithLabels({kErrorCode, request.verb, host}).Increment();
      retry = idempotent && response.status().code() == absl::StatusCode::kUnavailable;
      if (!retry || retries >= options_.max_retries) return response.status();
    } else {
      code = absl::StrCat(response->status);
      metrics_->requests.WithLabels({code, request.verb, host}).Increment();
      metrics_->response_size.WithLabels({request.verb, host})
          .Observe(static_cast<double>(response->body.size()));
      const int status = response->status;
      if (status >= 200 && status < 300) return response;
      if (status == 401 && !reauthenticated && credentials_->OnUnauthorized()) {
        reauthenticated = true;
        metrics_->retries.WithLabels({code, request.verb, host}).Increment();
        continue;
      }
      retry = status == 429 || (status >= 500 && idempotent);
      if (!retry || retries >= options_.max_retries) {
        return ErrorFromResponse(status, response->body, context);
      }
      wait = RetryAfter(*response);
    }
    ++retries;
    metrics_->retries.WithLabels({code, request.verb, host}).Increment();
    absl::Duration delay = backoff;
    if (wait.has_value()) {
      delay = *wait;
    } else {
      backoff = std::min(backoff * 2, options_.retry_max_backoff);
    }
    if (request.canceller == nullptr) {
      clock_->SleepFor(delay);
    } else if (request.canceller->SleepUnlessCancelled(*clock_, clock_->Now() + delay)) {
      return absl::CancelledError(absl::StrCat(context, ": cancelled while waiting to retry"));
    }
  }
}

absl::Status RestClient::Stream(const RestRequest& request, absl::Duration idle_timeout,
                                const std::function<bool(std::string_view)>& on_data,
                                StreamCanceller* canceller) {
  const std::string& host = transport_->host_port();
  const std::string target = Target(request);
  bool reauthenticated = false;
  while (true) {
    metrics_->rate_limiter.WithLabels({request.verb, host})
        .Observe(absl::ToDoubleSeconds(limiter_->Wait()));
    MCK8S_ASSIGN_OR_RETURN(std::string authorization, credentials_->Authorization());
    HttpRequest http;
    http.method = request.verb;
    http.target = target;
    http.headers.emplace_back("Accept", request.accept);
    http.headers.emplace_back("User-Agent", options_.user_agent);
    if (!authorization.empty()) http.headers.emplace_back("Authorization", authorization);
    const absl::Time start = absl::Now();
    absl::StatusOr<HttpResponse> response =
        transport_->Stream(http, idle_timeout, on_data, canceller);
    metrics_->duration.WithLabels({request.verb, host})
        .Observe(absl::ToDoubleSeconds(absl::Now() - start));
    if (!response.ok()) {
      metrics_->requests.WithLabels({kErrorCode, request.verb, host}).Increment();
      return response.status();
    }
    metrics_->requests.WithLabels({absl::StrCat(response->status), request.verb, host}).Increment();
    const int status = response->status;
    if (status >= 200 && status < 300) return absl::OkStatus();
    if (status == 401 && !reauthenticated && credentials_->OnUnauthorized()) {
      reauthenticated = true;
      continue;
    }
    return ErrorFromResponse(status, response->body, absl::StrCat(request.verb, " ", target));
  }
}

}  // namespace mck8s::kubeapi
