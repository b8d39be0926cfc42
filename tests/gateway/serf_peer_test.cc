// Real Serf agents (/usr/bin/serf) on loopback, one per member cluster: the
// feed's measured RTT matrix agrees with what `serf rtt` prints.
#include <signal.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "mck8s/gateway/serf_rtt.h"
#include "sim_harness.h"

namespace mck8s::gateway {
namespace {

using testing::Find;
using testing::Harness;
using testing::Sim;

const kubeapi::GroupVersionResource kMemberClusters{"fogguru.eu", "v1", "memberclusters"};

// What `serf rtt` prints for a pair, in milliseconds.
std::optional<double> SerfRtt(const std::string& rpc, const std::string& a, const std::string& b) {
  mck8s::testing::CommandResult result = mck8s::testing::RunCommand(
      {mck8s::testing::FindTool("serf"), "rtt", "-rpc-addr=" + rpc, a, b}, "", {},
      absl::Seconds(10));
  // "Estimated a <-> b rtt: 0.201 ms (using LAN coordinates)"
  const size_t at = result.out.find("rtt: ");
  if (result.exit_code != 0 || at == std::string::npos) return std::nullopt;
  return std::strtod(result.out.c_str() + at + 5, nullptr);
}

TEST_CASE("the measured RTT matrix agrees with serf rtt within 10%") {
  Sim sim;
  const std::vector<std::string> members = {"rennes", "nantes", "lille"};
  std::vector<std::string> rpc;
  std::vector<mck8s::testing::Process> agents;
  std::string join;
  for (const std::string& member : members) {
    // Serf takes fixed ports; its gossip binds TCP and UDP on one number.
    const int bind = mck8s::testing::FreeLoopbackPortForTcpAndUdp();
    const int rpc_port = mck8s::testing::FreeLoopbackPort(SOCK_STREAM);
    REQUIRE(bind > 0);
    REQUIRE(rpc_port > 0);
    rpc.push_back(absl::StrCat("127.0.0.1:", rpc_port));
    std::vector<std::string> argv = {mck8s::testing::FindTool("serf"),
                                     "agent",
                                     "-node=" + member,
                                     absl::StrCat("-bind=127.0.0.1:", bind),
                                     "-rpc-addr=" + rpc.back(),
                                     "-log-level=warn"};
    if (!join.empty()) argv.push_back("-join=" + join);
    agents.push_back(mck8s::testing::Process::Start(argv));
    if (join.empty()) join = absl::StrCat("127.0.0.1:", bind);
    // The next agent joins this one: wait until its RPC answers.
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    bool answers = false;
    while (!answers && absl::Now() < deadline) {
      answers = mck8s::testing::RunCommand(
                    {mck8s::testing::FindTool("serf"), "members", "-rpc-addr=" + rpc.back()})
                    .exit_code == 0;
      if (!answers) absl::SleepFor(absl::Milliseconds(100));
    }
    INFO("serf agent " << member << ": " << agents.back().Stdout() << agents.back().Stderr());
    REQUIRE(answers);
  }

  std::unique_ptr<kubeapi::Client> management = sim.Connect();
  for (size_t i = 0; i < members.size(); ++i) {
    absl::StatusOr<kubeapi::Object> patch = kubeapi::Object::Parse(absl::StrCat(
        R"({"spec":{"serf":{"nodeName":")", members[i], R"(","rpcAddress":")", rpc[i], R"("}}})"));
    REQUIRE(patch.ok());
    REQUIRE(management->MergePatch(kMemberClusters, "", members[i], *patch).ok());
  }

  SerfRttSource serf({});
  GatewayOptions options = Harness::FastOptions();
  options.rtt_configmap = "";  // no static override of the measured pairs
  options.measured_rtt = &serf;
  Harness harness(sim, options);
  harness.WaitReady();
  auto measured = [&](const FleetState& s) {
    int serf_entries = 0;
    for (const auto& [key, entry] : s.rtt) serf_entries += entry.source() == v1::RTT_SOURCE_SERF;
    return serf_entries == 6;
  };
  // Every agent needs an answered probe of another before it has a
  // coordinate: seconds when idle, but probes time out (500 ms) on a
  // machine loaded by parallel builds, so the deadline is generous.
  REQUIRE(harness.WaitFor(measured, absl::Seconds(90)) != nullptr);

  // Coordinates move with every probe, so each pair is compared from
  // readings taken moments apart; a few readings absorb a probe landing
  // in between.
  for (size_t i = 0; i < members.size(); ++i) {
    for (size_t j = 0; j < members.size(); ++j) {
      if (i == j) continue;
      INFO(members[i] << " -> " << members[j]);
      double feed = -1;
      double cli = -1;
      for (int attempt = 0; attempt < 20; ++attempt) {
        std::optional<double> printed = SerfRtt(rpc[0], members[i], members[j]);
        FleetStatePtr state = harness.feed().Current();
        auto it = state->rtt.find({members[i], members[j]});
        REQUIRE(it != state->rtt.end());
        CHECK(it->second.source() == v1::RTT_SOURCE_SERF);
        REQUIRE(printed.has_value());
        feed = it->second.rtt_ms();
        cli = *printed;
        if (feed == Approx(cli).epsilon(0.10)) break;
        absl::SleepFor(options.collection_interval);
      }
      CHECK(feed == Approx(cli).epsilon(0.10));
      CHECK(feed > 0);
    }
  }
  // Serf is a configured source of these members and answers.
  const v1::ClusterStatus* rennes = Find(*harness.feed().Current(), "rennes");
  REQUIRE(rennes != nullptr);
  bool has_serf = false;
  for (const v1::SourceStatus& source : rennes->health().sources()) {
    if (source.source() != v1::DATA_SOURCE_SERF) continue;
    has_serf = true;
    CHECK(source.has_last_success());
    CHECK(source.last_error().empty());
  }
  CHECK(has_serf);
  CHECK(rennes->health().state() == v1::HEALTH_STATE_READY);

  for (mck8s::testing::Process& agent : agents) agent.Signal(SIGTERM);
  for (mck8s::testing::Process& agent : agents) agent.Wait(absl::Seconds(10));
}

}  // namespace
}  // namespace mck8s::gateway
