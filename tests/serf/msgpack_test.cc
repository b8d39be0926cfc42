#include "mck8s/serf/msgpack.h"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>

namespace mck8s::serf::msgpack {
namespace {

std::string Bytes(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s.push_back(static_cast<char>(b));
  return s;
}

Value RoundTrip(const Value& v) {
  std::string wire = Encode(v);
  size_t used = 0;
  absl::StatusOr<Value> back = Decode(wire, &used);
  REQUIRE(back.ok());
  CHECK(used == wire.size());
  return *back;
}

TEST_CASE("msgpack: scalars round trip with their shortest encoding") {
  struct Case {
    Value value;
    size_t size;
  };
  const Case cases[] = {
      {Value(), 1},
      {Value(true), 1},
      {Value(false), 1},
      {Value(0), 1},
      {Value(127), 1},
      {Value(128), 2},
      {Value(255), 2},
      {Value(256), 3},
      {Value(65535), 3},
      {Value(65536), 5},
      {Value(uint64_t{0xffffffff}), 5},
      {Value(uint64_t{0x100000000}), 9},
      {Value(std::numeric_limits<uint64_t>::max()), 9},
      {Value(-1), 1},
      {Value(-32), 1},
      {Value(-33), 2},
      {Value(-128), 2},
      {Value(-129), 3},
      {Value(-32768), 3},
      {Value(-32769), 5},
      {Value(int64_t{INT32_MIN}), 5},
      {Value(int64_t{INT32_MIN} - 1), 9},
      {Value(std::numeric_limits<int64_t>::min()), 9},
      {Value(0.5), 9},
      {Value(-1e300), 9},
      {Value(std::numeric_limits<double>::quiet_NaN()), 9},
      {Value(""), 1},
      {Value(std::string(31, 'x')), 32},
      {Value(std::string(32, 'x')), 35},
      {Value(std::string(70000, 'x')), 70005},
      {Value::Binary(""), 2},
      {Value::Binary(std::string(300, '\0')), 303},
      {Value::Binary(std::string(70000, '\1')), 70005},
  };
  for (const Case& c : cases) {
    INFO(c.value.DebugString().substr(0, 80));
    CHECK(Encode(c.value).size() == c.size);
    CHECK(RoundTrip(c.value) == c.value);
  }
}

TEST_CASE("msgpack: containers round trip, including the 16- and 32-bit forms") {
  Value::Array small{Value(1), Value("two"), Value(3.0), Value()};
  Value::Array big;
  for (int i = 0; i < 70000; ++i) big.push_back(Value(i));
  Value::Map entries;
  for (int i = 0; i < 20; ++i) entries.emplace_back(Value(i), Value::MakeArray(small));
  Value nested = Value::Struct({{"a", Value::MakeArray(small)},
                                {"b", Value::MakeMap(entries)},
                                {"c", Value::MakeArray(big)},
                                {"d", Value::Struct({})}});
  CHECK(RoundTrip(nested) == nested);
  CHECK(Encode(Value::MakeArray(small))[0] == static_cast<char>(0x94));
  CHECK(Encode(Value::MakeMap(entries))[0] == static_cast<char>(0xde));
  CHECK(Encode(Value::MakeArray(big))[0] == static_cast<char>(0xdd));
}

TEST_CASE(
    "msgpack: decodes a Serf response header and coordinate as Go writes "
    "them") {
  // {"Seq": 7, "Error": ""} then {"Coord": {"Vec": [0.5, -0.25], "Error": 1.5,
  // "Adjustment": 0, "Height": 1e-05}, "Ok": true}, written by
  // go-msgpack's MsgpackHandle (fixstr keys, float64 numbers).
  std::string wire = Bytes({0x82, 0xa3, 'S', 'e', 'q', 0x07, 0xa5, 'E', 'r', 'r', 'o', 'r', 0xa0});
  wire +=
      Bytes({0x82, 0xa5, 'C',  'o',  'o',  'r',  'd',  0x84, 0xa3, 'V',  'e', 'c', 0x92, 0xcb, 0x3f,
             0xe0, 0,    0,    0,    0,    0,    0,    0xcb, 0xbf, 0xd0, 0,   0,   0,    0,    0,
             0,    0xa5, 'E',  'r',  'r',  'o',  'r',  0xcb, 0x3f, 0xf8, 0,   0,   0,    0,    0,
             0,    0xaa, 'A',  'd',  'j',  'u',  's',  't',  'm',  'e',  'n', 't', 0xcb, 0,    0,
             0,    0,    0,    0,    0,    0,    0xa6, 'H',  'e',  'i',  'g', 'h', 't',  0xcb, 0x3e,
             0xe4, 0xf8, 0xb5, 0x88, 0xe3, 0x68, 0xf1, 0xa2, 'O',  'k',  0xc3});
  size_t used = 0;
  absl::StatusOr<Value> header = Decode(wire, &used);
  REQUIRE(header.ok());
  CHECK(used == 13);
  CHECK(header->Find("Seq")->AsUint() == uint64_t{7});
  CHECK(*header->Find("Error")->AsString() == "");

  absl::StatusOr<Value> body = Decode(std::string_view(wire).substr(used), &used);
  REQUIRE(body.ok());
  CHECK(body->Find("Ok")->AsBool() == true);
  const Value* coord = body->Find("Coord");
  REQUIRE(coord != nullptr);
  const Value::Array* vec = coord->Find("Vec")->AsArray();
  REQUIRE(vec != nullptr);
  REQUIRE(vec->size() == 2);
  CHECK((*vec)[0].AsDouble() == 0.5);
  CHECK((*vec)[1].AsDouble() == -0.25);
  CHECK(coord->Find("Error")->AsDouble() == 1.5);
  CHECK(coord->Find("Height")->AsDouble() == 1e-5);
  CHECK(coord->Find("Missing") == nullptr);
}

TEST_CASE(
    "msgpack: decodes every string, binary and number form of both "
    "specifications") {
  CHECK(*Decode(Bytes({0xd9, 3, 'a', 'b', 'c'}))->AsString() == "abc");     // str8
  CHECK(*Decode(Bytes({0xda, 0, 3, 'a', 'b', 'c'}))->AsString() == "abc");  // raw16/str16
  CHECK(*Decode(Bytes({0xdb, 0, 0, 0, 1, 'z'}))->AsString() == "z");        // raw32/str32
  Value bin = *Decode(Bytes({0xc4, 4, 127, 0, 0, 1}));                      // bin8 (net.IP)
  CHECK(bin.type() == Value::Type::kBinary);
  CHECK(*bin.AsBytes() == Bytes({127, 0, 0, 1}));
  CHECK(bin.AsString() == nullptr);
  CHECK(Decode(Bytes({0xc5, 0, 1, 'q'}))->AsBytes()->size() == 1);
  CHECK(Decode(Bytes({0xc6, 0, 0, 0, 1, 'q'}))->AsBytes()->size() == 1);
  CHECK(Decode(Bytes({0xca, 0x3f, 0xc0, 0, 0}))->AsDouble() == 1.5);  // float32
  CHECK(Decode(Bytes({0xd0, 0x80}))->AsInt() == -128);
  CHECK(Decode(Bytes({0xd1, 0xff, 0x7f}))->AsInt() == -129);
  CHECK(Decode(Bytes({0xd2, 0x80, 0, 0, 0}))->AsInt() == INT32_MIN);
  CHECK(Decode(Bytes({0xd3, 0, 0, 0, 0, 0, 0, 0, 5}))->AsInt() == 5);
  CHECK(Decode(Bytes({0xcd, 0x01, 0x00}))->AsUint() == 256u);
  CHECK(Decode(Bytes({0xce, 0, 1, 0, 0}))->AsUint() == 65536u);
  CHECK(Decode(Bytes({0xcf, 0, 0, 0, 1, 0, 0, 0, 0}))->AsUint() == 0x100000000ULL);
  CHECK(Decode(Bytes({0xdc, 0, 1, 0xc0}))->AsArray()->size() == 1);
  CHECK(Decode(Bytes({0xdf, 0, 0, 0, 1, 0xa1, 'k', 0x01}))->Find("k")->AsUint() == 1u);
  // Integers convert between signed and unsigned only when they fit.
  CHECK(Value(uint64_t{UINT64_MAX}).AsInt() == std::nullopt);
  CHECK(Value(-1).AsUint() == std::nullopt);
  CHECK(Value(3).AsDouble() == 3.0);
}

TEST_CASE("msgpack: a truncated value is incomplete, not an error") {
  std::string wire = Encode(Value::Struct({{"Members", Value::MakeArray({Value("a"), Value(1.0)})},
                                           {"Big", Value(uint64_t{1} << 40)}}));
  for (size_t cut = 0; cut < wire.size(); ++cut) {
    absl::StatusOr<Value> v = Decode(std::string_view(wire).substr(0, cut));
    INFO("cut at " << cut);
    REQUIRE_FALSE(v.ok());
    CHECK(IsIncomplete(v.status()));
  }
  CHECK(Decode(wire).ok());
}

TEST_CASE(
    "msgpack: invalid bytes and hostile sizes are rejected without "
    "allocating") {
  for (int tag : {0xc1, 0xc7, 0xc8, 0xc9, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8}) {
    absl::StatusOr<Value> v = Decode(Bytes({tag, 0, 0, 0, 0, 0}));
    INFO("tag " << tag);
    REQUIRE_FALSE(v.ok());
    CHECK(v.status().code() == absl::StatusCode::kInvalidArgument);
  }
  // An array and a map claiming 2^32-1 entries, and a 4 GiB string, in a few
  // bytes: incomplete, answered at once.
  CHECK(IsIncomplete(Decode(Bytes({0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0})).status()));
  CHECK(IsIncomplete(Decode(Bytes({0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0, 0xc0})).status()));
  CHECK(IsIncomplete(Decode(Bytes({0xdb, 0xff, 0xff, 0xff, 0xff, 'a'})).status()));
  // Nesting beyond the limit.
  std::string deep(kMaxDepth + 1, static_cast<char>(0x91));
  deep.push_back(static_cast<char>(0xc0));
  absl::StatusOr<Value> v = Decode(deep);
  REQUIRE_FALSE(v.ok());
  CHECK(v.status().code() == absl::StatusCode::kInvalidArgument);
  std::string ok_depth(kMaxDepth, static_cast<char>(0x91));
  ok_depth.push_back(static_cast<char>(0xc0));
  CHECK(Decode(ok_depth).ok());
}

TEST_CASE("msgpack: Decode reads one value and reports what it used") {
  std::string wire = Encode(Value(1)) + Encode(Value("next"));
  size_t used = 0;
  REQUIRE(Decode(wire, &used).ok());
  CHECK(used == 1);
  CHECK(*Decode(std::string_view(wire).substr(used))->AsString() == "next");
}

TEST_CASE("msgpack: Find matches string keys only and keeps wire order") {
  Value m = Value::MakeMap(
      {{Value(1), Value("int key")}, {Value("k"), Value("first")}, {Value("k"), Value("second")}});
  CHECK(*m.Find("k")->AsString() == "first");
  CHECK(m.Find("1") == nullptr);
  CHECK(Value(1).Find("k") == nullptr);
}

}  // namespace
}  // namespace mck8s::serf::msgpack
