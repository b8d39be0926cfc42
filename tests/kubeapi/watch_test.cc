#include "mck8s/kubeapi/watch.h"

#include <catch2/catch.hpp>

#include "mck8s/kubeapi/errors.h"

namespace mck8s::kubeapi {
namespace {

// Three events as an API server writes them, with strings that contain
// braces, quotes, escapes and a newline escape, and multi-byte UTF-8.
const std::string kStream =
    R"({"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"a","resourceVersion":"1","annotations":{"x":"{not \"a} brace\\","y":"\u00e9t\u00e9 \n"}}}})"
    "\n"
    R"({"type":"MODIFIED","object":{"kind":"Pod","metadata":{"name":"a","resourceVersion":"2","labels":{"z":"caf)"
    "\xc3\xa9"
    R"("}},"spec":{"list":[1,[2,{"k":"]"}]]}}})"
    "\n"
    R"({"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"3"}}})"
    "\n"
    R"({"type":"DELETED","object":{"kind":"Pod","metadata":{"name":"a","resourceVersion":"4"}}})"
    "\n";

std::vector<std::string> Summaries(const std::vector<WatchEvent>& events) {
  std::vector<std::string> out;
  for (const WatchEvent& e : events) {
    out.push_back(std::string(WatchEventTypeName(e.type)) + " " + e.object.ToJson());
  }
  return out;
}

std::vector<WatchEvent> DecodeWhole(const std::string& stream) {
  WatchDecoder decoder;
  std::vector<WatchEvent> events;
  REQUIRE(decoder.Feed(stream, [&](WatchEvent e) {
    events.push_back(std::move(e));
    return true;
  }).ok());
  REQUIRE(decoder.Finish().ok());
  return events;
}

TEST_CASE("watch decoder: events in order with their objects", "[kubeapi][watch]") {
  std::vector<WatchEvent> events = DecodeWhole(kStream);
  REQUIRE(events.size() == 4);
  CHECK(events[0].type == WatchEventType::kAdded);
  CHECK(events[0].object.annotation("x") == std::optional<std::string_view>("{not \"a} brace\\"));
  CHECK(events[1].type == WatchEventType::kModified);
  CHECK(events[1].object.label("z") == std::optional<std::string_view>("caf\xc3\xa9"));
  CHECK(events[2].type == WatchEventType::kBookmark);
  CHECK(events[2].object.resource_version() == "3");
  CHECK(events[3].type == WatchEventType::kDeleted);
}

TEST_CASE("watch decoder: a stream split at every byte boundary decodes the same",
          "[kubeapi][watch]") {
  const std::vector<std::string> expected = Summaries(DecodeWhole(kStream));
  for (size_t cut = 0; cut <= kStream.size(); ++cut) {
    CAPTURE(cut);
    WatchDecoder decoder;
    std::vector<WatchEvent> events;
    auto collect = [&](WatchEvent e) {
      events.push_back(std::move(e));
      return true;
    };
    REQUIRE(decoder.Feed(std::string_view(kStream).substr(0, cut), collect).ok());
    REQUIRE(decoder.Feed(std::string_view(kStream).substr(cut), collect).ok());
    REQUIRE(decoder.Finish().ok());
    REQUIRE(Summaries(events) == expected);
  }
  // And one byte at a time.
  WatchDecoder decoder;
  std::vector<WatchEvent> events;
  for (char c : kStream) {
    REQUIRE(decoder.Feed(std::string_view(&c, 1), [&](WatchEvent e) {
      events.push_back(std::move(e));
      return true;
    }).ok());
  }
  CHECK(Summaries(events) == expected);
  CHECK(decoder.events() == 4);
}

TEST_CASE("watch decoder: whitespace between events is free, no newline needed",
          "[kubeapi][watch]") {
  std::vector<WatchEvent> events = DecodeWhole(
      "\r\n  {\"type\":\"ADDED\",\"object\":{\"a\":1}}{\"type\":\"DELETED\",\"object\":{}}\t\n");
  REQUIRE(events.size() == 2);
  CHECK(events[1].type == WatchEventType::kDeleted);
  CHECK(DecodeWhole("").empty());
}

TEST_CASE("watch decoder: ERROR events carry the Status as an error", "[kubeapi][watch]") {
  std::vector<WatchEvent> events = DecodeWhole(
      R"json({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired","code":410}})json");
  REQUIRE(events.size() == 1);
  CHECK(events[0].type == WatchEventType::kError);
  CHECK(IsGone(events[0].error));
  CHECK(std::string(events[0].error.message()).find("too old resource version") !=
        std::string::npos);
}

TEST_CASE("watch decoder: the callback can stop the stream", "[kubeapi][watch]") {
  WatchDecoder decoder;
  int seen = 0;
  REQUIRE(decoder.Feed(kStream, [&](WatchEvent) { return ++seen < 2; }).ok());
  CHECK(seen == 2);
}

TEST_CASE("watch decoder: bad input is a clear error, and sticks", "[kubeapi][watch]") {
  struct Row {
    std::string stream;
    const char* expect;
  };
  const Row rows[] = {
      {"x", "unexpected byte 0x78 before event 1"},
      {"[]", "unexpected byte"},
      {R"({"object":{}})", "event 1 has no type"},
      {R"({"type":7,"object":{}})", "event 1 has no type"},
      {R"({"type":"ADDED"})", "has no object"},
      {R"({"type":"ADDED","object":[]})", "has no object"},
      {R"({"type":"RENAMED","object":{}})", "unknown type \"RENAMED\""},
      {R"({"type":"ADDED","object":{}}{"type":"ADDED","object":{"a":}})", "event 2 is not valid JSON"},
      {"{\"type\":\"ADDED\",\"object\":{\"a\":\"\x01\"}}", "not valid JSON"},
  };
  for (const Row& row : rows) {
    CAPTURE(row.stream);
    WatchDecoder decoder;
    absl::Status status = decoder.Feed(row.stream, [](WatchEvent) { return true; });
    REQUIRE_FALSE(status.ok());
    CHECK(status.code() == absl::StatusCode::kInvalidArgument);
    CHECK(std::string(status.message()).find(row.expect) != std::string::npos);
    CHECK_FALSE(decoder.Feed("{}", [](WatchEvent) { return true; }).ok());
    CHECK_FALSE(decoder.Finish().ok());
  }
}

TEST_CASE("watch decoder: a truncated stream is reported at Finish", "[kubeapi][watch]") {
  WatchDecoder decoder;
  int seen = 0;
  REQUIRE(decoder.Feed(kStream.substr(0, kStream.size() - 10), [&](WatchEvent) {
    ++seen;
    return true;
  }).ok());
  CHECK(seen == 3);
  absl::Status finished = decoder.Finish();
  CHECK(finished.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(finished.message()).find("inside event 4") != std::string::npos);
}

TEST_CASE("watch decoder: oversized events are refused", "[kubeapi][watch]") {
  WatchDecoder decoder(/*max_event_bytes=*/64);
  absl::Status status =
      decoder.Feed(R"({"type":"ADDED","object":{"data":")" + std::string(100, 'x'),
                   [](WatchEvent) { return true; });
  CHECK(status.code() == absl::StatusCode::kInvalidArgument);
  CHECK(std::string(status.message()).find("larger than 64 bytes") != std::string::npos);
}

}  // namespace
}  // namespace mck8s::kubeapi
