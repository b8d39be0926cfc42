// mck8sctl: the command-line client of mck8s's gRPC APIs.
//
//   mck8sctl health [--tls-ca-file F] [--service NAME] ADDRESS
//       Asks a service's gRPC health endpoint; exit 0 when SERVING.
//   mck8sctl get mcd|mcj [-n NAMESPACE | -A] [--kubeconfig F] [--context C]
//       Lists MultiClusterDeployments (or Jobs) of the management cluster
//       with their placement, one row per member cluster.
//   mck8sctl explain -f MANIFEST [--scheduler-address ADDR]
//       Asks the scheduler where the MCD or MCJ of MANIFEST would go (a
//       dry-run Place) and prints every cluster's fate: assigned replicas,
//       scores, or the filter that rejected it.
//   mck8sctl version

#include <grpcpp/grpcpp.h>

#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "grpc/health/v1/health.grpc.pb.h"
#include "mck8s/apischema/yaml_json.h"
#include "mck8s/kubeapi/client.h"
#include "mck8s/kubeapi/config.h"
#include "mck8s/kubeapi/errors.h"
#include "mck8s/runtime/flags.h"
#include "mck8s/runtime/grpc_server.h"
#include "mck8s/scheduler/scheduler_service.h"
#include "mck8s/scheduler/workload.h"
#include "mck8s/v1/scheduler.grpc.pb.h"

namespace {

constexpr char kUsage[] =
    "mck8sctl: the command-line client of mck8s.\n\n"
    "Usage:\n"
    "  mck8sctl get mcd|mcj [-n NS|-A]   list workloads with their placement "
    "per cluster\n"
    "  mck8sctl explain -f MANIFEST      explain where a workload would go "
    "(dry-run Place)\n"
    "  mck8sctl health [flags] ADDRESS   ask a service's gRPC health (exit 0 "
    "when serving)\n"
    "  mck8sctl version                  print the client version\n\n"
    "Run 'mck8sctl COMMAND --help' for a command's flags.\n";

int Health(int argc, char** argv) {
  using grpc::health::v1::HealthCheckResponse;
  std::string service, ca_file, cert_file, key_file;
  int64_t timeout_seconds = 10;
  mck8s::runtime::FlagSet flags("mck8sctl health",
                                "Asks the gRPC health service at ADDRESS (host:port).");
  flags.AddString("service", &service, "Service to ask about (empty: the whole server).");
  flags.AddString("tls-ca-file", &ca_file, "CA that verifies the server (empty: plaintext).");
  flags.AddString("tls-cert-file", &cert_file, "Client certificate for mutual TLS.");
  flags.AddString("tls-key-file", &key_file, "Key of --tls-cert-file.");
  flags.AddInt("timeout-seconds", &timeout_seconds, "Deadline of the call.");
  if (absl::Status s = flags.Parse(argc, argv); !s.ok()) {
    std::cerr << "mck8sctl health: " << s.message() << "\n";
    return 2;
  }
  if (flags.help_requested()) {
    std::cout << flags.Usage();
    return 0;
  }
  if (flags.positional().size() != 1) {
    std::cerr << "mck8sctl health: expected one ADDRESS (host:port)\n";
    return 2;
  }
  auto credentials = mck8s::runtime::PeerChannelCredentials(ca_file, cert_file, key_file);
  if (!credentials.ok()) {
    std::cerr << "mck8sctl health: " << credentials.status().message() << "\n";
    return 2;
  }
  auto stub =
      grpc::health::v1::Health::NewStub(grpc::CreateChannel(flags.positional()[0], *credentials));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(timeout_seconds));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  HealthCheckResponse response;
  grpc::Status status = stub->Check(&context, request, &response);
  if (!status.ok()) {
    std::cerr << "mck8sctl health: " << flags.positional()[0] << ": " << status.error_message()
              << " (code " << status.error_code() << ")\n";
    return 1;
  }
  std::cout << HealthCheckResponse::ServingStatus_Name(response.status()) << "\n";
  return response.status() == HealthCheckResponse::SERVING ? 0 : 1;
}

// kubectl's short spellings, for the flags that have them.
std::vector<std::string> ExpandShortFlags(int argc, char** argv) {
  std::vector<std::string> out;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "-n") {
      out.push_back("--namespace");
    } else if (arg == "-f") {
      out.push_back("--filename");
    } else if (arg == "-A") {
      out.push_back("--all-namespaces");
    } else {
      out.push_back(arg);
    }
  }
  return out;
}

