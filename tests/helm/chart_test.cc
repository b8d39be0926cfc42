// Specification of the Helm chart in deploy/helm/mck8s: it renders the chart
// with the real helm binary, under the default values and with every toggle
// flipped, and checks what a management cluster would receive: the five
// Deployments and their flags, least-privilege RBAC (table-driven, one row per
// service), ServiceMonitors, the Grafana dashboards and their PromQL, and the
// CRDs. helm is looked up in $MCK8S_HELM, then the project's .tools/bin, then
// PATH; promtool in $MCK8S_PROMTOOL, then /usr/bin, then PATH. A missing tool
// fails the suite: it is a peer test, not an optional one.

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <catch2/catch.hpp>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <yaml-cpp/yaml.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

extern char** environ;

namespace mck8s {
namespace {

constexpr char kNamespace[] = "mck8s-system";
constexpr char kDatasourceUid[] = "${datasource}";

// ----------------------------------------------------------------- processes

struct CommandResult {
  int exit_code = -1;  // 128+N when killed by signal N; -1 when it could not start
  std::string out;
  std::string err;
};

// Runs argv (argv[0] a path) to completion with the current environment and
// collects both output streams; poll() drains them together so that neither
// pipe can fill up and stall the child.
CommandResult RunCommand(const std::vector<std::string>& argv) {
  CommandResult result;
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    result.err = absl::StrCat("pipe: ", std::strerror(errno));
    return result;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int spawn_error = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  close(err[1]);
  if (spawn_error != 0) {
    close(out[0]);
    close(err[0]);
    result.err = absl::StrCat("cannot run ", argv[0], ": ", std::strerror(spawn_error));
    return result;
  }
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  std::string* sinks[2] = {&result.out, &result.err};
  int open_streams = 2;
  while (open_streams > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      char buffer[8192];
      const ssize_t n = read(fds[i].fd, buffer, sizeof(buffer));
      if (n > 0) {
        sinks[i]->append(buffer, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_streams;
      }
    }
  }
  for (const pollfd& f : fds) {
    if (f.fd >= 0) close(f.fd);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status)) result.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.exit_code = 128 + WTERMSIG(status);
  return result;
}

// A peer tool: $<env_override> if set, then `preferred` if executable, then
// PATH. Empty when none is found.
std::string FindTool(const std::string& name, const char* env_override,
                     const std::string& preferred) {
  if (const char* v = std::getenv(env_override); v != nullptr && *v != '\0') return v;
  if (!preferred.empty() && access(preferred.c_str(), X_OK) == 0) return preferred;
  if (const char* path = std::getenv("PATH")) {
    for (absl::string_view dir : absl::StrSplit(path, ':', absl::SkipEmpty())) {
      std::string candidate = absl::StrCat(std::string(dir), "/", name);
      if (access(candidate.c_str(), X_OK) == 0) return candidate;
    }
  }
  return "";
}

// A fresh temporary directory, removed with its contents on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "mck8s-helm-test-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// ----------------------------------------------------------------- helpers

std::string ChartDir() { return absl::StrCat(MCK8S_SOURCE_DIR, "/deploy/helm/mck8s"); }

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  REQUIRE(out.good());
}

// The helm binary; fails the test case when there is none.
std::string Helm() {
  std::string helm = FindTool("helm", "MCK8S_HELM", MCK8S_TOOLS_HELM);
  if (helm.empty()) {
    FAIL("helm not found (looked at $MCK8S_HELM, " MCK8S_TOOLS_HELM
         " and PATH): run scripts/setup.sh");
  }
  return helm;
}

std::string Promtool() {
  std::string promtool = FindTool("promtool", "MCK8S_PROMTOOL", "/usr/bin/promtool");
  if (promtool.empty()) {
    FAIL(
        "promtool not found (looked at $MCK8S_PROMTOOL, /usr/bin/promtool and PATH): "
        "run scripts/setup.sh");
  }
  return promtool;
}

struct RenderOptions {
  std::vector<std::string> set;  // --set arguments
  std::string release = "mck8s";
  bool include_crds = false;
};

std::vector<std::string> TemplateCommand(const RenderOptions& options) {
  std::vector<std::string> argv = {Helm(),     "template",    options.release,
                                   ChartDir(), "--namespace", kNamespace};
  for (const std::string& s : options.set) {
    argv.push_back("--set");
    argv.push_back(s);
  }
  if (options.include_crds) argv.push_back("--include-crds");
  return argv;
}

// `helm template` of the chart, parsed: one map per rendered object.
std::vector<YAML::Node> Render(const RenderOptions& options = {}) {
  CommandResult result = RunCommand(TemplateCommand(options));
  INFO("helm template --set " << absl::StrJoin(options.set, " --set ") << "\n" << result.err);
  REQUIRE(result.exit_code == 0);
  std::vector<YAML::Node> objects;
  for (const YAML::Node& doc : YAML::LoadAll(result.out)) {
    if (doc.IsMap()) objects.push_back(doc);
  }
  return objects;
}

std::string Scalar(const YAML::Node& node) {
  return node && node.IsScalar() ? node.as<std::string>() : "";
}

std::vector<std::string> Strings(const YAML::Node& node) {
  std::vector<std::string> out;
  if (node && node.IsSequence()) {
    for (const YAML::Node& item : node) out.push_back(Scalar(item));
  }
  return out;
}

std::vector<YAML::Node> OfKind(const std::vector<YAML::Node>& objects, const std::string& kind) {
  std::vector<YAML::Node> out;
  for (const YAML::Node& o : objects) {
    if (Scalar(o["kind"]) == kind) out.push_back(o);
  }
  return out;
}

std::optional<YAML::Node> Find(const std::vector<YAML::Node>& objects, const std::string& kind,
                               const std::string& name) {
  for (const YAML::Node& o : OfKind(objects, kind)) {
    if (Scalar(o["metadata"]["name"]) == name) return o;
  }
  return std::nullopt;
}

// The object of that kind and name; fails the test case when absent.
YAML::Node Get(const std::vector<YAML::Node>& objects, const std::string& kind,
               const std::string& name) {
  std::optional<YAML::Node> found = Find(objects, kind, name);
  INFO("looking for " << kind << " " << name);
  REQUIRE(found.has_value());
  return *found;
}

// Value of `--flag=value` in args, nullopt when the flag is absent.
std::optional<std::string> Flag(const std::vector<std::string>& args, const std::string& flag) {
  const std::string prefix = flag + "=";
  for (const std::string& a : args) {
    if (a.rfind(prefix, 0) == 0) return a.substr(prefix.size());
  }
  return std::nullopt;
}

