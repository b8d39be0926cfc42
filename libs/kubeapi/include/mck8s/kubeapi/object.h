// -----------------------------------------------------------------------------
// File: mck8s/kubeapi/object.h
// -----------------------------------------------------------------------------
//
// Kubernetes objects as JSON documents (RapidJSON) with typed accessors for
// what every controller reads and writes: the type (apiVersion, kind), the
// metadata (name, namespace, uid, resourceVersion, generation, labels,
// annotations, finalizers, ownerReferences, deletionTimestamp), and spec and
// status as JSON values reached with JSON pointers (RFC 6901).
//
// An Object owns its memory: a RapidJSON value and the pool it allocates
// from. Objects copied from a server answer get a pool sized exactly to
// their content, so a cache of 100,000 pods holds little more than the
// bytes of those pods. Copies are deep; moves are cheap.
//
// JSON is never assembled by hand: build an Object with setters, or a
// JsonPatch with its builder, and serialise with ToJson().
//
// Usage:
//
//   Object deployment("apps/v1", "Deployment");
//   deployment.SetName("web");
//   deployment.SetNamespace("default");
//   deployment.SetLabel("app", "web");
//   MCK8S_RETURN_IF_ERROR(deployment.SetInt("/spec/replicas", 3));
//   std::optional<int64_t> replicas = deployment.FindInt("/spec/replicas");
//
//   MCK8S_ASSIGN_OR_RETURN(Object pod, Object::Parse(body));
//   if (pod.IsBeingDeleted() && pod.HasFinalizer("fogguru.eu/cleanup")) ...
//
// Pointers: "/spec/template/metadata/labels/app"; "~1" stands for "/" and
// "~0" for "~" inside a token ("/metadata/labels/app.kubernetes.io~1name");
// array elements by index ("/spec/containers/0/image"); "-" appends when
// setting (and creates the array when absent; other missing containers are
// created as objects, so "/spec/containers/0" on a pod without containers
// makes an object member "0": use "-" to build arrays). Accessors returning std::string_view point into the object and
// stay valid until it is modified or destroyed.
//
// Thread safety: const methods may be called concurrently; anything else
// needs external synchronisation (informer caches hand out
// std::shared_ptr<const Object>, which is safe to share).

#ifndef MCK8S_KUBEAPI_OBJECT_H_
#define MCK8S_KUBEAPI_OBJECT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "mck8s/k8stypes/object_key.h"

namespace mck8s::kubeapi {

using JsonAllocator = rapidjson::MemoryPoolAllocator<rapidjson::CrtAllocator>;

// metadata.ownerReferences[*]
struct OwnerReference {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string uid;
  bool controller = false;
  bool block_owner_deletion = false;
  friend bool operator==(const OwnerReference&, const OwnerReference&) = default;
};

class Object {
 public:
  // An empty JSON object: {}.
  Object();
  // {"apiVersion": api_version, "kind": kind}.
  Object(std::string_view api_version, std::string_view kind);
  Object(const Object& other);
  Object& operator=(const Object& other);
  Object(Object&& other) noexcept;
  Object& operator=(Object&& other) noexcept;
  ~Object();

  // Parses one JSON object. INVALID_ARGUMENT (with the offset) for
  // malformed JSON or a value that is not an object.
  static absl::StatusOr<Object> Parse(std::string_view json);
  // A deep copy of `value`, which must be a JSON object (INVALID_ARGUMENT
  // otherwise).
  static absl::StatusOr<Object> FromJson(const rapidjson::Value& value);

  // The whole document.
  const rapidjson::Value& json() const { return root_; }
  // For edits beyond the setters below; allocate with allocator().
  rapidjson::Value& mutable_json() { return root_; }
  JsonAllocator& allocator();

  std::string ToJson() const;

  // --- type and metadata (empty string / 0 / nullopt when absent) ---
  std::string_view api_version() const;
  std::string_view kind() const;
  std::string_view name() const;
  std::string_view generate_name() const;
  std::string_view namespace_name() const;
  std::string_view uid() const;
  std::string_view resource_version() const;
  std::string_view creation_timestamp() const;
  int64_t generation() const;
  std::optional<std::string_view> deletion_timestamp() const;
  bool IsBeingDeleted() const { return deletion_timestamp().has_value(); }
  // "namespace/name" or "name".
  k8stypes::ObjectKey key() const;

  std::optional<std::string_view> label(std::string_view key) const;
  std::map<std::string, std::string> labels() const;
  std::optional<std::string_view> annotation(std::string_view key) const;
  std::map<std::string, std::string> annotations() const;
  std::vector<std::string> finalizers() const;
  bool HasFinalizer(std::string_view finalizer) const;
  std::vector<OwnerReference> owner_references() const;
  // The owner reference with controller: true, if any.
  std::optional<OwnerReference> controller_reference() const;

  // spec and status (nullptr when absent).
  const rapidjson::Value* spec() const { return Member(root_, "spec"); }
  const rapidjson::Value* status() const { return Member(root_, "status"); }

