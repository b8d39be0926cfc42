// Specification of /healthz, /livez and /readyz, in kube-apiserver's format.

#include "mck8s/runtime/probes.h"

#include <catch2/catch.hpp>
#include <stdexcept>
#include <string>
#include <vector>

namespace mck8s::runtime {
namespace {

HttpResponse Get(const Probes& probes, std::string target) {
  HttpRequest request;
  request.method = "GET";
  request.target = target;
  const size_t question = target.find('?');
  request.path = target.substr(0, question);
  if (question != std::string::npos) request.query = target.substr(question + 1);
  return probes.Serve(request);
}

TEST_CASE("probes answer ok or list every check", "[probes]") {
  Probes probes;
  probes.AddHealthCheck("deadlock", [] { return absl::OkStatus(); });
  probes.AddReadinessCheck("informers-synced", [] {
    return absl::UnavailableError("waiting for\nMultiClusterDeployment");
  });
  probes.AddReadinessCheck("leader", [] { return absl::OkStatus(); });

  struct Row {
    std::string target;
    int status;
    std::string body;
  };
  const std::vector<Row> table = {
      {"/healthz", 200, "ok"},
      {"/livez", 200, "ok"},
      {"/healthz?verbose", 200,
       "[+]ping ok\n[+]deadlock ok\nhealthz check passed\n"},
      {"/livez?verbose=1", 200,
       "[+]ping ok\n[+]deadlock ok\nlivez check passed\n"},
      {"/readyz", 500,
       "[+]ping ok\n"
       "[-]informers-synced failed: waiting for MultiClusterDeployment\n"
       "[+]leader ok\n"
       "[+]shutdown ok\n"
       "readyz check failed\n"},
      {"/readyz?verbose", 500,
       "[+]ping ok\n"
       "[-]informers-synced failed: waiting for MultiClusterDeployment\n"
       "[+]leader ok\n"
       "[+]shutdown ok\n"
       "readyz check failed\n"},
      {"/readyz?exclude=informers-synced", 200, "ok"},
      {"/readyz?verbose&exclude=informers-synced", 200,
       "[+]ping ok\n"
       "[+]informers-synced excluded: ok\n"
       "[+]leader ok\n"
       "[+]shutdown ok\n"
       "readyz check passed\n"},
      {"/readyz/leader", 200, "ok"},
      {"/readyz/shutdown", 200, "ok"},
      {"/readyz/informers-synced", 500,
       "internal server error: waiting for MultiClusterDeployment\n"},
      {"/readyz/deadlock", 404, "404 page not found\n"},
      {"/healthz/deadlock", 200, "ok"},
      {"/livez/ping", 200, "ok"},
      {"/readyzz", 404, "404 page not found\n"},
  };
  for (const Row& row : table) {
    INFO(row.target);
    const HttpResponse response = Get(probes, row.target);
    CHECK(response.status == row.status);
    CHECK(response.body == row.body);
    CHECK(response.content_type == "text/plain; charset=utf-8");
  }
}

TEST_CASE("readiness fails once the process is shutting down", "[probes]") {
  Probes probes;
  CHECK(Get(probes, "/readyz").status == 200);
  probes.SetShuttingDown();
  const HttpResponse response = Get(probes, "/readyz");
  CHECK(response.status == 500);
  CHECK(response.body ==
        "[+]ping ok\n"
        "[-]shutdown failed: process is shutting down\n"
        "readyz check failed\n");
  CHECK(Get(probes, "/readyz/shutdown").body ==
        "internal server error: process is shutting down\n");
  // Liveness is unaffected: the kubelet must not restart a draining pod.
  CHECK(Get(probes, "/healthz").status == 200);
}

TEST_CASE("checks are re-evaluated per request and may be replaced",
          "[probes]") {
  Probes probes;
  int calls = 0;
  probes.AddHealthCheck("flaky", [&]() -> absl::Status {
    return ++calls % 2 == 1 ? absl::OkStatus()
                            : absl::InternalError("even call");
  });
  CHECK(Get(probes, "/healthz").status == 200);
  CHECK(Get(probes, "/healthz").body ==
        "[+]ping ok\n[-]flaky failed: even call\nhealthz check failed\n");
  probes.AddHealthCheck("flaky", [] { return absl::OkStatus(); });
  CHECK(Get(probes, "/healthz?verbose").body ==
        "[+]ping ok\n[+]flaky ok\nhealthz check passed\n");
}

TEST_CASE("a failing check without message and a throwing check are reported",
          "[probes]") {
  Probes probes;
  probes.AddHealthCheck("silent", [] {
    return absl::Status(absl::StatusCode::kDeadlineExceeded, "");
  });
  probes.AddHealthCheck("thrower", []() -> absl::Status {
    throw std::runtime_error("bad state");
  });
  CHECK(Get(probes, "/healthz").body ==
        "[+]ping ok\n"
        "[-]silent failed: DEADLINE_EXCEEDED\n"
        "[-]thrower failed: check threw: bad state\n"
        "healthz check failed\n");
}

}  // namespace
}  // namespace mck8s::runtime