bool HasFlagPrefix(const std::vector<std::string>& args, const std::string& prefix) {
  return std::any_of(args.begin(), args.end(),
                     [&](const std::string& a) { return a.rfind(prefix, 0) == 0; });
}

// ----------------------------------------------------------------- the services

struct Component {
  std::string name;          // resource suffix, app.kubernetes.io/component, binary suffix
  bool dials_cluster_state;  // gets --cluster-state-address
  bool dials_scheduler;      // gets --scheduler-address
  bool reads_fleet_secrets;  // default of <service>.readFleetSecrets
};

const std::vector<Component>& Components() {
  static const auto* components = new std::vector<Component>{
      {"scheduler", true, false, true},  {"metrics-gateway", false, false, true},
      {"mchpa", true, true, false},      {"descheduler", true, true, false},
      {"provisioner", true, true, true},
  };
  return *components;
}

std::string Name(const Component& c) { return absl::StrCat("mck8s-", c.name); }

std::string ServiceHost(const std::string& name) {
  return absl::StrCat(name, ".", kNamespace, ".svc.cluster.local");
}

YAML::Node Container(const YAML::Node& deployment) {
  return deployment["spec"]["template"]["spec"]["containers"][0];
}

// ----------------------------------------------------------------- RBAC tables

// One granted permission: API group, resource, verb, resource name ("" = any).
using Grant = std::tuple<std::string, std::string, std::string, std::string>;
using Grants = std::set<Grant>;

struct Rule {
  std::vector<std::string> groups;
  std::vector<std::string> resources;
  std::vector<std::string> verbs;
  std::vector<std::string> names;
};

Grants Expand(const std::vector<Rule>& rules) {
  Grants out;
  for (const Rule& r : rules) {
    std::vector<std::string> names = r.names.empty() ? std::vector<std::string>{""} : r.names;
    for (const auto& g : r.groups)
      for (const auto& res : r.resources)
        for (const auto& v : r.verbs)
          for (const auto& n : names) out.emplace(g, res, v, n);
  }
  return out;
}

Grants RenderedGrants(const YAML::Node& role) {
  std::vector<Rule> rules;
  for (const YAML::Node& r : role["rules"]) {
    rules.push_back({Strings(r["apiGroups"]), Strings(r["resources"]), Strings(r["verbs"]),
                     Strings(r["resourceNames"])});
  }
  return Expand(rules);
}

std::string Describe(const Grants& grants) {
  std::vector<std::string> lines;
  for (const auto& [group, resource, verb, name] : grants) {
    lines.push_back(absl::StrCat(group.empty() ? "core" : group, " ", resource, " ", verb,
                                 name.empty() ? "" : absl::StrCat(" (", name, ")")));
  }
  return absl::StrJoin(lines, "\n");
}

const std::vector<std::string> kRead = {"get", "list", "watch"};
const std::vector<std::string> kReadWrite = {"get", "list", "watch", "update", "patch"};
const std::vector<std::string> kStatus = {"get", "update", "patch"};
const std::vector<std::string> kAll = {"get",    "list",  "watch", "create",
                                       "update", "patch", "delete"};
const Rule kEventsCore = {{""}, {"events"}, {"create", "patch"}, {}};
const Rule kEventsV1 = {{"events.k8s.io"}, {"events"}, {"create", "patch"}, {}};

// What each service's ClusterRole must grant, exactly.
const std::map<std::string, Grants>& ExpectedClusterGrants() {
  static const auto* table = new std::map<std::string, Grants>{
      {"scheduler", Expand({
                        {{"fogguru.eu"},
                         {"multiclusterdeployments", "multiclusterservices", "multiclusterjobs"},
                         kReadWrite,
                         {}},
                        {{"fogguru.eu"},
                         {"multiclusterdeployments/status", "multiclusterservices/status",
                          "multiclusterjobs/status"},
                         kStatus,
                         {}},
                        {{"fogguru.eu"},
                         {"multiclusterdeployments/finalizers", "multiclusterservices/finalizers",
                          "multiclusterjobs/finalizers"},
                         {"update"},
                         {}},
                        {{"fogguru.eu"}, {"memberclusters"}, kRead, {}},
                        kEventsCore,
                        kEventsV1,
                    })},
      {"metrics-gateway", Expand({
                              {{"fogguru.eu"}, {"memberclusters"}, kRead, {}},
                              {{"fogguru.eu"}, {"memberclusters/status"}, kStatus, {}},
                          })},
      {"mchpa", Expand({
                    {{"fogguru.eu"}, {"multiclusterhorizontalpodautoscalers"}, kRead, {}},
                    {{"fogguru.eu"}, {"multiclusterhorizontalpodautoscalers/status"}, kStatus, {}},
                    {{"fogguru.eu"}, {"multiclusterdeployments"}, kRead, {}},
                    {{"fogguru.eu"}, {"multiclusterdeployments/scale"}, kStatus, {}},
                    kEventsCore,
                    kEventsV1,
                })},
      {"descheduler",
       Expand({
           {{"fogguru.eu"}, {"multiclusterdeployments"}, {"get", "list", "watch", "patch"}, {}},
           {{"fogguru.eu"}, {"memberclusters"}, kRead, {}},
           kEventsCore,
           kEventsV1,
       })},
      {"provisioner",
       Expand({
           {{"fogguru.eu"}, {"cloudprovisioners"}, kReadWrite, {}},
           {{"fogguru.eu"}, {"cloudprovisioners/status"}, kStatus, {}},
           {{"fogguru.eu"}, {"cloudprovisioners/finalizers"}, {"update"}, {}},
           {{"fogguru.eu"}, {"multiclusterdeployments", "multiclusterjobs"}, kRead, {}},
           {{"fogguru.eu"}, {"memberclusters"}, kAll, {}},
           {{"cluster.x-k8s.io"}, {"clusters", "machinedeployments"}, kAll, {}},
           {{"controlplane.cluster.x-k8s.io"}, {"kubeadmcontrolplanes"}, kAll, {}},
           {{"bootstrap.cluster.x-k8s.io"}, {"kubeadmconfigtemplates"}, kAll, {}},
           {{"infrastructure.cluster.x-k8s.io"},
            {"openstackclusters", "openstackmachinetemplates"},
            kAll,
            {}},
       })},
  };
  return *table;
}

