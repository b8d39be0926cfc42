// A leader-election candidate for the hand-over test: runs LeaderElector
// against a cluster and prints what happens on stdout, one line each:
//   "observed <identity>"  the lease holder it saw change
//   "leading <identity>"   it became the leader
//   "stopped <identity>"   it stopped leading (lost or released)
// SIGTERM/SIGINT stop it gracefully (releasing the lease); the test kills it
// with SIGKILL to play a crashed leader.
//
//   kubeapi-leader-helper KUBECONFIG CONTEXT IDENTITY LEASE_NAME
//                         LEASE_MS RENEW_MS RETRY_MS

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "absl/strings/numbers.h"
#include "mck8s/kubeapi/client.h"
#include "mck8s/kubeapi/config.h"
#include "mck8s/kubeapi/leader_election.h"
#include "mck8s/runtime/signals.h"

namespace {

void Say(const std::string& what, const std::string& identity) {
  std::printf("%s %s\n", what.c_str(), identity.c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace mck8s::kubeapi;
  mck8s::runtime::ShutdownSignal& shutdown = mck8s::runtime::ShutdownSignal::Install();
  if (argc != 8) {
    std::fprintf(stderr, "usage: %s KUBECONFIG CONTEXT IDENTITY LEASE LEASE_MS RENEW_MS RETRY_MS\n",
                 argv[0]);
    return 2;
  }
  int64_t lease_ms = 0, renew_ms = 0, retry_ms = 0;
  if (!absl::SimpleAtoi(argv[5], &lease_ms) || !absl::SimpleAtoi(argv[6], &renew_ms) ||
      !absl::SimpleAtoi(argv[7], &retry_ms)) {
    std::fprintf(stderr, "durations must be integers (milliseconds)\n");
    return 2;
  }
  absl::StatusOr<RestConfig> config = LoadKubeconfigFiles({argv[1]}, argv[2]);
  if (!config.ok()) {
    std::fprintf(stderr, "%s\n", config.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(*config);
  if (!client.ok()) {
    std::fprintf(stderr, "%s\n", client.status().ToString().c_str());
    return 1;
  }
  const std::string identity = argv[3];
  LeaderElectionOptions options;
  options.lease_namespace = "default";
  options.lease_name = argv[4];
  options.identity = identity;
  options.lease_duration = absl::Milliseconds(lease_ms);
  options.renew_deadline = absl::Milliseconds(renew_ms);
  options.retry_period = absl::Milliseconds(retry_ms);
  options.on_started_leading = [&] { Say("leading", identity); };
  options.on_stopped_leading = [&] { Say("stopped", identity); };
  options.on_new_leader = [](const std::string& holder) { Say("observed", holder); };
  absl::StatusOr<std::unique_ptr<LeaderElector>> elector =
      LeaderElector::Create(**client, options);
  if (!elector.ok()) {
    std::fprintf(stderr, "%s\n", elector.status().ToString().c_str());
    return 1;
  }
  std::thread run([&] { (*elector)->Run(); });
  shutdown.Wait();
  (*elector)->Stop();
  run.join();
  return 0;
}
