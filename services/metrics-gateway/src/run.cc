#include "mck8s/gateway/run.h"

#include <sys/resource.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "mck8s/gateway/service.h"
#include "mck8s/runtime/log.h"
#include "mck8s/service/controller_main.h"

namespace mck8s::gateway {

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
                  "burst is twice this. It replaces --kube-api-qps for the members, which a "
                  "thousand-member fleet multiplies.");
  flags.AddString("serf-rpc-address", &serf.rpc_address,
                  "host:port of the Serf agent whose coordinates give the measured RTTs. Empty: "
                  "the first member's spec.serf.rpcAddress that answers. Members take part when "
                  "their MemberCluster declares spec.serf. The RPC auth key, if any, is read "
                  "from $SERF_RPC_AUTH.");
  flags.AddDuration("serf-timeout", &serf.timeout,
                    "Deadline of the connection to the Serf agent and of each call.");
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
  const runtime::ServiceSpec spec{
      .component = "metrics-gateway",
      .binary = "mck8s-metrics-gateway",
      .description =
          "mck8s-metrics-gateway: aggregates capacity, usage, traffic and RTT of every member "
          "cluster into one cluster-state feed served over the ClusterState gRPC API.",
      .uses_cluster_state = false,
      .uses_scheduler = false,
      .register_flags =
          [&](runtime::FlagSet& flags) { RegisterGatewayFlags(flags, options, serf_options); },
  };
  // Built in init, once the flags are parsed, and used until the process
  // exits: they outlive the runtime, which RunControllerMain destroys
  // before returning.
  std::unique_ptr<SerfRttSource> serf;
  std::unique_ptr<kubeapi::Client> management;
  std::unique_ptr<Feed> feed;
  std::unique_ptr<Gateway> gateway;
  std::unique_ptr<ClusterStateService> service;
  const int code = service::RunControllerMain(
      argc, argv, spec,
      [&](runtime::ServiceRuntime& rt, const runtime::ServiceOptions& shared,
          const kubeapi::RestConfig& config) -> absl::Status {
        RaiseOpenFileLimit();
        options.member_client_options.burst =
            std::max(1, static_cast<int>(options.member_client_options.qps * 2));
        if (const char* key = std::getenv("SERF_RPC_AUTH")) serf_options.auth_key = key;
        serf = std::make_unique<SerfRttSource>(serf_options);
        options.measured_rtt = serf.get();
        kubeapi::ClientOptions client_options = service::ManagementClientOptions(rt, shared);
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
  return code;
}

}  // namespace mck8s::gateway
