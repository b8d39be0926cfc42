#include "mck8s/gateway/run.h"

#include <sys/resource.h>

#include <cstdlib>
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "mck8s/gateway/service.h"
#include "mck8s/runtime/log.h"
#include "mck8s/service/controller_main.h"

namespace mck8s::gateway {

namespace {

constexpr const char* kGatewayFlags[] = {
    "collection-interval",
    "unreachable-after",
    "request-timeout",
    "batch-window",
    "metrics-api-recheck",
    "poll-workers",
    "rtt-file",
    "rtt-configmap",
    "prometheus-cluster-receive-query",
    "prometheus-cluster-transmit-query",
    "prometheus-pod-receive-query",
    "prometheus-pod-cpu-query",
    "member-qps",
    "serf-rpc-address",
    "serf-timeout",
    "watch-idle-timeout",
};

bool IsGatewayFlag(std::string_view name) {
  for (const char* flag : kGatewayFlags) {
    if (name == flag) return true;
  }
  return false;
}

}  // namespace

void RegisterGatewayFlags(runtime::FlagSet& flags, GatewayOptions& options, SerfRttOptions& serf) {
  flags.AddDuration("collection-interval", &options.collection_interval,
                    "How often every member cluster is polled: its API server's reachability, "
                    "metrics.k8s.io usage, its Prometheus, and the RTT sources. Each round "
                    "publishes new health timestamps.");
  flags.AddDuration("unreachable-after", &options.unreachable_after,
                    "A member cluster whose API server has not answered for this long is "
                    "published UNREACHABLE (with its last known figures) until it answers "
                    "again; a metrics or Prometheus source stale this long makes it DEGRADED.");
  flags.AddDuration("request-timeout", &options.request_timeout,
                    "Deadline of one poll request to a member's API server or Prometheus.");
  flags.AddDuration("batch-window", &options.batch_window,
                    "How long changes are gathered into one snapshot revision after the first "
                    "one arrives.");
  flags.AddDuration("metrics-api-recheck", &options.metrics_api_recheck,
                    "How often a member cluster that does not serve metrics.k8s.io is asked "
                    "again whether it does.");
  flags.AddInt("poll-workers", &options.poll_workers,
               "Threads polling member clusters concurrently.");
  flags.AddDuration("watch-idle-timeout", &options.watch_idle_timeout,
                    "A member watch that receives nothing, not even a bookmark, for this long is "
                    "made again from where it stopped (no relist).");
  flags.AddString("rtt-file", &options.rtt_file,
                  "Static RTT matrix (YAML, milliseconds, symmetric; the shape of a testbed's "
                  "rtt: section). Its entries replace measured (Serf) ones pair by pair.");
  flags.AddString("rtt-configmap", &options.rtt_configmap,
                  "ConfigMap in --fleet-namespace whose key rtt.yaml holds an RTT matrix like "
                  "--rtt-file; its entries replace those of the file and the measured ones pair "
                  "by pair. Empty: none.");
  flags.AddString("prometheus-cluster-receive-query", &options.prometheus.cluster_receive,
                  "PromQL giving a cluster's received bytes per second (summed). {{cluster}} "
                  "is replaced by the member cluster's name.");
  flags.AddString("prometheus-cluster-transmit-query", &options.prometheus.cluster_transmit,
                  "PromQL giving a cluster's transmitted bytes per second (summed). "
                  "{{cluster}} is replaced by the member cluster's name.");
  flags.AddString("prometheus-pod-receive-query", &options.prometheus.pod_receive,
                  "PromQL giving received bytes per second per pod (labels namespace, pod), "
                  "summed into workloads. {{cluster}} is replaced by the member cluster's name.");
  flags.AddString("prometheus-pod-cpu-query", &options.prometheus.pod_cpu,
                  "PromQL giving CPU cores used per pod (labels namespace, pod), summed into "
                  "workloads when metrics.k8s.io does not answer. {{cluster}} is replaced by "
                  "the member cluster's name.");
  flags.AddDouble("member-qps", &options.member_client_options.qps,
                  "Client-side request rate limit towards each member cluster (0: none); the "
                  "burst is twice this.");
  flags.AddString("serf-rpc-address", &serf.rpc_address,
                  "host:port of the Serf agent whose coordinates give the measured RTTs. Empty: "
                  "the first member's spec.serf.rpcAddress that answers. Members take part when "
                  "their MemberCluster declares spec.serf. The RPC auth key, if any, is read "
                  "from $SERF_RPC_AUTH.");
  flags.AddDuration("serf-timeout", &serf.timeout,
                    "Deadline of the connection to the Serf agent and of each call.");
}

SplitArguments SplitGatewayArguments(int argc, const char* const* argv) {
  SplitArguments split;
  const std::string program = argc > 0 ? argv[0] : "mck8s-metrics-gateway";
  split.gateway.push_back(program);
  split.shared.push_back(program);
  bool flags_ended = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (flags_ended || arg == "--" || arg.substr(0, 2) != "--") {
      flags_ended |= arg == "--";
      split.shared.emplace_back(arg);
      continue;
    }
    std::string_view name = arg.substr(2);
    const size_t equals = name.find('=');
    const bool inline_value = equals != std::string_view::npos;
    if (inline_value) name = name.substr(0, equals);
    if (!IsGatewayFlag(name)) {
      split.shared.emplace_back(arg);
      continue;
    }
    split.gateway.emplace_back(arg);
    if (!inline_value && i + 1 < argc) split.gateway.emplace_back(argv[++i]);
  }
  return split;
}