Grants LeaseGrants(const std::string& lease) {
  return Expand({{{"coordination.k8s.io"}, {"leases"}, {"create"}, {}},
                 {{"coordination.k8s.io"}, {"leases"}, {"get", "update"}, {lease}}});
}

// What the Role in the release namespace must grant.
Grants ExpectedReleaseGrants(const Component& c, bool leases_here) {
  Grants grants = Expand({kEventsCore, kEventsV1});
  if (leases_here) grants.merge(LeaseGrants(Name(c)));
  if (c.name == "metrics-gateway") grants.merge(Expand({{{""}, {"configmaps"}, kRead, {}}}));
  return grants;
}

// What the Role in the fleet namespace must grant (empty: no Role).
Grants ExpectedFleetGrants(const Component& c, bool reads_secrets) {
  Grants grants;
  if (reads_secrets) grants.merge(Expand({{{""}, {"secrets"}, kRead, {}}}));
  if (c.name == "provisioner")
    grants.merge(Expand({{{""}, {"secrets"}, {"create", "delete"}, {}}}));
  return grants;
}

// The binding named `name` must bind `role_kind`/`name` to the service's
// ServiceAccount in the release namespace.
void CheckBinding(const std::vector<YAML::Node>& objects, const std::string& binding_kind,
                  const std::string& role_kind, const std::string& name,
                  const std::string& service_account) {
  std::optional<YAML::Node> binding = Find(objects, binding_kind, name);
  INFO(binding_kind << " " << name);
  REQUIRE(binding.has_value());
  CHECK(Scalar((*binding)["roleRef"]["kind"]) == role_kind);
  CHECK(Scalar((*binding)["roleRef"]["name"]) == name);
  REQUIRE((*binding)["subjects"].size() == 1);
  CHECK(Scalar((*binding)["subjects"][0]["kind"]) == "ServiceAccount");
  CHECK(Scalar((*binding)["subjects"][0]["name"]) == service_account);
  CHECK(Scalar((*binding)["subjects"][0]["namespace"]) == kNamespace);
}

// ----------------------------------------------------------------- dashboards

struct Dashboard {
  std::string file;  // dashboards/<file>
  std::string json;  // the ConfigMap's data, verbatim
};

std::vector<Dashboard> RenderedDashboards(const std::vector<YAML::Node>& objects) {
  std::vector<Dashboard> out;
  for (const YAML::Node& cm : OfKind(objects, "ConfigMap")) {
    if (Scalar(cm["metadata"]["labels"]["grafana_dashboard"]) != "1") continue;
    REQUIRE(cm["data"].size() == 1);
    for (const auto& entry : cm["data"]) {
      std::string key = entry.first.as<std::string>();
      REQUIRE(key.rfind("mck8s-", 0) == 0);
      out.push_back({key.substr(std::string("mck8s-").size()), entry.second.as<std::string>()});
    }
  }
  return out;
}

bool IsDatasourceRef(const rapidjson::Value& v) {
  return v.IsObject() && v.HasMember("type") && v["type"].IsString() &&
         std::string(v["type"].GetString()) == "prometheus" && v.HasMember("uid") &&
         v["uid"].IsString() && std::string(v["uid"].GetString()) == kDatasourceUid &&
         v.MemberCount() == 2;
}

std::string Text(const rapidjson::Value& v, const char* member) {
  return v.IsObject() && v.HasMember(member) && v[member].IsString() ? v[member].GetString() : "";
}

// Walks panels (rows included) and collects every query and every problem.
void WalkPanels(const rapidjson::Value& panels, std::set<int>* ids, std::vector<std::string>* exprs,
                std::vector<std::string>* problems) {
  for (const rapidjson::Value& panel : panels.GetArray()) {
    const std::string title = Text(panel, "title");
    if (!panel.HasMember("id") || !panel["id"].IsInt() ||
        !ids->insert(panel["id"].GetInt()).second) {
      problems->push_back(absl::StrCat("panel '", title, "': missing or duplicate id"));
    }
    if (!panel.HasMember("gridPos")) {
      problems->push_back(absl::StrCat("panel '", title, "': no gridPos"));
    }
    if (Text(panel, "type") == "row") {
      if (panel.HasMember("panels")) WalkPanels(panel["panels"], ids, exprs, problems);
      continue;
    }
    if (!panel.HasMember("datasource") || !IsDatasourceRef(panel["datasource"])) {
      problems->push_back(absl::StrCat("panel '", title, "': datasource is not ${datasource}"));
    }
    if (!panel.HasMember("targets") || !panel["targets"].IsArray() || panel["targets"].Empty()) {
      problems->push_back(absl::StrCat("panel '", title, "': no targets"));
      continue;
    }
    for (const rapidjson::Value& target : panel["targets"].GetArray()) {
      if (!target.HasMember("datasource") || !IsDatasourceRef(target["datasource"])) {
        problems->push_back(absl::StrCat("panel '", title, "' target ", Text(target, "refId"),
                                         ": datasource is not ${datasource}"));
      }
      const std::string expr = Text(target, "expr");
      if (expr.empty()) {
        problems->push_back(absl::StrCat("panel '", title, "': target without expr"));
      } else {
        exprs->push_back(expr);
      }
    }
  }
}

struct ParsedDashboard {
  std::string file;
  std::string uid;
  std::string title;
  std::vector<std::string> exprs;           // panel queries
  std::vector<std::string> variable_exprs;  // label_values(...) queries of variables
  std::set<std::string> variables;
};

