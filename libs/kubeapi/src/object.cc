#include "mck8s/kubeapi/object.h"

#include <algorithm>
#include <utility>

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "absl/strings/str_cat.h"
#include "mck8s/base/strings.h"

namespace mck8s::kubeapi {
namespace {

using rapidjson::Value;
using JsonDocument = rapidjson::GenericDocument<rapidjson::UTF8<>, JsonAllocator>;

// Pools of objects that are built by hand grow in steps of this size.
constexpr size_t kBuilderChunk = 1024;
// Initial SAX stack of a deep copy (see DeepCopy).
constexpr size_t kCopyStackBytes = 4096;
// RapidJSON keeps strings of up to this many bytes inside the value itself
// (x86-64 with its 48-bit pointer layout).
constexpr size_t kInlineStringMax = 13;

rapidjson::CrtAllocator& BaseAllocator() {
  // Stateless; shared so that each pool does not allocate its own.
  static rapidjson::CrtAllocator* const base = new rapidjson::CrtAllocator();
  return *base;
}

size_t Align(size_t n) { return (n + 7) & ~size_t{7}; }

size_t StringBytes(size_t length) { return length <= kInlineStringMax ? 0 : Align(length + 1); }

// Bytes the pool needs for a deep copy of `v` (see EmitCopy).
size_t NeededBytes(const Value& v) {
  switch (v.GetType()) {
    case rapidjson::kStringType:
      return StringBytes(v.GetStringLength());
    case rapidjson::kObjectType: {
      size_t bytes = Align(v.MemberCount() * sizeof(Value::Member));
      for (const auto& m : v.GetObject()) {
        bytes += StringBytes(m.name.GetStringLength()) + NeededBytes(m.value);
      }
      return bytes;
    }
    case rapidjson::kArrayType: {
      size_t bytes = Align(v.Size() * sizeof(Value));
      for (const Value& e : v.GetArray()) bytes += NeededBytes(e);
      return bytes;
    }
    default:
      return 0;
  }
}

// Replays `v` as SAX events with every string copied (RapidJSON's own deep
// copy keeps strings that were parsed in place as references into the
// source buffer, which the copy must not outlive).
template <typename Handler>
bool EmitCopy(const Value& v, Handler& handler) {
  switch (v.GetType()) {
    case rapidjson::kNullType:
      return handler.Null();
    case rapidjson::kFalseType:
      return handler.Bool(false);
    case rapidjson::kTrueType:
      return handler.Bool(true);
    case rapidjson::kStringType:
      return handler.String(v.GetString(), v.GetStringLength(), true);
    case rapidjson::kObjectType:
      if (!handler.StartObject()) return false;
      for (const auto& m : v.GetObject()) {
        if (!handler.Key(m.name.GetString(), m.name.GetStringLength(), true)) return false;
        if (!EmitCopy(m.value, handler)) return false;
      }
      return handler.EndObject(v.MemberCount());
    case rapidjson::kArrayType:
      if (!handler.StartArray()) return false;
      for (const Value& e : v.GetArray()) {
        if (!EmitCopy(e, handler)) return false;
      }
      return handler.EndArray(v.Size());
    case rapidjson::kNumberType:
      if (v.IsInt()) return handler.Int(v.GetInt());
      if (v.IsUint()) return handler.Uint(v.GetUint());
      if (v.IsInt64()) return handler.Int64(v.GetInt64());
      if (v.IsUint64()) return handler.Uint64(v.GetUint64());
      return handler.Double(v.GetDouble());
  }
  return false;
}

// A deep copy of `source` allocated from `allocator`.
Value DeepCopy(const Value& source, JsonAllocator& allocator) {
  if (!source.IsObject() && !source.IsArray()) {
    if (source.IsString()) return Value(source.GetString(), source.GetStringLength(), allocator);
    return Value(source, allocator);  // a number, bool or null: nothing to allocate
  }
  // The SAX stack holds the values of the objects and arrays still open;
  // starting it at a size that fits a typical object spares the reallocs
  // of growing it from RapidJSON's default.
  JsonDocument doc(&allocator, kCopyStackBytes, &BaseAllocator());
  auto generator = [&source](JsonDocument& handler) { return EmitCopy(source, handler); };
  doc.Populate(generator);
  Value result;
  result.Swap(doc);
  return result;
}

std::string_view View(const Value& v) {
  return v.IsString() ? std::string_view(v.GetString(), v.GetStringLength()) : std::string_view();
}

Value Str(std::string_view s, JsonAllocator& allocator) {
  return Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), allocator);
}

