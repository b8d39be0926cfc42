// Specification of Resources: conversion from ResourceList strings, the fit
// test and the replica count used by the placement engine.

#include "mck8s/k8stypes/resources.h"

#include <cstdint>
#include <limits>
#include <map>
#include <string>

#include <catch2/catch.hpp>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"

namespace mck8s::k8stypes {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
constexpr int64_t kGi = int64_t{1} << 30;

TEST_CASE("ResourcesFromStringMap converts with Kubernetes rounding", "[k8stypes][resources]") {
  const std::map<std::string, std::string> list = {
      {"cpu", "250m"},        {"memory", "512Mi"},         {"pods", "110"},
      {"nvidia.com/gpu", "2"}, {"ephemeral-storage", "1.5Gi"}, {"hugepages-2Mi", "0"},
  };
  const absl::StatusOr<Resources> resources = ResourcesFromStringMap(list);
  REQUIRE(resources.ok());
  CHECK(resources->cpu_millis == 250);
  CHECK(resources->memory_bytes == 512 * 1024 * 1024);
  CHECK(resources->pods == 110);
  CHECK(resources->Extended("nvidia.com/gpu") == 2);
  CHECK(resources->Extended("ephemeral-storage") == 1610612736);
  CHECK(resources->Extended("hugepages-2Mi") == 0);
  CHECK(resources->extended.size() == 2);  // zero amounts are not kept
  CHECK(resources->String() ==
        "cpu=250m memory=512Mi pods=110 ephemeral-storage=1610612736 nvidia.com/gpu=2");

  // Rounding up, as Kubernetes' MilliValue and Value do.
  const absl::StatusOr<Resources> tiny = ResourcesFromStringMap(
      absl::flat_hash_map<std::string, std::string>{{"cpu", "0.1m"}, {"example.com/foo", "0.5"}});
  REQUIRE(tiny.ok());
  CHECK(tiny->cpu_millis == 1);
  CHECK(tiny->Extended("example.com/foo") == 1);
  CHECK(ResourcesFromStringMap(std::map<std::string, std::string>{})->IsZero());
}

TEST_CASE("ResourcesFromStringMap names the bad entry", "[k8stypes][resources]") {
  struct Case {
    std::string name, quantity;
    absl::StatusCode code;
    std::string message_part;
  };
  const Case cases[] = {
      {"cpu", "lots", absl::StatusCode::kInvalidArgument, "resource \"cpu\": invalid quantity"},
      {"memory", "-1Gi", absl::StatusCode::kInvalidArgument, "must not be negative"},
      {"pods", "1 0", absl::StatusCode::kInvalidArgument, "resource \"pods\""},
      {"", "1", absl::StatusCode::kInvalidArgument, "empty name"},
      {"cpu", "10P", absl::StatusCode::kOutOfRange, "resource \"cpu\""},
      {"memory", "10E", absl::StatusCode::kOutOfRange, "resource \"memory\""},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name, c.quantity);
    const absl::StatusOr<Resources> resources =
        ResourcesFromStringMap(std::map<std::string, std::string>{{c.name, c.quantity}});
    REQUIRE_FALSE(resources.ok());
    CHECK(resources.status().code() == c.code);
    CHECK_THAT(std::string(resources.status().message()), Catch::Contains(c.message_part));
  }
}

TEST_CASE("Resources arithmetic is element-wise and saturating", "[k8stypes][resources]") {
  Resources a{.cpu_millis = 1000, .memory_bytes = kGi, .pods = 3, .extended = {{"gpu", 1}}};
  const Resources b{.cpu_millis = 250, .memory_bytes = kGi / 2, .pods = 1,
                    .extended = {{"gpu", 1}, {"fpga", 2}}};
  const Resources sum = a + b;
  CHECK(sum == Resources{.cpu_millis = 1250, .memory_bytes = kGi + kGi / 2, .pods = 4,
                         .extended = {{"fpga", 2}, {"gpu", 2}}});
  const Resources difference = a - b;
  CHECK(difference == Resources{.cpu_millis = 750, .memory_bytes = kGi / 2, .pods = 2,
                                .extended = {{"fpga", -2}}});  // gpu 1-1 is dropped
  CHECK((a - a).IsZero());
  CHECK((a - a) == Resources{});
  CHECK(b.Times(3) == Resources{.cpu_millis = 750, .memory_bytes = 3 * (kGi / 2), .pods = 3,
                                .extended = {{"fpga", 6}, {"gpu", 3}}});
  CHECK(b.Times(0) == Resources{});

  const Resources huge{.cpu_millis = kMax, .memory_bytes = kMin, .pods = kMax};
  CHECK((huge + huge) == Resources{.cpu_millis = kMax, .memory_bytes = kMin, .pods = kMax});
  CHECK((Resources{} - huge).memory_bytes == kMax);
  CHECK(huge.Times(-2) == Resources{.cpu_millis = kMin, .memory_bytes = kMax, .pods = kMin});
  a += b;
  CHECK(a == sum);
  CHECK(Resources{}.String() == "{}");
}

