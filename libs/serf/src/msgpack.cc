#include "mck8s/serf/msgpack.h"

#include <cmath>
#include <cstring>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mck8s::serf::msgpack {
namespace {

constexpr char kIncompleteMessage[] = "msgpack: input ends inside a value";

void PutBigEndian(uint64_t v, int bytes, std::string& out) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void PutTagged(uint8_t tag, uint64_t v, int bytes, std::string& out) {
  out.push_back(static_cast<char>(tag));
  PutBigEndian(v, bytes, out);
}

void EncodeUint(uint64_t v, std::string& out) {
  if (v < 0x80) {
    out.push_back(static_cast<char>(v));
  } else if (v <= 0xff) {
    PutTagged(0xcc, v, 1, out);
  } else if (v <= 0xffff) {
    PutTagged(0xcd, v, 2, out);
  } else if (v <= 0xffffffffULL) {
    PutTagged(0xce, v, 4, out);
  } else {
    PutTagged(0xcf, v, 8, out);
  }
}

void EncodeInt(int64_t v, std::string& out) {
  if (v >= 0) return EncodeUint(static_cast<uint64_t>(v), out);
  if (v >= -32) {
    out.push_back(static_cast<char>(static_cast<int8_t>(v)));
  } else if (v >= INT8_MIN) {
    PutTagged(0xd0, static_cast<uint8_t>(v), 1, out);
  } else if (v >= INT16_MIN) {
    PutTagged(0xd1, static_cast<uint16_t>(v), 2, out);
  } else if (v >= INT32_MIN) {
    PutTagged(0xd2, static_cast<uint32_t>(v), 4, out);
  } else {
    PutTagged(0xd3, static_cast<uint64_t>(v), 8, out);
  }
}

class Decoder {
 public:
  explicit Decoder(std::string_view data) : data_(data) {}

  absl::StatusOr<Value> Read(int depth) {
    if (depth > kMaxDepth) {
      return absl::InvalidArgumentError(
          absl::StrCat("msgpack: nesting deeper than ", kMaxDepth, " levels"));
    }
    uint8_t tag;
    if (!Byte(tag)) return Incomplete();
    if (tag <= 0x7f) return Value(uint64_t{tag});
    if (tag >= 0xe0) return Value(int64_t{static_cast<int8_t>(tag)});
    if ((tag & 0xe0) == 0xa0) return String(tag & 0x1f);
    if ((tag & 0xf0) == 0x90) return ArrayOf(tag & 0x0f, depth);
    if ((tag & 0xf0) == 0x80) return MapOf(tag & 0x0f, depth);
    uint64_t n = 0;
    switch (tag) {
      case 0xc0:
        return Value();
      case 0xc2:
        return Value(false);
      case 0xc3:
        return Value(true);
      case 0xc4:
      case 0xc5:
      case 0xc6:
        if (!Number(1 << (tag - 0xc4), n)) return Incomplete();
        return Binary(n);
      case 0xca: {
        if (!Number(4, n)) return Incomplete();
        uint32_t bits = static_cast<uint32_t>(n);
        float f;
        std::memcpy(&f, &bits, sizeof f);
        return Value(static_cast<double>(f));
      }
      case 0xcb: {
        if (!Number(8, n)) return Incomplete();
        double d;
        std::memcpy(&d, &n, sizeof d);
        return Value(d);
      }
      case 0xcc:
      case 0xcd:
      case 0xce:
      case 0xcf:
        if (!Number(1 << (tag - 0xcc), n)) return Incomplete();
        return Value(n);
      case 0xd0:
        if (!Number(1, n)) return Incomplete();
        return Value(int64_t{static_cast<int8_t>(n)});
      case 0xd1:
        if (!Number(2, n)) return Incomplete();
        return Value(int64_t{static_cast<int16_t>(n)});
      case 0xd2:
        if (!Number(4, n)) return Incomplete();
        return Value(int64_t{static_cast<int32_t>(n)});
      case 0xd3:
        if (!Number(8, n)) return Incomplete();
        return Value(static_cast<int64_t>(n));
      case 0xd9:
      case 0xda:
      case 0xdb:
        if (!Number(1 << (tag - 0xd9), n)) return Incomplete();
        return String(n);
      case 0xdc:
      case 0xdd:
        if (!Number(tag == 0xdc ? 2 : 4, n)) return Incomplete();
        return ArrayOf(n, depth);
      case 0xde:
      case 0xdf:
        if (!Number(tag == 0xde ? 2 : 4, n)) return Incomplete();
        return MapOf(n, depth);
      default:
        // 0xc1 (never used), ext 8/16/32 (0xc7-0xc9), fixext (0xd4-0xd8).
        return absl::InvalidArgumentError(absl::StrCat("msgpack: unsupported type byte 0x",
                                                       absl::Hex(tag), " at offset ", pos_ - 1));
    }
  }

  size_t position() const { return pos_; }