Value::MemberIterator FindMember(Value& object, std::string_view key) {
  return object.FindMember(Value(rapidjson::StringRef(key.data(), key.size())));
}

Value::ConstMemberIterator FindMember(const Value& object, std::string_view key) {
  return object.FindMember(Value(rapidjson::StringRef(key.data(), key.size())));
}

// Splits a JSON pointer into unescaped tokens; nullopt when malformed.
std::optional<std::vector<std::string>> PointerTokens(std::string_view pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) return tokens;
  if (pointer.front() != '/') return std::nullopt;
  size_t i = 1;
  std::string token;
  while (true) {
    if (i >= pointer.size() || pointer[i] == '/') {
      tokens.push_back(std::move(token));
      token.clear();
      if (i >= pointer.size()) break;
      ++i;
      continue;
    }
    if (pointer[i] == '~') {
      if (i + 1 >= pointer.size()) return std::nullopt;
      if (pointer[i + 1] == '0') {
        token.push_back('~');
      } else if (pointer[i + 1] == '1') {
        token.push_back('/');
      } else {
        return std::nullopt;
      }
      i += 2;
      continue;
    }
    token.push_back(pointer[i++]);
  }
  return tokens;
}

// An array index token: digits without a leading zero.
std::optional<size_t> ArrayIndex(const std::string& token) {
  if (token.empty() || token.size() > 9) return std::nullopt;
  if (token.size() > 1 && token[0] == '0') return std::nullopt;
  size_t index = 0;
  for (char c : token) {
    if (c < '0' || c > '9') return std::nullopt;
    index = index * 10 + static_cast<size_t>(c - '0');
  }
  return index;
}

}  // namespace

// ---------------------------------------------------------------------------
// Object

Object::Object() : root_(rapidjson::kObjectType) {}

Object::Object(std::string_view api_version, std::string_view kind) : Object() {
  SetApiVersion(api_version);
  SetKind(kind);
}

Object::Object(ExactSize, const Value& value)
    : allocator_(std::make_unique<JsonAllocator>(std::max<size_t>(NeededBytes(value), 64),
                                                 &BaseAllocator())) {
  root_ = DeepCopy(value, *allocator_);
}

Object::Object(const Object& other) : Object(ExactSize{}, other.root_) {}

Object& Object::operator=(const Object& other) {
  if (this != &other) {
    Object copy(other);
    *this = std::move(copy);
  }
  return *this;
}

// A moved-from object is {} without a pool; allocator() makes one when it
// is written to again. Moves therefore allocate nothing.
Object::Object(Object&& other) noexcept
    : allocator_(std::move(other.allocator_)), root_(std::move(other.root_)) {
  other.root_.SetObject();
}

Object& Object::operator=(Object&& other) noexcept {
  if (this != &other) {
    root_.SetNull();  // before the pool it points into goes
    allocator_ = std::move(other.allocator_);
    root_ = std::move(other.root_);
    other.root_.SetObject();
  }
  return *this;
}

JsonAllocator& Object::allocator() {
  if (allocator_ == nullptr) {
    allocator_ = std::make_unique<JsonAllocator>(kBuilderChunk, &BaseAllocator());
  }
  return *allocator_;
}

Object::~Object() = default;

absl::StatusOr<Object> Object::Parse(std::string_view json) {
  rapidjson::Document doc;
  doc.Parse(json.data(), json.size());
  if (doc.HasParseError()) {
    return absl::InvalidArgumentError(
        absl::StrCat("object is not valid JSON: ", rapidjson::GetParseError_En(doc.GetParseError()),
                     " (at byte ", doc.GetErrorOffset(), ")"));
  }
  return FromJson(doc);
}

absl::StatusOr<Object> Object::FromJson(const Value& value) {
  if (!value.IsObject()) {
    return absl::InvalidArgumentError("a Kubernetes object must be a JSON object");
  }
  return Object(ExactSize{}, value);
}

std::string JsonToString(const Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return std::string(buffer.GetString(), buffer.GetSize());
}

std::string Object::ToJson() const { return JsonToString(root_); }

size_t Object::PoolBytes() const { return allocator_ == nullptr ? 0 : allocator_->Capacity(); }

