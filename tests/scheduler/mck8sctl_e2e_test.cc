// mck8sctl get and explain against the running scheduler and simulator.
#include <catch2/catch.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "harness.h"
#include "mck8s/scheduler/workload.h"

namespace mck8s::scheduler {
namespace {

using mck8s::testing::BinaryPath;
using mck8s::testing::CommandResult;
using mck8s::testing::RunCommand;
using mck8s::testing::SourcePath;
using testing::Fleet;

// The table line that starts with `first` and contains `rest` in order.
bool HasRow(const std::string& table, const std::vector<std::string>& cells) {
  for (absl::string_view line : absl::StrSplit(table, '\n')) {
    std::vector<absl::string_view> words = absl::StrSplit(line, ' ', absl::SkipEmpty());
    size_t at = 0;
    for (absl::string_view w : words) {
      if (at < cells.size() && w == cells[at]) ++at;
    }
    if (at == cells.size() && !words.empty() && words[0] == cells[0]) return true;
  }
  return false;
}

TEST_CASE("mck8sctl: get shows the placement per cluster, explain the decision",
          "[scheduler][e2e]") {
  Fleet fleet;
  // explain: a dry run (nothing applied yet, so all the fleet is free); the
  // overflow goes to Rennes, with the RTT from Nantes shown.
  CommandResult explain = RunCommand({BinaryPath("mck8sctl"), "explain", "-f",
                                      SourcePath("examples/mcd-affinity-overflow.yaml"),
                                      "--scheduler-address", fleet.grpc_address()});
  INFO(explain.out << explain.err);
  REQUIRE(explain.exit_code == 0);
  CHECK_THAT(explain.out, Catch::Contains("MultiClusterDeployment default/crunch:"));
  CHECK(HasRow(explain.out, {"CLUSTER", "REPLICAS", "REASON", "FITS", "RTT", "SCORE", "DETAILS"}));
  CHECK(HasRow(explain.out, {"rennes", "14", "Offloaded"}));
  CHECK(HasRow(explain.out, {"nantes", "10", "Preferred"}));
  CHECK_THAT(explain.out, Catch::Contains("2.16ms from nantes"));
  CHECK_FALSE(fleet.Get(kMultiClusterDeployments, "default", "crunch").has_value());

  REQUIRE(fleet.Kubectl({"apply", "-f", SourcePath("examples/mcd-affinity.yaml")}).exit_code == 0);
  REQUIRE(
      fleet.Kubectl({"apply", "-f", SourcePath("examples/mcd-affinity-overflow.yaml")}).exit_code ==
      0);
  REQUIRE(fleet.WaitForCondition("default", "web", "Ready", "True"));
  REQUIRE(fleet.WaitForCondition("default", "crunch", "Propagated", "True"));

  CommandResult get = RunCommand(
      {BinaryPath("mck8sctl"), "get", "mcd", "-n", "default", "--kubeconfig", fleet.kubeconfig()});
  INFO(get.out << get.err);
  REQUIRE(get.exit_code == 0);
  CHECK(HasRow(get.out, {"NAME", "POLICY", "CLUSTER", "REPLICAS", "READY", "REASON", "STATUS"}));
  CHECK(HasRow(get.out, {"web", "cluster-affinity", "rennes", "3", "3", "Preferred", "Ready"}));
  CHECK(HasRow(get.out, {"web", "cluster-affinity", "lille", "1", "1", "Preferred", "Ready"}));
  CHECK(HasRow(get.out, {"crunch", "cluster-affinity", "nantes", "10"}));
  CHECK(HasRow(get.out, {"crunch", "cluster-affinity", "rennes", "14"}));

  CommandResult all =
      RunCommand({BinaryPath("mck8sctl"), "get", "mcd", "-A", "--kubeconfig", fleet.kubeconfig()});
  REQUIRE(all.exit_code == 0);
  CHECK(HasRow(all.out, {"default", "web", "cluster-affinity", "rennes", "3"}));

  // A manifest the scheduler would refuse says why, naming the field.
  mck8s::testing::TempDir dir;
  mck8s::testing::WriteFile(dir.File("bad.yaml"), R"(apiVersion: fogguru.eu/v1
kind: MultiClusterDeployment
metadata: {name: bad}
spec:
  replicas: -2
  template:
    metadata: {labels: {app: bad}}
    spec: {containers: [{name: c, image: nginx}]}
)");
  CommandResult bad = RunCommand({BinaryPath("mck8sctl"), "explain", "-f", dir.File("bad.yaml"),
                                  "--scheduler-address", fleet.grpc_address()});
  CHECK(bad.exit_code == 1);
  CHECK_THAT(bad.err, Catch::Contains("spec.replicas"));
}

}  // namespace
}  // namespace mck8s::scheduler