 private:
  static absl::Status Incomplete() { return absl::OutOfRangeError(kIncompleteMessage); }

  size_t Remaining() const { return data_.size() - pos_; }

  bool Byte(uint8_t& b) {
    if (Remaining() < 1) return false;
    b = static_cast<uint8_t>(data_[pos_++]);
    return true;
  }

  bool Number(int bytes, uint64_t& n) {
    if (Remaining() < static_cast<size_t>(bytes)) return false;
    n = 0;
    for (int i = 0; i < bytes; ++i) n = (n << 8) | static_cast<uint8_t>(data_[pos_++]);
    return true;
  }

  absl::StatusOr<std::string> Bytes(uint64_t n) {
    if (Remaining() < n) return Incomplete();
    std::string s(data_.substr(pos_, n));
    pos_ += n;
    return s;
  }

  absl::StatusOr<Value> String(uint64_t n) {
    absl::StatusOr<std::string> s = Bytes(n);
    if (!s.ok()) return s.status();
    return Value(*std::move(s));
  }

  absl::StatusOr<Value> Binary(uint64_t n) {
    absl::StatusOr<std::string> s = Bytes(n);
    if (!s.ok()) return s.status();
    return Value::Binary(*std::move(s));
  }

  absl::StatusOr<Value> ArrayOf(uint64_t n, int depth) {
    // Every element takes at least one byte: a larger count cannot be
    // satisfied by the bytes at hand, so do not reserve for it.
    Value::Array items;
    if (n <= Remaining()) items.reserve(n);
    for (uint64_t i = 0; i < n; ++i) {
      absl::StatusOr<Value> v = Read(depth + 1);
      if (!v.ok()) return v.status();
      items.push_back(*std::move(v));
    }
    return Value::MakeArray(std::move(items));
  }

