// MultiClusterDeployments that are wrong, each with the field the
// scheduler must name. Shared by the unit test of the validator and the
// end-to-end test (which applies those the API server admits).
#ifndef MCK8S_TESTS_SCHEDULER_INVALID_CASES_H_
#define MCK8S_TESTS_SCHEDULER_INVALID_CASES_H_

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace mck8s::scheduler::testing {

struct InvalidCase {
  std::string name;   // also the MCD's name
  std::string spec;   // YAML lines under spec:, indented by 2
  std::string field;  // the message starts with this
  // The CRD schema lets it through (so only the scheduler can object).
  bool admitted = true;
  // Needs the fleet to judge (only the controller can tell).
  bool needs_fleet = false;
};

inline constexpr char kGoodTemplate[] = R"(  template:
    metadata: {labels: {app: bad}}
    spec:
      containers:
        - name: c
          image: nginx
          resources: {requests: {cpu: 100m, memory: 64Mi}}
)";

inline std::string TemplateWith(const std::string& from, const std::string& to) {
  return absl::StrReplaceAll(kGoodTemplate, {{from, to}});
}

inline std::vector<InvalidCase> InvalidCases() {
  const std::string t = kGoodTemplate;
  return {
      {"neg-cpu", TemplateWith("cpu: 100m", "cpu: \"-1\""),
       "spec.template.spec.containers[0].resources.requests.cpu"},
      {"neg-memory", TemplateWith("memory: 64Mi", "memory: \"-64Mi\""),
       "spec.template.spec.containers[0].resources.requests.memory"},
      {"huge-cpu", TemplateWith("cpu: 100m", "cpu: \"1e400\""),
       "spec.template.spec.containers[0].resources.requests.cpu"},
      {"overrides-no-locations", "  replicaOverrides: [2]\n" + t, "spec.replicaOverrides"},
      {"overrides-too-many", "  locations: rennes\n  replicaOverrides: [1, 2]\n" + t,
       "spec.replicaOverrides"},
      {"repeated-location", "  locations: rennes, rennes\n" + t, "spec.locations[1]"},
      {"unknown-cluster", "  locations: rennes, paris\n" + t, "spec.locations[1]", true, true},
      {"selector-mismatch", "  selector: {matchLabels: {app: other}}\n" + t, "spec.selector"},
      {"selector-in-no-values", "  selector: {matchExpressions: [{key: app, operator: In}]}\n" + t,
       "spec.selector.matchExpressions[0]"},
      {"selector-empty", "  selector: {}\n" + t, "spec.selector"},
      {"cluster-label-key",
       "  clusterAffinity: {labelSelector: {matchLabels: {\"bad key\": x}}}\n" + t,
       "spec.clusterAffinity.labelSelector.matchLabels"},
      {"cluster-name-empty", "  clusterAffinity: {clusterNames: [\"\"]}\n" + t,
       "spec.clusterAffinity.clusterNames[0]"},
      {"toleration-exists-value", "  tolerations: [{key: k, operator: Exists, value: v}]\n" + t,
       "spec.tolerations[0].value"},
      {"node-selector-key",
       TemplateWith("    spec:\n", "    spec:\n      nodeSelector: {\"-bad\": x}\n"),
       "spec.template.spec.nodeSelector"},
      {"node-toleration-operator",
       TemplateWith("    spec:\n", "    spec:\n      tolerations: [{key: k, operator: Foo}]\n"),
       "spec.template.spec.tolerations[0].operator"},
      {"affinity-no-locations", "  placementPolicy: cluster-affinity\n" + t, "spec.locations"},
      {"too-many-replicas", "  numberOfLocations: 1000\n  replicas: 2000\n" + t, "spec.replicas"},
      {"pod-label-value", TemplateWith("{app: bad}", "{app: \"bad value!\"}"),
       "spec.template.metadata.labels"},
      {"init-neg-cpu",
       TemplateWith("    spec:\n",
                    "    spec:\n      initContainers: [{name: "
                    "i, image: busybox, resources: "
                    "{requests: {cpu: \"-2\"}}}]\n"),
       "spec.template.spec.initContainers[0].resources.requests.cpu"},
      // Refused by the CRD schema already; the scheduler still names them.
      {"neg-replicas", "  replicas: -1\n" + t, "spec.replicas", false},
      {"unknown-policy", "  placementPolicy: round-robin\n" + t, "spec.placementPolicy", false},
      {"missing-image", TemplateWith("image: nginx", "image: \"\""),
       "spec.template.spec.containers[0].image", false},
      {"no-containers",
       "  template:\n    metadata: {labels: {app: bad}}\n    spec: "
       "{containers: []}\n",
       "spec.template.spec.containers", false},
      {"neg-override", "  locations: rennes\n  replicaOverrides: [-1]\n" + t,
       "spec.replicaOverrides[0]", false},
      {"zero-locations", "  numberOfLocations: 0\n" + t, "spec.numberOfLocations", false},
  };
}

inline std::string InvalidManifest(const InvalidCase& c, const std::string& ns) {
  return absl::StrCat(
      "apiVersion: fogguru.eu/v1\nkind: "
      "MultiClusterDeployment\nmetadata:\n  name: ",
      c.name, "\n  namespace: ", ns, "\nspec:\n", c.spec);
}

}  // namespace mck8s::scheduler::testing

#endif  // MCK8S_TESTS_SCHEDULER_INVALID_CASES_H_