// Parses one dashboard, checking the model's invariants on the way.
ParsedDashboard ParseDashboard(const Dashboard& d) {
  INFO("dashboard " << d.file);
  rapidjson::Document doc;
  doc.Parse(d.json.c_str(), d.json.size());
  INFO("JSON error at offset " << doc.GetErrorOffset() << ": "
                               << rapidjson::GetParseError_En(doc.GetParseError()));
  REQUIRE_FALSE(doc.HasParseError());
  REQUIRE(doc.IsObject());
  ParsedDashboard out;
  out.file = d.file;
  out.uid = Text(doc, "uid");
  out.title = Text(doc, "title");
  CHECK_FALSE(out.uid.empty());
  CHECK(out.uid.size() <= 40);
  CHECK_FALSE(out.title.empty());
  REQUIRE(doc.HasMember("schemaVersion"));
  CHECK(doc["schemaVersion"].IsInt());
  CHECK(doc["schemaVersion"].GetInt() == 39);
  CHECK(Text(doc, "refresh") == "30s");
  CHECK_FALSE(doc.HasMember("__inputs"));  // the Grafana sidecar does not resolve them

  REQUIRE(doc.HasMember("templating"));
  REQUIRE(doc["templating"]["list"].IsArray());
  bool has_datasource_variable = false;
  for (const rapidjson::Value& v : doc["templating"]["list"].GetArray()) {
    const std::string name = Text(v, "name");
    out.variables.insert(name);
    if (name == "datasource") {
      has_datasource_variable = Text(v, "type") == "datasource" && Text(v, "query") == "prometheus";
    } else if (Text(v, "type") == "query") {
      INFO("variable " << name);
      CHECK(IsDatasourceRef(v["datasource"]));
      const std::string definition = Text(v, "definition");
      static const std::regex kLabelValues(R"(^label_values\((.+),\s*[A-Za-z_][A-Za-z0-9_]*\)$)");
      std::smatch m;
      REQUIRE(std::regex_match(definition, m, kLabelValues));
      out.variable_exprs.push_back(m[1].str());
    }
  }
  CHECK(has_datasource_variable);

  REQUIRE(doc.HasMember("panels"));
  REQUIRE(doc["panels"].IsArray());
  std::set<int> ids;
  std::vector<std::string> problems;
  WalkPanels(doc["panels"], &ids, &out.exprs, &problems);
  INFO(absl::StrJoin(problems, "\n"));
  CHECK(problems.empty());
  CHECK(out.exprs.size() >= 5);
  return out;
}

std::vector<ParsedDashboard> ParsedDashboards() {
  std::vector<ParsedDashboard> out;
  for (const Dashboard& d : RenderedDashboards(Render())) out.push_back(ParseDashboard(d));
  return out;
}

// Grafana's variables replaced by values Prometheus accepts, so that the
// query can be checked as plain PromQL.
std::string Concrete(std::string expr) {
  static const std::regex kRateInterval(R"(\$__rate_interval|\$__interval|\$__range)");
  static const std::regex kVariable(R"(\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)");
  expr = std::regex_replace(expr, kRateInterval, "5m");
  return std::regex_replace(expr, kVariable, ".*");
}

// Metric names a query reads: identifiers followed by a selector, and any
// mck8s_ identifier; histogram series are reduced to their family.
std::set<std::string> MetricNames(const std::string& expr) {
  static const std::regex kSelector(R"(([A-Za-z_:][A-Za-z0-9_:]*)\{)");
  static const std::regex kOwn(R"(\bmck8s_[a-z0-9_]+)");
  static const std::regex kHistogramSeries(R"(_(bucket|sum|count)$)");
  std::set<std::string> names;
  for (const std::regex* re : {&kSelector, &kOwn}) {
    for (auto it = std::sregex_iterator(expr.begin(), expr.end(), *re);
         it != std::sregex_iterator(); ++it) {
      names.insert(std::regex_replace((*it)[1].matched ? (*it)[1].str() : (*it)[0].str(),
                                      kHistogramSeries, ""));
    }
  }
  return names;
}

// ================================================================= tests

TEST_CASE("helm lint passes without warnings", "[helm]") {
  const std::vector<std::vector<std::string>> value_sets = {
      {},
      {"leaderElection.enabled=false", "metrics.serviceMonitor.enabled=true", "tls.enabled=true",
       "tls.secretName=mck8s-tls", "tls.mutual=true", "grafana.dashboards.enabled=false"},
      {"scheduler.replicas=2", "metricsGateway.replicas=2", "fleetNamespace=fleet",
       "watchNamespace=apps", "grafana.dashboards.folder=mck8s"},
  };
  for (const auto& sets : value_sets) {
    std::vector<std::string> argv = {Helm(), "lint", "--strict", ChartDir()};
    for (const std::string& s : sets) {
      argv.push_back("--set");
      argv.push_back(s);
    }
    CommandResult result = RunCommand(argv);
    INFO("helm lint --set " << absl::StrJoin(sets, " --set ") << "\n" << result.out << result.err);
    CHECK(result.exit_code == 0);
    CHECK(result.out.find("[WARNING]") == std::string::npos);
    CHECK(result.out.find("[ERROR]") == std::string::npos);
  }
}

