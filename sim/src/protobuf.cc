#include "protobuf.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "mck8s/sim/api_error.h"
#include "mck8s/sim/json.h"
#include "mck8s/sim/object_store.h"

namespace mck8s::sim::internal {
namespace {

enum class Type {
  kString,
  kBytes,  // base64 in JSON
  kInt32,
  kInt64,
  kBool,
  kMessage,
  kStringMap,    // map<string, string>
  kBytesMap,     // map<string, bytes>
  kQuantityMap,  // map<string, resource.Quantity>
  kTime,         // meta/v1 Time
  kIntOrString,  // util/intstr IntOrString
  kIgnored,      // read and dropped (status on writes to the main resource)
};

struct Message;

struct Field {
  int number;
  const char* json;
  Type type;
  bool repeated = false;
  const Message& (*message)() = nullptr;  // kMessage
  // A pointer field in Go: its zero value is sent on purpose and kept.
  bool keep_zero = false;
};

struct Message {
  const char* name;
  std::vector<Field> fields;
  const Field* FieldFor(int number) const {
    for (const Field& f : fields) {
      if (f.number == number) return &f;
    }
    return nullptr;
  }
};

constexpr bool kRepeated = true;
constexpr bool kKeepZero = true;

// ---- k8s.io/apimachinery meta/v1

const Message& OwnerReference() {
  static const Message m{"OwnerReference",
                         {{1, "kind", Type::kString},
                          {3, "name", Type::kString},
                          {4, "uid", Type::kString},
                          {5, "apiVersion", Type::kString},
                          {6, "controller", Type::kBool, false, nullptr, kKeepZero},
                          {7, "blockOwnerDeletion", Type::kBool, false, nullptr, kKeepZero}}};
  return m;
}

const Message& ObjectMeta() {
  static const Message m{
      "ObjectMeta",
      {{1, "name", Type::kString},
       {2, "generateName", Type::kString},
       {3, "namespace", Type::kString},
       {4, "selfLink", Type::kString},
       {5, "uid", Type::kString},
       {6, "resourceVersion", Type::kString},
       {7, "generation", Type::kInt64},
       {8, "creationTimestamp", Type::kTime},
       {9, "deletionTimestamp", Type::kTime},
       {10, "deletionGracePeriodSeconds", Type::kInt64, false, nullptr, kKeepZero},
       {11, "labels", Type::kStringMap},
       {12, "annotations", Type::kStringMap},
       {13, "ownerReferences", Type::kMessage, kRepeated, &OwnerReference},
       {14, "finalizers", Type::kString, kRepeated}}};
  return m;
}

const Message& LabelSelectorRequirement() {
  static const Message m{"LabelSelectorRequirement",
                         {{1, "key", Type::kString},
                          {2, "operator", Type::kString},
                          {3, "values", Type::kString, kRepeated}}};
  return m;
}

const Message& LabelSelector() {
  static const Message m{
      "LabelSelector",
      {{1, "matchLabels", Type::kStringMap},
       {2, "matchExpressions", Type::kMessage, kRepeated, &LabelSelectorRequirement}}};
  return m;
}

const Message& Preconditions() {
  static const Message m{"Preconditions",
                         {{1, "uid", Type::kString, false, nullptr, kKeepZero},
                          {2, "resourceVersion", Type::kString, false, nullptr, kKeepZero}}};
  return m;
}

const Message& DeleteOptions() {
  static const Message m{"DeleteOptions",
                         {{1, "gracePeriodSeconds", Type::kInt64, false, nullptr, kKeepZero},
                          {2, "preconditions", Type::kMessage, false, &Preconditions},
                          {3, "orphanDependents", Type::kBool, false, nullptr, kKeepZero},
                          {4, "propagationPolicy", Type::kString},
                          {5, "dryRun", Type::kString, kRepeated},
                          {6, "ignoreStoreReadErrorWithClusterBreakingPotential", Type::kBool,
                           false, nullptr, kKeepZero}}};
  return m;
}

// ---- k8s.io/api core/v1

const Message& LocalObjectReference() {
  static const Message m{"LocalObjectReference", {{1, "name", Type::kString}}};
  return m;
}

const Message& ObjectReference() {
  static const Message m{"ObjectReference",
                         {{1, "kind", Type::kString},
                          {2, "namespace", Type::kString},
                          {3, "name", Type::kString},
                          {4, "uid", Type::kString},
                          {5, "apiVersion", Type::kString},
                          {6, "resourceVersion", Type::kString},
                          {7, "fieldPath", Type::kString}}};
  return m;
}

const Message& ContainerPort() {
  static const Message m{"ContainerPort",
                         {{1, "name", Type::kString},
                          {2, "hostPort", Type::kInt32},
                          {3, "containerPort", Type::kInt32},
                          {4, "protocol", Type::kString},
                          {5, "hostIP", Type::kString}}};
  return m;
}

const Message& EnvVar() {
  static const Message m{"EnvVar", {{1, "name", Type::kString}, {2, "value", Type::kString}}};
  return m;
}

const Message& ResourceRequirements() {
  static const Message m{"ResourceRequirements",
                         {{1, "limits", Type::kQuantityMap}, {2, "requests", Type::kQuantityMap}}};
  return m;
}

const Message& Container() {
  static const Message m{"Container",
                         {{1, "name", Type::kString},
                          {2, "image", Type::kString},
                          {3, "command", Type::kString, kRepeated},
                          {4, "args", Type::kString, kRepeated},
                          {5, "workingDir", Type::kString},
                          {6, "ports", Type::kMessage, kRepeated, &ContainerPort},
                          {7, "env", Type::kMessage, kRepeated, &EnvVar},
                          {8, "resources", Type::kMessage, false, &ResourceRequirements},
                          {13, "terminationMessagePath", Type::kString},
                          {14, "imagePullPolicy", Type::kString},
                          {16, "stdin", Type::kBool},
                          {17, "stdinOnce", Type::kBool},
                          {18, "tty", Type::kBool},
                          {20, "terminationMessagePolicy", Type::kString}}};
  return m;
}

const Message& Toleration() {
  static const Message m{"Toleration",
                         {{1, "key", Type::kString},
                          {2, "operator", Type::kString},
                          {3, "value", Type::kString},
                          {4, "effect", Type::kString},
                          {5, "tolerationSeconds", Type::kInt64, false, nullptr, kKeepZero}}};
  return m;
}

const Message& PodSpec() {
  static const Message m{
      "PodSpec",
      {{2, "containers", Type::kMessage, kRepeated, &Container},
       {3, "restartPolicy", Type::kString},
       {4, "terminationGracePeriodSeconds", Type::kInt64, false, nullptr, kKeepZero},
       {5, "activeDeadlineSeconds", Type::kInt64, false, nullptr, kKeepZero},
       {6, "dnsPolicy", Type::kString},
       {7, "nodeSelector", Type::kStringMap},
       {8, "serviceAccountName", Type::kString},
       {9, "serviceAccount", Type::kString},
       {10, "nodeName", Type::kString},
       {11, "hostNetwork", Type::kBool},
       {12, "hostPID", Type::kBool},
       {13, "hostIPC", Type::kBool},
       {15, "imagePullSecrets", Type::kMessage, kRepeated, &LocalObjectReference},
       {16, "hostname", Type::kString},
       {17, "subdomain", Type::kString},
       {19, "schedulerName", Type::kString},
       {20, "initContainers", Type::kMessage, kRepeated, &Container},
       {21, "automountServiceAccountToken", Type::kBool, false, nullptr, kKeepZero},
       {22, "tolerations", Type::kMessage, kRepeated, &Toleration},
       {24, "priorityClassName", Type::kString}}};
  return m;
}

const Message& PodTemplateSpec() {
  static const Message m{"PodTemplateSpec",
                         {{1, "metadata", Type::kMessage, false, &ObjectMeta},
                          {2, "spec", Type::kMessage, false, &PodSpec}}};
  return m;
}

const Message& Pod() {
  static const Message m{"Pod",
                         {{1, "metadata", Type::kMessage, false, &ObjectMeta},
                          {2, "spec", Type::kMessage, false, &PodSpec},
                          {3, "status", Type::kIgnored}}};
  return m;
}

const Message& NamespaceSpec() {
  static const Message m{"NamespaceSpec", {{1, "finalizers", Type::kString, kRepeated}}};
  return m;
}

const Message& Namespace() {
  static const Message m{"Namespace",
                         {{1, "metadata", Type::kMessage, false, &ObjectMeta},
                          {2, "spec", Type::kMessage, false, &NamespaceSpec},
                          {3, "status", Type::kIgnored}}};
  return m;
}

const Message& ConfigMap() {
  static const Message m{"ConfigMap",
                         {{1, "metadata", Type::kMessage, false, &ObjectMeta},
                          {2, "data", Type::kStringMap},
                          {3, "binaryData", Type::kBytesMap},
                          {4, "immutable", Type::kBool, false, nullptr, kKeepZero}}};
  return m;
}

const Message& Secret() {
  static const Message m{"Secret",
                         {{1, "metadata", Type::kMessage, false, &ObjectMeta},
                          {2, "data", Type::kBytesMap},
                          {3, "type", Type::kString},
                          {4, "stringData", Type::kStringMap},
                          {5, "immutable", Type::kBool, false, nullptr, kKeepZero}}};
  return m;
}

const Message& ServiceAccount() {
  static const Message m{
      "ServiceAccount",
      {{1, "metadata", Type::kMessage, false, &ObjectMeta},
       {2, "secrets", Type::kMessage, kRepeated, &ObjectReference},
       {3, "imagePullSecrets", Type::kMessage, kRepeated, &LocalObjectReference},
       {4, "automountServiceAccountToken", Type::kBool, false, nullptr, kKeepZero}}};
  return m;
}

const Message& ServicePort() {
  static const Message m{"ServicePort",
                         {{1, "name", Type::kString},
                          {2, "protocol", Type::kString},
                          {3, "port", Type::kInt32},
                          {4, "targetPort", Type::kIntOrString},
                          {5, "nodePort", Type::kInt32},
                          {6, "appProtocol", Type::kString}}};
  return m;
}

const Message& ServiceSpec() {
  static const Message m{"ServiceSpec",
                         {{1, "ports", Type::kMessage, kRepeated, &ServicePort},
                          {2, "selector", Type::kStringMap},
                          {3, "clusterIP", Type::kString},
                          {4, "type", Type::kString},
                          {7, "sessionAffinity", Type::kString},
                          {8, "loadBalancerIP", Type::kString},
                          {10, "externalName", Type::kString},
                          {11, "externalTrafficPolicy", Type::kString},
                          {12, "healthCheckNodePort", Type::kInt32},
                          {13, "publishNotReadyAddresses", Type::kBool},
                          {18, "clusterIPs", Type::kString, kRepeated},
                          {19, "ipFamilies", Type::kString, kRepeated}}};
  return m;
}

const Message& Service() {
  static const Message m{"Service",
                         {{1, "metadata", Type::kMessage, false, &ObjectMeta},
                          {2, "spec", Type::kMessage, false, &ServiceSpec},
                          {3, "status", Type::kIgnored}}};
  return m;
}

// ---- k8s.io/api apps/v1

const Message& RollingUpdateDeployment() {
  static const Message m{
      "RollingUpdateDeployment",
      {{1, "maxUnavailable", Type::kIntOrString}, {2, "maxSurge", Type::kIntOrString}}};
  return m;
}

const Message& DeploymentStrategy() {
  static const Message m{"DeploymentStrategy",
                         {{1, "type", Type::kString},
                          {2, "rollingUpdate", Type::kMessage, false, &RollingUpdateDeployment}}};
  return m;
}

const Message& DeploymentSpec() {
  static const Message m{"DeploymentSpec",
                         {{1, "replicas", Type::kInt32, false, nullptr, kKeepZero},
                          {2, "selector", Type::kMessage, false, &LabelSelector},
                          {3, "template", Type::kMessage, false, &PodTemplateSpec},
                          {4, "strategy", Type::kMessage, false, &DeploymentStrategy},
                          {5, "minReadySeconds", Type::kInt32},
                          {6, "revisionHistoryLimit", Type::kInt32, false, nullptr, kKeepZero},
                          {7, "paused", Type::kBool},
                          {9, "progressDeadlineSeconds", Type::kInt32, false, nullptr, kKeepZero}}};
  return m;
}

const Message& Deployment() {
  static const Message m{"Deployment",
                         {{1, "metadata", Type::kMessage, false, &ObjectMeta},
                          {2, "spec", Type::kMessage, false, &DeploymentSpec},
                          {3, "status", Type::kIgnored}}};
  return m;
}

const Message* TopLevel(absl::string_view api_version, absl::string_view kind) {
  // Registered in every group-version, as meta/v1 registers it.
  if (kind == "DeleteOptions") return &DeleteOptions();
  if (api_version == "v1") {
    if (kind == "Namespace") return &Namespace();
    if (kind == "ConfigMap") return &ConfigMap();
    if (kind == "Secret") return &Secret();
    if (kind == "ServiceAccount") return &ServiceAccount();
    if (kind == "Pod") return &Pod();
    if (kind == "Service") return &Service();
  }
  if (api_version == "apps/v1" && kind == "Deployment") return &Deployment();
  return nullptr;
}

absl::Status Unsupported(std::string what) {
  return ApiError(
      415, "UnsupportedMediaType",
      absl::StrCat("the body of the request was in application/vnd.kubernetes.protobuf "
                   "with ",
                   what, ", which this server does not decode - send application/json"));
}

absl::Status Malformed(absl::string_view where) {
  return BadRequestError(
      absl::StrCat("the body of the request could not be decoded: malformed protobuf in ", where));
}

// One field occurrence of the wire format.
struct WireField {
  int number = 0;
  int wire_type = 0;
  uint64_t varint = 0;
  absl::string_view bytes;  // wire type 2
};

class Reader {
 public:
  explicit Reader(absl::string_view data) : data_(data) {}
  bool done() const { return pos_ >= data_.size(); }