void Object::Compact() {
  Object exact(ExactSize{}, root_);
  *this = std::move(exact);
}

const Value* Object::Member(const Value& object, const char* key) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(key);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

std::string_view Object::MetaString(const char* key) const {
  const Value* metadata = Member(root_, "metadata");
  if (metadata == nullptr) return {};
  const Value* value = Member(*metadata, key);
  return value == nullptr ? std::string_view() : View(*value);
}

std::string_view Object::api_version() const {
  const Value* v = Member(root_, "apiVersion");
  return v == nullptr ? std::string_view() : View(*v);
}

std::string_view Object::kind() const {
  const Value* v = Member(root_, "kind");
  return v == nullptr ? std::string_view() : View(*v);
}

std::string_view Object::name() const { return MetaString("name"); }
std::string_view Object::generate_name() const { return MetaString("generateName"); }
std::string_view Object::namespace_name() const { return MetaString("namespace"); }
std::string_view Object::uid() const { return MetaString("uid"); }
std::string_view Object::resource_version() const { return MetaString("resourceVersion"); }
std::string_view Object::creation_timestamp() const { return MetaString("creationTimestamp"); }

int64_t Object::generation() const {
  const Value* metadata = Member(root_, "metadata");
  const Value* value = metadata == nullptr ? nullptr : Member(*metadata, "generation");
  return value != nullptr && value->IsInt64() ? value->GetInt64() : 0;
}

std::optional<std::string_view> Object::deletion_timestamp() const {
  const Value* metadata = Member(root_, "metadata");
  const Value* value = metadata == nullptr ? nullptr : Member(*metadata, "deletionTimestamp");
  if (value == nullptr || !value->IsString()) return std::nullopt;
  return View(*value);
}

k8stypes::ObjectKey Object::key() const {
  return k8stypes::ObjectKey{std::string(namespace_name()), std::string(name())};
}

namespace {

std::optional<std::string_view> MapEntry(const Value* map, std::string_view key) {
  if (map == nullptr || !map->IsObject()) return std::nullopt;
  auto it = FindMember(*map, key);
  if (it == map->MemberEnd() || !it->value.IsString()) return std::nullopt;
  return View(it->value);
}

std::map<std::string, std::string> MapCopy(const Value* map) {
  std::map<std::string, std::string> out;
  if (map == nullptr || !map->IsObject()) return out;
  for (const auto& m : map->GetObject()) {
    if (m.value.IsString()) out.emplace(std::string(View(m.name)), std::string(View(m.value)));
  }
  return out;
}

}  // namespace

std::optional<std::string_view> Object::label(std::string_view key) const {
  return MapEntry(Get("/metadata/labels"), key);
}

std::map<std::string, std::string> Object::labels() const {
  return MapCopy(Get("/metadata/labels"));
}

std::optional<std::string_view> Object::annotation(std::string_view key) const {
  return MapEntry(Get("/metadata/annotations"), key);
}

std::map<std::string, std::string> Object::annotations() const {
  return MapCopy(Get("/metadata/annotations"));
}

std::vector<std::string> Object::finalizers() const {
  std::vector<std::string> out;
  const Value* list = Get("/metadata/finalizers");
  if (list == nullptr || !list->IsArray()) return out;
  for (const Value& v : list->GetArray()) {
    if (v.IsString()) out.emplace_back(View(v));
  }
  return out;
}

bool Object::HasFinalizer(std::string_view finalizer) const {
  const Value* list = Get("/metadata/finalizers");
  if (list == nullptr || !list->IsArray()) return false;
  for (const Value& v : list->GetArray()) {
    if (View(v) == finalizer) return true;
  }
  return false;
}

std::vector<OwnerReference> Object::owner_references() const {
  std::vector<OwnerReference> out;
  const Value* list = Get("/metadata/ownerReferences");
  if (list == nullptr || !list->IsArray()) return out;
  for (const Value& v : list->GetArray()) {
    if (!v.IsObject()) continue;
    OwnerReference ref;
    if (const Value* x = Member(v, "apiVersion")) ref.api_version = View(*x);
    if (const Value* x = Member(v, "kind")) ref.kind = View(*x);
    if (const Value* x = Member(v, "name")) ref.name = View(*x);
    if (const Value* x = Member(v, "uid")) ref.uid = View(*x);
    if (const Value* x = Member(v, "controller"); x != nullptr && x->IsBool()) {
      ref.controller = x->GetBool();
    }
    if (const Value* x = Member(v, "blockOwnerDeletion"); x != nullptr && x->IsBool()) {
      ref.block_owner_deletion = x->GetBool();
    }
    out.push_back(std::move(ref));
  }
  return out;
}

