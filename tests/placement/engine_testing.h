// Helpers for the end-to-end engine tests.

#ifndef MCK8S_TESTS_PLACEMENT_ENGINE_TESTING_H_
#define MCK8S_TESTS_PLACEMENT_ENGINE_TESTING_H_

#include <catch2/catch.hpp>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "mck8s/placement/decision.h"
#include "mck8s/placement/engine.h"

namespace mck8s::placement::testing {

// "cluster replicas Reason" lines, for readable failures.
inline std::vector<std::string> Lines(const Decision& decision) {
  std::vector<std::string> lines;
  for (const Assignment& a : decision.assignments) {
    lines.push_back(a.cluster + " " + std::to_string(a.replicas) + " " +
                    std::string(AssignmentReasonName(a.reason)));
  }
  return lines;
}

inline Decision MustPlace(const Engine& engine, const ClusterModel& model,
                          const PlaceRequest& request, const Deductions* deductions = nullptr) {
  absl::StatusOr<Decision> decision = engine.Place(model, request, deductions);
  INFO(decision.status().ToString());
  REQUIRE(decision.ok());
  return *std::move(decision);
}

}  // namespace mck8s::placement::testing

#endif  // MCK8S_TESTS_PLACEMENT_ENGINE_TESTING_H_
