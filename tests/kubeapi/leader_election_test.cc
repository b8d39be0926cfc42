#include "mck8s/kubeapi/leader_election.h"

#include <catch2/catch.hpp>

#include "mck8s/kubeapi/fleet.h"

namespace mck8s::kubeapi {
namespace {

TEST_CASE("lease records round-trip through a Lease object", "[kubeapi][leader]") {
  LeaseRecord record;
  record.holder_identity = "pod-a";
  record.lease_duration_seconds = 15;
  record.acquire_time = absl::FromUnixMicros(1767225600123456);
  record.renew_time = absl::FromUnixMicros(1767225610000001);
  record.lease_transitions = 4;
  Object lease("coordination.k8s.io/v1", "Lease");
  SetLeaseRecord(record, &lease);
  CHECK(lease.FindString("/spec/acquireTime") ==
        std::optional<std::string_view>("2026-01-01T00:00:00.123456Z"));
  LeaseRecord back = LeaseRecordFromObject(lease);
  CHECK(back.holder_identity == "pod-a");
  CHECK(back.lease_duration_seconds == 15);
  CHECK(back.acquire_time == record.acquire_time);
  CHECK(back.renew_time == record.renew_time);
  CHECK(back.lease_transitions == 4);

  Object empty("coordination.k8s.io/v1", "Lease");
  REQUIRE(empty.SetString("/spec/renewTime", "yesterday").ok());
  LeaseRecord blank = LeaseRecordFromObject(empty);
  CHECK(blank.holder_identity.empty());
  CHECK_FALSE(blank.renew_time.has_value());
}

TEST_CASE("MemberCluster kubeconfig references", "[kubeapi][fleet]") {
  Object mc("fogguru.eu/v1", "MemberCluster");
  mc.SetName("edge-1");
  CHECK(KubeconfigSecretRef(mc, "").status().code() == absl::StatusCode::kInvalidArgument);
  REQUIRE(mc.SetString("/spec/kubeconfigSecretRef/name", "edge-1-kubeconfig").ok());
  absl::StatusOr<SecretRef> ref = KubeconfigSecretRef(mc, "mck8s-system");
  REQUIRE(ref.ok());
  CHECK(ref->ns == "mck8s-system");
  CHECK(ref->name == "edge-1-kubeconfig");
  CHECK(ref->key == "value");
  REQUIRE(mc.SetString("/spec/kubeconfigSecretRef/namespace", "fleet").ok());
  REQUIRE(mc.SetString("/spec/kubeconfigSecretRef/key", "config").ok());
  ref = KubeconfigSecretRef(mc, "mck8s-system");
  REQUIRE(ref.ok());
  CHECK(ref->ns == "fleet");
  CHECK(ref->key == "config");
  CHECK(KubeconfigSecretRef(mc, "")->ns == "fleet");
  REQUIRE(mc.SetString("/spec/kubeconfigSecretRef/name", "").ok());
  CHECK_FALSE(KubeconfigSecretRef(mc, "").ok());
}

}  // namespace
}  // namespace mck8s::kubeapi