  bool Varint(uint64_t& out) {
    out = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) return false;
      const uint8_t byte = static_cast<uint8_t>(data_[pos_++]);
      out |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) return true;
    }
    return false;
  }

  bool Next(WireField& field) {
    uint64_t key = 0;
    if (!Varint(key)) return false;
    field.number = static_cast<int>(key >> 3);
    field.wire_type = static_cast<int>(key & 7);
    switch (field.wire_type) {
      case 0:
        return Varint(field.varint);
      case 2: {
        uint64_t length = 0;
        if (!Varint(length) || length > data_.size() - pos_) return false;
        field.bytes = data_.substr(pos_, length);
        pos_ += length;
        return true;
      }
      case 1:
        if (data_.size() - pos_ < 8) return false;
        pos_ += 8;
        return true;
      case 5:
        if (data_.size() - pos_ < 4) return false;
        pos_ += 4;
        return true;
      default:
        return false;
    }
  }

 private:
  absl::string_view data_;
  size_t pos_ = 0;
};

absl::Status DecodeMessage(const Message& message, absl::string_view data, rapidjson::Value& out,
                           JsonAllocator& alloc);

// A map entry {1: key, 2: value}.
absl::Status MapEntry(const Message& owner, absl::string_view data, std::string& key,
                      absl::string_view& value) {
  Reader reader(data);
  WireField f;
  while (!reader.done()) {
    if (!reader.Next(f) || f.wire_type != 2) return Malformed(owner.name);
    if (f.number == 1) {
      key = std::string(f.bytes);
    } else if (f.number == 2) {
      value = f.bytes;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> QuantityString(absl::string_view data) {
  Reader reader(data);
  WireField f;
  std::string out;
  while (!reader.done()) {
    if (!reader.Next(f) || f.number != 1 || f.wire_type != 2) return Malformed("Quantity");
    out = std::string(f.bytes);
  }
  return out;
}

// Time {1: seconds, 2: nanos}; nullopt for the zero time (JSON null).
absl::StatusOr<std::optional<std::string>> TimeString(absl::string_view data) {
  Reader reader(data);
  WireField f;
  int64_t seconds = 0;
  int64_t nanos = 0;
  while (!reader.done()) {
    if (!reader.Next(f) || f.wire_type != 0) return Malformed("Time");
    if (f.number == 1) seconds = static_cast<int64_t>(f.varint);
    if (f.number == 2) nanos = static_cast<int32_t>(f.varint);
  }
  if (seconds == 0 && nanos == 0) return std::optional<std::string>();
  return std::optional<std::string>(
      FormatTimestamp(absl::FromUnixSeconds(seconds) + absl::Nanoseconds(nanos)));
}

absl::StatusOr<rapidjson::Value> IntOrString(absl::string_view data, JsonAllocator& alloc) {
  Reader reader(data);
  WireField f;
  int64_t type = 0;
  int32_t int_value = 0;
  std::string str_value;
  while (!reader.done()) {
    if (!reader.Next(f)) return Malformed("IntOrString");
    if (f.number == 1 && f.wire_type == 0) type = static_cast<int64_t>(f.varint);
    if (f.number == 2 && f.wire_type == 0) int_value = static_cast<int32_t>(f.varint);
    if (f.number == 3 && f.wire_type == 2) str_value = std::string(f.bytes);
  }
  if (type == 1) return MakeString(str_value, alloc);
  return rapidjson::Value(int_value);
}

// Adds `value` under `field` (appended when repeated).
void Put(rapidjson::Value& out, const Field& field, rapidjson::Value value, JsonAllocator& alloc) {
  if (!field.repeated) {
    SetMember(out, field.json, std::move(value), alloc);
    return;
  }
  auto it = FindMemberOf(out, field.json);
  if (it == out.MemberEnd()) {
    SetMember(out, field.json, rapidjson::Value(rapidjson::kArrayType), alloc);
    it = FindMemberOf(out, field.json);
  }
  it->value.PushBack(std::move(value), alloc);
}

absl::Status DecodeField(const Message& message, const Field& field, const WireField& wire,
                         rapidjson::Value& out, JsonAllocator& alloc) {
  const bool varint = wire.wire_type == 0;
  const bool bytes = wire.wire_type == 2;
  switch (field.type) {
    case Type::kString:
      if (!bytes) return Malformed(message.name);
      if (wire.bytes.empty() && !field.repeated && !field.keep_zero) return absl::OkStatus();
      Put(out, field, MakeString(wire.bytes, alloc), alloc);
      return absl::OkStatus();
    case Type::kBytes:
      if (!bytes) return Malformed(message.name);
      Put(out, field, MakeString(absl::Base64Escape(wire.bytes), alloc), alloc);
      return absl::OkStatus();
    case Type::kInt32:
    case Type::kInt64:
    case Type::kBool: {
      if (!varint) return Malformed(message.name);
      if (wire.varint == 0 && !field.keep_zero) return absl::OkStatus();
      rapidjson::Value v;
      if (field.type == Type::kBool) {
        v.SetBool(wire.varint != 0);
      } else if (field.type == Type::kInt32) {
        v.SetInt(static_cast<int32_t>(wire.varint));
      } else {
        v.SetInt64(static_cast<int64_t>(wire.varint));
      }
      Put(out, field, std::move(v), alloc);
      return absl::OkStatus();
    }
    case Type::kMessage: {
      if (!bytes) return Malformed(message.name);
      rapidjson::Value child(rapidjson::kObjectType);
      if (absl::Status s = DecodeMessage(field.message(), wire.bytes, child, alloc); !s.ok()) {
        return s;
      }
      if (child.ObjectEmpty() && !field.repeated && !field.keep_zero) return absl::OkStatus();
      Put(out, field, std::move(child), alloc);
      return absl::OkStatus();
    }
    case Type::kStringMap:
    case Type::kBytesMap:
    case Type::kQuantityMap: {
      if (!bytes) return Malformed(message.name);
      std::string key;
      absl::string_view value;
      if (absl::Status s = MapEntry(message, wire.bytes, key, value); !s.ok()) return s;
      std::string text;
      if (field.type == Type::kStringMap) {
        text = std::string(value);
      } else if (field.type == Type::kBytesMap) {
        text = absl::Base64Escape(value);
      } else {
        absl::StatusOr<std::string> q = QuantityString(value);
        if (!q.ok()) return q.status();
        text = std::move(*q);
      }
      rapidjson::Value& map = EnsureObject(out, field.json, alloc);
      SetString(map, key, text, alloc);
      return absl::OkStatus();
    }
    case Type::kTime: {
      if (!bytes) return Malformed(message.name);
      absl::StatusOr<std::optional<std::string>> t = TimeString(wire.bytes);
      if (!t.ok()) return t.status();
      if (t->has_value()) Put(out, field, MakeString(**t, alloc), alloc);
      return absl::OkStatus();
    }
    case Type::kIntOrString: {
      if (!bytes) return Malformed(message.name);
      absl::StatusOr<rapidjson::Value> v = IntOrString(wire.bytes, alloc);
      if (!v.ok()) return v.status();
      Put(out, field, std::move(*v), alloc);
      return absl::OkStatus();
    }
    case Type::kIgnored:
      return absl::OkStatus();
  }
  return Malformed(message.name);
}

absl::Status DecodeMessage(const Message& message, absl::string_view data, rapidjson::Value& out,
                           JsonAllocator& alloc) {
  Reader reader(data);
  WireField wire;
  while (!reader.done()) {
    if (!reader.Next(wire)) return Malformed(message.name);
    const Field* field = message.FieldFor(wire.number);
    if (field == nullptr) {
      return Unsupported(absl::StrCat("field ", wire.number, " of ", message.name));
    }
    if (absl::Status s = DecodeField(message, *field, wire, out, alloc); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<rapidjson::Document> DecodeKubernetesProtobuf(absl::string_view body) {
  constexpr absl::string_view kMagic("k8s\0", 4);
  if (body.substr(0, kMagic.size()) != kMagic) return Malformed("the envelope (no k8s magic)");
  Reader envelope(body.substr(kMagic.size()));
  WireField field;
  std::string api_version, kind, content_type;
  absl::string_view raw;
  while (!envelope.done()) {
    if (!envelope.Next(field)) return Malformed("runtime.Unknown");
    if (field.wire_type != 2) continue;
    if (field.number == 1) {
      Reader type_meta(field.bytes);
      WireField t;
      while (!type_meta.done()) {
        if (!type_meta.Next(t)) return Malformed("TypeMeta");
        if (t.number == 1 && t.wire_type == 2) api_version = std::string(t.bytes);
        if (t.number == 2 && t.wire_type == 2) kind = std::string(t.bytes);
      }
    } else if (field.number == 2) {
      raw = field.bytes;
    } else if (field.number == 4) {
      content_type = std::string(field.bytes);
    } else if (field.number == 3 && !field.bytes.empty()) {
      return Unsupported(absl::StrCat("content encoding \"", field.bytes, "\""));
    }
  }
  const Message* message = TopLevel(api_version, kind);
  if (message == nullptr) return Unsupported(absl::StrCat("kind ", api_version, " ", kind));
  rapidjson::Document doc;
  doc.SetObject();
  auto& alloc = doc.GetAllocator();
  SetString(doc, "apiVersion", api_version, alloc);
  SetString(doc, "kind", kind, alloc);
  if (absl::Status s = DecodeMessage(*message, raw, doc, alloc); !s.ok()) return s;
  return doc;
}

}  // namespace mck8s::sim::internal
