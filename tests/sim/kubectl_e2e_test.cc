// End to end: the real mck8s-sim binary and real kubectl 1.32 with its
// default (server-side, strict) validation, as the simulator's acceptance
// asks. Each test starts its own simulator on a free port and gives kubectl
// a fresh discovery cache.

#include <csignal>
#include <optional>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "process.h"

namespace mck8s::sim {
namespace {

using ::mck8s::testing::BinaryPath;
using ::mck8s::testing::CommandResult;
using ::mck8s::testing::FindTool;
using ::mck8s::testing::Process;
using ::mck8s::testing::RunCommand;
using ::mck8s::testing::SourcePath;
using ::mck8s::testing::TempDir;
using ::mck8s::testing::WriteFile;

constexpr absl::Duration kDeadline = absl::Seconds(30);

std::vector<std::string> SimulatorArgv(const std::string& kubeconfig,
                                       const std::vector<std::string>& extra) {
  std::vector<std::string> argv = {BinaryPath("mck8s-sim"), "--testbed",
                                   SourcePath("sim/testbeds/fogguru.yaml"), "--listen",
                                   "127.0.0.1:0", "--kubeconfig-out", kubeconfig, "--crds",
                                   SourcePath("deploy/helm/mck8s/crds"), "--log-level", "warn"};
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

class Simulator {
 public:
  explicit Simulator(const std::vector<std::string>& extra_flags = {})
      : kubeconfig_(dir_.File("kubeconfig")),
        process_(Process::Start(SimulatorArgv(kubeconfig_, extra_flags))) {
    std::optional<std::string> line = process_.WaitForStdoutLine(
        [](std::string_view l) { return l.find("listening on 127.0.0.1:") == 0; }, kDeadline);
    INFO(process_.Stderr());
    REQUIRE(line.has_value());
    address_ = line->substr(std::string("listening on ").size());
    kubectl_ = FindTool("kubectl", "KUBECTL");
    REQUIRE_FALSE(kubectl_.empty());
  }

  ~Simulator() { Terminate(); }

  // Asks the simulator to stop (SIGTERM); its exit code, or nullopt if it
  // did not stop within the deadline.
  std::optional<int> Terminate() {
    if (!exit_code_.has_value()) {
      process_.Signal(SIGTERM);
      exit_code_ = process_.Wait(absl::Seconds(10));
    }
    return *exit_code_;
  }

  std::vector<std::string> Argv(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {kubectl_, "--kubeconfig", kubeconfig_, "--cache-dir",
                                     dir_.File("cache"), "--request-timeout", "20s"};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  // Runs kubectl to completion.
  CommandResult Kubectl(const std::vector<std::string>& args, const std::string& stdin_text = "") {
    CommandResult r = RunCommand(Argv(args), stdin_text, {}, absl::Seconds(60));
    UNSCOPED_INFO("kubectl " << absl::StrJoin(args, " ") << " -> " << r.exit_code << "\n"
                             << r.out << r.err);
    return r;
  }
  // Runs kubectl and requires success; returns its stdout.
  std::string Ok(const std::vector<std::string>& args, const std::string& stdin_text = "") {
    CommandResult r = Kubectl(args, stdin_text);
    REQUIRE(r.exit_code == 0);
    return r.out;
  }
  // Starts a long-running kubectl (watch, waiting delete).
  Process Start(const std::vector<std::string>& args) { return Process::Start(Argv(args)); }

  const std::string& Kubeconfig() const { return kubeconfig_; }
  // host:port of the simulator.
  const std::string& Address() const { return address_; }

  // A path in the test's temporary directory.
  std::string Path(const std::string& name) const { return dir_.File(name); }

  std::string File(const std::string& name, const std::string& content) {
    std::string path = dir_.File(name);
    WriteFile(path, content);
    return path;
  }

 private:
  TempDir dir_;
  std::string kubeconfig_;
  Process process_;
  std::string kubectl_;
  std::string address_;
  std::optional<std::optional<int>> exit_code_;
};

constexpr char kApp[] = R"(apiVersion: v1
kind: Namespace
metadata:
  name: demo
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: demo
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
        ports: [{containerPort: 80}]
        env: [{name: MODE, value: one}]
        resources:
          requests: {cpu: 100m, memory: 64Mi}
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: demo
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 80}
)";

TEST_CASE("kubectl version and api-resources", "[sim][e2e]") {
  Simulator sim;
  std::string version = sim.Ok({"version"});
  CHECK_THAT(version, Catch::Contains("Server Version: v1.32.0"));
  std::string resources = sim.Ok({"api-resources"});
  for (const char* line : {"deployments", "customresourcedefinitions", "leases", "jobs",
                           "multiclusterdeployments", "memberclusters"}) {
    CHECK_THAT(resources, Catch::Contains(line));
  }
  std::string contexts = sim.Ok({"config", "get-contexts", "-o", "name"});
  CHECK(contexts == "grenoble\nlille\nluxembourg\nmanagement\nnancy\nnantes\nrennes\n");
  std::string nodes = sim.Ok({"--context", "nancy", "get", "nodes", "-o", "name"});
  CHECK(nodes ==
        "node/nancy-control-plane\nnode/nancy-worker-1\nnode/nancy-worker-2\nnode/nancy-worker-3\n");
  std::string members = sim.Ok({"get", "memberclusters", "-o", "name"});
  CHECK_THAT(members, Catch::Contains("membercluster.fogguru.eu/luxembourg"));
}

TEST_CASE("kubectl apply, client-side then server-side, and get -o yaml", "[sim][e2e]") {
  Simulator sim;
  std::string app = sim.File("app.yaml", kApp);
  std::string first = sim.Ok({"apply", "-f", app});
  CHECK_THAT(first, Catch::Contains("namespace/demo created"));
  CHECK_THAT(first, Catch::Contains("deployment.apps/web created"));
  CHECK_THAT(first, Catch::Contains("service/web created"));
  CHECK_THAT(sim.Ok({"apply", "-f", app}), Catch::Contains("deployment.apps/web unchanged"));

  // A changed manifest is a strategic merge patch.
  std::string changed = kApp;
  absl::StrReplaceAll({{"replicas: 2", "replicas: 3"}, {"value: one", "value: two"}}, &changed);
  std::string changed_path = sim.File("app2.yaml", changed);
  CHECK_THAT(sim.Ok({"apply", "-f", changed_path}),
             Catch::Contains("deployment.apps/web configured"));
  std::string yaml = sim.Ok({"-n", "demo", "get", "deployment", "web", "-o", "yaml"});
  CHECK_THAT(yaml, Catch::Contains("replicas: 3"));
  CHECK_THAT(yaml, Catch::Contains("value: two"));
  CHECK_THAT(yaml, Catch::Contains("generation: 2"));
  CHECK_THAT(yaml, Catch::Contains("kubectl.kubernetes.io/last-applied-configuration"));

  std::string server_side = sim.Ok({"apply", "--server-side", "-f", app});
  CHECK_THAT(server_side, Catch::Contains("deployment.apps/web serverside-applied"));
  CHECK(sim.Ok({"-n", "demo", "get", "deployment", "web", "-o",
                "jsonpath={.spec.replicas}"}) == "2");
  CHECK(sim.Ok({"-n", "demo", "get", "service", "web", "-o", "jsonpath={.spec.ports[0].port}"}) ==
        "80");

  // An unknown field is refused by the server, naming the field.
  std::string typo = kApp;
  absl::StrReplaceAll({{"replicas: 2", "replicas: 2\n  replica: 2"}}, &typo);
  CommandResult refused = sim.Kubectl({"apply", "-f", sim.File("typo.yaml", typo)});
  CHECK(refused.exit_code != 0);
  CHECK_THAT(refused.err, Catch::Contains("unknown field \"spec.replica\""));
}

std::vector<std::string> Examples() {
  return {"-f", SourcePath("examples")};
}

TEST_CASE("kubectl applies the CRDs and every example, both ways", "[sim][e2e]") {
  Simulator sim;
  sim.Ok({"apply", "-f", SourcePath("deploy/helm/mck8s/crds")});
  std::vector<std::string> apply = {"apply"};
  std::vector<std::string> examples = Examples();
  apply.insert(apply.end(), examples.begin(), examples.end());
  std::string client_side = sim.Ok(apply);
  CHECK_THAT(client_side, Catch::Contains("multiclusterdeployment.fogguru.eu/hello created"));
  std::vector<std::string> server_side = {"apply", "--server-side", "--force-conflicts"};
  server_side.insert(server_side.end(), examples.begin(), examples.end());
  CHECK_THAT(sim.Ok(server_side),
             Catch::Contains("multiclusterdeployment.fogguru.eu/hello serverside-applied"));
  CHECK(sim.Ok({"get", "mcd", "hello", "-o", "jsonpath={.spec.numberOfLocations}"}) == "2");
  CHECK_THAT(sim.Ok({"get", "mcd", "-o", "name"}),
             Catch::Contains("multiclusterdeployment.fogguru.eu/hello"));
}

TEST_CASE("kubectl explain, scale and an invalid MultiClusterDeployment", "[sim][e2e]") {
  Simulator sim;
  std::string explain = sim.Ok({"explain", "mcd.spec"});
  CHECK_THAT(explain, Catch::Contains("KIND:       MultiClusterDeployment"));
  CHECK_THAT(explain, Catch::Contains("numberOfLocations"));

  sim.Ok({"apply", "-f", SourcePath("examples/mcd-hello.yaml")});
  CHECK_THAT(sim.Ok({"scale", "mcd", "hello", "--replicas=5"}), Catch::Contains("scaled"));
  CHECK(sim.Ok({"get", "mcd", "hello", "-o", "jsonpath={.spec.replicas}"}) == "5");

  std::string invalid = sim.File("bad.yaml", R"(apiVersion: fogguru.eu/v1
kind: MultiClusterDeployment
metadata:
  name: bad
spec:
  numberOfLocations: 0
  replicas: 1
  selector:
    matchLabels: {app: bad}
  template:
    metadata:
      labels: {app: bad}
    spec:
      containers:
      - name: bad
        image: nginx:1.27
)");
  CommandResult refused = sim.Kubectl({"apply", "-f", invalid});
  CHECK(refused.exit_code != 0);
  CHECK_THAT(refused.err, Catch::Contains("spec.numberOfLocations"));
  CHECK_THAT(refused.err, Catch::Contains("should be greater than or equal to 1"));
  CHECK(sim.Kubectl({"get", "mcd", "bad"}).exit_code != 0);
}

TEST_CASE("kubectl get -w sees ADDED then MODIFIED", "[sim][e2e]") {
  Simulator sim;
  sim.Ok({"apply", "-f", SourcePath("deploy/helm/mck8s/crds")});
  sim.Ok({"apply", "-f", SourcePath("examples/mcd-hello.yaml")});
  Process watch = sim.Start({"get", "mcd", "-w", "--output-watch-events"});
  std::optional<std::string> added = watch.WaitForStdoutLine(
      [](std::string_view l) { return l.find("ADDED") == 0 && l.find("hello") != l.npos; },
      kDeadline);
  INFO(watch.Stdout() << watch.Stderr());
  REQUIRE(added.has_value());
  sim.Ok({"scale", "mcd", "hello", "--replicas=4"});
  std::optional<std::string> modified = watch.WaitForStdoutLine(
      [](std::string_view l) {
        return l.find("MODIFIED") == 0 && l.find("hello") != l.npos;
      },
      kDeadline);
  REQUIRE(modified.has_value());

  // The simulator stops promptly on SIGTERM, open watch or not.
  std::optional<int> code = sim.Terminate();
  REQUIRE(code.has_value());
  CHECK(*code == 0);
}

TEST_CASE("kubectl delete waits for finalizers", "[sim][e2e]") {
  Simulator sim;
  std::string config = sim.File("cm.yaml", R"(apiVersion: v1
kind: ConfigMap
metadata:
  name: held
  finalizers: [example.com/hold]
data: {a: "1"}
)");
  sim.Ok({"apply", "-f", config});
  Process deleting = sim.Start({"delete", "configmap", "held", "--timeout=60s"});
  // kubectl reports the deletion as accepted, then waits for the object to go.
  std::optional<std::string> accepted = deleting.WaitForStdoutLine(
      [](std::string_view l) { return l.find("\"held\" deleted") != l.npos; }, kDeadline);
  INFO(deleting.Stdout() << deleting.Stderr());
  REQUIRE(accepted.has_value());
  std::string marked =
      sim.Ok({"get", "configmap", "held", "-o", "jsonpath={.metadata.deletionTimestamp}"});
  CHECK_FALSE(marked.empty());
  CHECK_FALSE(deleting.Wait(absl::ZeroDuration()).has_value());  // still waiting
  sim.Ok({"patch", "configmap", "held", "--type", "json", "-p",
          R"([{"op":"remove","path":"/metadata/finalizers"}])"});
  std::optional<int> code = deleting.Wait(kDeadline);
  REQUIRE(code.has_value());
  CHECK(*code == 0);
  CHECK(sim.Kubectl({"get", "configmap", "held"}).exit_code != 0);
}

TEST_CASE("HTTPS with a generated CA and a bearer token", "[sim][e2e]") {
  Simulator sim({"--tls", "--token", "t0ken"});
  std::string nodes = sim.Ok({"--context", "rennes", "get", "nodes", "-o", "name"});
  CHECK_THAT(nodes, Catch::Contains("node/rennes-worker-5"));
  std::string kubeconfig = sim.Ok({"config", "view", "--raw", "-o",
                                   "jsonpath={.clusters[0].cluster.server}"});
  CHECK_THAT(kubeconfig, Catch::StartsWith("https://127.0.0.1:"));
  // The member kubeconfig Secrets embed the CA and the token.
  std::string secret = sim.Ok({"-n", "mck8s-system", "get", "secret", "lille-kubeconfig", "-o",
                               "jsonpath={.data.value}"});
  std::string decoded;
  REQUIRE(absl::Base64Unescape(secret, &decoded));
  CHECK_THAT(decoded, Catch::Contains("certificate-authority-data: "));
  CHECK_THAT(decoded, Catch::Contains("token: \"t0ken\""));
  // Without the token: 401.
  CommandResult anonymous = sim.Kubectl({"--token", "wrong", "get", "nodes"});
  CHECK(anonymous.exit_code != 0);
  CHECK_THAT(anonymous.err, Catch::Contains("Unauthorized"));
}

TEST_CASE("helm template of the mck8s chart piped into kubectl apply", "[sim][e2e]") {
  Simulator sim;
  std::string helm = FindTool("helm", "HELM");
  REQUIRE_FALSE(helm.empty());
  CommandResult rendered = RunCommand({helm, "template", "mck8s", SourcePath("deploy/helm/mck8s"),
                                       "--namespace", "mck8s-system"});
  INFO(rendered.err);
  REQUIRE(rendered.exit_code == 0);
  std::string applied = sim.Ok({"apply", "-n", "mck8s-system", "-f", "-"}, rendered.out);
  CHECK_THAT(applied, Catch::Contains("deployment.apps/mck8s-scheduler created"));
  CHECK_THAT(applied, Catch::Contains("clusterrolebinding.rbac.authorization.k8s.io/"));
  std::string again = sim.Ok({"apply", "-n", "mck8s-system", "-f", "-"}, rendered.out);
  CHECK_THAT(again, !Catch::Contains("configured"));
  CHECK_THAT(again, !Catch::Contains("created"));
}

TEST_CASE("helm template of a small chart piped into kubectl apply", "[sim][e2e]") {
  Simulator sim;
  std::string helm = FindTool("helm", "HELM");
  REQUIRE_FALSE(helm.empty());
  CommandResult rendered =
      RunCommand({helm, "template", "demo", SourcePath("tests/sim/testdata/demo-chart"),
                  "--namespace", "sim-helm", "--set", "replicas=3"});
  INFO(rendered.err);
  REQUIRE(rendered.exit_code == 0);
  std::string applied = sim.Ok({"--context", "lille", "apply", "-f", "-"}, rendered.out);
  CHECK_THAT(applied, Catch::Contains("namespace/sim-helm created"));
  CHECK_THAT(applied, Catch::Contains("configmap/demo-config created"));
  CHECK_THAT(applied, Catch::Contains("service/demo created"));
  CHECK_THAT(applied, Catch::Contains("deployment.apps/demo created"));
  // The objects are there, and the Deployment becomes Available.
  sim.Ok({"--context", "lille", "wait", "-n", "sim-helm", "--for=condition=Available",
          "deployment/demo", "--timeout=30s"});
  std::string names =
      sim.Ok({"--context", "lille", "get", "-n", "sim-helm", "configmap/demo-config",
              "service/demo", "deployment/demo", "-o", "name"});
  CHECK(names == "configmap/demo-config\nservice/demo\ndeployment.apps/demo\n");
  CHECK(sim.Ok({"--context", "lille", "get", "-n", "sim-helm", "configmap", "demo-config", "-o",
                "jsonpath={.data.greeting}"}) == "hello");
  CHECK(sim.Ok({"--context", "lille", "get", "-n", "sim-helm", "deployment", "demo", "-o",
                "jsonpath={.status.readyReplicas}"}) == "3");
  // Applying the same rendering again changes nothing.
  std::string again = sim.Ok({"--context", "lille", "apply", "-f", "-"}, rendered.out);
  CHECK_THAT(again, !Catch::Contains("configured"));
  CHECK_THAT(again, !Catch::Contains("created"));
}

TEST_CASE("kubectl's imperative commands send protobuf", "[sim][e2e]") {
  Simulator sim;
  auto ctx = [](std::vector<std::string> args) {
    args.insert(args.begin(), {"--context", "rennes"});
    return args;
  };
  CHECK_THAT(sim.Ok(ctx({"create", "namespace", "imperative"})),
             Catch::Contains("namespace/imperative created"));
  sim.Ok(ctx({"-n", "imperative", "create", "deployment", "web", "--image=nginx", "--replicas=2",
              "--port=80"}));
  sim.Ok(ctx({"-n", "imperative", "create", "configmap", "settings", "--from-literal=a=b"}));
  sim.Ok(ctx({"-n", "imperative", "create", "secret", "generic", "token", "--from-literal=x=y"}));
  sim.Ok(ctx({"-n", "imperative", "create", "serviceaccount", "robot"}));
  sim.Ok(ctx({"-n", "imperative", "run", "one", "--image=busybox", "--labels=role=one"}));
  sim.Ok(
      ctx({"-n", "imperative", "expose", "deployment", "web", "--port=8080", "--target-port=80"}));
  sim.Ok(ctx({"-n", "imperative", "wait", "--for=condition=Available", "deployment/web",
              "--timeout=30s"}));
  CHECK(sim.Ok(ctx({"-n", "imperative", "get", "deployment", "web", "-o",
                    "jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image} "
                    "{.spec.template.spec.containers[0].ports[0].containerPort}"})) ==
        "2 nginx 80");
  CHECK(sim.Ok(ctx({"-n", "imperative", "get", "configmap", "settings", "-o",
                    "jsonpath={.data.a}"})) == "b");
  CHECK(sim.Ok(ctx({"-n", "imperative", "get", "secret", "token", "-o", "jsonpath={.data.x}"})) ==
        "eQ==");
  CHECK(sim.Ok(ctx({"-n", "imperative", "get", "pod", "one", "-o",
                    "jsonpath={.metadata.labels.role}"})) == "one");
  CHECK(sim.Ok(ctx({"-n", "imperative", "get", "service", "web", "-o",
                    "jsonpath={.spec.ports[0].port}->{.spec.ports[0].targetPort} "
                    "{.spec.selector.app}"})) == "8080->80 web");
  // Typed deletes carry protobuf DeleteOptions.
  sim.Ok(ctx({"-n", "imperative", "delete", "deployment", "web"}));
  CHECK(sim.Kubectl(ctx({"-n", "imperative", "get", "deployment", "web"})).exit_code != 0);
}

TEST_CASE("helm install, upgrade and uninstall a small chart", "[sim][e2e]") {
  Simulator sim;
  std::string helm = FindTool("helm", "HELM");
  REQUIRE_FALSE(helm.empty());
  auto run = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {helm, "--kubeconfig", sim.Kubeconfig(), "--kube-context", "nantes",
                               "--namespace", "helm-demo"});
    CommandResult r = RunCommand(args, "",
                                 {{"HELM_CACHE_HOME", sim.Path("helm-cache")},
                                  {"HELM_CONFIG_HOME", sim.Path("helm-config")},
                                  {"HELM_DATA_HOME", sim.Path("helm-data")}});
    INFO(absl::StrJoin(args, " ") << " -> " << r.exit_code << "\n" << r.out << r.err);
    REQUIRE(r.exit_code == 0);
    return r.out;
  };
  const std::string chart = SourcePath("tests/sim/testdata/demo-chart");
  CHECK_THAT(
      run({"install", "demo", chart, "--create-namespace", "--set", "createNamespace=false"}),
      Catch::Contains("STATUS: deployed"));
  sim.Ok({"--context", "nantes", "-n", "helm-demo", "wait", "--for=condition=Available",
          "deployment/demo", "--timeout=30s"});
  CHECK_THAT(
      run({"upgrade", "demo", chart, "--set", "createNamespace=false", "--set", "replicas=3"}),
      Catch::Contains("REVISION: 2"));
  CHECK(sim.Ok({"--context", "nantes", "-n", "helm-demo", "get", "deployment", "demo", "-o",
                "jsonpath={.spec.replicas}"}) == "3");
  // The release history lives in Secrets helm wrote in protobuf.
  CHECK(sim.Ok({"--context", "nantes", "-n", "helm-demo", "get", "secrets", "-l", "owner=helm",
                "-o", "name"}) ==
        "secret/sh.helm.release.v1.demo.v1\nsecret/sh.helm.release.v1.demo.v2\n");
  CHECK_THAT(run({"list"}), Catch::Contains("deployed"));
  CHECK_THAT(run({"uninstall", "demo"}), Catch::Contains("release \"demo\" uninstalled"));
  CHECK(sim.Ok({"--context", "nantes", "-n", "helm-demo", "get", "all,secrets,configmaps", "-o",
                "name"}) == "");
}

