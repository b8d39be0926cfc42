#include "mck8s/runtime/probes.h"

#include <exception>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace mck8s::runtime {
namespace {

struct ProbeQuery {
  bool verbose = false;
  absl::flat_hash_set<std::string> excluded;
};

ProbeQuery ParseQuery(absl::string_view query) {
  ProbeQuery parsed;
  for (absl::string_view item : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    const size_t equals = item.find('=');
    const absl::string_view key = item.substr(0, equals);
    const absl::string_view value =
        equals == absl::string_view::npos ? "" : item.substr(equals + 1);
    if (key == "verbose") parsed.verbose = true;
    if (key == "exclude") parsed.excluded.emplace(std::string(value));
  }
  return parsed;
}

// The reason for a failed check, on one line so the output stays one check
// per line.
std::string Reason(const absl::Status& status) {
  std::string reason = status.message().empty()
                           ? absl::StatusCodeToString(status.code())
                           : std::string(status.message());
  return absl::StrReplaceAll(reason, {{"\r\n", " "}, {"\n", " "}, {"\r", " "}});
}

absl::Status RunCheck(const Probes::Check& check) {
  try {
    return check();
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("check threw: ", e.what()));
  } catch (...) {
    return absl::InternalError("check threw an unknown exception");
  }
}

HttpResponse Text(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.body = std::move(body);
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Cache-Control", "no-cache, private");
  return response;
}

}  // namespace

Probes::Probes() {
  const Check ping = [] { return absl::OkStatus(); };
  health_checks_.emplace_back("ping", ping);
  readiness_checks_.emplace_back("ping", ping);
}

void Probes::Upsert(std::vector<NamedCheck>& checks, std::string name,
                    Check check) {
  for (auto& [existing, existing_check] : checks) {
    if (existing == name) {
      existing_check = std::move(check);
      return;
    }
  }
  checks.emplace_back(std::move(name), std::move(check));
}

void Probes::AddHealthCheck(std::string name, Check check) {
  absl::MutexLock lock(&mu_);
  Upsert(health_checks_, std::move(name), std::move(check));
}

void Probes::AddReadinessCheck(std::string name, Check check) {
  absl::MutexLock lock(&mu_);
  Upsert(readiness_checks_, std::move(name), std::move(check));
}

void Probes::SetShuttingDown() { shutting_down_.store(true); }

void Probes::Install(HttpServer& server) {
  const HttpHandler handler = [this](const HttpRequest& request) {
    return Serve(request);
  };
  for (const char* endpoint : {"/healthz", "/livez", "/readyz"}) {
    server.Handle(endpoint, handler);
    server.HandlePrefix(absl::StrCat(endpoint, "/"), handler);
  }
}

HttpResponse Probes::Serve(const HttpRequest& request) const {
  const absl::string_view path = request.path;
  absl::string_view kind;
  for (absl::string_view endpoint : {"healthz", "livez", "readyz"}) {
    if (path.size() > endpoint.size() && path[0] == '/' &&
        path.substr(1, endpoint.size()) == endpoint &&
        (path.size() == endpoint.size() + 1 ||
         path[endpoint.size() + 1] == '/')) {
      kind = endpoint;
      break;
    }
  }
  if (kind.empty()) return Text(404, "404 page not found\n");
  absl::string_view single = path.substr(kind.size() + 1);
  if (!single.empty()) single.remove_prefix(1);  // the '/'

  // Copy the checks so none runs under the lock (a check may be slow, and
  // may itself add checks).
  std::vector<NamedCheck> checks;
  {
    absl::MutexLock lock(&mu_);
    checks = kind == "readyz" ? readiness_checks_ : health_checks_;
  }
  if (kind == "readyz") {
    checks.emplace_back("shutdown", [this]() -> absl::Status {
      if (shutting_down_.load()) {
        return absl::UnavailableError("process is shutting down");
      }
      return absl::OkStatus();
    });
  }

  if (!single.empty()) {
    for (const auto& [name, check] : checks) {
      if (name != single) continue;
      const absl::Status status = RunCheck(check);
      if (status.ok()) return Text(200, "ok");
      return Text(500, absl::StrCat("internal server error: ", Reason(status),
                                    "\n"));
    }
    return Text(404, "404 page not found\n");
  }

  const ProbeQuery query = ParseQuery(request.query);
  std::string report;
  bool failed = false;
  for (const auto& [name, check] : checks) {
    if (query.excluded.contains(name)) {
      absl::StrAppend(&report, "[+]", name, " excluded: ok\n");
      continue;
    }
    const absl::Status status = RunCheck(check);
    if (status.ok()) {
      absl::StrAppend(&report, "[+]", name, " ok\n");
    } else {
      failed = true;
      absl::StrAppend(&report, "[-]", name, " failed: ", Reason(status), "\n");
    }
  }
  if (failed) {
    return Text(500, absl::StrCat(report, kind, " check failed\n"));
  }
  if (query.verbose) {
    return Text(200, absl::StrCat(report, kind, " check passed\n"));
  }
  return Text(200, "ok");
}

}  // namespace mck8s::runtime