  absl::StatusOr<Value> MapOf(uint64_t n, int depth) {
    Value::Map entries;
    if (n <= Remaining() / 2) entries.reserve(n);
    for (uint64_t i = 0; i < n; ++i) {
      absl::StatusOr<Value> k = Read(depth + 1);
      if (!k.ok()) return k.status();
      absl::StatusOr<Value> v = Read(depth + 1);
      if (!v.ok()) return v.status();
      entries.emplace_back(*std::move(k), *std::move(v));
    }
    return Value::MakeMap(std::move(entries));
  }

  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace

Value::Value(int64_t v) {
  if (v >= 0) {
    type_ = Type::kUint;
    uint_ = static_cast<uint64_t>(v);
  } else {
    type_ = Type::kInt;
    int_ = v;
  }
}

Value Value::Binary(std::string bytes) {
  Value v;
  v.type_ = Type::kBinary;
  v.bytes_ = std::move(bytes);
  return v;
}

Value Value::MakeArray(Array items) {
  Value v;
  v.type_ = Type::kArray;
  v.array_ = std::move(items);
  return v;
}

Value Value::MakeMap(Map entries) {
  Value v;
  v.type_ = Type::kMap;
  v.map_ = std::move(entries);
  return v;
}

Value Value::Struct(std::vector<std::pair<std::string, Value>> fields) {
  Map entries;
  entries.reserve(fields.size());
  for (auto& [k, v] : fields) entries.emplace_back(Value(std::move(k)), std::move(v));
  return MakeMap(std::move(entries));
}

std::optional<bool> Value::AsBool() const {
  if (type_ != Type::kBool) return std::nullopt;
  return bool_;
}

std::optional<int64_t> Value::AsInt() const {
  if (type_ == Type::kInt) return int_;
  if (type_ == Type::kUint && uint_ <= static_cast<uint64_t>(INT64_MAX)) {
    return static_cast<int64_t>(uint_);
  }
  return std::nullopt;
}

std::optional<uint64_t> Value::AsUint() const {
  if (type_ == Type::kUint) return uint_;
  return std::nullopt;
}

std::optional<double> Value::AsDouble() const {
  switch (type_) {
    case Type::kFloat:
      return float_;
    case Type::kInt:
      return static_cast<double>(int_);
    case Type::kUint:
      return static_cast<double>(uint_);
    default:
      return std::nullopt;
  }
}

const std::string* Value::AsBytes() const {
  return type_ == Type::kString || type_ == Type::kBinary ? &bytes_ : nullptr;
}

const std::string* Value::AsString() const { return type_ == Type::kString ? &bytes_ : nullptr; }

const Value::Array* Value::AsArray() const { return type_ == Type::kArray ? &array_ : nullptr; }

const Value::Map* Value::AsMap() const { return type_ == Type::kMap ? &map_ : nullptr; }

const Value* Value::Find(std::string_view key) const {
  if (type_ != Type::kMap) return nullptr;
  for (const auto& [k, v] : map_) {
    if (k.type_ == Type::kString && k.bytes_ == key) return &v;
  }
  return nullptr;
}

bool operator==(const Value& a, const Value& b) {
  if (a.type_ != b.type_) return false;
  switch (a.type_) {
    case Value::Type::kNil:
      return true;
    case Value::Type::kBool:
      return a.bool_ == b.bool_;
    case Value::Type::kInt:
      return a.int_ == b.int_;
    case Value::Type::kUint:
      return a.uint_ == b.uint_;
    case Value::Type::kFloat:
      // Bitwise, so that NaN round trips compare equal.
      return std::memcmp(&a.float_, &b.float_, sizeof a.float_) == 0;
    case Value::Type::kString:
    case Value::Type::kBinary:
      return a.bytes_ == b.bytes_;
    case Value::Type::kArray:
      return a.array_ == b.array_;
    case Value::Type::kMap:
      return a.map_ == b.map_;
  }
  return false;
}

std::string Value::DebugString() const {
  switch (type_) {
    case Type::kNil:
      return "nil";
    case Type::kBool:
      return bool_ ? "true" : "false";
    case Type::kInt:
      return absl::StrCat(int_);
    case Type::kUint:
      return absl::StrCat(uint_);
    case Type::kFloat:
      return absl::StrCat(float_);
    case Type::kString:
      return absl::StrCat("\"", absl::CHexEscape(bytes_), "\"");
    case Type::kBinary:
      return absl::StrCat("bin:", absl::BytesToHexString(bytes_));
    case Type::kArray:
      return absl::StrCat(
          "[",
          absl::StrJoin(array_, ", ",
                        [](std::string* out, const Value& v) { out->append(v.DebugString()); }),
          "]");
    case Type::kMap:
      return absl::StrCat("{",
                          absl::StrJoin(map_, ", ",
                                        [](std::string* out, const auto& kv) {
                                          absl::StrAppend(out, kv.first.DebugString(), ": ",
                                                          kv.second.DebugString());
                                        }),
                          "}");
  }
  return "?";
}

void Encode(const Value& value, std::string& out) {
  switch (value.type()) {
    case Value::Type::kNil:
      out.push_back(static_cast<char>(0xc0));
      return;
    case Value::Type::kBool:
      out.push_back(static_cast<char>(*value.AsBool() ? 0xc3 : 0xc2));
      return;
    case Value::Type::kInt:
      EncodeInt(*value.AsInt(), out);
      return;
    case Value::Type::kUint:
      EncodeUint(*value.AsUint(), out);
      return;
    case Value::Type::kFloat: {
      double d = *value.AsDouble();
      uint64_t bits;
      std::memcpy(&bits, &d, sizeof bits);
      PutTagged(0xcb, bits, 8, out);
      return;
    }
    case Value::Type::kString: {
      const std::string& s = *value.AsString();
      if (s.size() < 32) {
        out.push_back(static_cast<char>(0xa0 | s.size()));
      } else if (s.size() <= 0xffff) {
        PutTagged(0xda, s.size(), 2, out);
      } else {
        PutTagged(0xdb, s.size(), 4, out);
      }
      out.append(s);
      return;
    }
    case Value::Type::kBinary: {
      const std::string& s = *value.AsBytes();
      if (s.size() <= 0xff) {
        PutTagged(0xc4, s.size(), 1, out);
      } else if (s.size() <= 0xffff) {
        PutTagged(0xc5, s.size(), 2, out);
      } else {
        PutTagged(0xc6, s.size(), 4, out);
      }
      out.append(s);
      return;
    }
    case Value::Type::kArray: {
      const Value::Array& items = *value.AsArray();
      if (items.size() < 16) {
        out.push_back(static_cast<char>(0x90 | items.size()));
      } else if (items.size() <= 0xffff) {
        PutTagged(0xdc, items.size(), 2, out);
      } else {
        PutTagged(0xdd, items.size(), 4, out);
      }
      for (const Value& item : items) Encode(item, out);
      return;
    }
    case Value::Type::kMap: {
      const Value::Map& entries = *value.AsMap();
      if (entries.size() < 16) {
        out.push_back(static_cast<char>(0x80 | entries.size()));
      } else if (entries.size() <= 0xffff) {
        PutTagged(0xde, entries.size(), 2, out);
      } else {
        PutTagged(0xdf, entries.size(), 4, out);
      }
      for (const auto& [k, v] : entries) {
        Encode(k, out);
        Encode(v, out);
      }
      return;
    }
  }
}

std::string Encode(const Value& value) {
  std::string out;
  Encode(value, out);
  return out;
}

absl::StatusOr<Value> Decode(std::string_view data, size_t* consumed) {
  Decoder decoder(data);
  absl::StatusOr<Value> v = decoder.Read(0);
  if (v.ok() && consumed != nullptr) *consumed = decoder.position();
  return v;
}

bool IsIncomplete(const absl::Status& status) {
  return status.code() == absl::StatusCode::kOutOfRange && status.message() == kIncompleteMessage;
}

}  // namespace mck8s::serf::msgpack