TEST_CASE("kubectl top nodes and pods read metrics.k8s.io", "[sim][e2e]") {
  Simulator sim;
  // The shipped testbed offers nantes' default/web 1.5 cores.
  sim.Ok({"--context", "nantes", "apply", "-f", "-"}, R"(apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
        - name: web
          image: nginx
          resources: {requests: {cpu: 100m, memory: 64Mi}}
)");
  sim.Ok({"--context", "nantes", "wait", "--for=condition=Available", "deployment/web",
          "--timeout=30s"});
  std::string pods =
      sim.Ok({"--context", "nantes", "top", "pods", "-l", "app=web", "--no-headers"});
  std::vector<std::string> lines = absl::StrSplit(pods, '\n', absl::SkipEmpty());
  REQUIRE(lines.size() == 3);
  for (const std::string& l : lines) {
    std::vector<std::string> columns = absl::StrSplit(l, ' ', absl::SkipEmpty());
    REQUIRE(columns.size() == 3);
    CHECK(absl::StartsWith(columns[0], "web-"));
    CHECK(columns[1] == "500m");
    CHECK(columns[2] == "64Mi");
  }
  std::string nodes = sim.Ok({"--context", "nantes", "top", "nodes", "--no-headers"});
  std::vector<std::string> node_lines = absl::StrSplit(nodes, '\n', absl::SkipEmpty());
  CHECK(node_lines.size() == 6);
  // An idle node: the system figures (50m, 256Mi of 2 CPU / 4Gi).
  CHECK_THAT(nodes, Catch::Matches("(.|\n)*nantes-control-plane +50m +2% +256Mi +6%(.|\n)*"));
  std::string all = sim.Ok({"--context", "nantes", "top", "pods", "-A", "--no-headers"});
  CHECK(std::vector<std::string>(absl::StrSplit(all, '\n', absl::SkipEmpty())).size() == 3);
}

