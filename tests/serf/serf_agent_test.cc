// The RPC client against real Serf agents (Debian's /usr/bin/serf) on
// loopback: three agents joined into one cluster; the client's RTT for
// every pair must agree with what `serf rtt` prints for it.

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "mck8s/base/strings.h"
#include "mck8s/serf/client.h"
#include "process.h"

namespace mck8s::serf {
namespace {

using ::mck8s::testing::FindTool;
using ::mck8s::testing::Process;
using ::mck8s::testing::RunCommand;
using ::mck8s::testing::TempDir;
using ::mck8s::testing::WriteFile;

constexpr char kAuthKey[] = "loopback-key";
// Pause between two looks at a condition polled with a deadline.
constexpr absl::Duration kPollPause = absl::Milliseconds(50);

// Serf's gossip uses TCP and UDP on one number and cannot bind port 0.
// The caller retries if someone takes the port before the agent binds it.
int FreePort() {
  const int port = mck8s::testing::FreeLoopbackPortForTcpAndUdp();
  REQUIRE(port > 0);
  return port;
}

struct Agent {
  std::string name;
  std::string bind;
  std::string rpc;
  std::unique_ptr<Process> process;
};

// Starts `serf agent` named `name`, joining `join` when not empty; picks new
// ports and starts again when the chosen ones were taken meanwhile.
Agent StartAgent(const std::string& name, const std::string& config_file, const std::string& join) {
  const std::string serf = FindTool("serf", "MCK8S_SERF");
  REQUIRE_FALSE(serf.empty());
  std::string last_output;
  for (int attempt = 0; attempt < 5; ++attempt) {
    Agent agent;
    agent.name = name;
    agent.bind = absl::StrCat("127.0.0.1:", FreePort());
    agent.rpc = absl::StrCat("127.0.0.1:", FreePort());
    std::vector<std::string> argv = {serf,
                                     "agent",
                                     "-node=" + name,
                                     "-bind=" + agent.bind,
                                     "-rpc-addr=" + agent.rpc,
                                     "-config-file=" + config_file,
                                     "-log-level=warn"};
    if (!join.empty()) argv.push_back("-join=" + join);
    agent.process = std::make_unique<Process>(Process::Start(argv));
    std::optional<std::string> running = agent.process->WaitForStdoutLine(
        [](std::string_view l) { return l.find("Serf agent running!") != l.npos; },
        absl::Seconds(20));
    if (running) return agent;
    last_output = agent.process->Stdout() + agent.process->Stderr();
    if (last_output.find("address already in use") == std::string::npos) break;
  }
  FAIL("serf agent " << name << " did not start: " << last_output);
  return {};
}

// Parses "Estimated a <-> b rtt: 0.123 ms" into milliseconds.
std::optional<double> ParseSerfRtt(const std::string& out) {
  size_t at = out.find("rtt: ");
  if (at == std::string::npos) return std::nullopt;
  size_t end = out.find(" ms", at);
  if (end == std::string::npos) return std::nullopt;
  double ms = 0;
  if (!absl::SimpleAtod(out.substr(at + 5, end - at - 5), &ms)) return std::nullopt;
  return ms;
}

TEST_CASE("the client's RTTs agree with serf rtt for every pair") {
  TempDir dir;
  const std::string config = dir.File("serf.json");
  WriteFile(config, absl::StrCat("{\"rpc_auth\": \"", kAuthKey, "\"}"));

  std::vector<Agent> agents;
  agents.push_back(StartAgent("node-a", config, ""));
  agents.push_back(StartAgent("node-b", config, agents[0].bind));
  agents.push_back(StartAgent("node-c", config, agents[0].bind));
  const std::vector<std::string> names = {"node-a", "node-b", "node-c"};

  // A wrong key is refused by the real agent, too.
  absl::StatusOr<std::unique_ptr<Client>> refused =
      Client::Connect(agents[0].rpc, "not-the-key", absl::Seconds(5));
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.status().code() == absl::StatusCode::kUnauthenticated);

