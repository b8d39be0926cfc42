#include "mck8s/gateway/prometheus.h"

#include <rapidjson/document.h>

#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace mck8s::gateway {

std::string ExpandQuery(std::string_view query, std::string_view cluster) {
  return absl::StrReplaceAll(absl::string_view(query.data(), query.size()),
                             {{"{{cluster}}", absl::string_view(cluster.data(), cluster.size())}});
}

namespace {

absl::StatusOr<double> SampleValue(const rapidjson::Value& pair) {
  if (!pair.IsArray() || pair.Size() != 2 || !pair[1].IsString()) {
    return absl::InvalidArgumentError("a sample value is not [time, \"value\"]");
  }
  const char* text = pair[1].GetString();
  char* end = nullptr;
  double value = std::strtod(text, &end);
  if (end == text || *end != '\0') {
    return absl::InvalidArgumentError(absl::StrCat("sample value \"", text, "\" is not a number"));
  }
  return value;
}

}  // namespace

absl::StatusOr<std::vector<PrometheusSample>> ParseQueryResponse(std::string_view body) {
  rapidjson::Document doc;
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) {
    return absl::InvalidArgumentError("query answer: malformed JSON");
  }
  auto status = doc.FindMember("status");
  if (status == doc.MemberEnd() || !status->value.IsString() ||
      std::string_view(status->value.GetString()) != "success") {
    auto error = doc.FindMember("error");
    std::string text = error != doc.MemberEnd() && error->value.IsString()
                           ? error->value.GetString()
                           : "status is not success";
    return absl::InvalidArgumentError(absl::StrCat("query failed: ", text));
  }
  auto data = doc.FindMember("data");
  if (data == doc.MemberEnd() || !data->value.IsObject()) {
    return absl::InvalidArgumentError("query answer: no data");
  }
  auto type = data->value.FindMember("resultType");
  auto result = data->value.FindMember("result");
  if (type == data->value.MemberEnd() || !type->value.IsString() ||
      result == data->value.MemberEnd()) {
    return absl::InvalidArgumentError("query answer: no resultType or result");
  }
  std::string_view result_type = type->value.GetString();
  std::vector<PrometheusSample> samples;
  if (result_type == "scalar") {
    absl::StatusOr<double> value = SampleValue(result->value);
    if (!value.ok()) return value.status();
    samples.push_back({{}, *value});
    return samples;
  }
  if (result_type != "vector" || !result->value.IsArray()) {
    return absl::InvalidArgumentError(absl::StrCat("query answer: result type ",
                                                   std::string(result_type),
                                                   " (an instant vector or a scalar is needed)"));
  }
  for (const rapidjson::Value& item : result->value.GetArray()) {
    PrometheusSample sample;
    auto metric = item.FindMember("metric");
    if (metric != item.MemberEnd() && metric->value.IsObject()) {
      for (const auto& label : metric->value.GetObject()) {
        if (label.value.IsString()) sample.labels[label.name.GetString()] = label.value.GetString();
      }
    }
    auto value = item.FindMember("value");
    if (value == item.MemberEnd()) return absl::InvalidArgumentError("a sample has no value");
    absl::StatusOr<double> number = SampleValue(value->value);
    if (!number.ok()) return number.status();
    sample.value = *number;
    samples.push_back(std::move(sample));
  }
  return samples;
}

PrometheusClient::PrometheusClient(std::string url, std::unique_ptr<kubeapi::RestClient> rest,
                                   absl::Duration timeout)
    : url_(std::move(url)), rest_(std::move(rest)), timeout_(timeout) {}

absl::StatusOr<std::unique_ptr<PrometheusClient>> PrometheusClient::Create(
    const std::string& url, absl::Duration timeout, runtime::Registry* metrics) {
  kubeapi::RestConfig config;
  config.server = url;
  while (!config.server.empty() && config.server.back() == '/') config.server.pop_back();
  kubeapi::ClientOptions options;
  options.qps = 0;
  options.max_retries = 0;
  options.request_timeout = timeout;
  options.connect_timeout = timeout;
  options.user_agent = "mck8s-metrics-gateway";
  options.metrics = metrics;
  absl::StatusOr<std::unique_ptr<kubeapi::RestClient>> rest =
      kubeapi::RestClient::Create(config, options);
  if (!rest.ok()) return rest.status();
  return std::unique_ptr<PrometheusClient>(new PrometheusClient(url, *std::move(rest), timeout));
}

absl::StatusOr<std::vector<PrometheusSample>> PrometheusClient::Query(const std::string& query) {
  kubeapi::RestRequest request;
  request.path = "/api/v1/query";
  request.query = {{"query", query}};
  request.timeout = timeout_;
  absl::StatusOr<kubeapi::HttpResponse> response = rest_->Do(request);
  if (!response.ok()) return response.status();
  return ParseQueryResponse(response->body);
}

absl::StatusOr<PrometheusFigures> QueryFigures(PrometheusClient& client,
                                               const PrometheusQueries& queries,
                                               const std::string& cluster) {
  PrometheusFigures figures;
  auto run = [&](const char* role,
                 const std::string& query) -> absl::StatusOr<std::vector<PrometheusSample>> {
    absl::StatusOr<std::vector<PrometheusSample>> samples =
        client.Query(ExpandQuery(query, cluster));
    if (!samples.ok()) {
      return absl::Status(samples.status().code(),
                          absl::StrCat(role, " query: ", samples.status().message()));
    }
    return samples;
  };
  auto sum = [](const std::vector<PrometheusSample>& samples) {
    double total = 0;
    for (const PrometheusSample& sample : samples) total += sample.value;
    return total;
  };
  auto by_pod = [](const std::vector<PrometheusSample>& samples) {
    std::map<PodKey, double> out;
    for (const PrometheusSample& sample : samples) {
      auto ns = sample.labels.find("namespace");
      auto pod = sample.labels.find("pod");
      if (ns == sample.labels.end() || pod == sample.labels.end()) continue;
      out[ns->second + "/" + pod->second] += sample.value;
    }
    return out;
  };
  absl::StatusOr<std::vector<PrometheusSample>> receive =
      run("cluster receive", queries.cluster_receive);
  if (!receive.ok()) return receive.status();
  figures.receive_bytes_per_second = sum(*receive);
  absl::StatusOr<std::vector<PrometheusSample>> transmit =
      run("cluster transmit", queries.cluster_transmit);
  if (!transmit.ok()) return transmit.status();
  figures.transmit_bytes_per_second = sum(*transmit);
  absl::StatusOr<std::vector<PrometheusSample>> pod_receive =
      run("pod receive", queries.pod_receive);
  if (!pod_receive.ok()) return pod_receive.status();
  figures.pod_receive_bytes_per_second = by_pod(*pod_receive);
  absl::StatusOr<std::vector<PrometheusSample>> pod_cpu = run("pod cpu", queries.pod_cpu);
  if (!pod_cpu.ok()) return pod_cpu.status();
  figures.pod_cpu_cores = by_pod(*pod_cpu);
  return figures;
}

}  // namespace mck8s::gateway
