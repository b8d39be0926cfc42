// The client against the Kubernetes API simulator (mck8s-sim): every verb,
// watches and informers, conflicts, relist on 410, leader election between
// processes, events and the fleet registry.
#include <catch2/catch.hpp>

#include <signal.h>

#include <optional>
#include <thread>

#include <rapidjson/document.h>

#include "absl/synchronization/notification.h"

#include "absl/strings/str_cat.h"
#include "mck8s/kubeapi/client.h"
#include "mck8s/kubeapi/config.h"
#include "mck8s/kubeapi/discovery.h"
#include "mck8s/kubeapi/errors.h"
#include "mck8s/kubeapi/event_recorder.h"
#include "mck8s/kubeapi/fleet.h"
#include "mck8s/kubeapi/informer.h"
#include "mck8s/kubeapi/leader_election.h"
#include "mck8s/runtime/metrics.h"
#include "process.h"

namespace mck8s::kubeapi {
namespace {

using mck8s::testing::BinaryPath;
using mck8s::testing::Process;
using mck8s::testing::SourcePath;
using mck8s::testing::TempDir;

const GroupVersionResource kConfigMaps{"", "v1", "configmaps"};
const GroupVersionResource kDeployments{"apps", "v1", "deployments"};
const GroupVersionResource kLeases{"coordination.k8s.io", "v1", "leases"};
const GroupVersionResource kEvents{"", "v1", "events"};

// A running simulator with the FogGuru testbed.
class Sim {
 public:
  explicit Sim(std::vector<std::string> extra = {}) {
    std::vector<std::string> argv = {BinaryPath("mck8s-sim"),
                                     "--testbed", SourcePath("sim/testbeds/fogguru.yaml"),
                                     "--listen", "127.0.0.1:0",
                                     "--kubeconfig-out", kubeconfig()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    process_.emplace(Process::Start(argv));
    std::optional<std::string> line = process_->WaitForStdoutLine(
        [](std::string_view l) { return l.find("listening on") != std::string_view::npos; },
        absl::Seconds(60));
    REQUIRE(line.has_value());
  }
  ~Sim() {
    process_->Signal(SIGTERM);
    process_->Wait(absl::Seconds(10));
  }
  std::string kubeconfig() const { return dir_.File("kubeconfig"); }
  std::unique_ptr<Client> Connect(const std::string& context = "management",
                                  runtime::Registry* registry = nullptr) {
    absl::StatusOr<RestConfig> config = LoadKubeconfigFiles({kubeconfig()}, context);
    REQUIRE(config.ok());
    ClientOptions options;
    options.qps = 0;
    options.metrics = registry != nullptr ? registry : &registry_;
    absl::StatusOr<std::unique_ptr<Client>> client = Client::Create(*config, options);
    REQUIRE(client.ok());
    return *std::move(client);
  }

 private:
  TempDir dir_;
  runtime::Registry registry_;
  std::optional<Process> process_;
};

Object ConfigMap(const std::string& name, const std::string& value) {
  Object cm("v1", "ConfigMap");
  cm.SetNamespace("default");
  cm.SetName(name);
  cm.SetLabel("app", "demo");
  (void)cm.SetString("/data/value", value);
  return cm;
}

TEST_CASE("sim: create, get, list, update, conflict, patch, apply, delete", "[kubeapi][sim]") {
  Sim sim;
  std::unique_ptr<Client> client = sim.Connect();

  absl::StatusOr<Object> created = client->Create(kConfigMaps, ConfigMap("one", "1"));
  REQUIRE(created.ok());
  CHECK_FALSE(created->uid().empty());
  CHECK_FALSE(created->resource_version().empty());
  CHECK(IsAlreadyExists(client->Create(kConfigMaps, ConfigMap("one", "1")).status()));
  for (int i = 2; i <= 5; ++i) {
    Object cm = ConfigMap(absl::StrCat("n", i), absl::StrCat(i));
    if (i % 2 == 0) cm.SetLabel("parity", "even");
    REQUIRE(client->Create(kConfigMaps, cm).ok());
  }

  absl::StatusOr<Object> got = client->Get(kConfigMaps, "default", "one");
  REQUIRE(got.ok());
  CHECK(got->FindString("/data/value") == std::optional<std::string_view>("1"));
  CHECK(IsNotFound(client->Get(kConfigMaps, "default", "none").status()));

  ListOptions even;
  even.label_selector = "parity=even";
  absl::StatusOr<ObjectList> evens = client->List(kConfigMaps, "default", even);
  REQUIRE(evens.ok());
  CHECK(evens->items.size() == 2);
  ListOptions by_name;
  by_name.field_selector = "metadata.name=n3";
  REQUIRE(client->List(kConfigMaps, "default", by_name)->items.size() == 1);
  ListOptions paged;
  paged.label_selector = "app=demo";
  paged.limit = 2;
  absl::StatusOr<ObjectList> first_page = client->List(kConfigMaps, "default", paged);
  REQUIRE(first_page.ok());
  CHECK(first_page->items.size() == 2);
  CHECK_FALSE(first_page->continue_token.empty());
  absl::StatusOr<ObjectList> all = client->ListAll(kConfigMaps, "default", paged);
  REQUIRE(all.ok());
  CHECK(all->items.size() == 5);

  // Optimistic concurrency: the second writer with the old version loses.
  Object first_writer = *got;
  Object second_writer = *got;
  REQUIRE(first_writer.SetString("/data/value", "first").ok());
  REQUIRE(client->Update(kConfigMaps, first_writer).ok());
  REQUIRE(second_writer.SetString("/data/value", "second").ok());
  absl::StatusOr<Object> stale = client->Update(kConfigMaps, second_writer);
  CHECK(IsConflict(stale.status()));

  Object merge;
  REQUIRE(merge.SetString("/data/extra", "x").ok());
  absl::StatusOr<Object> merged = client->MergePatch(kConfigMaps, "default", "one", merge);
  REQUIRE(merged.ok());
  CHECK(merged->FindString("/data/extra") == std::optional<std::string_view>("x"));
  CHECK(merged->FindString("/data/value") == std::optional<std::string_view>("first"));

  JsonPatch json_patch;
  json_patch.Replace("/data/value", "patched").Remove("/data/extra");
  absl::StatusOr<Object> patched = client->JsonPatchObject(kConfigMaps, "default", "one", json_patch);
  REQUIRE(patched.ok());
  CHECK(patched->FindString("/data/value") == std::optional<std::string_view>("patched"));
  CHECK(patched->FindString("/data/extra") == std::nullopt);

  Object desired = ConfigMap("applied", "a");
  PatchOptions apply;
  apply.field_manager = "kubeapi-test";
  apply.force = true;
  absl::StatusOr<Object> applied = client->Apply(kConfigMaps, desired, apply);
  REQUIRE(applied.ok());
  CHECK(applied->FindString("/data/value") == std::optional<std::string_view>("a"));
  REQUIRE(desired.SetString("/data/value", "b").ok());
  CHECK(client->Apply(kConfigMaps, desired, apply)->FindString("/data/value") ==
        std::optional<std::string_view>("b"));

  DeleteOptions wrong_uid;
  wrong_uid.precondition_uid = "not-the-uid";
  CHECK(IsConflict(client->Delete(kConfigMaps, "default", "one", wrong_uid)));
  DeleteOptions right;
  right.precondition_uid = std::string(created->uid());
  right.propagation_policy = PropagationPolicy::kBackground;
  REQUIRE(client->Delete(kConfigMaps, "default", "one", right).ok());
  CHECK(IsNotFound(client->Get(kConfigMaps, "default", "one").status()));
  CHECK(IsNotFound(client->Delete(kConfigMaps, "default", "one")));
}

TEST_CASE("sim: status and scale subresources of a Deployment", "[kubeapi][sim]") {
  Sim sim;
  std::unique_ptr<Client> client = sim.Connect("rennes");
  Object deployment("apps/v1", "Deployment");
  deployment.SetNamespace("default");
  deployment.SetName("web");
  REQUIRE(deployment.SetInt("/spec/replicas", 1).ok());
  REQUIRE(deployment.SetString("/spec/selector/matchLabels/app", "web").ok());
  REQUIRE(deployment.SetString("/spec/template/metadata/labels/app", "web").ok());
  rapidjson::Document containers;
  containers.Parse(R"([{"name":"web","image":"nginx:1.27","resources":{"requests":{"cpu":"100m","memory":"64Mi"}}}])");
  REQUIRE(deployment.SetValue("/spec/template/spec/containers", containers).ok());
  absl::StatusOr<Object> created = client->Create(kDeployments, deployment);
  REQUIRE(created.ok());

  absl::StatusOr<Object> scale = client->GetScale(kDeployments, "default", "web");
  REQUIRE(scale.ok());
  CHECK(scale->kind() == "Scale");
  CHECK(scale->FindInt("/spec/replicas") == std::optional<int64_t>(1));
  absl::StatusOr<Object> scaled = client->SetScale(kDeployments, "default", "web", 3);
  REQUIRE(scaled.ok());
  CHECK(scaled->FindInt("/spec/replicas") == std::optional<int64_t>(3));
  CHECK(client->Get(kDeployments, "default", "web")->FindInt("/spec/replicas") ==
        std::optional<int64_t>(3));

  // The status subresource changes status only, whatever else is sent.
  // The simulator's Deployment controller writes this status too, so the
  // update is retried on Conflict, as every client of a shared status does.
  absl::StatusOr<Object> status_written;
  for (int attempt = 0; attempt < 10; ++attempt) {
    absl::StatusOr<Object> current = client->Get(kDeployments, "default", "web");
    REQUIRE(current.ok());
    Object with_status = *current;
    REQUIRE(with_status.SetInt("/status/observedGeneration", 42).ok());
    REQUIRE(with_status.SetInt("/spec/replicas", 9).ok());
    status_written = client->UpdateStatus(kDeployments, with_status);
    if (!IsConflict(status_written.status())) break;
  }
  CAPTURE(status_written.status().ToString());
  REQUIRE(status_written.ok());
  CHECK(status_written->FindInt("/status/observedGeneration") == std::optional<int64_t>(42));
  CHECK(status_written->FindInt("/spec/replicas") == std::optional<int64_t>(3));
}

TEST_CASE("sim: discovery maps kinds to resources", "[kubeapi][sim]") {
  Sim sim;
  std::unique_ptr<Client> client = sim.Connect();
  absl::StatusOr<ApiResource> member = client->discovery().ForKind({"fogguru.eu", "v1", "MemberCluster"});
  REQUIRE(member.ok());
  CHECK(member->gvr.resource == "memberclusters");
  CHECK_FALSE(member->namespaced);
  absl::StatusOr<ApiResource> deployments = client->discovery().ForKind({"apps", "v1", "Deployment"});
  REQUIRE(deployments.ok());
  CHECK(deployments->namespaced);
  CHECK(client->discovery().ForKind({"apps", "v1", "Nope"}).status().code() ==
        absl::StatusCode::kNotFound);
}

TEST_CASE("sim: an informer follows changes across watches the server ends", "[kubeapi][sim]") {
  Sim sim;
  std::unique_ptr<Client> writer = sim.Connect();
  std::unique_ptr<Client> reader = sim.Connect();
  REQUIRE(writer->Create(kConfigMaps, ConfigMap("before", "0")).ok());
  InformerOptions options;
  options.namespace_name = "default";
  options.watch_timeout_seconds = 1;  // the server ends every watch after 1 s
  options.initial_backoff = absl::Milliseconds(10);
  Informer informer(*reader, kConfigMaps, options);
  absl::Mutex mu;
  std::vector<std::string> seen;
  EventHandler handler;
  handler.on_add = [&](const ObjectPtr& o) {
    absl::MutexLock lock(&mu);
    seen.push_back("add " + std::string(o->name()));
  };
  handler.on_update = [&](const ObjectPtr&, const ObjectPtr& o) {
    absl::MutexLock lock(&mu);
    seen.push_back("update " + std::string(o->name()) + "=" +
                   std::string(o->FindString("/data/value").value_or("")));
  };
  handler.on_delete = [&](const ObjectPtr& o) {
    absl::MutexLock lock(&mu);
    seen.push_back("delete " + std::string(o->name()));
  };
  informer.AddEventHandler(handler);
  informer.Start();
  REQUIRE(informer.WaitForSync(absl::Seconds(30)));
  auto wait_seen = [&](size_t n) {
    absl::MutexLock lock(&mu);
    auto caught_up = [&] { return seen.size() >= n; };
    return mu.AwaitWithTimeout(absl::Condition(&caught_up), absl::Seconds(30));
  };
  // Writes spread over several watches: the server ends each after a second.
  std::vector<std::string> expected = {"add before"};
  for (int i = 1; i <= 3; ++i) {
    const std::string name = absl::StrCat("cm", i);
    REQUIRE(writer->Create(kConfigMaps, ConfigMap(name, "1")).ok());
    expected.push_back("add " + name);
    Object patch;
    REQUIRE(patch.SetString("/data/value", "2").ok());
    REQUIRE(writer->MergePatch(kConfigMaps, "default", name, patch).ok());
    expected.push_back("update " + name + "=2");
    REQUIRE(wait_seen(expected.size()));
    const int64_t watches = informer.watches();
    const absl::Time deadline = absl::Now() + absl::Seconds(30);
    while (informer.watches() == watches && absl::Now() < deadline) {
      absl::SleepFor(absl::Milliseconds(20));  // polling for the next watch
    }
  }
  REQUIRE(writer->Delete(kConfigMaps, "default", "cm1").ok());
  expected.push_back("delete cm1");
  REQUIRE(wait_seen(expected.size()));
  {
    absl::MutexLock lock(&mu);
    CHECK(seen == expected);  // nothing lost, nothing repeated
  }
  CHECK(informer.watches() >= 4);
  CHECK(informer.lists() == 1);
  informer.Stop();
  CHECK(informer.store().size() == 3);
}

TEST_CASE("sim: a watch from a compacted resourceVersion is Gone", "[kubeapi][sim]") {
  Sim sim({"--watch-history", "5"});
  std::unique_ptr<Client> client = sim.Connect();
  absl::StatusOr<ObjectList> start = client->List(kConfigMaps, "default");
  REQUIRE(start.ok());
  for (int i = 0; i < 20; ++i) {
    REQUIRE(client->Create(kConfigMaps, ConfigMap(absl::StrCat("c", i), "x")).ok());
  }
  WatchOptions options;
  options.resource_version = start->resource_version;
  absl::Status gone;
  absl::Status status = client->Watch(kConfigMaps, "default", options, [&](WatchEvent event) {
    if (event.type == WatchEventType::kError) gone = event.error;
    return event.type != WatchEventType::kError;
  });
  if (gone.ok()) gone = status;  // a 410 answer instead of an ERROR event
  CHECK(IsGone(gone));

  // An informer that meets it relists and converges.
  InformerOptions informer_options;
  informer_options.namespace_name = "default";
  Informer informer(*client, kConfigMaps, informer_options);
  informer.Start();
  REQUIRE(informer.WaitForSync(absl::Seconds(30)));
  CHECK(informer.store().size() == 20);
  informer.Stop();
}

// Runs the leader-election helper; stdout is read by the test.
Process Candidate(const Sim& sim, const std::string& identity) {
  return Process::Start({BinaryPath("kubeapi-leader-helper"), sim.kubeconfig(), "management",
                         identity, "handover", "3000", "2000", "250"});
}

bool SaysLine(Process& p, const std::string& line, absl::Duration timeout) {
  return p.WaitForStdoutLine([&](std::string_view l) { return l == line; }, timeout).has_value();
}

TEST_CASE("sim: leader election hands over when the leader is killed", "[kubeapi][sim][leader]") {
  Sim sim;
  Process a = Candidate(sim, "alpha");
  REQUIRE(SaysLine(a, "leading alpha", absl::Seconds(30)));
  Process b = Candidate(sim, "beta");
  REQUIRE(SaysLine(b, "observed alpha", absl::Seconds(30)));
  CHECK_FALSE(SaysLine(b, "leading beta", absl::Seconds(1)));  // alpha keeps renewing

  const absl::Time killed = absl::Now();
  a.Signal(SIGKILL);
  REQUIRE(SaysLine(b, "leading beta", absl::Seconds(30)));
  const absl::Duration handover = absl::Now() - killed;
  INFO("hand-over took " << absl::FormatDuration(handover));
  // One lease duration (3 s) from beta's last sight of alpha's renewal,
  // which is at most one retry period (0.25 s) old, plus one retry period.
  CHECK(handover <= absl::Milliseconds(3000 + 2 * 250 + 500));

  std::unique_ptr<Client> client = sim.Connect();
  absl::StatusOr<Object> lease = client->Get(kLeases, "default", "handover");
  REQUIRE(lease.ok());
  LeaseRecord record = LeaseRecordFromObject(*lease);
  CHECK(record.holder_identity == "beta");
  CHECK(record.lease_transitions == 1);

  // A graceful stop releases the lease at once.
  b.Signal(SIGTERM);
  REQUIRE(SaysLine(b, "stopped beta", absl::Seconds(30)));
  CHECK(b.Wait(absl::Seconds(30)) == std::optional<int>(0));
  record = LeaseRecordFromObject(*client->Get(kLeases, "default", "handover"));
  CHECK(record.holder_identity.empty());
  Process c = Candidate(sim, "gamma");
  const absl::Time started = absl::Now();
  REQUIRE(SaysLine(c, "leading gamma", absl::Seconds(30)));
  CHECK(absl::Now() - started < absl::Seconds(3));  // no lease duration to wait out
}

TEST_CASE("sim: leader election in-process, metrics and lost lease", "[kubeapi][sim][leader]") {
  Sim sim;
  runtime::Registry registry;
  std::unique_ptr<Client> client = sim.Connect("management", &registry);
  LeaderElectionOptions options;
  options.lease_namespace = "default";
  options.lease_name = "inproc";
  options.identity = "one";
  options.lease_duration = absl::Seconds(2);
  options.renew_deadline = absl::Milliseconds(1500);
  options.retry_period = absl::Milliseconds(100);
  options.metrics = &registry;
  absl::Notification started;
  absl::Notification stopped;
  options.on_started_leading = [&] { started.Notify(); };
  options.on_stopped_leading = [&] { stopped.Notify(); };
  absl::StatusOr<std::unique_ptr<LeaderElector>> elector = LeaderElector::Create(*client, options);
  REQUIRE(elector.ok());
  std::thread run([&] { (*elector)->Run(); });
  REQUIRE(started.WaitForNotificationWithTimeout(absl::Seconds(30)));
  CHECK((*elector)->IsLeader());
  CHECK(registry.Render().find("leader_election_master_status{name=\"inproc\"} 1") !=
        std::string::npos);
  // Someone else takes the lease by force: the elector notices and stops.
  Object lease = *client->Get(kLeases, "default", "inproc");
  LeaseRecord stolen = LeaseRecordFromObject(lease);
  stolen.holder_identity = "thief";
  stolen.lease_duration_seconds = 60;
  stolen.renew_time = absl::Now();
  SetLeaseRecord(stolen, &lease);
  REQUIRE(client->Update(kLeases, lease).ok());
  REQUIRE(stopped.WaitForNotificationWithTimeout(absl::Seconds(30)));
  run.join();
  CHECK_FALSE((*elector)->IsLeader());
  CHECK((*elector)->Leader() == "thief");
  CHECK(registry.Render().find("leader_election_master_status{name=\"inproc\"} 0") !=
        std::string::npos);

  options.identity = "";
  CHECK(LeaderElector::Create(*client, options).status().code() ==
        absl::StatusCode::kInvalidArgument);
}

TEST_CASE("sim: repeated events are aggregated by count", "[kubeapi][sim]") {
  Sim sim;
  std::unique_ptr<Client> client = sim.Connect();
  absl::StatusOr<Object> cm = client->Create(kConfigMaps, ConfigMap("evented", "x"));
  REQUIRE(cm.ok());
  EventRecorder recorder(*client, "kubeapi-test", {.host = "host-1"});
  REQUIRE(recorder.Warning(*cm, "PlacementFailed", "no cluster fits").ok());
  REQUIRE(recorder.Warning(*cm, "PlacementFailed", "no cluster fits").ok());
  REQUIRE(recorder.Warning(*cm, "PlacementFailed", "no cluster fits").ok());
  REQUIRE(recorder.Normal(*cm, "Placed", "placed on rennes").ok());
  absl::StatusOr<ObjectList> events = client->List(kEvents, "default");
  REQUIRE(events.ok());
  REQUIRE(events->items.size() == 2);
  for (const Object& event : events->items) {
    CHECK(event.FindString("/involvedObject/uid") == std::optional<std::string_view>(cm->uid()));
    CHECK(event.FindString("/source/component") == std::optional<std::string_view>("kubeapi-test"));
    if (event.FindString("/reason") == std::optional<std::string_view>("PlacementFailed")) {
      CHECK(event.FindInt("/count") == std::optional<int64_t>(3));
      CHECK(event.FindString("/type") == std::optional<std::string_view>("Warning"));
    } else {
      CHECK(event.FindInt("/count") == std::optional<int64_t>(1));
      CHECK(event.FindString("/type") == std::optional<std::string_view>("Normal"));
    }
  }
}

TEST_CASE("sim: the fleet registry builds clients from MemberClusters and Secrets",
          "[kubeapi][sim][fleet]") {
  Sim sim;
  std::unique_ptr<Client> management = sim.Connect();
  absl::Mutex mu;
  std::vector<std::string> changes;
  FleetOptions options;
  options.secrets_namespace = "mck8s-system";
  options.on_change = [&](const std::string& cluster, std::shared_ptr<Client> client) {
    absl::MutexLock lock(&mu);
    changes.push_back((client ? "set " : "removed ") + cluster);
  };
  FleetRegistry fleet(*management, options);
  fleet.Start();
  REQUIRE(fleet.WaitForSync(absl::Seconds(30)));
  auto wait_for = [&](size_t n) {
    absl::MutexLock lock(&mu);
    auto enough = [&] { return changes.size() >= n; };
    return mu.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(30));
  };
  REQUIRE(wait_for(6));
  CHECK(fleet.Names() == std::vector<std::string>{"grenoble", "lille", "luxembourg", "nancy",
                                                  "nantes", "rennes"});
  std::shared_ptr<Client> rennes = fleet.Get("rennes");
  REQUIRE(rennes != nullptr);
  absl::StatusOr<ObjectList> nodes = rennes->List({"", "v1", "nodes"}, "");
  REQUIRE(nodes.ok());
  CHECK(nodes->items.size() == 6);  // a control plane and five workers
  CHECK(fleet.Get("nowhere") == nullptr);