TEST_CASE("kubectl times out against an unreachable cluster", "[sim][e2e]") {
  Simulator sim;
  std::string curl = FindTool("curl", "CURL");
  REQUIRE_FALSE(curl.empty());
  auto control = [&](const std::string& method, const std::string& path, const std::string& body) {
    CommandResult r = RunCommand({curl, "-sS", "-X", method, "-H", "Content-Type: application/json",
                                  "-d", body, absl::StrCat("http://", sim.Address(), path)});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    return r.out;
  };
  CHECK_THAT(control("PUT", "/sim/v1/clusters/grenoble/reachability", R"({"reachable":false})"),
             Catch::Contains(R"("reachable":false)"));
  absl::Time start = absl::Now();
  CommandResult dead =
      RunCommand({FindTool("kubectl", "KUBECTL"), "--kubeconfig", sim.Kubeconfig(), "--context",
                  "grenoble", "--request-timeout", "2s", "get", "pods"});
  CHECK(dead.exit_code != 0);
  CHECK(absl::Now() - start >= absl::Seconds(2));
  CHECK_THAT(dead.err, Catch::Contains("Timeout") || Catch::Contains("timeout") ||
                           Catch::Contains("deadline exceeded"));
  // Other clusters answer meanwhile; reachable again, so does grenoble.
  sim.Ok({"--context", "lille", "get", "nodes"});
  control("PUT", "/sim/v1/clusters/grenoble/reachability", R"({"reachable":true})");
  sim.Ok({"--context", "grenoble", "get", "nodes"});
}

