// -----------------------------------------------------------------------------
// File: mck8s/gateway/run.h
// -----------------------------------------------------------------------------
//
// The mck8s-metrics-gateway process: the shared controller start-up
// (mck8s/service/controller_main.h: flags, logs, metrics, probes, gRPC with
// health and reflection, graceful shutdown) plus the gateway's own flags,
// the Gateway collector, the Feed and the ClusterState service.
//
// The gateway's flags are parsed and listed by `--help` with the shared
// ones (ServiceSpec::register_flags). /readyz
// turns ready with the first snapshot (check `first-snapshot`).
//
// Usage (the whole main):
//
//   int main(int argc, char** argv) { return mck8s::gateway::RunGatewayMain(argc, argv); }

#ifndef MCK8S_GATEWAY_RUN_H_
#define MCK8S_GATEWAY_RUN_H_

#include "mck8s/gateway/gateway.h"
#include "mck8s/gateway/serf_rtt.h"
#include "mck8s/runtime/flags.h"

namespace mck8s::gateway {

// Registers the gateway's own flags on `flags`, writing into `options` and
// `serf` (the Serf RTT source's settings; its auth key comes from the
// SERF_RPC_AUTH environment variable, as for the serf CLI).
void RegisterGatewayFlags(runtime::FlagSet& flags, GatewayOptions& options, SerfRttOptions& serf);

int RunGatewayMain(int argc, char** argv);

}  // namespace mck8s::gateway

#endif  // MCK8S_GATEWAY_RUN_H_