  // A Secret whose kubeconfig is replaced by junk: the client goes, with a reason.
  const GroupVersionResource secrets{"", "v1", "secrets"};
  absl::StatusOr<Object> secret = management->Get(secrets, "mck8s-system", "lille-kubeconfig");
  REQUIRE(secret.ok());
  Object broken = *secret;
  REQUIRE(broken.SetString("/data/value", "bm90IHlhbWw6IFs=").ok());  // "not yaml: ["
  REQUIRE(management->Update(secrets, broken).ok());
  REQUIRE(wait_for(7));
  CHECK(fleet.Get("lille") == nullptr);
  CHECK(fleet.Errors().count("lille") == 1);

  // Restored: a new client.
  Object restored = *management->Get(secrets, "mck8s-system", "lille-kubeconfig");
  REQUIRE(restored.SetValue("/data/value", *secret->Get("/data/value")).ok());
  REQUIRE(management->Update(secrets, restored).ok());
  REQUIRE(wait_for(8));
  CHECK(fleet.Get("lille") != nullptr);
  CHECK(fleet.Errors().empty());

  // The MemberCluster goes: so does its client.
  REQUIRE(management->Delete({"fogguru.eu", "v1", "memberclusters"}, "", "nancy").ok());
  REQUIRE(wait_for(9));
  CHECK(fleet.Get("nancy") == nullptr);
  {
    absl::MutexLock lock(&mu);
    CHECK(changes.back() == "removed nancy");
  }
  fleet.Stop();
}

}  // namespace
}  // namespace mck8s::kubeapi
