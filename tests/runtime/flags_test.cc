#include "mck8s/runtime/flags.h"

#include <catch2/catch.hpp>

#include "mck8s/runtime/service.h"

namespace mck8s::runtime {
namespace {

struct Parsed {
  absl::Status status;
  std::string name = "default";
  bool enabled = false;
  int64_t count = 3;
  absl::Duration period = absl::Seconds(15);
  std::vector<std::string> positional;
  bool help = false;
};

Parsed ParseArgs(std::vector<const char*> args) {
  Parsed p;
  FlagSet flags("prog", "A program.");
  flags.AddString("name", &p.name, "A name.");
  flags.AddBool("enabled", &p.enabled, "A switch.");
  flags.AddInt("count", &p.count, "A count.");
  flags.AddDuration("period", &p.period, "A period.");
  args.insert(args.begin(), "prog");
  p.status = flags.Parse(static_cast<int>(args.size()), args.data());
  p.positional = flags.positional();
  p.help = flags.help_requested();
  return p;
}

TEST_CASE("flags: values in every accepted form", "[runtime][flags]") {
  Parsed p = ParseArgs({"--name=x", "--enabled", "--count", "7", "--period=1m30s"});
  REQUIRE(p.status.ok());
  CHECK(p.name == "x");
  CHECK(p.enabled);
  CHECK(p.count == 7);
  CHECK(p.period == absl::Seconds(90));

  p = ParseArgs({"-name", "y", "--enabled=false", "--", "--not-a-flag"});
  REQUIRE(p.status.ok());
  CHECK(p.name == "y");
  CHECK_FALSE(p.enabled);
  CHECK(p.positional == std::vector<std::string>{"--not-a-flag"});

  p = ParseArgs({"--name="});
  REQUIRE(p.status.ok());
  CHECK(p.name.empty());
}

TEST_CASE("flags: defaults are kept when a flag is absent", "[runtime][flags]") {
  Parsed p = ParseArgs({});
  REQUIRE(p.status.ok());
  CHECK(p.name == "default");
  CHECK(p.count == 3);
  CHECK(p.period == absl::Seconds(15));
}

TEST_CASE("flags: errors name the flag", "[runtime][flags]") {
  struct Case {
    std::vector<const char*> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--bogus"}, "unknown flag: --bogus"},
      {{"--bogus=1"}, "unknown flag: --bogus"},
      {{"--count", "seven"}, "invalid value \"seven\" for flag --count"},
      {{"--enabled=maybe"}, "invalid value \"maybe\" for flag --enabled"},
      {{"--period=fast"}, "invalid value \"fast\" for flag --period"},
      {{"--period=-1s"}, "invalid value \"-1s\" for flag --period"},
      {{"--name"}, "flag needs an argument: --name"},
  };
  for (const Case& c : cases) {
    INFO(c.args.front());
    Parsed p = ParseArgs(c.args);
    CHECK(p.status.code() == absl::StatusCode::kInvalidArgument);
    CHECK_THAT(std::string(p.status.message()), Catch::Contains(c.message));
  }
}

TEST_CASE("flags: --help is recorded and usage lists every flag with defaults",
          "[runtime][flags]") {
  CHECK(ParseArgs({"--help"}).help);
  CHECK(ParseArgs({"-h"}).help);

  ServiceOptions options;
  FlagSet flags("mck8s-mchpa", "Scales things.");
  RegisterServiceFlags({.component = "mchpa",
                        .binary = "mck8s-mchpa",
                        .uses_cluster_state = true,
                        .uses_scheduler = true},
                       flags, options);
  const std::string usage = flags.Usage();
  for (const char* name :
       {"--kubeconfig", "--leader-elect", "--leader-election-namespace",
        "--leader-election-id", "--metrics-bind-address", "--health-probe-bind-address",
        "--grpc-bind-address", "--cluster-state-address", "--scheduler-address",
        "--tls-cert-file", "--tls-key-file", "--tls-client-ca-file", "--tls-ca-file",
        "--log-level", "--namespace", "--fleet-namespace", "--shutdown-grace-period",
        "--help"}) {
    INFO(name);
    CHECK_THAT(usage, Catch::Contains(name));
  }
  CHECK_THAT(usage, Catch::Contains("(default \":8080\")"));
  CHECK_THAT(usage, Catch::Contains("(default \"mck8s-mchpa\")"));
}

TEST_CASE("flags: a service takes only the peer flags it uses", "[runtime][flags]") {
  ServiceOptions options;
  FlagSet flags("mck8s-metrics-gateway", "Feeds state.");
  RegisterServiceFlags({.component = "metrics-gateway", .binary = "mck8s-metrics-gateway"},
                       flags, options);
  const char* args[] = {"prog", "--scheduler-address=x:1"};
  absl::Status s = flags.Parse(2, args);
  CHECK(s.code() == absl::StatusCode::kInvalidArgument);
  CHECK_THAT(std::string(s.message()), Catch::Contains("--scheduler-address"));
}

}  // namespace
}  // namespace mck8s::runtime