TEST_CASE("Resources::Fits ignores dimensions the request leaves at zero",
          "[k8stypes][resources]") {
  const Resources free{.cpu_millis = 2000, .memory_bytes = 4 * kGi, .pods = 10,
                       .extended = {{"nvidia.com/gpu", 1}}};
  struct Case {
    const char* name;
    Resources need;
    bool fits;
  };
  const Case cases[] = {
      {"nothing", Resources{}, true},
      {"exactly everything", free, true},
      {"one millicore too many", {.cpu_millis = 2001}, false},
      {"one byte too many", {.memory_bytes = 4 * kGi + 1}, false},
      {"too many pods", {.pods = 11}, false},
      {"gpu available", {.cpu_millis = 100, .extended = {{"nvidia.com/gpu", 1}}}, true},
      {"two gpus", {.extended = {{"nvidia.com/gpu", 2}}}, false},
      {"unknown extended resource", {.extended = {{"example.com/fpga", 1}}}, false},
      {"negative request counts as none", {.cpu_millis = -5, .memory_bytes = kGi}, true},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    CHECK(free.Fits(c.need) == c.fits);
  }
  // An over-committed node still admits a pod that asks nothing of what it lacks.
  const Resources overcommitted{.cpu_millis = -500, .memory_bytes = kGi, .pods = 5};
  CHECK(overcommitted.Fits(Resources{.memory_bytes = kGi, .pods = 1}));
  CHECK_FALSE(overcommitted.Fits(Resources{.cpu_millis = 1}));
}

TEST_CASE("ReplicasThatFit takes the floor over requested dimensions",
          "[k8stypes][resources]") {
  const Resources free{.cpu_millis = 4000, .memory_bytes = 8 * kGi, .pods = 110,
                       .extended = {{"nvidia.com/gpu", 3}}};
  struct Case {
    const char* name;
    Resources free;
    Resources per_replica;
    int64_t replicas;
  };
  const Case cases[] = {
      {"cpu bound", free, {.cpu_millis = 250, .memory_bytes = 256 << 20}, 16},
      {"memory bound", free, {.cpu_millis = 100, .memory_bytes = 3 * kGi}, 2},
      {"floor, not round", free, {.cpu_millis = 3999}, 1},
      {"does not fit once", free, {.cpu_millis = 4001}, 0},
      {"gpu bound", free, {.cpu_millis = 1, .extended = {{"nvidia.com/gpu", 1}}}, 3},
      {"missing extended resource", free, {.extended = {{"example.com/fpga", 1}}}, 0},
      {"only memory requested", free, {.memory_bytes = kGi}, 8},
      {"all-zero request: pods limit", free, Resources{}, 110},
      {"pods limit below cpu limit", {.cpu_millis = 4000, .pods = 3}, {.cpu_millis = 100}, 3},
      {"two pods per replica", {.cpu_millis = 4000, .pods = 7}, {.cpu_millis = 1, .pods = 2}, 3},
      {"no pod slots", {.cpu_millis = 4000, .pods = 0}, {.cpu_millis = 1}, 0},
      {"negative free", {.cpu_millis = -100, .pods = 10}, {.cpu_millis = 1}, 0},
      {"memory requested, none free", {.cpu_millis = 100, .pods = 10}, {.memory_bytes = 1}, 0},
      {"negative request ignored", {.cpu_millis = 10, .pods = 4}, {.cpu_millis = -1}, 4},
      {"huge numbers", {.cpu_millis = kMax, .memory_bytes = kMax, .pods = kMax},
       {.cpu_millis = 1, .memory_bytes = 1}, kMax},
  };
  for (const Case& c : cases) {
    CAPTURE(c.name);
    CHECK(ReplicasThatFit(c.free, c.per_replica) == c.replicas);
  }
}

}  // namespace
}  // namespace mck8s::k8stypes