std::optional<OwnerReference> Object::controller_reference() const {
  for (OwnerReference& ref : owner_references()) {
    if (ref.controller) return std::move(ref);
  }
  return std::nullopt;
}

Value& Object::Metadata() {
  if (!root_.IsObject()) root_.SetObject();
  auto it = root_.FindMember("metadata");
  if (it == root_.MemberEnd()) {
    root_.AddMember("metadata", Value(rapidjson::kObjectType), allocator());
    it = root_.FindMember("metadata");
  } else if (!it->value.IsObject()) {
    it->value.SetObject();
  }
  return it->value;
}

namespace {

// Sets object[key] = value (a string), replacing an existing member.
void SetMember(Value& object, std::string_view key, Value value, JsonAllocator& allocator) {
  auto it = FindMember(object, key);
  if (it != object.MemberEnd()) {
    it->value = std::move(value);
  } else {
    object.AddMember(Str(key, allocator), std::move(value), allocator);
  }
}

Value& MapMember(Value& metadata, const char* key, JsonAllocator& allocator) {
  auto it = metadata.FindMember(key);
  if (it == metadata.MemberEnd()) {
    metadata.AddMember(Value(rapidjson::StringRef(key)), Value(rapidjson::kObjectType), allocator);
    it = metadata.FindMember(key);
  } else if (!it->value.IsObject()) {
    it->value.SetObject();
  }
  return it->value;
}

}  // namespace

void Object::SetMetaString(const char* key, std::string_view value) {
  Value& metadata = Metadata();
  SetMember(metadata, key, Str(value, allocator()), allocator());
}

void Object::SetApiVersion(std::string_view value) {
  if (!root_.IsObject()) root_.SetObject();
  SetMember(root_, "apiVersion", Str(value, allocator()), allocator());
}

void Object::SetKind(std::string_view value) {
  if (!root_.IsObject()) root_.SetObject();
  SetMember(root_, "kind", Str(value, allocator()), allocator());
}

void Object::SetName(std::string_view value) { SetMetaString("name", value); }
void Object::SetGenerateName(std::string_view value) { SetMetaString("generateName", value); }
void Object::SetNamespace(std::string_view value) { SetMetaString("namespace", value); }

void Object::SetResourceVersion(std::string_view value) {
  if (value.empty()) {
    Value& metadata = Metadata();
    metadata.RemoveMember("resourceVersion");
    return;
  }
  SetMetaString("resourceVersion", value);
}

void Object::SetLabel(std::string_view key, std::string_view value) {
  Value& labels = MapMember(Metadata(), "labels", allocator());
  SetMember(labels, key, Str(value, allocator()), allocator());
}

bool Object::RemoveLabel(std::string_view key) {
  Value& labels = MapMember(Metadata(), "labels", allocator());
  auto it = FindMember(labels, key);
  if (it == labels.MemberEnd()) return false;
  labels.EraseMember(it);
  return true;
}

void Object::SetAnnotation(std::string_view key, std::string_view value) {
  Value& annotations = MapMember(Metadata(), "annotations", allocator());
  SetMember(annotations, key, Str(value, allocator()), allocator());
}

bool Object::RemoveAnnotation(std::string_view key) {
  Value& annotations = MapMember(Metadata(), "annotations", allocator());
  auto it = FindMember(annotations, key);
  if (it == annotations.MemberEnd()) return false;
  annotations.EraseMember(it);
  return true;
}

bool Object::AddFinalizer(std::string_view finalizer) {
  if (HasFinalizer(finalizer)) return false;
  Value& metadata = Metadata();
  auto it = metadata.FindMember("finalizers");
  if (it == metadata.MemberEnd()) {
    metadata.AddMember("finalizers", Value(rapidjson::kArrayType), allocator());
    it = metadata.FindMember("finalizers");
  } else if (!it->value.IsArray()) {
    it->value.SetArray();
  }
  it->value.PushBack(Str(finalizer, allocator()), allocator());
  return true;
}

