// -----------------------------------------------------------------------------
// File: mck8s/serf/msgpack.h
// -----------------------------------------------------------------------------
//
// A small MessagePack codec: the subset of the format Serf's RPC protocol
// uses, which is every type but extensions and timestamps. Values are a
// dynamically typed tree (`msgpack::Value`); `Encode` appends one value to a
// byte string and `Decode` reads one value from the front of a buffer.
//
// The encoder writes strings only as fixstr, str16 and str32, never str8
// (0xd9): those three share their bytes with the raw types of the original
// MessagePack specification, so agents whose codec predates the str8/bin
// revision read them too. Byte strings are written as bin8/16/32.
//
// The decoder accepts both the old and the new specification (raw and str
// types both become kString; bin types become kBinary). It is safe on
// untrusted input: nesting is limited to kMaxDepth, and a container's
// declared size is checked against the bytes that remain before anything is
// reserved, so a short hostile message cannot make it allocate much.
//
// Usage:
//
//   msgpack::Value header = msgpack::Value::Struct({{"Command", "members"},
//                                                {"Seq", uint64_t{1}}});
//   std::string wire;
//   msgpack::Encode(header, wire);
//
//   size_t used = 0;
//   absl::StatusOr<msgpack::Value> v = msgpack::Decode(wire, &used);
//   if (msgpack::IsIncomplete(v.status())) { /* read more bytes */ }
//   const msgpack::Value* seq = v->Find("Seq");
//
// Thread-safety: values are plain data; the functions are reentrant.

#ifndef MCK8S_SERF_MSGPACK_H_
#define MCK8S_SERF_MSGPACK_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mck8s::serf::msgpack {

// Nesting limit of the decoder (arrays and maps inside each other).
inline constexpr int kMaxDepth = 64;

class Value {
 public:
  enum class Type { kNil, kBool, kInt, kUint, kFloat, kString, kBinary, kArray, kMap };
  using Array = std::vector<Value>;
  // Maps keep the wire order; keys may be of any type.
  using Map = std::vector<std::pair<Value, Value>>;

  Value() = default;  // nil
  Value(bool b) : type_(Type::kBool), bool_(b) {}
  // Signed integers that are >= 0 are stored as kUint, so a value read back
  // from the wire compares equal to the one encoded.
  Value(int v) : Value(static_cast<int64_t>(v)) {}
  Value(int64_t v);
  Value(uint64_t v) : type_(Type::kUint), uint_(v) {}
  Value(double v) : type_(Type::kFloat), float_(v) {}
  Value(std::string s) : type_(Type::kString), bytes_(std::move(s)) {}
  Value(const char* s) : Value(std::string(s)) {}
  Value(std::string_view s) : Value(std::string(s)) {}

  static Value Binary(std::string bytes);
  static Value MakeArray(Array items);
  static Value MakeMap(Map entries);
  // A map with string keys, the shape of every Go struct on the wire.
  static Value Struct(std::vector<std::pair<std::string, Value>> fields);

  Type type() const { return type_; }
  bool is_nil() const { return type_ == Type::kNil; }

  // Typed accessors: nullopt (or nullptr) when the value is of another type.
  // AsInt and AsUint accept both integer types when the number fits;
  // AsDouble accepts integers too (Go writes whole floats as floats, but
  // other encoders do not).
  std::optional<bool> AsBool() const;
  std::optional<int64_t> AsInt() const;
  std::optional<uint64_t> AsUint() const;
  std::optional<double> AsDouble() const;
  // kString or kBinary.
  const std::string* AsBytes() const;
  const std::string* AsString() const;
  const Array* AsArray() const;
  const Map* AsMap() const;

  // For maps: the value of the first entry whose key is the string `key`,
  // or nullptr (also for non-maps).
  const Value* Find(std::string_view key) const;

  friend bool operator==(const Value& a, const Value& b);
  friend bool operator!=(const Value& a, const Value& b) { return !(a == b); }

  // A readable rendering for messages and test failures (not JSON).
  std::string DebugString() const;

 private:
  Type type_ = Type::kNil;
  bool bool_ = false;
  int64_t int_ = 0;
  uint64_t uint_ = 0;
  double float_ = 0;
  std::string bytes_;
  Array array_;
  Map map_;
};

// Appends the encoding of `value` to `out`, using the shortest form of each
// integer and float64 for every float.
void Encode(const Value& value, std::string& out);
std::string Encode(const Value& value);

// Decodes one value from the front of `data`, storing the number of bytes it
// took in `*consumed` (when not null). Errors:
//   - OutOfRange (see IsIncomplete) when `data` ends inside the value: the
//     caller may read more bytes and try again;
//   - InvalidArgument for bytes that are not MessagePack (the reserved 0xc1,
//     extension types) or nesting deeper than kMaxDepth.
absl::StatusOr<Value> Decode(std::string_view data, size_t* consumed = nullptr);

// Whether `status` is Decode's "input ends inside a value".
bool IsIncomplete(const absl::Status& status);

}  // namespace mck8s::serf::msgpack

#endif  // MCK8S_SERF_MSGPACK_H_