  std::vector<std::unique_ptr<Client>> clients;
  for (const Agent& a : agents) {
    absl::StatusOr<std::unique_ptr<Client>> c = Client::Connect(a.rpc, kAuthKey, absl::Seconds(5));
    REQUIRE(c.ok());
    clients.push_back(*std::move(c));
  }

  // Every agent sees the three members alive, with their gossip addresses.
  absl::Time deadline = absl::Now() + absl::Seconds(30);
  for (size_t i = 0; i < agents.size(); ++i) {
    while (true) {
      absl::StatusOr<std::vector<Member>> members = clients[i]->Members();
      REQUIRE(members.ok());
      int alive = 0;
      for (const Member& m : *members) {
        if (m.status != "alive") continue;
        ++alive;
        for (const Agent& a : agents) {
          if (a.name == m.name) CHECK(absl::StrCat(m.addr, ":", m.port) == a.bind);
        }
      }
      if (alive == 3) break;
      REQUIRE(absl::Now() < deadline);
    }
  }
  absl::StatusOr<std::vector<Member>> filtered =
      clients[0]->MembersFiltered({.status = "alive", .name = "node-[bc]"});
  REQUIRE(filtered.ok());
  CHECK(filtered->size() == 2);

  // Coordinates appear in an agent's cache once it has probed the node.
  for (const auto& client : clients) {
    while (true) {
      absl::StatusOr<RttMatrix> m = BuildRttMatrix(*client, names);
      if (m.ok()) break;
      REQUIRE(m.status().code() == absl::StatusCode::kNotFound);
      REQUIRE(absl::Now() < deadline);
    }
  }

  // Coordinates move with every probe, so compare within a window in which
  // the agent's two coordinates did not change: read them, run `serf rtt`,
  // read them again; retry when they moved.
  const std::string serf = FindTool("serf", "MCK8S_SERF");
  double max_relative_error = 0;
  int compared = 0;
  for (size_t i = 0; i < agents.size(); ++i) {
    for (size_t x = 0; x < names.size(); ++x) {
      for (size_t y = x + 1; y < names.size(); ++y) {
        absl::Time pair_deadline = absl::Now() + absl::Seconds(30);
        while (true) {
          REQUIRE(absl::Now() < pair_deadline);
          absl::StatusOr<Coordinate> before_x = clients[i]->GetCoordinate(names[x]);
          absl::StatusOr<Coordinate> before_y = clients[i]->GetCoordinate(names[y]);
          REQUIRE(before_x.ok());
          REQUIRE(before_y.ok());
          auto out = RunCommand({serf, "rtt", "-rpc-addr=" + agents[i].rpc,
                                 std::string("-rpc-auth=") + kAuthKey, names[x], names[y]});
          REQUIRE(out.exit_code == 0);
          absl::StatusOr<Coordinate> after_x = clients[i]->GetCoordinate(names[x]);
          absl::StatusOr<Coordinate> after_y = clients[i]->GetCoordinate(names[y]);
          REQUIRE(after_x.ok());
          REQUIRE(after_y.ok());
          if (*before_x != *after_x || *before_y != *after_y) continue;

          std::optional<double> theirs = ParseSerfRtt(out.out);
          REQUIRE(theirs.has_value());
          absl::StatusOr<double> ours = RttMillis(*after_x, *after_y);
          REQUIRE(ours.ok());
          double relative = std::fabs(*ours - *theirs) / *theirs;
          INFO("agent " << agents[i].name << ": " << names[x] << " <-> " << names[y] << " ours "
                        << *ours << " ms, serf rtt " << *theirs << " ms");
          CHECK(relative <= 0.10);
          // serf rtt prints three decimals: beyond rounding, the same figure.
          CHECK(std::fabs(*ours - *theirs) <= 0.0005 + 1e-9);
          max_relative_error = std::max(max_relative_error, relative);
          ++compared;
          break;
        }
      }
    }
  }
  CHECK(compared == 9);
  std::printf("serf-agents: %d pairs compared, max relative error vs serf rtt %.4f%%\n", compared,
              100 * max_relative_error);
}

}  // namespace
}  // namespace mck8s::serf
