#include "mck8s/runtime/log.h"

#include <catch2/catch.hpp>
#include <thread>

#include "rapidjson/document.h"

namespace mck8s::runtime {
namespace {

TEST_CASE("log: a line is one JSON object with typed fields", "[runtime][log]") {
  const absl::Time t = absl::FromUnixMillis(1764043811123);
  std::string line = log::FormatLine(
      t, LogLevel::kWarn, "scheduler", "placed \"hello\"\n",
      {{"clusters", 2}, {"ratio", 0.5}, {"dry_run", true}, {"mcd", "default/hello"},
       {"error", absl::NotFoundError("gone")}, {"took", absl::Milliseconds(1500)}});
  REQUIRE(line.back() == '\n');
  REQUIRE(std::count(line.begin(), line.end(), '\n') == 1);
  rapidjson::Document doc;
  doc.Parse(line.c_str());
  REQUIRE_FALSE(doc.HasParseError());
  CHECK(std::string(doc["ts"].GetString()) == "2025-11-25T04:10:11.123Z");
  CHECK(std::string(doc["level"].GetString()) == "warn");
  CHECK(std::string(doc["logger"].GetString()) == "scheduler");
  CHECK(std::string(doc["msg"].GetString()) == "placed \"hello\"\n");
  CHECK(doc["clusters"].GetInt64() == 2);
  CHECK(doc["ratio"].GetDouble() == 0.5);
  CHECK(doc["dry_run"].GetBool());
  CHECK(std::string(doc["mcd"].GetString()) == "default/hello");
  CHECK(std::string(doc["error"].GetString()) == "NOT_FOUND: gone");
  CHECK(std::string(doc["took"].GetString()) == "1.5s");
}

TEST_CASE("log: levels filter and parse", "[runtime][log]") {
  std::vector<std::string> lines;
  log::SetSinkForTesting([&lines](std::string_view l) { lines.emplace_back(l); });
  log::Init("test", LogLevel::kWarn);
  log::Debug("no");
  log::Info("no");
  log::Warn("yes");
  log::Error("yes");
  log::SetSinkForTesting(nullptr);
  log::Init("mck8s", LogLevel::kInfo);
  REQUIRE(lines.size() == 2);
  CHECK_THAT(lines[0], Catch::Contains("\"level\":\"warn\""));
  CHECK_THAT(lines[1], Catch::Contains("\"level\":\"error\""));

  CHECK(*ParseLogLevel("DEBUG") == LogLevel::kDebug);
  CHECK(*ParseLogLevel("warning") == LogLevel::kWarn);
  CHECK(ParseLogLevel("loud").status().code() == absl::StatusCode::kInvalidArgument);
}

TEST_CASE("log: concurrent writers never interleave lines", "[runtime][log]") {
  std::vector<std::string> lines;
  log::SetSinkForTesting([&lines](std::string_view l) { lines.emplace_back(l); });
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t] {
      for (int i = 0; i < 250; ++i) log::Info("tick", {{"thread", t}, {"i", i}});
    });
  }
  for (auto& th : threads) th.join();
  log::SetSinkForTesting(nullptr);
  REQUIRE(lines.size() == 1000);
  for (const std::string& l : lines) {
    rapidjson::Document doc;
    doc.Parse(l.c_str());
    REQUIRE_FALSE(doc.HasParseError());
  }
}

}  // namespace
}  // namespace mck8s::runtime