TEST_CASE("default values render five Deployments with their flags and probes", "[helm]") {
  const std::vector<YAML::Node> objects = Render();
  CHECK(OfKind(objects, "Deployment").size() == 5);
  CHECK(OfKind(objects, "Service").size() == 5);
  CHECK(OfKind(objects, "ServiceAccount").size() == 5);
  CHECK(OfKind(objects, "ServiceMonitor").empty());            // off by default
  CHECK(OfKind(objects, "CustomResourceDefinition").empty());  // only with --include-crds

  for (const Component& c : Components()) {
    INFO("service " << c.name);
    std::optional<YAML::Node> deployment = Find(objects, "Deployment", Name(c));
    REQUIRE(deployment.has_value());
    CHECK(Scalar((*deployment)["metadata"]["namespace"]) == kNamespace);
    CHECK((*deployment)["spec"]["replicas"].as<int>() == 1);
    const YAML::Node pod = (*deployment)["spec"]["template"]["spec"];
    CHECK(Scalar(pod["serviceAccountName"]) == Name(c));
    for (const std::string label :
         {"app.kubernetes.io/name", "app.kubernetes.io/instance", "app.kubernetes.io/component"}) {
      CHECK(Scalar((*deployment)["spec"]["selector"]["matchLabels"][label]) ==
            Scalar((*deployment)["spec"]["template"]["metadata"]["labels"][label]));
    }
    CHECK(Scalar((*deployment)["spec"]["template"]["metadata"]["labels"]
                              ["app.kubernetes.io/component"]) == c.name);

    const YAML::Node container = Container(*deployment);
    CHECK(Strings(container["command"]) ==
          std::vector<std::string>{absl::StrCat("/usr/local/bin/mck8s-", c.name)});
    CHECK(Scalar(container["image"]) == "mck8s/mck8s:0.1.0");
    const std::vector<std::string> args = Strings(container["args"]);
    INFO("args: " << absl::StrJoin(args, " "));
    CHECK(Flag(args, "--leader-elect") == "true");
    CHECK(Flag(args, "--leader-election-namespace") == kNamespace);
    CHECK(Flag(args, "--leader-election-id") == Name(c));
    CHECK(Flag(args, "--metrics-bind-address") == ":8080");
    CHECK(Flag(args, "--health-probe-bind-address") == ":8081");
    CHECK(Flag(args, "--grpc-bind-address") == ":9090");
    CHECK(Flag(args, "--log-level") == "info");
    CHECK(Flag(args, "--fleet-namespace") == kNamespace);
    CHECK_FALSE(Flag(args, "--namespace").has_value());   // all namespaces
    CHECK_FALSE(Flag(args, "--kubeconfig").has_value());  // in-cluster config
    CHECK_FALSE(HasFlagPrefix(args, "--tls-"));
    if (c.dials_cluster_state) {
      CHECK(Flag(args, "--cluster-state-address") ==
            absl::StrCat(ServiceHost("mck8s-metrics-gateway"), ":9090"));
    } else {
      CHECK_FALSE(Flag(args, "--cluster-state-address").has_value());
    }
    if (c.dials_scheduler) {
      CHECK(Flag(args, "--scheduler-address") ==
            absl::StrCat(ServiceHost("mck8s-scheduler"), ":9090"));
    } else {
      CHECK_FALSE(Flag(args, "--scheduler-address").has_value());
    }

    std::map<std::string, int> ports;
    for (const YAML::Node& p : container["ports"]) {
      ports[Scalar(p["name"])] = p["containerPort"].as<int>();
    }
    CHECK(ports == std::map<std::string, int>{{"grpc", 9090}, {"metrics", 8080}, {"health", 8081}});
    CHECK(Scalar(container["livenessProbe"]["httpGet"]["path"]) == "/healthz");
    CHECK(Scalar(container["livenessProbe"]["httpGet"]["port"]) == "health");
    CHECK(Scalar(container["readinessProbe"]["httpGet"]["path"]) == "/readyz");
    CHECK(Scalar(container["readinessProbe"]["httpGet"]["port"]) == "health");

    const YAML::Node security = container["securityContext"];
    CHECK(security["runAsNonRoot"].as<bool>());
    CHECK(security["readOnlyRootFilesystem"].as<bool>());
    CHECK_FALSE(security["allowPrivilegeEscalation"].as<bool>());
    CHECK(Strings(security["capabilities"]["drop"]) == std::vector<std::string>{"ALL"});
    CHECK(Scalar(security["seccompProfile"]["type"]) == "RuntimeDefault");
    CHECK(pod["securityContext"]["runAsNonRoot"].as<bool>());
    CHECK(Scalar(pod["securityContext"]["seccompProfile"]["type"]) == "RuntimeDefault");
    CHECK(container["resources"]["requests"]["cpu"]);
    CHECK(container["resources"]["limits"]["memory"]);

    std::optional<YAML::Node> service = Find(objects, "Service", Name(c));
    REQUIRE(service.has_value());
    std::map<std::string, std::string> service_ports;
    for (const YAML::Node& p : (*service)["spec"]["ports"]) {
      service_ports[Scalar(p["name"])] =
          absl::StrCat(Scalar(p["port"]), "->", Scalar(p["targetPort"]));
    }
    CHECK(service_ports ==
          std::map<std::string, std::string>{{"grpc", "9090->grpc"}, {"metrics", "8080->metrics"}});
    for (const auto& selector : (*service)["spec"]["selector"]) {
      CHECK(Scalar((*deployment)["spec"]["template"]["metadata"]["labels"]
                                [selector.first.as<std::string>()]) == Scalar(selector.second));
    }
    CHECK(Find(objects, "ServiceAccount", Name(c)).has_value());
  }
}

TEST_CASE("toggled values reach the Deployments", "[helm]") {
  SECTION("leader election off") {
    const auto objects = Render({{"leaderElection.enabled=false"}});
    for (const Component& c : Components()) {
      INFO("service " << c.name);
      const auto args = Strings(Container(Get(objects, "Deployment", Name(c)))["args"]);
      CHECK(Flag(args, "--leader-elect") == "false");
      CHECK_FALSE(Flag(args, "--leader-election-id").has_value());
      CHECK_FALSE(Flag(args, "--leader-election-namespace").has_value());
      CHECK(RenderedGrants(Get(objects, "Role", Name(c))) == ExpectedReleaseGrants(c, false));
    }
  }
  SECTION("two replicas with leader election") {
    const auto objects = Render({{"scheduler.replicas=2", "provisioner.replicas=2"}});
    CHECK(Get(objects, "Deployment", "mck8s-scheduler")["spec"]["replicas"].as<int>() == 2);
    CHECK(Get(objects, "Deployment", "mck8s-provisioner")["spec"]["replicas"].as<int>() == 2);
    CHECK(Get(objects, "Deployment", "mck8s-mchpa")["spec"]["replicas"].as<int>() == 1);
  }
  SECTION("mutual TLS from a Secret mounted read-only") {
    const auto objects = Render({{"tls.enabled=true", "tls.secretName=mck8s-tls", "tls.mutual=true",
                                  "provisioner.tls.secretName=provisioner-tls"}});
    for (const Component& c : Components()) {
      INFO("service " << c.name);
      const YAML::Node deployment = Get(objects, "Deployment", Name(c));
      const YAML::Node container = Container(deployment);
      const auto args = Strings(container["args"]);
      CHECK(Flag(args, "--tls-cert-file") == "/etc/mck8s/tls/tls.crt");
      CHECK(Flag(args, "--tls-key-file") == "/etc/mck8s/tls/tls.key");
      CHECK(Flag(args, "--tls-ca-file") == "/etc/mck8s/tls/ca.crt");
      CHECK(Flag(args, "--tls-client-ca-file") == "/etc/mck8s/tls/ca.crt");
      bool mounted = false;
      for (const YAML::Node& m : container["volumeMounts"]) {
        if (Scalar(m["name"]) == "tls") {
          mounted = Scalar(m["mountPath"]) == "/etc/mck8s/tls" && m["readOnly"].as<bool>();
        }
      }
      CHECK(mounted);
      std::string secret;
      for (const YAML::Node& v : deployment["spec"]["template"]["spec"]["volumes"]) {
        if (Scalar(v["name"]) == "tls") secret = Scalar(v["secret"]["secretName"]);
      }
      CHECK(secret == (c.name == "provisioner" ? "provisioner-tls" : "mck8s-tls"));
    }
  }
  SECTION("server TLS only") {
    const auto objects = Render({{"tls.enabled=true", "tls.secretName=mck8s-tls"}});
    const auto args = Strings(Container(Get(objects, "Deployment", "mck8s-mchpa"))["args"]);
    CHECK(Flag(args, "--tls-ca-file") == "/etc/mck8s/tls/ca.crt");
    CHECK_FALSE(Flag(args, "--tls-client-ca-file").has_value());
  }
  SECTION("namespaces, log level, addresses and another release name") {
    RenderOptions options;
    options.release = "edge";
    options.set = {"watchNamespace=apps", "fleetNamespace=fleet", "logLevel=debug",
                   "leaderElection.namespace=kube-system", "schedulerAddress=sched.example:443"};
    const auto objects = Render(options);
    const auto args =
        Strings(Container(Get(objects, "Deployment", "edge-mck8s-descheduler"))["args"]);
    CHECK(Flag(args, "--namespace") == "apps");
    CHECK(Flag(args, "--fleet-namespace") == "fleet");
    CHECK(Flag(args, "--log-level") == "debug");
    CHECK(Flag(args, "--leader-election-namespace") == "kube-system");
    CHECK(Flag(args, "--leader-election-id") == "edge-mck8s-descheduler");
    CHECK(Flag(args, "--scheduler-address") == "sched.example:443");
    CHECK(Flag(args, "--cluster-state-address") ==
          absl::StrCat(ServiceHost("edge-mck8s-metrics-gateway"), ":9090"));
  }
  SECTION("image digest and per-service command") {
    const std::string digest = absl::StrCat("sha256:", std::string(64, 'a'));
    const auto objects = Render({{absl::StrCat("image.digest=", digest), "mchpa.command={/bin/hpa}",
                                  "mchpa.extraArgs={--sync-period=15s}"}});
    const YAML::Node mchpa = Container(Get(objects, "Deployment", "mck8s-mchpa"));
    CHECK(Scalar(mchpa["image"]) == absl::StrCat("mck8s/mck8s@", digest));
    CHECK(Strings(mchpa["command"]) == std::vector<std::string>{"/bin/hpa"});
    CHECK(Flag(Strings(mchpa["args"]), "--sync-period") == "15s");
  }
}