absl::Status ParseFlags(mck8s::runtime::FlagSet& flags, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  return flags.Parse(static_cast<int>(argv.size()), argv.data());
}

// Prints rows as left-aligned columns separated by two spaces.
void PrintTable(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    std::cout << line << "\n";
  }
}

int Get(int argc, char** argv) {
  std::string kubeconfig, context, ns;
  bool all_namespaces = false;
  mck8s::runtime::FlagSet flags("mck8sctl get",
                                "Lists MultiClusterDeployments (mcd) or "
                                "MultiClusterJobs (mcj) with their "
                                "placement, one row per member cluster.");
  flags.AddString("kubeconfig", &kubeconfig,
                  "Kubeconfig of the management cluster (default: "
                  "$KUBECONFIG, in-cluster, ~/.kube/config).");
  flags.AddString("context", &context, "Kubeconfig context (default: the current one).");
  flags.AddString("namespace", &ns, "Namespace (-n; default: the context's).");
  flags.AddBool("all-namespaces", &all_namespaces, "Every namespace (-A).");
  if (absl::Status s = ParseFlags(flags, ExpandShortFlags(argc, argv)); !s.ok()) {
    std::cerr << "mck8sctl get: " << s.message() << "\n";
    return 2;
  }
  if (flags.help_requested()) {
    std::cout << flags.Usage();
    return 0;
  }
  if (flags.positional().size() != 1) {
    std::cerr << "mck8sctl get: expected one kind (mcd or mcj)\n";
    return 2;
  }
  const std::string kind = flags.positional()[0];
  mck8s::placement::WorkloadKind workload_kind;
  if (kind == "mcd" || kind == "mcds" || kind == "multiclusterdeployments") {
    workload_kind = mck8s::placement::WorkloadKind::kMultiClusterDeployment;
  } else if (kind == "mcj" || kind == "mcjs" || kind == "multiclusterjobs") {
    workload_kind = mck8s::placement::WorkloadKind::kMultiClusterJob;
  } else {
    std::cerr << "mck8sctl get: unknown kind \"" << kind << "\" (mcd or mcj)\n";
    return 2;
  }
  absl::StatusOr<mck8s::kubeapi::RestConfig> config =
      mck8s::kubeapi::LoadRestConfig(kubeconfig, context);
  if (!config.ok()) {
    std::cerr << "mck8sctl get: " << config.status().message() << "\n";
    return 1;
  }
  if (ns.empty()) ns = config->namespace_name;
  absl::StatusOr<std::unique_ptr<mck8s::kubeapi::Client>> client =
      mck8s::kubeapi::Client::Create(*config);
  if (!client.ok()) {
    std::cerr << "mck8sctl get: " << client.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<mck8s::kubeapi::ObjectList> list =
      (*client)->ListAll(mck8s::scheduler::ResourceOf(workload_kind), all_namespaces ? "" : ns);
  if (!list.ok()) {
    std::cerr << "mck8sctl get: " << mck8s::kubeapi::ErrorText(list.status()) << "\n";
    return 1;
  }
  const bool is_job = workload_kind == mck8s::placement::WorkloadKind::kMultiClusterJob;
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header;
  if (all_namespaces) header.push_back("NAMESPACE");
  for (const char* h : {"NAME", "POLICY", "CLUSTER", is_job ? "JOBS" : "REPLICAS",
                        is_job ? "SUCCEEDED" : "READY", "REASON", "STATUS"}) {
    header.push_back(h);
  }
  rows.push_back(header);
  for (const mck8s::kubeapi::Object& object : list->items) {
    std::string policy(object.FindString("/spec/placementPolicy").value_or(""));
    if (object.FindString("/spec/locations").has_value()) policy = "cluster-affinity";
    if (policy.empty()) policy = "worst-fit";
    std::string status = "Pending";
    if (auto invalid = mck8s::scheduler::FindCondition(object, "Invalid");
        invalid.has_value() && invalid->status == "True") {
      status = "Invalid: " + invalid->message;
    } else if (auto ready =
                   mck8s::scheduler::FindCondition(object, is_job ? "Complete" : "Ready")) {
      status = ready->reason;
    }
    auto row = [&](const std::string& cluster, const std::string& replicas,
                   const std::string& ready, const std::string& reason) {
      std::vector<std::string> r;
      if (all_namespaces) r.emplace_back(object.namespace_name());
      r.emplace_back(object.name());
      r.push_back(policy);
      r.push_back(cluster);
      r.push_back(replicas);
      r.push_back(ready);
      r.push_back(reason);
      r.push_back(status);
      rows.push_back(std::move(r));
    };
    bool any = false;
    if (const rapidjson::Value* placement = object.Get("/status/placement");
        placement != nullptr && placement->IsArray()) {
      for (const rapidjson::Value& p : placement->GetArray()) {
        if (!p.IsObject() || !p.HasMember("cluster") || !p["cluster"].IsString()) continue;
        auto number = [&](const char* name) {
          return p.HasMember(name) && p[name].IsInt() ? std::to_string(p[name].GetInt())
                                                      : std::string(is_job ? "1" : "0");
        };
        row(p["cluster"].GetString(), is_job ? "1" : number("replicas"),
            is_job ? number("succeeded") : number("readyReplicas"),
            p.HasMember("reason") && p["reason"].IsString() ? p["reason"].GetString() : "");
        any = true;
      }
    }
    const int64_t unplaced =
        object.FindInt(is_job ? "/status/unplacedLocations" : "/status/unplacedReplicas")
            .value_or(0);
    if (unplaced > 0) {
      row("(unplaced)", std::to_string(unplaced), "-", "NoRoom");
      any = true;
    }
    if (!any) row("-", "-", "-", "-");
  }
  if (rows.size() == 1) {
    std::cout << "No " << kind << " found" << (all_namespaces ? "" : " in namespace " + ns)
              << ".\n";
    return 0;
  }
  PrintTable(rows);
  return 0;
}

std::string ReasonName(mck8s::v1::AssignmentReason reason) {
  switch (reason) {
    case mck8s::v1::ASSIGNMENT_REASON_PREFERRED:
      return "Preferred";
    case mck8s::v1::ASSIGNMENT_REASON_OFFLOADED:
      return "Offloaded";
    case mck8s::v1::ASSIGNMENT_REASON_BURST:
      return "Burst";
    case mck8s::v1::ASSIGNMENT_REASON_CLOUD:
      return "Cloud";
    default:
      return "";
  }
}

std::string FormatNumber(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

int Explain(int argc, char** argv) {
  std::string filename, address = "127.0.0.1:9090", ns, ca_file, cert_file, key_file;
  int64_t timeout_seconds = 10;
  mck8s::runtime::FlagSet flags("mck8sctl explain",
                                "Asks the scheduler where the MultiClusterDeployment "
                                "or MultiClusterJob of a manifest "
                                "would go (a dry-run Place; nothing is written) and "
                                "prints every member cluster's fate.");
  flags.AddString("filename", &filename, "The manifest (-f; - for stdin).");
  flags.AddString("scheduler-address", &address, "The scheduler's gRPC address (host:port).");
  flags.AddString("namespace", &ns, "Namespace when the manifest has none (-n; default: default).");
  flags.AddString("tls-ca-file", &ca_file, "CA that verifies the scheduler (empty: plaintext).");
  flags.AddString("tls-cert-file", &cert_file, "Client certificate for mutual TLS.");
  flags.AddString("tls-key-file", &key_file, "Key of --tls-cert-file.");
  flags.AddInt("timeout-seconds", &timeout_seconds, "Deadline of the call.");
  if (absl::Status s = ParseFlags(flags, ExpandShortFlags(argc, argv)); !s.ok()) {
    std::cerr << "mck8sctl explain: " << s.message() << "\n";
    return 2;
  }
  if (flags.help_requested()) {
    std::cout << flags.Usage();
    return 0;
  }
  if (filename.empty()) {
    std::cerr << "mck8sctl explain: -f MANIFEST is required\n";
    return 2;
  }
  std::stringstream text;
  if (filename == "-") {
    text << std::cin.rdbuf();
  } else {
    std::ifstream in(filename);
    if (!in) {
      std::cerr << "mck8sctl explain: cannot read " << filename << "\n";
      return 1;
    }
    text << in.rdbuf();
  }
  absl::StatusOr<rapidjson::Document> doc = mck8s::apischema::ParseYamlDocument(text.str());
  if (!doc.ok()) {
    std::cerr << "mck8sctl explain: " << filename << ": " << doc.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<mck8s::kubeapi::Object> object = mck8s::kubeapi::Object::FromJson(*doc);
  if (!object.ok()) {
    std::cerr << "mck8sctl explain: " << filename << ": " << object.status().message() << "\n";
    return 1;
  }
  if (object->namespace_name().empty()) object->SetNamespace(ns.empty() ? "default" : ns);
  mck8s::placement::WorkloadKind kind;
  if (object->kind() == "MultiClusterDeployment") {
    kind = mck8s::placement::WorkloadKind::kMultiClusterDeployment;
  } else if (object->kind() == "MultiClusterJob") {
    kind = mck8s::placement::WorkloadKind::kMultiClusterJob;
  } else {
    std::cerr << "mck8sctl explain: " << filename << ": kind \"" << object->kind()
              << "\" is neither MultiClusterDeployment nor MultiClusterJob\n";
    return 1;
  }
  absl::StatusOr<mck8s::scheduler::WorkloadSpec> spec =
      mck8s::scheduler::ParseWorkloadSpec(*object, kind);
  if (!spec.ok()) {
    std::cerr << "mck8sctl explain: " << filename << ": invalid: " << spec.status().message()
              << "\n";
    return 1;
  }
  mck8s::v1::PlaceRequest request = mck8s::scheduler::PlaceRequestToProto(spec->request);
  request.set_dry_run(true);
  request.set_explain(true);
  auto credentials = mck8s::runtime::PeerChannelCredentials(ca_file, cert_file, key_file);
  if (!credentials.ok()) {
    std::cerr << "mck8sctl explain: " << credentials.status().message() << "\n";
    return 2;
  }
  auto stub = mck8s::v1::Scheduler::NewStub(grpc::CreateChannel(address, *credentials));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(timeout_seconds));
  mck8s::v1::PlaceResponse response;
  grpc::Status status = stub->Place(&context, request, &response);
  if (!status.ok()) {
    std::cerr << "mck8sctl explain: " << address << ": " << status.error_message() << " (code "
              << status.error_code() << ")\n";
    return 1;
  }
  std::cout << object->kind() << " " << object->namespace_name() << "/" << object->name() << ": "
            << response.explanation().summary() << "\n";
  std::cout << "snapshot revision " << response.snapshot_revision() << "\n\n";
  std::map<std::string, std::pair<int, std::string>> assigned;
  for (const mck8s::v1::ClusterAssignment& a : response.placement().assignments()) {
    auto& [replicas, reasons] = assigned[a.cluster()];
    replicas += a.replicas();
    if (!reasons.empty()) reasons += "+";
    reasons += ReasonName(a.reason());
  }
  std::vector<std::vector<std::string>> rows = {
      {"CLUSTER", "REPLICAS", "REASON", "FITS", "RTT", "SCORE", "DETAILS"}};
  for (const mck8s::v1::ClusterExplanation& c : response.explanation().clusters()) {
    auto it = assigned.find(c.cluster());
    std::string rtt = "-";
    if (c.has_rtt() && !c.rtt().origin_cluster().empty()) {
      rtt = FormatNumber(c.rtt().rtt_ms()) + "ms from " + c.rtt().origin_cluster();
    }
    std::string details, score = "-";
    if (c.has_filtered()) {
      details = "filtered by " + c.filtered().filter() + ": " + c.filtered().reason();
    } else {
      score = FormatNumber(c.scored().total());
      for (const mck8s::v1::ScorerResult& s : c.scored().scores()) {
        if (!details.empty()) details += " ";
        details += s.scorer() + "=" + FormatNumber(s.score());
      }
    }
    rows.push_back({c.cluster(), it == assigned.end() ? "0" : std::to_string(it->second.first),
                    it == assigned.end() ? "-" : it->second.second,
                    c.has_max_replicas() ? std::to_string(c.max_replicas()) : "-", rtt, score,
                    details});
  }
  PrintTable(rows);
  if (response.unplaced_replicas() > 0) {
    std::cout << "\nunplaced: " << response.unplaced_replicas() << " replicas fit on no cluster\n";
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h" ||
      std::string(argv[1]) == "help") {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string command = argv[1];
  if (command == "health") return Health(argc - 1, argv + 1);
  if (command == "get") return Get(argc - 1, argv + 1);
  if (command == "explain") return Explain(argc - 1, argv + 1);
  if (command == "version") {
    std::cout << "mck8sctl " << MCK8S_VERSION_STRING << "\n";
    return 0;
  }
  std::cerr << "mck8sctl: unknown command \"" << command << "\"\n\n" << kUsage;
  return 2;
}