namespace {

// A member cluster holds about sixteen descriptors (four connections, each
// with its event loop), so a large fleet needs more than the usual soft
// limit of 1024; the hard limit is what the operator allows.
void RaiseOpenFileLimit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  const rlim_t before = limit.rlim_cur;
  limit.rlim_cur = limit.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &limit) == 0) {
    runtime::log::Debug(
        "raised the open-file limit",
        {{"from", static_cast<uint64_t>(before)}, {"to", static_cast<uint64_t>(limit.rlim_cur)}});
  }
}

}  // namespace

int RunGatewayMain(int argc, char** argv) {
  GatewayOptions options;
  SerfRttOptions serf_options;
  runtime::FlagSet flags("mck8s-metrics-gateway", "");
  RegisterGatewayFlags(flags, options, serf_options);
  SplitArguments split = SplitGatewayArguments(argc, argv);
  std::vector<const char*> gateway_argv;
  for (const std::string& arg : split.gateway) gateway_argv.push_back(arg.c_str());
  if (absl::Status parsed = flags.Parse(static_cast<int>(gateway_argv.size()), gateway_argv.data());
      !parsed.ok()) {
    std::cerr << "mck8s-metrics-gateway: " << parsed.message() << "\n"
              << "Run 'mck8s-metrics-gateway --help' for usage.\n";
    return 2;
  }
  options.member_client_options.burst =
      std::max(1, static_cast<int>(options.member_client_options.qps * 2));
  bool help = false;
  for (const std::string& arg : split.shared) help |= arg == "--help" || arg == "-h";

  std::vector<char*> shared_argv;
  for (std::string& arg : split.shared) shared_argv.push_back(arg.data());
  shared_argv.push_back(nullptr);

  const runtime::ServiceSpec spec{
      .component = "metrics-gateway",
      .binary = "mck8s-metrics-gateway",
      .description =
          "mck8s-metrics-gateway: aggregates capacity, usage, traffic and RTT of every member "
          "cluster into one cluster-state feed served over the ClusterState gRPC API.",
      .uses_cluster_state = false,
      .uses_scheduler = false,
  };
  // Built in init and used until the process exits: they outlive the
  // runtime, which RunControllerMain destroys before returning.
  if (const char* key = std::getenv("SERF_RPC_AUTH")) serf_options.auth_key = key;
  SerfRttSource serf(serf_options);
  options.measured_rtt = &serf;
  std::unique_ptr<kubeapi::Client> management;
  std::unique_ptr<Feed> feed;
  std::unique_ptr<Gateway> gateway;
  std::unique_ptr<ClusterStateService> service;
  const int code = service::RunControllerMain(
      static_cast<int>(shared_argv.size()) - 1, shared_argv.data(), spec,
      [&](runtime::ServiceRuntime& rt, const runtime::ServiceOptions& shared,
          const kubeapi::RestConfig& config) -> absl::Status {
        RaiseOpenFileLimit();
        kubeapi::ClientOptions client_options;
        client_options.metrics = &rt.registry();
        client_options.user_agent = "mck8s-metrics-gateway";
        absl::StatusOr<std::unique_ptr<kubeapi::Client>> client =
            kubeapi::Client::Create(config, client_options);
        if (!client.ok()) return client.status();
        management = *std::move(client);
        options.fleet_namespace = shared.fleet_namespace;
        options.metrics = &rt.registry();
        feed = std::make_unique<Feed>(NewIncarnation());
        gateway = std::make_unique<Gateway>(*management, *feed, options);
        runtime::Probes& probes = rt.probes();
        service = std::make_unique<ClusterStateService>(*feed, [&probes] {
          runtime::HttpRequest request;
          request.method = "GET";
          request.path = "/readyz/shutdown";
          request.target = request.path;
          return probes.Serve(request).status != 200;
        });
        rt.AddGrpcService(service.get(), v1::ClusterState::service_full_name());
        rt.probes().AddReadinessCheck("first-snapshot",
                                      [g = gateway.get()] { return g->ReadyStatus(); });
        rt.AddShutdownHook([g = gateway.get(), f = feed.get()] {
          f->CloseAll();
          g->Stop();
        });
        runtime::log::Info("cluster-state feed", {{"incarnation", feed->incarnation()}});
        return gateway->Start();
      });
  if (help && code == 0) {
    // Only the flag list: the shared usage above already has the synopsis
    // and --help.
    std::string usage = flags.Usage();
    const size_t list = usage.find("Flags:\n");
    if (list != std::string::npos) usage = usage.substr(list + 7);
    const size_t help_flag = usage.find("  -h, --help");
    if (help_flag != std::string::npos) usage.resize(help_flag);
    std::cout << "\nFlags of the metrics-gateway itself:\n" << usage;
  }
  return code;
}

}  // namespace mck8s::gateway
