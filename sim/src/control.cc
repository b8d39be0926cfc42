#include "mck8s/sim/control.h"

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "mck8s/k8stypes/quantity.h"
#include "mck8s/sim/api_error.h"
#include "mck8s/sim/json.h"

namespace mck8s::sim {
namespace {

ApiResponse Json(int status, std::string body) {
  ApiResponse response;
  response.status = status;
  response.body = std::move(body);
  return response;
}

ApiResponse Error(int status, absl::string_view message) {
  std::string body = "{\"error\":";
  AppendJsonString(message, body);
  body += '}';
  return Json(status, std::move(body));
}

ApiResponse FromStatus(const absl::Status& status) {
  if (absl::IsNotFound(status) || ReasonOf(status) == "NotFound") {
    return Error(404, status.message());
  }
  if (absl::IsInvalidArgument(status)) return Error(400, status.message());
  return Error(500, status.message());
}

absl::string_view ReasonPhrase(int code) {
  switch (code) {
    case 500:
      return "InternalError";
    case 504:
      return "Timeout";
    default:
      return "ServiceUnavailable";
  }
}

ApiResponse InjectedError(int code) {
  std::string message = code == 500 ? "Internal error occurred: injected fault"
                        : code == 504
                            ? "Timeout: request did not complete within the allowed duration"
                            : "the server is currently unable to handle the request";
  std::string body = absl::StrCat(
      R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":)");
  AppendJsonString(message, body);
  absl::StrAppend(&body, R"(,"reason":")", ReasonPhrase(code), R"(","code":)", code, "}");
  return Json(code, std::move(body));
}

ApiResponse Throttled(int retry_after) {
  ApiResponse response = Json(
      429,
      absl::StrCat(
          R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Too many requests, please try again later.","reason":"TooManyRequests","details":{"retryAfterSeconds":)",
          retry_after, R"(},"code":429})"));
  response.headers.emplace_back("Retry-After", absl::StrCat(retry_after));
  return response;
}

std::string DurationText(absl::Duration d) { return absl::FormatDuration(d); }

absl::Status ReadRate(const rapidjson::Value& body, const char* key, double& out) {
  const rapidjson::Value* v = Find(body, {key});
  if (v == nullptr || v->IsNull()) return absl::OkStatus();
  if (!v->IsNumber() || v->GetDouble() < 0 || v->GetDouble() > 1) {
    return absl::InvalidArgumentError(absl::StrCat(key, ": must be a number in [0, 1]"));
  }
  out = v->GetDouble();
  return absl::OkStatus();
}

absl::Status ReadDuration(const rapidjson::Value& body, const char* key, absl::Duration& out) {
  const rapidjson::Value* v = Find(body, {key});
  if (v == nullptr || v->IsNull()) return absl::OkStatus();
  absl::Duration d;
  if (!v->IsString() || !absl::ParseDuration(v->GetString(), &d) || d < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat(key, ": must be a duration such as \"200ms\" or \"1s\""));
  }
  out = d;
  return absl::OkStatus();
}

absl::Status ReadInt(const rapidjson::Value& body, const char* key, int lo, int hi, int& out) {
  const rapidjson::Value* v = Find(body, {key});
  if (v == nullptr || v->IsNull()) return absl::OkStatus();
  if (!v->IsInt() || v->GetInt() < lo || v->GetInt() > hi) {
    return absl::InvalidArgumentError(
        absl::StrCat(key, ": must be an integer in [", lo, ", ", hi, "]"));
  }
  out = v->GetInt();
  return absl::OkStatus();
}

absl::StatusOr<ClusterFaults> ParseFaults(const rapidjson::Value& body) {
  if (!body.IsObject()) return absl::InvalidArgumentError("the body must be a JSON object");
  ClusterFaults f;
  absl::Status s;
  if (s = ReadRate(body, "errorRate", f.error_rate); !s.ok()) return s;
  if (s = ReadInt(body, "errorCode", 500, 599, f.error_code); !s.ok()) return s;
  if (s = ReadRate(body, "throttleRate", f.throttle_rate); !s.ok()) return s;
  if (s = ReadInt(body, "retryAfterSeconds", 0, 3600, f.retry_after_seconds); !s.ok()) return s;
  if (s = ReadRate(body, "latencyRate", f.latency_rate); !s.ok()) return s;
  if (s = ReadDuration(body, "latency", f.latency); !s.ok()) return s;
  if (s = ReadRate(body, "watchDropRate", f.watch_drop_rate); !s.ok()) return s;
  if (s = ReadDuration(body, "watchDropAfter", f.watch_drop_after); !s.ok()) return s;
  return f;
}

std::string FaultsJson(const ClusterFaults& f) {
  return absl::StrCat(
      R"({"errorRate":)", f.error_rate, R"(,"errorCode":)", f.error_code, R"(,"throttleRate":)",
      f.throttle_rate, R"(,"retryAfterSeconds":)", f.retry_after_seconds, R"(,"latencyRate":)",
      f.latency_rate, R"(,"latency":")", DurationText(f.latency), R"(","watchDropRate":)",
      f.watch_drop_rate, R"(,"watchDropAfter":")", DurationText(f.watch_drop_after), "\"}");
}

