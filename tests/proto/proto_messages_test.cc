// Specification of the mck8s.v1 messages on the wire: a fully populated
// request survives binary and JSON round trips unchanged, the oneofs and
// proto3 `optional` fields keep their presence, and JSON uses the names
// `buf curl` and mck8sctl users type.

#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include "mck8s/v1/cluster_state.pb.h"
#include "mck8s/v1/scheduler.pb.h"

namespace mck8s::proto_test {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::util::MessageDifferencer;

// Names (as proto paths) the fields of `message` that hold no value, walking
// into submessages of the mck8s packages. A member of a oneof counts as
// populated when another member of the same oneof is set. The round-trip test
// uses it to stay exhaustive when fields are added.
void CollectUnpopulated(const Message& message, const std::string& path,
                        std::vector<std::string>& unpopulated) {
  const google::protobuf::Descriptor* descriptor = message.GetDescriptor();
  const google::protobuf::Reflection* reflection = message.GetReflection();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor* field = descriptor->field(i);
    const std::string field_path = path + "." + field->name();
    const google::protobuf::OneofDescriptor* oneof = field->real_containing_oneof();
    if (oneof != nullptr && reflection->HasOneof(message, oneof) &&
        reflection->GetOneofFieldDescriptor(message, oneof) != field) {
      continue;
    }
    const bool walk_into = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE &&
                           !field->is_map() &&
                           field->message_type()->file()->package().rfind("mck8s.", 0) == 0;
    if (field->is_repeated()) {
      const int size = reflection->FieldSize(message, field);
      if (size == 0) unpopulated.push_back(field_path);
      for (int j = 0; walk_into && j < size; ++j) {
        CollectUnpopulated(reflection->GetRepeatedMessage(message, field, j),
                           field_path + "[" + std::to_string(j) + "]", unpopulated);
      }
      continue;
    }
    // For implicit-presence scalars HasField means "not the default value".
    if (!reflection->HasField(message, field)) {
      unpopulated.push_back(field_path);
      continue;
    }
    if (walk_into) {
      CollectUnpopulated(reflection->GetMessage(message, field), field_path, unpopulated);
    }
  }
}

std::vector<std::string> Unpopulated(const Message& message) {
  std::vector<std::string> unpopulated;
  CollectUnpopulated(message, message.GetDescriptor()->name(), unpopulated);
  return unpopulated;
}

// The talk's testbed, asked for through the policy path: worst-fit over the
// fog sites, two locations of three replicas, keeping what runs in Rennes.
mck8s::v1::PlaceRequest PolicyPlaceRequest() {
  mck8s::v1::PlaceRequest request;
  mck8s::v1::WorkloadRef* workload = request.mutable_workload();
  workload->set_kind(mck8s::v1::WORKLOAD_KIND_MULTI_CLUSTER_DEPLOYMENT);
  workload->set_namespace_("shop");
  workload->set_name("frontend");
  workload->set_uid("8f0b6c7e-4a51-4c8e-9d0e-3f1b2a6c9d10");

  mck8s::v1::ReplicaRequirements* replica = request.mutable_replica();
  replica->mutable_requests()->set_cpu_millis(500);
  replica->mutable_requests()->set_memory_bytes(int64_t{512} << 20);
  (*replica->mutable_node_selector())["kubernetes.io/arch"] = "amd64";
  mck8s::v1::Toleration* node_toleration = replica->add_node_tolerations();
  node_toleration->set_key("dedicated");
  node_toleration->set_operator_(mck8s::v1::TOLERATION_OPERATOR_EQUAL);
  node_toleration->set_value("frontend");
  node_toleration->set_effect(mck8s::v1::TAINT_EFFECT_NO_EXECUTE);
  node_toleration->mutable_evict_after()->set_seconds(300);

  request.set_replicas_per_location(3);
  request.set_policy(mck8s::v1::PLACEMENT_POLICY_WORST_FIT);
  request.set_number_of_locations(2);

  mck8s::v1::ClusterConstraints* constraints = request.mutable_constraints();
  mck8s::v1::ClusterSelector* allowed = constraints->mutable_allowed();
  allowed->add_names("rennes");
  allowed->add_names("nantes");
  allowed->add_names("lille");
  allowed->add_names("grenoble");
  (*allowed->mutable_label_selector()->mutable_match_labels())["fogguru.eu/tier"] = "fog";
  mck8s::v1::LabelSelectorRequirement* expression =
      allowed->mutable_label_selector()->add_match_expressions();
  expression->set_key("fogguru.eu/site");
  expression->set_operator_(mck8s::v1::LABEL_SELECTOR_OPERATOR_NOT_IN);
  expression->add_values("luxembourg");
  allowed->add_regions("fr");
  constraints->add_excluded("lille");
  mck8s::v1::Toleration* cluster_toleration = constraints->add_tolerations();
  cluster_toleration->set_key("fogguru.eu/power");
  cluster_toleration->set_operator_(mck8s::v1::TOLERATION_OPERATOR_EQUAL);
  cluster_toleration->set_value("battery");
  cluster_toleration->set_effect(mck8s::v1::TAINT_EFFECT_NO_EXECUTE);
  cluster_toleration->mutable_evict_after()->set_seconds(600);

  request.add_preferred_clusters("rennes");
  (*request.mutable_current_placement())["rennes"] = 3;
  request.set_dry_run(true);
  request.set_explain(true);
  return request;
}