bool Object::RemoveFinalizer(std::string_view finalizer) {
  Value& metadata = Metadata();
  auto it = metadata.FindMember("finalizers");
  if (it == metadata.MemberEnd() || !it->value.IsArray()) return false;
  bool removed = false;
  for (auto e = it->value.Begin(); e != it->value.End();) {
    if (View(*e) == finalizer) {
      e = it->value.Erase(e);
      removed = true;
    } else {
      ++e;
    }
  }
  return removed;
}

void Object::SetOwnerReference(const OwnerReference& owner) {
  Value& metadata = Metadata();
  auto it = metadata.FindMember("ownerReferences");
  if (it == metadata.MemberEnd()) {
    metadata.AddMember("ownerReferences", Value(rapidjson::kArrayType), allocator());
    it = metadata.FindMember("ownerReferences");
  } else if (!it->value.IsArray()) {
    it->value.SetArray();
  }
  Value ref(rapidjson::kObjectType);
  ref.AddMember("apiVersion", Str(owner.api_version, allocator()), allocator());
  ref.AddMember("kind", Str(owner.kind, allocator()), allocator());
  ref.AddMember("name", Str(owner.name, allocator()), allocator());
  ref.AddMember("uid", Str(owner.uid, allocator()), allocator());
  if (owner.controller) ref.AddMember("controller", true, allocator());
  if (owner.block_owner_deletion) ref.AddMember("blockOwnerDeletion", true, allocator());
  for (Value& existing : it->value.GetArray()) {
    const Value* uid = Member(existing, "uid");
    if (uid != nullptr && View(*uid) == owner.uid) {
      existing = std::move(ref);
      return;
    }
  }
  it->value.PushBack(std::move(ref), allocator());
}

void Object::ClearServerFields() {
  Value& metadata = Metadata();
  for (const char* key : {"uid", "resourceVersion", "generation", "creationTimestamp",
                          "managedFields", "selfLink"}) {
    metadata.RemoveMember(key);
  }
  root_.RemoveMember("status");
}

const Value* Object::Get(std::string_view pointer) const {
  std::optional<std::vector<std::string>> tokens = PointerTokens(pointer);
  if (!tokens.has_value()) return nullptr;
  const Value* current = &root_;
  for (const std::string& token : *tokens) {
    if (current->IsObject()) {
      auto it = FindMember(*current, token);
      if (it == current->MemberEnd()) return nullptr;
      current = &it->value;
    } else if (current->IsArray()) {
      std::optional<size_t> index = ArrayIndex(token);
      if (!index.has_value() || *index >= current->Size()) return nullptr;
      current = &(*current)[static_cast<rapidjson::SizeType>(*index)];
    } else {
      return nullptr;
    }
  }
  return current;
}

std::optional<std::string_view> Object::FindString(std::string_view pointer) const {
  const Value* v = Get(pointer);
  if (v == nullptr || !v->IsString()) return std::nullopt;
  return View(*v);
}

std::optional<int64_t> Object::FindInt(std::string_view pointer) const {
  const Value* v = Get(pointer);
  if (v == nullptr || !v->IsInt64()) return std::nullopt;
  return v->GetInt64();
}

std::optional<double> Object::FindDouble(std::string_view pointer) const {
  const Value* v = Get(pointer);
  if (v == nullptr || !v->IsNumber()) return std::nullopt;
  return v->GetDouble();
}

std::optional<bool> Object::FindBool(std::string_view pointer) const {
  const Value* v = Get(pointer);
  if (v == nullptr || !v->IsBool()) return std::nullopt;
  return v->GetBool();
}

