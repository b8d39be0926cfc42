// Specification of the Kubernetes name rules used for labels and metadata.

#include "mck8s/k8stypes/validation.h"

#include <string>

#include <catch2/catch.hpp>

#include "absl/status/status.h"

namespace mck8s::k8stypes {
namespace {

TEST_CASE("Label keys are qualified names", "[k8stypes][validation]") {
  const std::string name63(63, 'a');
  const std::string label63(63, 'b');
  const std::string prefix253 = label63 + "." + label63 + "." + label63 + "." + std::string(61, 'c');
  REQUIRE(prefix253.size() == 253);
  for (const std::string& good :
       {std::string("a"), std::string("A1"), std::string("my.name"), std::string("my_name-1"),
        std::string("123-abc"), std::string("app.kubernetes.io/name"),
        std::string("example.com/MyName"), name63, prefix253 + "/" + name63}) {
    CAPTURE(good);
    CHECK(ValidateLabelKey(good).ok());
  }
  for (const std::string& bad :
       {std::string(""), std::string("-a"), std::string("a-"), std::string("a b"),
        std::string("a/b/c"), std::string("/a"), std::string("a/"), std::string("Example.com/a"),
        std::string("exa_mple.com/a"), std::string("-example.com/a"), name63 + "a",
        prefix253 + "c/a", std::string("a\xff")}) {
    CAPTURE(bad);
    const absl::Status status = ValidateLabelKey(bad);
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(status.message()), Catch::StartsWith("label key \""));
  }
}

TEST_CASE("Label values may be empty, else like a qualified name", "[k8stypes][validation]") {
  for (const std::string& good : {std::string(""), std::string("a"), std::string("MyValue"),
                                  std::string("my_value"), std::string("12345"),
                                  std::string("1.2.3"), std::string(63, 'v')}) {
    CAPTURE(good);
    CHECK(ValidateLabelValue(good).ok());
  }
  for (const std::string& bad : {std::string("-1"), std::string("a "), std::string("a/b"),
                                 std::string("_a"), std::string(64, 'v')}) {
    CAPTURE(bad);
    CHECK(ValidateLabelValue(bad).code() == absl::StatusCode::kInvalidArgument);
  }
}

TEST_CASE("DNS-1123 subdomains and labels", "[k8stypes][validation]") {
  CHECK(ValidateDns1123Subdomain("example.com").ok());
  CHECK(ValidateDns1123Subdomain("a-b.c-d").ok());
  CHECK(ValidateDns1123Subdomain("0").ok());
  CHECK_FALSE(ValidateDns1123Subdomain("").ok());
  CHECK_FALSE(ValidateDns1123Subdomain("Example.com").ok());
  CHECK_FALSE(ValidateDns1123Subdomain("a..b").ok());
  CHECK_FALSE(ValidateDns1123Subdomain(".a").ok());
  CHECK_FALSE(ValidateDns1123Subdomain("a.").ok());
  CHECK_FALSE(ValidateDns1123Subdomain("a-.b").ok());
  CHECK_FALSE(ValidateDns1123Subdomain(std::string(254, 'a')).ok());
  CHECK(ValidateDns1123Label("kube-system").ok());
  CHECK(ValidateDns1123Label(std::string(63, 'a')).ok());
  CHECK_FALSE(ValidateDns1123Label(std::string(64, 'a')).ok());
  CHECK_FALSE(ValidateDns1123Label("a.b").ok());
  CHECK_FALSE(ValidateDns1123Label("-a").ok());
  CHECK_THAT(std::string(ValidateDns1123Label("A").message()),
             Catch::Contains("lowercase RFC 1123 label"));
}

}  // namespace
}  // namespace mck8s::k8stypes