void RequireRoundTrips(const mck8s::v1::PlaceRequest& request) {
  std::string wire;
  REQUIRE(request.SerializeToString(&wire));
  mck8s::v1::PlaceRequest from_wire;
  REQUIRE(from_wire.ParseFromString(wire));
  CHECK(MessageDifferencer::Equals(request, from_wire));

  std::string json;
  REQUIRE(google::protobuf::util::MessageToJsonString(request, &json).ok());
  mck8s::v1::PlaceRequest from_json;
  REQUIRE(google::protobuf::util::JsonStringToMessage(json, &from_json).ok());
  INFO("json: " << json);
  CHECK(MessageDifferencer::Equals(request, from_json));
}

TEST_CASE("a fully populated PlaceRequest round-trips through binary and JSON",
          "[proto][unit]") {
  const mck8s::v1::PlaceRequest request = PolicyPlaceRequest();
  for (const std::string& field : Unpopulated(request)) {
    FAIL_CHECK("the fixture leaves " << field << " unset; populate it");
  }
  RequireRoundTrips(request);

  std::string json;
  REQUIRE(google::protobuf::util::MessageToJsonString(request, &json).ok());
  INFO("json: " << json);
  CHECK(json.find("\"replicasPerLocation\":3") != std::string::npos);
  CHECK(json.find("\"policy\":\"PLACEMENT_POLICY_WORST_FIT\"") != std::string::npos);
  CHECK(json.find("\"namespace\":\"shop\"") != std::string::npos);
  CHECK(json.find("\"operator\":\"TOLERATION_OPERATOR_EQUAL\"") != std::string::npos);
  CHECK(json.find("\"currentPlacement\":{\"rennes\":3}") != std::string::npos);
  CHECK(json.find("\"evictAfter\":\"300s\"") != std::string::npos);
}

TEST_CASE("explicit locations replace the per-location count and keep their order",
          "[proto][unit]") {
  mck8s::v1::PlaceRequest request = PolicyPlaceRequest();
  request.set_policy(mck8s::v1::PLACEMENT_POLICY_CLUSTER_AFFINITY);
  request.clear_number_of_locations();
  const std::vector<std::pair<std::string, int>> overrides = {
      {"nantes", 4}, {"rennes", 2}, {"grenoble", 0}};
  for (const auto& [cluster, replicas] : overrides) {
    mck8s::v1::ClusterReplicas* entry = request.mutable_locations()->add_clusters();
    entry->set_cluster(cluster);
    entry->set_replicas(replicas);
  }

  CHECK(request.replica_count_case() == mck8s::v1::PlaceRequest::kLocations);
  CHECK(request.replicas_per_location() == 0);
  RequireRoundTrips(request);

  std::string wire;
  REQUIRE(request.SerializeToString(&wire));
  mck8s::v1::PlaceRequest from_wire;
  REQUIRE(from_wire.ParseFromString(wire));
  REQUIRE(from_wire.locations().clusters_size() == 3);
  for (int i = 0; i < 3; ++i) {
    CHECK(from_wire.locations().clusters(i).cluster() == overrides[i].first);
    CHECK(from_wire.locations().clusters(i).replicas() == overrides[i].second);
  }
}

TEST_CASE("a replica count of zero is still a choice of the oneof", "[proto][unit]") {
  mck8s::v1::PlaceRequest request;
  request.set_replicas_per_location(0);
  std::string wire;
  REQUIRE(request.SerializeToString(&wire));
  mck8s::v1::PlaceRequest from_wire;
  REQUIRE(from_wire.ParseFromString(wire));
  CHECK(from_wire.replica_count_case() == mck8s::v1::PlaceRequest::kReplicasPerLocation);

  mck8s::v1::PlaceRequest unset;
  CHECK(unset.replica_count_case() == mck8s::v1::PlaceRequest::REPLICA_COUNT_NOT_SET);
}

TEST_CASE("optional figures tell zero from unknown", "[proto][unit]") {
  mck8s::v1::ClusterExplanation explanation;
  CHECK_FALSE(explanation.has_max_replicas());
  explanation.set_max_replicas(0);
  mck8s::v1::ClusterExplanation from_wire;
  REQUIRE(from_wire.ParseFromString(explanation.SerializeAsString()));
  CHECK(from_wire.has_max_replicas());
  CHECK(from_wire.max_replicas() == 0);

  mck8s::v1::WorkloadStats stats;
  CHECK_FALSE(stats.has_network_receive_bytes_per_second());
  CHECK_FALSE(stats.has_usage());
  stats.set_network_receive_bytes_per_second(0.0);
  mck8s::v1::WorkloadStats stats_from_wire;
  REQUIRE(stats_from_wire.ParseFromString(stats.SerializeAsString()));
  CHECK(stats_from_wire.has_network_receive_bytes_per_second());
}

TEST_CASE("a watch event carries either a snapshot or a delta", "[proto][unit]") {
  mck8s::v1::WatchEvent event;
  event.set_revision(42);
  mck8s::v1::SnapshotDelta* delta = event.mutable_delta();
  delta->set_base_revision(40);
  delta->add_removed_clusters("nancy-cloud");
  mck8s::v1::RttEntry* rtt = delta->add_changed_rtt();
  rtt->set_from_cluster("rennes");
  rtt->set_to_cluster("nantes");
  rtt->set_rtt_ms(2.16);
  rtt->set_source(mck8s::v1::RTT_SOURCE_SERF);

  mck8s::v1::WatchEvent from_wire;
  REQUIRE(from_wire.ParseFromString(event.SerializeAsString()));
  CHECK(from_wire.event_case() == mck8s::v1::WatchEvent::kDelta);
  CHECK(MessageDifferencer::Equals(event, from_wire));

  event.mutable_snapshot()->set_revision(42);
  CHECK(event.event_case() == mck8s::v1::WatchEvent::kSnapshot);
  CHECK_FALSE(event.has_delta());
}

}  // namespace
}  // namespace mck8s::proto_test