absl::StatusOr<Value*> Object::Slot(std::string_view pointer) {
  std::optional<std::vector<std::string>> tokens = PointerTokens(pointer);
  if (!tokens.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", ToAbsl(pointer), "\" is not a JSON pointer (RFC 6901)"));
  }
  if (tokens->empty()) {
    return absl::InvalidArgumentError("the empty pointer (the whole object) cannot be set");
  }
  Value* current = &root_;
  std::string walked;
  for (const std::string& token : *tokens) {
    // A missing container becomes an object, or an array for "-" (append).
    if (current->IsNull()) {
      if (token == "-") {
        current->SetArray();
      } else {
        current->SetObject();
      }
    }
    if (current->IsObject()) {
      auto it = FindMember(*current, token);
      if (it == current->MemberEnd()) {
        current->AddMember(Str(token, allocator()), Value(), allocator());
        it = FindMember(*current, token);
      }
      current = &it->value;
    } else if (current->IsArray()) {
      if (token == "-") {
        current->PushBack(Value(), allocator());
        current = &(*current)[current->Size() - 1];
      } else {
        std::optional<size_t> index = ArrayIndex(token);
        if (!index.has_value() || *index >= current->Size()) {
          return absl::InvalidArgumentError(absl::StrCat(
              "\"", ToAbsl(pointer), "\": index \"", token, "\" is out of range of the array at \"",
              walked, "\""));
        }
        current = &(*current)[static_cast<rapidjson::SizeType>(*index)];
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat("\"", ToAbsl(pointer), "\": \"", walked,
                                                     "\" is a scalar, not an object or array"));
    }
    absl::StrAppend(&walked, "/", EscapePointerToken(token));
  }
  return current;
}

absl::Status Object::SetValue(std::string_view pointer, const Value& value) {
  absl::StatusOr<Value*> slot = Slot(pointer);
  if (!slot.ok()) return slot.status();
  **slot = DeepCopy(value, allocator());
  return absl::OkStatus();
}

absl::Status Object::SetString(std::string_view pointer, std::string_view value) {
  absl::StatusOr<Value*> slot = Slot(pointer);
  if (!slot.ok()) return slot.status();
  **slot = Str(value, allocator());
  return absl::OkStatus();
}

absl::Status Object::SetInt(std::string_view pointer, int64_t value) {
  absl::StatusOr<Value*> slot = Slot(pointer);
  if (!slot.ok()) return slot.status();
  (*slot)->SetInt64(value);
  return absl::OkStatus();
}

absl::Status Object::SetDouble(std::string_view pointer, double value) {
  absl::StatusOr<Value*> slot = Slot(pointer);
  if (!slot.ok()) return slot.status();
  (*slot)->SetDouble(value);
  return absl::OkStatus();
}

absl::Status Object::SetBool(std::string_view pointer, bool value) {
  absl::StatusOr<Value*> slot = Slot(pointer);
  if (!slot.ok()) return slot.status();
  (*slot)->SetBool(value);
  return absl::OkStatus();
}

absl::Status Object::SetNull(std::string_view pointer) {
  absl::StatusOr<Value*> slot = Slot(pointer);
  if (!slot.ok()) return slot.status();
  (*slot)->SetNull();
  return absl::OkStatus();
}

absl::Status Object::SetObject(std::string_view pointer, const Object& value) {
  return SetValue(pointer, value.json());
}

bool Object::Remove(std::string_view pointer) {
  std::optional<std::vector<std::string>> tokens = PointerTokens(pointer);
  if (!tokens.has_value() || tokens->empty()) return false;
  const std::string last = tokens->back();
  tokens->pop_back();
  std::string parent_pointer;
  for (const std::string& token : *tokens) {
    absl::StrAppend(&parent_pointer, "/", EscapePointerToken(token));
  }
  Value* parent = const_cast<Value*>(Get(parent_pointer));
  if (parent == nullptr) return false;
  if (parent->IsObject()) {
    auto it = FindMember(*parent, last);
    if (it == parent->MemberEnd()) return false;
    parent->EraseMember(it);
    return true;
  }
  if (parent->IsArray()) {
    std::optional<size_t> index = ArrayIndex(last);
    if (!index.has_value() || *index >= parent->Size()) return false;
    parent->Erase(parent->Begin() + *index);
    return true;
  }
  return false;
}

bool operator==(const Object& a, const Object& b) { return a.root_ == b.root_; }