TEST_CASE("the Python kubernetes client lists, creates, patches and watches", "[sim][e2e]") {
  Simulator sim;
  std::string script = sim.File("client.py", R"(
import sys
from kubernetes import client, config, watch
config.load_kube_config(config_file=sys.argv[1], context="rennes")
core = client.CoreV1Api()
print("nodes", len(core.list_node().items))
core.create_namespaced_config_map("default", client.V1ConfigMap(
    metadata=client.V1ObjectMeta(name="py", labels={"made-by": "python"}), data={"a": "1"}))
core.patch_namespaced_config_map("py", "default", {"data": {"b": "2"}})
print("data", sorted(core.read_namespaced_config_map("py", "default").data.items()))
events = []
for event in watch.Watch().stream(core.list_namespaced_config_map, "default",
                                  label_selector="made-by=python", timeout_seconds=1):
    events.append(event["type"] + " " + event["object"].metadata.name)
print("watch", events)
apps = client.AppsV1Api()
apps.create_namespaced_deployment("default", {
    "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "py"},
    "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "py"}},
             "template": {"metadata": {"labels": {"app": "py"}},
                          "spec": {"containers": [{"name": "py", "image": "nginx"}]}}}})
try:
    core.read_namespaced_config_map("missing", "default")
except client.exceptions.ApiException as e:
    print("status", e.status)
)");
  CommandResult r = RunCommand({"/usr/bin/python3", script, sim.Kubeconfig()});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("nodes 6"));
  CHECK_THAT(r.out, Catch::Contains("data [('a', '1'), ('b', '2')]"));
  CHECK_THAT(r.out, Catch::Contains("watch ['ADDED py']"));
  CHECK_THAT(r.out, Catch::Contains("status 404"));
}

}  // namespace
}  // namespace mck8s::sim
