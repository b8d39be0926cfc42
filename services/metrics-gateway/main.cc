// mck8s-metrics-gateway: aggregates capacity, usage, traffic and RTT of every
// member cluster into one cluster-state feed served over the ClusterState
// gRPC API. Everything is in the gateway library (mck8s/gateway/run.h).

#include "mck8s/gateway/run.h"

int main(int argc, char** argv) { return mck8s::gateway::RunGatewayMain(argc, argv); }