TEST_CASE("invalid values fail the render with the offending key named", "[helm]") {
  struct Case {
    std::vector<std::string> set;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"logLevel=verbose"}, "logLevel"},
      {{"schedulr.replicas=1"}, "schedulr"},
      {{"scheduler.replics=1"}, "replics"},
      {{"ports.grpc=70000"}, "grpc"},
      {{"metrics.serviceMonitor.interval=soon"}, "interval"},
      {{"scheduler.replicas=2", "leaderElection.enabled=false"}, "scheduler.replicas"},
      {{"tls.enabled=true"}, "tls.secretName"},
      {{"image.digest=latest"}, "digest"},
  };
  for (const Case& c : cases) {
    RenderOptions options;
    options.set = c.set;
    CommandResult result = RunCommand(TemplateCommand(options));
    INFO("--set " << absl::StrJoin(c.set, " --set ") << "\n" << result.err);
    CHECK(result.exit_code != 0);
    CHECK(result.err.find(c.message) != std::string::npos);
  }
}

TEST_CASE("no RBAC rule holds a wildcard and nothing binds cluster-admin", "[helm]") {
  const std::vector<RenderOptions> renders = {
      {},
      {{"leaderElection.namespace=kube-system", "fleetNamespace=fleet",
        "mchpa.readFleetSecrets=true", "metrics.serviceMonitor.enabled=true"}},
  };
  for (const RenderOptions& options : renders) {
    const auto objects = Render(options);
    std::set<std::string> roles;
    for (const std::string kind : {"ClusterRole", "Role"}) {
      for (const YAML::Node& role : OfKind(objects, kind)) {
        const std::string name = Scalar(role["metadata"]["name"]);
        roles.insert(absl::StrCat(kind, "/", name));
        INFO(kind << " " << name);
        REQUIRE(role["rules"].IsSequence());
        CHECK(role["rules"].size() > 0);
        for (const YAML::Node& rule : role["rules"]) {
          CHECK_FALSE(rule["nonResourceURLs"]);
          for (const std::string field : {"apiGroups", "resources", "verbs", "resourceNames"}) {
            for (const std::string& value : Strings(rule[field])) {
              CHECK(value.find('*') == std::string::npos);
            }
          }
        }
      }
    }
    for (const std::string kind : {"ClusterRoleBinding", "RoleBinding"}) {
      for (const YAML::Node& binding : OfKind(objects, kind)) {
        const std::string ref = absl::StrCat(Scalar(binding["roleRef"]["kind"]), "/",
                                             Scalar(binding["roleRef"]["name"]));
        INFO(kind << " " << Scalar(binding["metadata"]["name"]) << " -> " << ref);
        CHECK(Scalar(binding["roleRef"]["name"]) != "cluster-admin");
        CHECK(roles.count(ref) == 1);  // binds only what the chart defines
      }
    }
  }
}

TEST_CASE("each ClusterRole grants exactly what its service touches", "[helm]") {
  const auto objects = Render();
  CHECK(OfKind(objects, "ClusterRole").size() == ExpectedClusterGrants().size());
  for (const Component& c : Components()) {
    INFO("service " << c.name);
    std::optional<YAML::Node> role = Find(objects, "ClusterRole", Name(c));
    REQUIRE(role.has_value());
    const Grants rendered = RenderedGrants(*role);
    const Grants& expected = ExpectedClusterGrants().at(c.name);
    Grants missing, extra;
    std::set_difference(expected.begin(), expected.end(), rendered.begin(), rendered.end(),
                        std::inserter(missing, missing.end()));
    std::set_difference(rendered.begin(), rendered.end(), expected.begin(), expected.end(),
                        std::inserter(extra, extra.end()));
    INFO("missing:\n" << Describe(missing) << "\nextra:\n" << Describe(extra));
    CHECK(rendered == expected);
    CheckBinding(objects, "ClusterRoleBinding", "ClusterRole", Name(c), Name(c));
  }
}