std::string LoadsJson(const std::vector<WorkloadLoad>& loads) {
  std::string out = "[";
  for (size_t i = 0; i < loads.size(); ++i) {
    const WorkloadLoad& w = loads[i];
    if (i > 0) out += ',';
    out += "{\"namespace\":";
    AppendJsonString(w.ns, out);
    if (!w.deployment.empty()) {
      out += ",\"deployment\":";
      AppendJsonString(w.deployment, out);
    } else {
      out += ",\"selector\":";
      AppendJsonString(w.selector, out);
    }
    absl::StrAppend(&out, ",\"cpu\":\"", k8stypes::Quantity::FromMilli(w.cpu_millis).String(),
                    "\",\"networkReceive\":", w.network_rx_per_second, "}");
  }
  out += ']';
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------
// FaultInjector

bool FaultInjector::Hit(double rate, uint64_t& seen) {
  if (rate <= 0) return false;
  const uint64_t n = ++seen;
  return std::floor(static_cast<double>(n) * rate) > std::floor(static_cast<double>(n - 1) * rate);
}

FaultInjector::Decision FaultInjector::Decide(absl::string_view cluster) {
  Decision decision;
  absl::MutexLock lock(&mu_);
  auto it = states_.find(cluster);
  if (it == states_.end()) return decision;
  State& state = it->second;
  if (!state.reachable) {
    decision.hang = true;
    return decision;
  }
  if (Hit(state.faults.latency_rate, state.latencies_seen)) decision.delay = state.faults.latency;
  if (Hit(state.faults.error_rate, state.errors_seen)) {
    decision.response = InjectedError(state.faults.error_code);
  } else if (Hit(state.faults.throttle_rate, state.throttles_seen)) {
    decision.response = Throttled(state.faults.retry_after_seconds);
  }
  return decision;
}

std::optional<absl::Duration> FaultInjector::DropWatch(absl::string_view cluster) {
  absl::MutexLock lock(&mu_);
  auto it = states_.find(cluster);
  if (it == states_.end()) return std::nullopt;
  if (!Hit(it->second.faults.watch_drop_rate, it->second.watches_seen)) return std::nullopt;
  return it->second.faults.watch_drop_after;
}

void FaultInjector::SetFaults(absl::string_view cluster, const ClusterFaults& faults) {
  absl::MutexLock lock(&mu_);
  State& state = states_[std::string(cluster)];
  state.faults = faults;
  state.errors_seen = state.throttles_seen = state.latencies_seen = state.watches_seen = 0;
}

ClusterFaults FaultInjector::faults(absl::string_view cluster) const {
  absl::MutexLock lock(&mu_);
  auto it = states_.find(cluster);
  return it == states_.end() ? ClusterFaults{} : it->second.faults;
}

void FaultInjector::SetReachable(absl::string_view cluster, bool reachable) {
  std::function<void(const std::string&)> listener;
  {
    absl::MutexLock lock(&mu_);
    State& state = states_[std::string(cluster)];
    if (state.reachable && !reachable) listener = listener_;
    state.reachable = reachable;
  }
  if (listener) listener(std::string(cluster));
}

bool FaultInjector::reachable(absl::string_view cluster) const {
  absl::MutexLock lock(&mu_);
  auto it = states_.find(cluster);
  return it == states_.end() || it->second.reachable;
}

void FaultInjector::SetUnreachableListener(
    std::function<void(const std::string& cluster)> listener) {
  absl::MutexLock lock(&mu_);
  listener_ = std::move(listener);
}

// ---------------------------------------------------------------------------
// ControlApi

ControlApi::ControlApi(Fleet& fleet, FaultInjector& faults) : fleet_(fleet), faults_(faults) {}

std::string ControlApi::ClusterState(const std::string& cluster) const {
  std::string out = "{\"name\":";
  AppendJsonString(cluster, out);
  absl::StrAppend(&out, ",\"reachable\":", faults_.reachable(cluster) ? "true" : "false",
                  ",\"faults\":", FaultsJson(faults_.faults(cluster)),
                  ",\"load\":", LoadsJson(fleet_.usage(cluster)->workloads()), "}");
  return out;
}

ApiResponse ControlApi::Handle(const ApiRequest& request) {
  std::vector<std::string> segments = absl::StrSplit(request.path, '/', absl::SkipEmpty());
  if (segments.size() < 3 || segments[0] != "sim" || segments[1] != "v1" ||
      segments[2] != "clusters") {
    return Error(404, "not found");
  }
  const std::string& method = request.method;
  if (segments.size() == 3) {
    if (method != "GET") return Error(405, "method not allowed");
    std::string out = "{\"clusters\":[";
    bool first = true;
    for (const std::string& name : fleet_.ClusterNames()) {
      if (!first) out += ',';
      first = false;
      out += ClusterState(name);
    }
    out += "]}";
    return Json(200, std::move(out));
  }
  const std::string& cluster = segments[3];
  if (fleet_.cluster(cluster) == nullptr) {
    return Error(404, absl::StrCat("cluster \"", cluster, "\" not found"));
  }
  if (segments.size() == 4) {
    if (method != "GET") return Error(405, "method not allowed");
    return Json(200, ClusterState(cluster));
  }
  const std::string& what = segments[4];
  absl::StatusOr<rapidjson::Document> body =
      request.body.empty() ? ParseJson("{}") : ParseJson(request.body);
  if (!body.ok()) return Error(400, absl::StrCat("invalid JSON body: ", body.status().message()));

  if (what == "load" && segments.size() == 5) {
    UsageModel* usage = fleet_.usage(cluster);
    if (method == "GET") return Json(200, LoadsJson(usage->workloads()));
    if (method != "PUT" && method != "POST") return Error(405, "method not allowed");
    absl::StatusOr<WorkloadLoad> load = ParseWorkloadLoad(*body, "load");
    if (!load.ok()) return FromStatus(load.status());
    load->cluster = cluster;
    usage->SetWorkload(*load);
    return Json(200, LoadsJson(usage->workloads()));
  }
  if (what == "nodes" && segments.size() == 5) {
    if (method != "POST") return Error(405, "method not allowed");
    std::string group(GetString(*body, {"group"}, "worker"));
    int count = 1;
    if (absl::Status s = ReadInt(*body, "count", 1, 10000, count); !s.ok()) {
      return FromStatus(s);
    }
    absl::StatusOr<std::vector<std::string>> added = fleet_.AddNodes(cluster, group, count);
    if (!added.ok()) return FromStatus(added.status());
    std::string out = "{\"added\":[";
    for (size_t i = 0; i < added->size(); ++i) {
      if (i > 0) out += ',';
      AppendJsonString((*added)[i], out);
    }
    out += "]}";
    return Json(201, std::move(out));
  }
  if (what == "nodes" && segments.size() == 6) {
    if (method != "DELETE") return Error(405, "method not allowed");
    if (absl::Status s = fleet_.RemoveNode(cluster, segments[5]); !s.ok()) return FromStatus(s);
    std::string out = "{\"removed\":";
    AppendJsonString(segments[5], out);
    out += '}';
    return Json(200, std::move(out));
  }
  if (what == "reachability" && segments.size() == 5) {
    if (method == "GET") return Json(200, ClusterState(cluster));
    if (method != "PUT" && method != "POST") return Error(405, "method not allowed");
    const rapidjson::Value* reachable = Find(*body, {"reachable"});
    if (reachable == nullptr || !reachable->IsBool()) {
      return Error(400, "reachable: a boolean is required");
    }
    faults_.SetReachable(cluster, reachable->GetBool());
    return Json(200, ClusterState(cluster));
  }
  if (what == "faults" && segments.size() == 5) {
    if (method == "GET") return Json(200, FaultsJson(faults_.faults(cluster)));
    if (method == "DELETE") {
      faults_.SetFaults(cluster, {});
      return Json(200, FaultsJson(faults_.faults(cluster)));
    }
    if (method != "PUT" && method != "POST") return Error(405, "method not allowed");
    absl::StatusOr<ClusterFaults> faults = ParseFaults(*body);
    if (!faults.ok()) return FromStatus(faults.status());
    faults_.SetFaults(cluster, *faults);
    return Json(200, FaultsJson(*faults));
  }
  return Error(404, "not found");
}

}  // namespace mck8s::sim
