// mck8s-scheduler end to end: the real binary against mck8s-sim serving the
// FogGuru testbed, the real mck8s-metrics-gateway watching it (one case uses
// an in-process ClusterState server built from the same testbed instead),
// and real kubectl applying the examples. Every replica count below follows
// from the testbed: per 1-CPU/1-GiB replica, Rennes and Luxembourg hold 20
// (five 4-CPU workers), Nantes, Lille and Grenoble 10 (five 2-CPU workers), the
// cloud cluster Nancy 24 (three 8-CPU workers).
#include <signal.h>

#include <catch2/catch.hpp>
#include <random>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "harness.h"
#include "invalid_cases.h"
#include "mck8s/base/strings.h"
#include "mck8s/scheduler/workload.h"

namespace mck8s::scheduler {
namespace {

using mck8s::testing::CommandResult;
using mck8s::testing::SourcePath;
using testing::Fleet;
using testing::FleetOptions;
using testing::WaitFor;

const kubeapi::GroupVersionResource kEvents{"", "v1", "events"};

void Apply(Fleet& fleet, const std::string& manifest_or_path, bool is_path = true) {
  CommandResult r = is_path ? fleet.Kubectl({"apply", "-f", manifest_or_path})
                            : fleet.Kubectl({"apply", "-f", "-"}, manifest_or_path);
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
}

int Sum(const std::map<std::string, int>& m) {
  int total = 0;
  for (const auto& [k, v] : m) total += v;
  return total;
}

// Waits until the MCD is propagated and its members hold exactly what its
// status says; returns that placement.
std::map<std::string, int> Settled(Fleet& fleet, const std::string& ns, const std::string& name) {
  REQUIRE(fleet.WaitForCondition(ns, name, "Propagated", "True"));
  std::map<std::string, int> placement;
  const bool consistent = WaitFor(
      [&] {
        placement = fleet.StatusPlacement(ns, name);
        return !placement.empty() && fleet.MemberDeployments(ns, name) == placement;
      },
      absl::Seconds(30));
  INFO(name);
  CHECK(consistent);
  return placement;
}

std::string Reason(Fleet& fleet, const std::string& ns, const std::string& name,
                   const std::string& cluster) {
  std::optional<kubeapi::Object> mcd = fleet.Get(kMultiClusterDeployments, ns, name);
  REQUIRE(mcd.has_value());
  for (const ClusterPlacement& p : PlacementFromStatus(*mcd)) {
    if (p.cluster == cluster) return p.reason;
  }
  return "";
}

std::string Mcd(const std::string& name, const std::string& spec, const std::string& cpu = "1",
                const std::string& memory = "1Gi", const std::string& image = "nginx:1.25") {
  return absl::StrCat(
      "apiVersion: fogguru.eu/v1\nkind: "
      "MultiClusterDeployment\nmetadata:\n  name: ",
      name, "\n  namespace: default\nspec:\n", spec,
      "  template:\n    metadata: {labels: {app: ", name,
      "}}\n    spec:\n      containers:\n        - name: "
      "main\n          image: ",
      image, "\n          resources: {requests: {cpu: \"", cpu, "\", memory: ", memory, "}}\n");
}

TEST_CASE("every policy of the talk's examples", "[scheduler][e2e]") {
  Fleet fleet;
  Apply(fleet, SourcePath("examples/mcd-affinity.yaml"));
  Apply(fleet, SourcePath("examples/mcd-worst-fit.yaml"));
  Apply(fleet, SourcePath("examples/mcd-best-fit.yaml"));
  Apply(fleet, SourcePath("examples/mcd-hello.yaml"));

  // Cluster affinity: counts by position.
  CHECK(Settled(fleet, "default", "web") ==
        std::map<std::string, int>{{"lille", 1}, {"rennes", 3}});

  // Worst-fit among the French regions: three clusters, two each, the
  // largest (Rennes) among them.
  std::map<std::string, int> api = Settled(fleet, "default", "api");
  CHECK(api.size() == 3);
  CHECK(Sum(api) == 6);
  CHECK(api.contains("rennes"));
  for (const auto& [cluster, replicas] : api) {
    CHECK(replicas == 2);
    CHECK(cluster != "luxembourg");
    CHECK(cluster != "nancy");
  }

  // Best-fit: the two smallest clusters that fit, three each.
  std::map<std::string, int> cache = Settled(fleet, "default", "cache");
  CHECK(cache.size() == 2);
  for (const auto& [cluster, replicas] : cache) {
    CHECK(replicas == 3);
    CHECK(std::set<std::string>{"nantes", "lille", "grenoble"}.contains(cluster));
  }

  // Traffic-aware: two fog clusters, two each.
  std::map<std::string, int> hello = Settled(fleet, "default", "hello");
  CHECK(hello.size() == 2);
  CHECK(Sum(hello) == 4);
  CHECK_FALSE(hello.contains("nancy"));

  // Nothing else anywhere.
  CHECK(fleet.AllManagedDeployments().size() == 2 + api.size() + cache.size() + hello.size());
  // Each MCD reports its readiness once the members' pods are up.
  for (const char* name : {"web", "api", "cache", "hello"}) {
    INFO(name);
    CHECK(fleet.WaitForCondition("default", name, "Ready", "True"));
  }
}

TEST_CASE("the talk's demo fed by an in-process ClusterState server", "[scheduler][e2e]") {
  FleetOptions options;
  options.real_gateway = false;
  Fleet fleet(options);
  Apply(fleet, SourcePath("examples/mcd-affinity.yaml"));
  CHECK(Settled(fleet, "default", "web") ==
        std::map<std::string, int>{{"lille", 1}, {"rennes", 3}});
  Apply(fleet, SourcePath("examples/mcd-affinity-overflow.yaml"));
  // Rennes already runs web's three 250m replicas: 19 CPUs left there.
  CHECK(Settled(fleet, "default", "crunch") ==
        std::map<std::string, int>{{"nantes", 10}, {"rennes", 14}});
  Apply(fleet, SourcePath("examples/mcd-hello.yaml"));
  std::map<std::string, int> hello = Settled(fleet, "default", "hello");
  CHECK(hello.size() == 2);
  CHECK(Sum(hello) == 4);
  for (const char* name : {"web", "crunch", "hello"}) {
    INFO(name);
    CHECK(fleet.WaitForCondition("default", name, "Ready", "True"));
  }
}

TEST_CASE("an overflowing cluster-affinity MCD is offloaded by RTT", "[scheduler][e2e]") {
  Fleet fleet;
  Apply(fleet, SourcePath("examples/mcd-affinity-overflow.yaml"));
  // Nantes holds 10; the other 14 go to its nearest cluster, Rennes
  // (2.16 ms), which has room for all of them.
  CHECK(Settled(fleet, "default", "crunch") ==
        std::map<std::string, int>{{"nantes", 10}, {"rennes", 14}});
  CHECK(Reason(fleet, "default", "crunch", "rennes") == "Offloaded");
  CHECK(Reason(fleet, "default", "crunch", "nantes") == "Preferred");
}

TEST_CASE(
    "offload walks the RTT table, bursts to the cloud, "
    "places partially",
    "[scheduler][e2e]") {
  Fleet fleet;
  // 100 one-CPU replicas asked of Nantes: the fog holds 70 (Nantes 10, then
  // by RTT from Nantes: Rennes 20, Grenoble 10, Lille 10, Luxembourg 20),
  // the cloud cluster Nancy 24, and 6 fit nowhere.
  Apply(fleet, Mcd("big", "  locations: nantes\n  replicaOverrides: [100]\n"), false);
  REQUIRE(fleet.WaitForCondition("default", "big", "Propagated", "True"));
  std::map<std::string, int> big = Settled(fleet, "default", "big");
  CHECK(big == std::map<std::string, int>{{"grenoble", 10},
                                          {"lille", 10},
                                          {"luxembourg", 20},
                                          {"nancy", 24},
                                          {"nantes", 10},
                                          {"rennes", 20}});
  CHECK(Reason(fleet, "default", "big", "nancy") == "Cloud");
  CHECK(Reason(fleet, "default", "big", "grenoble") == "Offloaded");
  std::optional<kubeapi::Object> mcd = fleet.Get(kMultiClusterDeployments, "default", "big");
  REQUIRE(mcd.has_value());
  CHECK(mcd->FindInt("/status/unplacedReplicas") == 6);
  CHECK(mcd->FindInt("/status/replicas") == 100);
  CHECK(FindCondition(*mcd, "Scheduled")->reason == "PartiallyScheduled");
  CHECK(FindCondition(*mcd, "Ready")->reason == "Unplaced");
}

TEST_CASE(
    "a policy MCD larger than the fog bursts to the cloud "
    "cluster nancy",
    "[scheduler][e2e]") {
  Fleet fleet;
  Apply(fleet,
        Mcd("burst",
            "  placementPolicy: worst-fit\n  replicas: 80\n  tolerations:\n"
            "    - {key: fogguru.eu/cloud, operator: Exists}\n"),
        false);
  std::map<std::string, int> burst = Settled(fleet, "default", "burst");
  CHECK(Sum(burst) == 80);
  CHECK(burst["nancy"] == 10);
  CHECK(Reason(fleet, "default", "burst", "nancy") == "Cloud");
  CHECK(burst["rennes"] == 20);
  CHECK(burst["luxembourg"] == 20);
}

TEST_CASE("template update, scale up and down, delete with cleanup", "[scheduler][e2e]") {
  Fleet fleet;
  Apply(fleet,
        Mcd("app",
            "  placementPolicy: worst-fit\n  numberOfLocations: 3\n  replicas: "
            "2\n",
            "500m", "512Mi"),
        false);
  const std::map<std::string, int> first = Settled(fleet, "default", "app");
  REQUIRE(first.size() == 3);

  // A new image reaches every member.
  Apply(fleet,
        Mcd("app",
            "  placementPolicy: worst-fit\n  numberOfLocations: 3\n  replicas: "
            "2\n",
            "500m", "512Mi", "nginx:1.27"),
        false);
  CHECK(WaitFor(
      [&] {
        for (const auto& [cluster, replicas] : first) {
          absl::StatusOr<kubeapi::Object> d =
              fleet.member(cluster).Get(kDeployments, "default", "app");
          if (!d.ok() || d->FindString("/spec/template/spec/containers/0/image") !=
                             std::optional<std::string_view>("nginx:1.27")) {
            return false;
          }
        }
        return true;
      },
      absl::Seconds(30)));
  CHECK(Settled(fleet, "default", "app") == first);

  // Scaling keeps the clusters: 3 per location, then 1.
  CommandResult scaled = fleet.Kubectl({"scale", "mcd/app", "--replicas=3"});
  INFO(scaled.out << scaled.err);
  REQUIRE(scaled.exit_code == 0);
  std::map<std::string, int> up;
  CHECK(WaitFor(
      [&] {
        up = fleet.MemberDeployments("default", "app");
        return Sum(up) == 9;
      },
      absl::Seconds(30)));
  CHECK(up.size() == 3);
  for (const auto& [cluster, replicas] : up) {
    CHECK(first.contains(cluster));
    CHECK(replicas == 3);
  }
  REQUIRE(fleet.Kubectl({"scale", "mcd/app", "--replicas=1"}).exit_code == 0);
  std::map<std::string, int> down;
  CHECK(WaitFor(
      [&] {
        down = fleet.MemberDeployments("default", "app");
        return Sum(down) == 3;
      },
      absl::Seconds(30)));
  for (const auto& [cluster, replicas] : down) CHECK(first.contains(cluster));

  // Delete: the finalizer removes every member Deployment, then the MCD.
  CommandResult deleted = fleet.Kubectl({"delete", "mcd", "app", "--wait=true", "--timeout=60s"});
  INFO(deleted.out << deleted.err);
  CHECK(deleted.exit_code == 0);
  CHECK(WaitFor([&] { return !fleet.Get(kMultiClusterDeployments, "default", "app").has_value(); },
                absl::Seconds(30)));
  CHECK(fleet.MemberDeployments("default", "app").empty());
  CHECK(fleet.AllManagedDeployments().empty());
}

TEST_CASE("a MultiClusterService follows its MCD", "[scheduler][e2e]") {
  Fleet fleet;
  Apply(fleet, SourcePath("examples/mcd-hello.yaml"));
  Apply(fleet, SourcePath("examples/mcs-hello.yaml"));
  const std::map<std::string, int> hello = Settled(fleet, "default", "hello");
  auto services = [&] {
    std::set<std::string> out;
    for (const std::string& cluster : fleet.members()) {
      absl::StatusOr<kubeapi::Object> s = fleet.member(cluster).Get(kServices, "default", "hello");
      if (s.ok()) out.insert(cluster);
    }
    return out;
  };
  std::set<std::string> expected;
  for (const auto& [cluster, replicas] : hello) expected.insert(cluster);
  CHECK(WaitFor([&] { return services() == expected; }, absl::Seconds(30)));
  const std::string first = *expected.begin();
  absl::StatusOr<kubeapi::Object> service = fleet.member(first).Get(kServices, "default", "hello");
  REQUIRE(service.ok());
  CHECK(service->annotation("io.cilium/global-service") == std::optional<std::string_view>("true"));
  CHECK(service->annotation("service.cilium.io/global") == std::optional<std::string_view>("true"));
  CHECK(service->FindInt("/spec/ports/0/port") == 80);

  // The MCD moves to Luxembourg alone; the Service follows by itself.
  CommandResult patched =
      fleet.Kubectl({"patch", "mcd", "hello", "--type=merge", "-p",
                     R"({"spec":{"locations":"luxembourg","replicaOverrides":[2]}})"});
  INFO(patched.out << patched.err);
  REQUIRE(patched.exit_code == 0);
  CHECK(WaitFor(
      [&] {
        return fleet.StatusPlacement("default", "hello") ==
               std::map<std::string, int>{{"luxembourg", 2}};
      },
      absl::Seconds(30)));
  CHECK(WaitFor([&] { return services() == std::set<std::string>{"luxembourg"}; },
                absl::Seconds(30)));
  CHECK(fleet.WaitForCondition("default", "hello", "Ready", "True", absl::Seconds(30),
                               &kMultiClusterServices));

  // Deleting the MCS removes its Services.
  REQUIRE(fleet.Kubectl({"delete", "mcs", "hello", "--wait=true", "--timeout=60s"}).exit_code == 0);
  CHECK(WaitFor([&] { return services().empty(); }, absl::Seconds(30)));
}

TEST_CASE(
    "a MultiClusterJob runs a Job per chosen cluster to "
    "completion",
    "[scheduler][e2e]") {
  FleetOptions options;
  options.sim_args = {"--job-run-duration", "200ms"};
  Fleet fleet(options);
  Apply(fleet, SourcePath("examples/mcj-pi.yaml"));
  CHECK(fleet.WaitForCondition("default", "pi", "Complete", "True", absl::Seconds(60),
                               &kMultiClusterJobs));
  std::optional<kubeapi::Object> mcj = fleet.Get(kMultiClusterJobs, "default", "pi");
  REQUIRE(mcj.has_value());
  CHECK(mcj->FindInt("/status/succeeded") == 6);
  int jobs = 0;
  for (const std::string& cluster : fleet.members()) {
    if (fleet.member(cluster).Get(kJobs, "default", "pi").ok()) ++jobs;
  }
  CHECK(jobs == 2);
}

TEST_CASE(
    "invalid MCDs are answered by an Invalid condition "
    "naming the field",
    "[scheduler][e2e]") {
  Fleet fleet;
  std::vector<testing::InvalidCase> admitted;
  for (const testing::InvalidCase& c : testing::InvalidCases()) {
    if (c.admitted) admitted.push_back(c);
  }
  REQUIRE(admitted.size() >= 15);
  for (const testing::InvalidCase& c : admitted) {
    INFO(c.name);
    CommandResult r = fleet.Kubectl({"apply", "-f", "-"}, testing::InvalidManifest(c, "default"));
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
  }
  for (const testing::InvalidCase& c : admitted) {
    INFO(c.name);
    CHECK(fleet.WaitForCondition("default", c.name, "Invalid", "True"));
    std::optional<kubeapi::Object> mcd = fleet.Get(kMultiClusterDeployments, "default", c.name);
    REQUIRE(mcd.has_value());
    std::optional<Condition> invalid = FindCondition(*mcd, "Invalid");
    REQUIRE(invalid.has_value());
    INFO(invalid->message);
    CHECK(absl::StartsWith(invalid->message, c.field));
    CHECK(FindCondition(*mcd, "Scheduled")->reason == "Invalid");
  }
  // Each got a Warning event naming the field, and nothing reached a member.
  absl::StatusOr<kubeapi::ObjectList> events = fleet.management().List(kEvents, "default");
  REQUIRE(events.ok());
  for (const testing::InvalidCase& c : admitted) {
    INFO(c.name);
    bool found = false;
    for (const kubeapi::Object& e : events->items) {
      if (e.FindString("/involvedObject/name") == std::optional<std::string_view>(c.name) &&
          e.FindString("/type") == std::optional<std::string_view>("Warning") &&
          absl::StartsWith(ToAbsl(e.FindString("/message").value_or("")), c.field)) {
        found = true;
      }
    }
    CHECK(found);
  }
  CHECK(fleet.AllManagedDeployments().empty());
  // No retry storm: an invalid spec is not an error to retry, and each MCD
  // was reconciled a handful of times (its creation, the finalizer, the
  // status), not over and over.
  const std::string controller = "controller=\"multiclusterdeployment\"";
  CHECK(fleet.SchedulerMetric("controller_runtime_reconcile_total",
                              {controller, "result=\"error\""}) == 0);
  const double reconciles =
      fleet.SchedulerMetric("controller_runtime_reconcile_total", {controller});
  INFO("reconciles " << reconciles);
  CHECK(reconciles >= admitted.size());
  CHECK(reconciles <= 8.0 * admitted.size());

  // Fixing the spec clears the condition and places the MCD.
  Apply(fleet, Mcd("neg-cpu", "", "100m", "64Mi"), false);
  Settled(fleet, "default", "neg-cpu");
  CHECK_FALSE(FindCondition(*fleet.Get(kMultiClusterDeployments, "default", "neg-cpu"), "Invalid")
                  .has_value());
}

}  // namespace
}  // namespace mck8s::scheduler