std::string EscapePointerToken(std::string_view token) {
  std::string out;
  out.reserve(token.size());
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// Lists

absl::StatusOr<ObjectList> ParseObjectList(std::string body) {
  // An in-place DOM takes about twice the bytes of its compact JSON (values
  // of 16 bytes, members of 32; the strings stay in the body): one pool
  // chunk of that size instead of RapidJSON's default 64 KiB chunks, which
  // a page of 500 pods needs dozens of.
  JsonAllocator pool(std::max<size_t>(2 * body.size(), 64 * 1024), &BaseAllocator());
  rapidjson::GenericDocument<rapidjson::UTF8<>, JsonAllocator> doc(&pool);
  doc.ParseInsitu(body.data());
  if (doc.HasParseError()) {
    return absl::InvalidArgumentError(
        absl::StrCat("list is not valid JSON: ", rapidjson::GetParseError_En(doc.GetParseError()),
                     " (at byte ", doc.GetErrorOffset(), ")"));
  }
  if (!doc.IsObject()) return absl::InvalidArgumentError("a list must be a JSON object");
  ObjectList list;
  if (auto it = doc.FindMember("apiVersion"); it != doc.MemberEnd()) {
    list.api_version = std::string(View(it->value));
  }
  if (auto it = doc.FindMember("kind"); it != doc.MemberEnd()) list.kind = std::string(View(it->value));
  if (auto meta = doc.FindMember("metadata"); meta != doc.MemberEnd() && meta->value.IsObject()) {
    const Value& m = meta->value;
    if (auto it = m.FindMember("resourceVersion"); it != m.MemberEnd()) {
      list.resource_version = std::string(View(it->value));
    }
    if (auto it = m.FindMember("continue"); it != m.MemberEnd()) {
      list.continue_token = std::string(View(it->value));
    }
    if (auto it = m.FindMember("remainingItemCount"); it != m.MemberEnd() && it->value.IsInt64()) {
      list.remaining_item_count = it->value.GetInt64();
    }
  }
  auto items = doc.FindMember("items");
  if (items == doc.MemberEnd() || items->value.IsNull()) return list;  // an empty list
  if (!items->value.IsArray()) return absl::InvalidArgumentError("list items must be an array");
  list.items.reserve(items->value.Size());
  size_t index = 0;
  for (const Value& item : items->value.GetArray()) {
    if (!item.IsObject()) {
      return absl::InvalidArgumentError(
          absl::StrCat("list item ", index, " is not a JSON object"));
    }
    absl::StatusOr<Object> object = Object::FromJson(item);
    list.items.push_back(*std::move(object));
    ++index;
  }
  return list;
}

// ---------------------------------------------------------------------------
// JsonPatch

JsonPatch::JsonPatch() { doc_.SetArray(); }

JsonPatch& JsonPatch::Op(const char* op, std::string_view path, const Value* value,
                         std::string_view from) {
  auto& a = doc_.GetAllocator();
  Value entry(rapidjson::kObjectType);
  entry.AddMember("op", Value(rapidjson::StringRef(op)), a);
  if (!from.empty()) entry.AddMember("from", Str(from, a), a);
  entry.AddMember("path", Str(path, a), a);
  if (value != nullptr) entry.AddMember("value", DeepCopy(*value, a), a);
  doc_.PushBack(std::move(entry), a);
  return *this;
}

JsonPatch& JsonPatch::Add(std::string_view path, const Value& value) {
  return Op("add", path, &value);
}
JsonPatch& JsonPatch::Add(std::string_view path, std::string_view value) {
  Value v = Str(value, doc_.GetAllocator());
  return Op("add", path, &v);
}
JsonPatch& JsonPatch::Add(std::string_view path, int64_t value) {
  Value v(value);
  return Op("add", path, &v);
}
JsonPatch& JsonPatch::Replace(std::string_view path, const Value& value) {
  return Op("replace", path, &value);
}
JsonPatch& JsonPatch::Replace(std::string_view path, std::string_view value) {
  Value v = Str(value, doc_.GetAllocator());
  return Op("replace", path, &v);
}
JsonPatch& JsonPatch::Replace(std::string_view path, int64_t value) {
  Value v(value);
  return Op("replace", path, &v);
}
JsonPatch& JsonPatch::Test(std::string_view path, const Value& value) {
  return Op("test", path, &value);
}
JsonPatch& JsonPatch::Test(std::string_view path, std::string_view value) {
  Value v = Str(value, doc_.GetAllocator());
  return Op("test", path, &v);
}
JsonPatch& JsonPatch::Remove(std::string_view path) { return Op("remove", path, nullptr); }
JsonPatch& JsonPatch::Move(std::string_view from, std::string_view path) {
  return Op("move", path, nullptr, from);
}
JsonPatch& JsonPatch::Copy(std::string_view from, std::string_view path) {
  return Op("copy", path, nullptr, from);
}

std::string JsonPatch::ToJson() const { return JsonToString(doc_); }

}  // namespace mck8s::kubeapi