  // --- setters ---
  void SetApiVersion(std::string_view value);
  void SetKind(std::string_view value);
  void SetName(std::string_view value);
  void SetGenerateName(std::string_view value);
  void SetNamespace(std::string_view value);
  // An empty value removes metadata.resourceVersion (an unconditional
  // update or apply).
  void SetResourceVersion(std::string_view value);
  void SetLabel(std::string_view key, std::string_view value);
  bool RemoveLabel(std::string_view key);
  void SetAnnotation(std::string_view key, std::string_view value);
  bool RemoveAnnotation(std::string_view key);
  // Returns false when it was already there / was not there.
  bool AddFinalizer(std::string_view finalizer);
  bool RemoveFinalizer(std::string_view finalizer);
  // Replaces an existing reference with the same uid.
  void SetOwnerReference(const OwnerReference& owner);
  // Drops fields the server owns, for turning a fetched object into a
  // desired one: metadata.uid, resourceVersion, generation,
  // creationTimestamp, managedFields, selfLink and status.
  void ClearServerFields();

  // --- JSON pointers ---
  // The value at `pointer`, or nullptr when absent or the pointer is
  // malformed.
  const rapidjson::Value* Get(std::string_view pointer) const;
  std::optional<std::string_view> FindString(std::string_view pointer) const;
  std::optional<int64_t> FindInt(std::string_view pointer) const;
  std::optional<double> FindDouble(std::string_view pointer) const;
  std::optional<bool> FindBool(std::string_view pointer) const;

  // Set the value at `pointer`, creating missing objects on the way.
  // INVALID_ARGUMENT for a malformed pointer, the empty pointer, a path
  // through a scalar, or an array index out of range (naming the pointer).
  absl::Status SetValue(std::string_view pointer, const rapidjson::Value& value);
  absl::Status SetString(std::string_view pointer, std::string_view value);
  absl::Status SetInt(std::string_view pointer, int64_t value);
  absl::Status SetDouble(std::string_view pointer, double value);
  absl::Status SetBool(std::string_view pointer, bool value);
  absl::Status SetNull(std::string_view pointer);
  absl::Status SetObject(std::string_view pointer, const Object& value);
  // Removes the member or array element; false when it was not there.
  bool Remove(std::string_view pointer);

  // Deep equality of the JSON documents.
  friend bool operator==(const Object& a, const Object& b);

  // Bytes held by this object's pool (capacity, including slack).
  size_t PoolBytes() const;
  // Moves the content into a pool sized exactly to it. A pool only grows:
  // removing members or overwriting values keeps their bytes until the
  // object is compacted (or copied: a copy is always exact). For objects
  // kept long after edits, e.g. trimmed for a cache.
  void Compact();

 private:
  struct ExactSize {};
  Object(ExactSize, const rapidjson::Value& value);
  static const rapidjson::Value* Member(const rapidjson::Value& object, const char* key);
  std::string_view MetaString(const char* key) const;
  rapidjson::Value& Metadata();
  void SetMetaString(const char* key, std::string_view value);
  // Resolves `pointer`, creating objects as needed; the value slot or an
  // error.
  absl::StatusOr<rapidjson::Value*> Slot(std::string_view pointer);

  std::unique_ptr<JsonAllocator> allocator_;
  rapidjson::Value root_;
};

// One page of a list (or a whole list).
struct ObjectList {
  std::string api_version;
  std::string kind;             // e.g. "PodList"
  std::string resource_version;  // of the list, for a following watch
  std::string continue_token;   // "" on the last page
  std::optional<int64_t> remaining_item_count;
  std::vector<Object> items;
};

// Decodes a List answer. The body is parsed in place (it is consumed).
// Items are copied out into objects of their own. INVALID_ARGUMENT for
// malformed JSON, a non-object, or items that are not an array of objects.
absl::StatusOr<ObjectList> ParseObjectList(std::string body);

// A JSON Patch (RFC 6902) document, built op by op.
//
//   JsonPatch patch;
//   patch.Test("/metadata/resourceVersion", "42").Replace("/spec/replicas", 5);
//   client.Patch(kDeployments, "default", "web", patch);
class JsonPatch {
 public:
  JsonPatch();
  JsonPatch& Add(std::string_view path, const rapidjson::Value& value);
  JsonPatch& Add(std::string_view path, std::string_view value);
  JsonPatch& Add(std::string_view path, int64_t value);
  JsonPatch& Replace(std::string_view path, const rapidjson::Value& value);
  JsonPatch& Replace(std::string_view path, std::string_view value);
  JsonPatch& Replace(std::string_view path, int64_t value);
  JsonPatch& Test(std::string_view path, const rapidjson::Value& value);
  JsonPatch& Test(std::string_view path, std::string_view value);
  JsonPatch& Remove(std::string_view path);
  JsonPatch& Move(std::string_view from, std::string_view path);
  JsonPatch& Copy(std::string_view from, std::string_view path);

  size_t size() const { return doc_.Size(); }
  std::string ToJson() const;

 private:
  JsonPatch& Op(const char* op, std::string_view path, const rapidjson::Value* value,
                std::string_view from = {});
  rapidjson::Document doc_;
};

// Escapes a JSON pointer token: "~" -> "~0", "/" -> "~1".
std::string EscapePointerToken(std::string_view token);

// Serialises any JSON value.
std::string JsonToString(const rapidjson::Value& value);

}  // namespace mck8s::kubeapi

#endif  // MCK8S_KUBEAPI_OBJECT_H_