TEST_CASE("namespaced Roles grant leases, events and fleet Secrets", "[helm]") {
  SECTION("everything in the release namespace") {
    const auto objects = Render();
    for (const Component& c : Components()) {
      INFO("service " << c.name);
      std::optional<YAML::Node> role = Find(objects, "Role", Name(c));
      REQUIRE(role.has_value());
      CHECK(Scalar((*role)["metadata"]["namespace"]) == kNamespace);
      CHECK(RenderedGrants(*role) == ExpectedReleaseGrants(c, true));
      CheckBinding(objects, "RoleBinding", "Role", Name(c), Name(c));
      CHECK_FALSE(Find(objects, "Role", Name(c) + "-leases").has_value());

      const Grants fleet = ExpectedFleetGrants(c, c.reads_fleet_secrets);
      std::optional<YAML::Node> fleet_role = Find(objects, "Role", Name(c) + "-fleet");
      REQUIRE(fleet_role.has_value() == !fleet.empty());
      if (fleet_role) {
        CHECK(Scalar((*fleet_role)["metadata"]["namespace"]) == kNamespace);
        CHECK(RenderedGrants(*fleet_role) == fleet);
        CheckBinding(objects, "RoleBinding", "Role", Name(c) + "-fleet", Name(c));
      }
    }
  }
  SECTION("leases and fleet Secrets in namespaces of their own") {
    const auto objects =
        Render({{"leaderElection.namespace=kube-system", "fleetNamespace=fleet",
                 "descheduler.readFleetSecrets=true", "metricsGateway.readFleetSecrets=false"}});
    for (const Component& c : Components()) {
      INFO("service " << c.name);
      CHECK(RenderedGrants(Get(objects, "Role", Name(c))) == ExpectedReleaseGrants(c, false));
      std::optional<YAML::Node> leases = Find(objects, "Role", Name(c) + "-leases");
      REQUIRE(leases.has_value());
      CHECK(Scalar((*leases)["metadata"]["namespace"]) == "kube-system");
      CHECK(RenderedGrants(*leases) == LeaseGrants(Name(c)));
      CheckBinding(objects, "RoleBinding", "Role", Name(c) + "-leases", Name(c));

      const bool reads = c.name == "descheduler"       ? true
                         : c.name == "metrics-gateway" ? false
                                                       : c.reads_fleet_secrets;
      const Grants fleet = ExpectedFleetGrants(c, reads);
      std::optional<YAML::Node> fleet_role = Find(objects, "Role", Name(c) + "-fleet");
      REQUIRE(fleet_role.has_value() == !fleet.empty());
      if (fleet_role) {
        CHECK(Scalar((*fleet_role)["metadata"]["namespace"]) == "fleet");
        CHECK(RenderedGrants(*fleet_role) == fleet);
      }
    }
  }
  SECTION("rbac.create=false renders no RBAC") {
    const auto objects = Render({{"rbac.create=false"}});
    for (const std::string kind : {"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}) {
      CHECK(OfKind(objects, kind).empty());
    }
  }
}

TEST_CASE("ServiceMonitors scrape every service's metrics port when enabled", "[helm]") {
  const auto objects =
      Render({{"metrics.serviceMonitor.enabled=true",
               "metrics.serviceMonitor.additionalLabels.release=kps",
               "metrics.serviceMonitor.interval=15s", "metrics.serviceMonitor.scrapeTimeout=5s",
               "metrics.serviceMonitor.relabelings[0].action=labeldrop",
               "metrics.serviceMonitor.relabelings[0].regex=foo"}});
  REQUIRE(OfKind(objects, "ServiceMonitor").size() == 5);
  for (const Component& c : Components()) {
    INFO("service " << c.name);
    std::optional<YAML::Node> monitor = Find(objects, "ServiceMonitor", Name(c));
    REQUIRE(monitor.has_value());
    CHECK(Scalar((*monitor)["apiVersion"]) == "monitoring.coreos.com/v1");
    CHECK(Scalar((*monitor)["metadata"]["labels"]["release"]) == "kps");
    const YAML::Node endpoint = (*monitor)["spec"]["endpoints"][0];
    CHECK(Scalar(endpoint["port"]) == "metrics");
    CHECK(Scalar(endpoint["path"]) == "/metrics");
    CHECK(Scalar(endpoint["interval"]) == "15s");
    CHECK(Scalar(endpoint["scrapeTimeout"]) == "5s");
    CHECK(Scalar(endpoint["relabelings"][0]["action"]) == "labeldrop");
    CHECK(Strings((*monitor)["spec"]["namespaceSelector"]["matchNames"]) ==
          std::vector<std::string>{kNamespace});
    // The selector picks this service's Service and no other.
    const YAML::Node selector = (*monitor)["spec"]["selector"]["matchLabels"];
    int matching_services = 0;
    for (const YAML::Node& service : OfKind(objects, "Service")) {
      bool matches = true;
      for (const auto& kv : selector) {
        matches = matches && Scalar(service["metadata"]["labels"][kv.first.as<std::string>()]) ==
                                 Scalar(kv.second);
      }
      if (matches) {
        ++matching_services;
        CHECK(Scalar(service["metadata"]["name"]) == Name(c));
      }
    }
    CHECK(matching_services == 1);
  }
}

TEST_CASE("dashboard ConfigMaps carry the Grafana dashboards verbatim", "[helm]") {
  SECTION("default: one labelled ConfigMap per dashboard file") {
    const auto objects = Render();
    const std::vector<Dashboard> dashboards = RenderedDashboards(objects);
    std::set<std::string> files;
    for (const Dashboard& d : dashboards) {
      files.insert(d.file);
      std::string on_disk = ReadFile(absl::StrCat(ChartDir(), "/dashboards/", d.file));
      while (!on_disk.empty() && on_disk.back() == '\n') on_disk.pop_back();
      INFO("dashboard " << d.file);
      CHECK(d.json == on_disk);  // no templating touched it
    }
    CHECK(files == std::set<std::string>{"controllers.json", "fleet.json", "placement.json"});
  }
  SECTION("label, namespace and folder from values") {
    const auto objects =
        Render({{"grafana.dashboards.label=dash", "grafana.dashboards.labelValue=yes",
                 "grafana.dashboards.namespace=monitoring", "grafana.dashboards.folder=mck8s"}});
    int count = 0;
    for (const YAML::Node& cm : OfKind(objects, "ConfigMap")) {
      ++count;
      CHECK(Scalar(cm["metadata"]["labels"]["dash"]) == "yes");
      CHECK_FALSE(cm["metadata"]["labels"]["grafana_dashboard"]);
      CHECK(Scalar(cm["metadata"]["namespace"]) == "monitoring");
      CHECK(Scalar(cm["metadata"]["annotations"]["grafana_folder"]) == "mck8s");
    }
    CHECK(count == 3);
  }
  SECTION("disabled") {
    CHECK(OfKind(Render({{"grafana.dashboards.enabled=false"}}), "ConfigMap").empty());
  }
}

TEST_CASE("dashboards are valid models that query ${datasource}", "[helm]") {
  const std::vector<ParsedDashboard> dashboards = ParsedDashboards();
  REQUIRE(dashboards.size() == 3);
  std::map<std::string, const ParsedDashboard*> by_title;
  std::set<std::string> uids;
  for (const ParsedDashboard& d : dashboards) {
    by_title[d.title] = &d;
    CHECK(uids.insert(d.uid).second);
  }
  REQUIRE(by_title.count("mck8s / Controllers") == 1);
  REQUIRE(by_title.count("mck8s / Fleet") == 1);
  REQUIRE(by_title.count("mck8s / Placement") == 1);

  const ParsedDashboard& controllers = *by_title["mck8s / Controllers"];
  CHECK(controllers.variables.count("component") == 1);
  CHECK(controllers.variables.count("controller") == 1);
  CHECK(std::any_of(controllers.variable_exprs.begin(), controllers.variable_exprs.end(),
                    [](const std::string& e) { return e.find("mck8s_build_info") != e.npos; }));

  // What each board must show, by the metrics it reads.
  const std::map<std::string, std::vector<std::string>> required = {
      {"mck8s / Controllers",
       {"controller_runtime_reconcile_total", "controller_runtime_reconcile_time_seconds",
        "controller_runtime_active_workers", "controller_runtime_max_concurrent_reconciles",
        "workqueue_depth", "workqueue_adds_total", "workqueue_queue_duration_seconds",
        "workqueue_work_duration_seconds", "workqueue_retries_total", "rest_client_requests_total",
        "rest_client_request_duration_seconds", "grpc_server_handled_total",
        "grpc_server_handling_seconds", "process_cpu_seconds_total",
        "process_resident_memory_bytes", "process_threads", "process_open_fds"}},
      {"mck8s / Fleet",
       {"mck8s_cluster_ready", "mck8s_cluster_cpu_allocatable_cores",
        "mck8s_cluster_cpu_requested_cores", "mck8s_cluster_cpu_used_cores",
        "mck8s_cluster_memory_allocatable_bytes", "mck8s_cluster_memory_requested_bytes",
        "mck8s_cluster_memory_used_bytes", "mck8s_cluster_pods", "mck8s_cluster_rtt_seconds",
        "mck8s_cluster_source_last_success_timestamp_seconds"}},
      {"mck8s / Placement",
       {"mck8s_scheduler_placements_total", "mck8s_scheduler_placement_duration_seconds",
        "mck8s_scheduler_unplaced_replicas", "mck8s_scheduler_member_writes_total"}},
  };
  for (const auto& [title, metrics] : required) {
    std::set<std::string> read;
    for (const std::string& e : by_title[title]->exprs) read.merge(MetricNames(e));
    for (const std::string& m : metrics) {
      INFO(title << " reads " << m);
      CHECK(read.count(m) == 1);
    }
  }
}

TEST_CASE("every dashboard query is PromQL that promtool accepts", "[helm][promtool]") {
  const std::vector<ParsedDashboard> dashboards = ParsedDashboards();
  // Each query becomes a recording rule; `promtool check rules` parses them.
  YAML::Emitter rules;
  rules << YAML::BeginMap << YAML::Key << "groups" << YAML::Value << YAML::BeginSeq;
  size_t count = 0;
  for (const ParsedDashboard& d : dashboards) {
    rules << YAML::BeginMap << YAML::Key << "name" << YAML::Value << d.uid << YAML::Key << "rules"
          << YAML::Value << YAML::BeginSeq;
    std::vector<std::string> all = d.exprs;
    all.insert(all.end(), d.variable_exprs.begin(), d.variable_exprs.end());
    for (const std::string& expr : all) {
      rules << YAML::BeginMap << YAML::Key << "record" << YAML::Value
            << absl::StrCat("dashboard_query_", ++count) << YAML::Key << "expr" << YAML::Value
            << YAML::DoubleQuoted << Concrete(expr) << YAML::EndMap;
    }
    rules << YAML::EndSeq << YAML::EndMap;
  }
  rules << YAML::EndSeq << YAML::EndMap;
  REQUIRE(rules.good());

  TempDir dir;
  WriteFile(dir.File("dashboards.rules.yaml"), std::string(rules.c_str()));
  CommandResult result =
      RunCommand({Promtool(), "check", "rules", "--lint=none", dir.File("dashboards.rules.yaml")});
  INFO(result.out << result.err);
  CHECK(result.exit_code == 0);
  CHECK(result.out.find(absl::StrCat("SUCCESS: ", count, " rules found")) != std::string::npos);
}

TEST_CASE("every metric a dashboard reads is in the README's metrics contract", "[helm]") {
  const std::string readme = ReadFile(absl::StrCat(ChartDir(), "/README.md"));
  REQUIRE_FALSE(readme.empty());
  // `up` is written by Prometheus itself for every target.
  const std::set<std::string> not_exported = {"up"};
  for (const ParsedDashboard& d : ParsedDashboards()) {
    std::vector<std::string> all = d.exprs;
    all.insert(all.end(), d.variable_exprs.begin(), d.variable_exprs.end());
    for (const std::string& expr : all) {
      for (const std::string& metric : MetricNames(expr)) {
        if (not_exported.count(metric) > 0) continue;
        INFO(d.title << " reads " << metric << " in: " << expr);
        CHECK(readme.find(absl::StrCat("`", metric, "`")) != std::string::npos);
      }
    }
  }
}

TEST_CASE("helm template --include-crds ships the six fogguru.eu CRDs", "[helm]") {
  RenderOptions options;
  options.include_crds = true;
  const auto crds = OfKind(Render(options), "CustomResourceDefinition");
  INFO("CRDs come from deploy/helm/mck8s/crds/");
  CHECK(crds.size() >= 6);
  std::set<std::string> kinds;
  for (const YAML::Node& crd : crds) {
    if (Scalar(crd["spec"]["group"]) == "fogguru.eu")
      kinds.insert(Scalar(crd["spec"]["names"]["kind"]));
  }
  CHECK(kinds == std::set<std::string>{"CloudProvisioner", "MemberCluster",
                                       "MultiClusterDeployment",
                                       "MultiClusterHorizontalPodAutoscaler", "MultiClusterJob",
                                       "MultiClusterService"});
}

}  // namespace
}  // namespace mck8s
