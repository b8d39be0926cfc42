#include "mck8s/sim/object_store.h"

#include <algorithm>
#include <cinttypes>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "mck8s/sim/json.h"

namespace mck8s::sim {
namespace {

constexpr absl::string_view kForegroundFinalizer = "foregroundDeletion";

std::string ScalarText(const rapidjson::Value& v) {
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  if (v.IsBool()) return v.GetBool() ? "true" : "false";
  if (v.IsNull()) return "";
  return ToJson(v);
}

GroupResource GroupResourceFromId(const std::string& id) {
  size_t dot = id.find('.');
  if (dot == std::string::npos) return {"", id};
  return {id.substr(dot + 1), id.substr(0, dot)};
}

GroupKind KindOf(const rapidjson::Value& doc) {
  absl::string_view api_version = GetString(doc, {"apiVersion"});
  size_t slash = api_version.find('/');
  std::string group = slash == absl::string_view::npos
                          ? std::string()
                          : std::string(api_version.substr(0, slash));
  return {group, std::string(GetString(doc, {"kind"}))};
}

// Everything but metadata and status: what a spec change is measured on.
bool SpecEqual(const rapidjson::Value& a, const rapidjson::Value& b) {
  if (!a.IsObject() || !b.IsObject()) return JsonEqual(a, b);
  auto skip = [](const rapidjson::Value::ConstMemberIterator& it) {
    absl::string_view n(it->name.GetString(), it->name.GetStringLength());
    return n == "metadata" || n == "status";
  };
  size_t count_a = 0, count_b = 0;
  for (auto it = a.MemberBegin(); it != a.MemberEnd(); ++it) {
    if (skip(it)) continue;
    ++count_a;
    auto other = b.FindMember(it->name);
    if (other == b.MemberEnd() || !JsonEqual(it->value, other->value)) return false;
  }
  for (auto it = b.MemberBegin(); it != b.MemberEnd(); ++it) {
    if (!skip(it)) ++count_b;
  }
  return count_a == count_b;
}

std::string EncodeContinue(uint64_t rv, const std::string& ns, const std::string& name) {
  return absl::WebSafeBase64Escape(absl::StrCat(rv, "|", ns, "|", name));
}

bool DecodeContinue(absl::string_view token, uint64_t& rv, std::string& ns,
                    std::string& name) {
  std::string raw;
  if (!absl::WebSafeBase64Unescape(token, &raw)) return false;
  std::vector<std::string> parts = absl::StrSplit(raw, '|');
  if (parts.size() != 3) return false;
  if (!absl::SimpleAtoi(parts[0], &rv)) return false;
  ns = parts[1];
  name = parts[2];
  return !name.empty();
}

}  // namespace

std::string FormatTimestamp(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

absl::string_view WatchEventTypeName(WatchEventType type) {
  switch (type) {
    case WatchEventType::kAdded: return "ADDED";
    case WatchEventType::kModified: return "MODIFIED";
    case WatchEventType::kDeleted: return "DELETED";
    case WatchEventType::kBookmark: return "BOOKMARK";
  }
  return "ERROR";
}

// ---------------------------------------------------------------------------
// StoredObject

const std::string* StoredObject::Label(absl::string_view key) const {
  auto it = std::lower_bound(labels.begin(), labels.end(), key,
                             [](const auto& entry, absl::string_view k) {
                               return entry.first < k;
                             });
  if (it == labels.end() || it->first != key) return nullptr;
  return &it->second;
}

absl::string_view StoredObject::Field(absl::string_view path) const {
  for (const auto& [k, v] : fields) {
    if (k == path) return v;
  }
  return {};
}

rapidjson::Document StoredObject::Parse() const {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseFullPrecisionFlag>(json.data(), json.size());
  return doc;
}

// ---------------------------------------------------------------------------
// Watch

std::deque<WatchEvent> Watch::TakeEvents() {
  absl::MutexLock lock(&mu_);
  std::deque<WatchEvent> out;
  out.swap(queue_);
  return out;
}

bool Watch::WaitForEvents(absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !queue_.empty() || terminated_ || stopped_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&ready), timeout);
  return !queue_.empty();
}

void Watch::SetWakeup(std::function<void()> wakeup) {
  absl::MutexLock lock(&mu_);
  wakeup_ = std::move(wakeup);
}

void Watch::Stop() {
  absl::MutexLock lock(&mu_);
  stopped_ = true;
  wakeup_ = nullptr;
}

bool Watch::stopped() const {
  absl::MutexLock lock(&mu_);
  return stopped_;
}

bool Watch::terminated() const {
  absl::MutexLock lock(&mu_);
  return terminated_;
}

bool Watch::Push(WatchEvent event, size_t limit) {
  // The wake-up runs under mu_ so that Stop() returning means no wake-up is
  // running any more (the consumer may then destroy what it captured).
  absl::MutexLock lock(&mu_);
  if (stopped_ || terminated_) return true;
  event.previous.reset();
  if (queue_.size() >= limit) {
    terminated_ = true;
    queue_.clear();
    if (wakeup_) wakeup_();
    return false;
  }
  bool was_empty = queue_.empty();
  queue_.push_back(std::move(event));
  if (was_empty && wakeup_) wakeup_();
  return true;
}

void Watch::Terminate() {
  absl::MutexLock lock(&mu_);
  if (terminated_ || stopped_) return;
  terminated_ = true;
  if (wakeup_) wakeup_();
}

// ---------------------------------------------------------------------------
// ObjectStore

ObjectStore::ObjectStore(StoreOptions options) : options_(std::move(options)) {
  absl::MutexLock lock(&mu_);
  if (options_.uid_seed != 0) {
    random_.seed(options_.uid_seed);
  } else {
    std::random_device device;
    random_.seed((static_cast<uint64_t>(device()) << 32) ^ device());
  }
}

ObjectStore::~ObjectStore() {
  absl::MutexLock lock(&mu_);
  for (auto& watch : watches_) watch->Terminate();
}

void ObjectStore::RegisterResource(const std::string& resource_id,
                                   StoreResourceOptions options) {
  if (options.group_resource.resource.empty()) {
    options.group_resource = GroupResourceFromId(resource_id);
  }
  absl::MutexLock lock(&mu_);
  tables_[resource_id].options = std::move(options);
}

void ObjectStore::UnregisterResource(const std::string& resource_id) {
  absl::MutexLock lock(&mu_);
  auto it = tables_.find(resource_id);
  if (it == tables_.end()) return;
  for (const auto& [key, object] : it->second.objects) {
    for (const std::string& owner : object->owner_uids) {
      auto [begin, end] = owners_.equal_range(owner);
      for (auto o = begin; o != end;) {
        if (std::get<0>(o->second) == resource_id) {
          o = owners_.erase(o);
        } else {
          ++o;
        }
      }
    }
  }
  for (const auto& [key, object] : it->second.objects) uids_.erase(object->uid);
  tables_.erase(it);
  for (auto& watch : watches_) {
    if (watch->resource_id_ == resource_id) watch->Terminate();
  }
}

bool ObjectStore::HasResource(const std::string& resource_id) const {
  absl::MutexLock lock(&mu_);
  return tables_.count(resource_id) > 0;
}

uint64_t ObjectStore::CurrentResourceVersion() const {
  absl::MutexLock lock(&mu_);
  return resource_version_;
}

size_t ObjectStore::Count(const std::string& resource_id) const {
  absl::MutexLock lock(&mu_);
  const Table* table = FindTable(resource_id);
  return table == nullptr ? 0 : table->objects.size();
}

ObjectStore::Table* ObjectStore::FindTable(const std::string& resource_id) {
  auto it = tables_.find(resource_id);
  return it == tables_.end() ? nullptr : &it->second;
}

const ObjectStore::Table* ObjectStore::FindTable(const std::string& resource_id) const {
  auto it = tables_.find(resource_id);
  return it == tables_.end() ? nullptr : &it->second;
}

absl::Status ObjectStore::UnknownResource(const std::string& resource_id) const {
  return ApiError(404, "NotFound",
                  absl::StrCat("the server could not find the requested resource (",
                               resource_id, ")"));
}

std::string ObjectStore::NewUid() {
  uint64_t hi = random_();
  uint64_t lo = random_();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10
  return absl::StrFormat("%08x-%04x-%04x-%04x-%012x", hi >> 32, (hi >> 16) & 0xffff,
                         hi & 0xffff, lo >> 48, lo & 0xffffffffffffULL);
}

std::string ObjectStore::GenerateUid() {
  absl::MutexLock lock(&mu_);
  return NewUid();
}

std::string ObjectStore::Now() const {
  return FormatTimestamp(options_.clock ? options_.clock() : absl::Now());
}

ObjectRef ObjectStore::Publish(const std::string& resource_id, const Table& table,
                               rapidjson::Document& doc, uint64_t resource_version) const {
  auto& alloc = doc.GetAllocator();
  rapidjson::Value& meta = EnsureObject(doc, "metadata", alloc);
  if (resource_version > 0) {
    SetString(meta, "resourceVersion", absl::StrCat(resource_version), alloc);
  } else {
    RemoveMember(meta, "resourceVersion");
  }
  auto object = std::make_shared<StoredObject>();
  object->resource_id = resource_id;
  object->ns = std::string(GetString(meta, {"namespace"}));
  object->name = std::string(GetString(meta, {"name"}));
  object->uid = std::string(GetString(meta, {"uid"}));
  object->resource_version = resource_version;
  object->deleting = meta.HasMember("deletionTimestamp") &&
                     !meta["deletionTimestamp"].IsNull();
  if (const rapidjson::Value* labels = Find(meta, {"labels"});
      labels != nullptr && labels->IsObject()) {
    for (auto it = labels->MemberBegin(); it != labels->MemberEnd(); ++it) {
      object->labels.emplace_back(
          std::string(it->name.GetString(), it->name.GetStringLength()),
          ScalarText(it->value));
    }
    std::sort(object->labels.begin(), object->labels.end());
  }
  object->fields.emplace_back("metadata.name", object->name);
  object->fields.emplace_back("metadata.namespace", object->ns);
  for (const std::string& path : table.options.selectable_fields) {
    const rapidjson::Value* v = FindDotted(doc, path);
    object->fields.emplace_back(path, v == nullptr ? std::string() : ScalarText(*v));
  }
  if (const rapidjson::Value* refs = Find(meta, {"ownerReferences"});
      refs != nullptr && refs->IsArray()) {
    for (const rapidjson::Value& ref : refs->GetArray()) {
      absl::string_view uid = GetString(ref, {"uid"});
      if (!uid.empty()) object->owner_uids.emplace_back(uid);
    }
  }
  if (const rapidjson::Value* finalizers = Find(meta, {"finalizers"});
      finalizers != nullptr && finalizers->IsArray()) {
    for (const rapidjson::Value& f : finalizers->GetArray()) {
      if (f.IsString()) object->finalizers.emplace_back(f.GetString(), f.GetStringLength());
    }
  }
  object->json = ToJson(doc);
  return object;
}

void ObjectStore::StoreObject(const ObjectRef& object) {
  Table& table = tables_[object->resource_id];
  Key key(object->ns, object->name);
  auto it = table.objects.find(key);
  if (it != table.objects.end()) {
    for (const std::string& owner : it->second->owner_uids) {
      auto [begin, end] = owners_.equal_range(owner);
      for (auto o = begin; o != end; ++o) {
        if (o->second == std::make_tuple(object->resource_id, object->ns, object->name)) {
          owners_.erase(o);
          break;
        }
      }
    }
    it->second = object;
  } else {
    table.objects.emplace(std::move(key), object);
  }
  for (const std::string& owner : object->owner_uids) {
    owners_.emplace(owner, std::make_tuple(object->resource_id, object->ns, object->name));
  }
  uids_[object->uid] = std::make_tuple(object->resource_id, object->ns, object->name);
}

std::pair<std::string, ObjectRef> ObjectStore::FindByUid(const std::string& uid) const {
  auto it = uids_.find(uid);
  if (it == uids_.end()) return {};
  const auto& [resource_id, ns, name] = it->second;
  const Table* table = FindTable(resource_id);
  if (table == nullptr) return {};
  auto found = table->objects.find(Key(ns, name));
  if (found == table->objects.end()) return {};
  return {resource_id, found->second};
}

void ObjectStore::Emit(WatchEventType type, const ObjectRef& object,
                       const ObjectRef& previous) {
  WatchEvent event;
  event.type = type;
  event.object = object;
  event.previous = previous;
  event.resource_version = object->resource_version;
  history_.push_back(event);
  while (history_.size() > options_.history_capacity) {
    evicted_through_ = history_.front().resource_version;
    history_.pop_front();
  }
  for (size_t i = 0; i < watches_.size();) {
    Watch& watch = *watches_[i];
    bool drop = watch.stopped() || watch.terminated();
    if (!drop && watch.resource_id_ == object->resource_id &&
        (watch.ns_.empty() || watch.ns_ == object->ns)) {
      bool now = !watch.predicate_ || watch.predicate_(*object);
      bool before = previous != nullptr && (!watch.predicate_ || watch.predicate_(*previous));
      std::optional<WatchEventType> delivered;
      switch (type) {
        case WatchEventType::kAdded:
          if (now) delivered = WatchEventType::kAdded;
          break;
        case WatchEventType::kModified:
          if (now && before) delivered = WatchEventType::kModified;
          else if (now) delivered = WatchEventType::kAdded;
          else if (before) delivered = WatchEventType::kDeleted;
          break;
        case WatchEventType::kDeleted:
          if (now) delivered = WatchEventType::kDeleted;
          break;
        case WatchEventType::kBookmark:
          break;
      }
      if (delivered) {
        WatchEvent copy = event;
        copy.type = *delivered;
        if (!watch.Push(std::move(copy), options_.watch_queue_limit)) drop = true;
      }
    }
    if (drop) {
      watches_[i] = std::move(watches_.back());
      watches_.pop_back();
    } else {
      ++i;
    }
  }
}

absl::StatusOr<ObjectRef> ObjectStore::Get(const std::string& resource_id,
                                           absl::string_view ns,
                                           absl::string_view name) const {
  absl::MutexLock lock(&mu_);
  const Table* table = FindTable(resource_id);
  if (table == nullptr) return UnknownResource(resource_id);
  auto it = table->objects.find(
      Key(table->options.namespaced ? std::string(ns) : std::string(), std::string(name)));
  if (it == table->objects.end()) {
    return NotFoundError(table->options.group_resource, name);
  }
  return it->second;
}

absl::StatusOr<ObjectStore::ListResult> ObjectStore::List(
    const std::string& resource_id, const ListOptions& options) const {
  absl::MutexLock lock(&mu_);
  const Table* table = FindTable(resource_id);
  if (table == nullptr) return UnknownResource(resource_id);
  ListResult result;
  result.resource_version = resource_version_;
  auto it = table->objects.begin();
  auto end = table->objects.end();
  std::optional<std::string> ns = options.ns;
  if (!table->options.namespaced || (ns.has_value() && ns->empty())) ns.reset();
  if (ns.has_value()) {
    it = table->objects.lower_bound(Key(*ns, ""));
  }
  if (!options.continue_token.empty()) {
    uint64_t token_rv = 0;
    std::string token_ns, token_name;
    if (!DecodeContinue(options.continue_token, token_rv, token_ns, token_name)) {
      return BadRequestError("continue key is not valid: illegal base64 data");
    }
    // Continue strictly after the last key served.
    auto from = table->objects.upper_bound(Key(token_ns, token_name));
    if (ns.has_value() && from != end && from->first.first < *ns) {
      from = table->objects.lower_bound(Key(*ns, ""));
    }
    it = from;
  }
  for (; it != end; ++it) {
    if (ns.has_value() && it->first.first != *ns) break;
    const ObjectRef& object = it->second;
    if (options.predicate && !options.predicate(*object)) continue;
    if (options.limit > 0 && static_cast<int64_t>(result.items.size()) == options.limit) {
      const ObjectRef& last = result.items.back();
      result.continue_token = EncodeContinue(resource_version_, last->ns, last->name);
      break;
    }
    result.items.push_back(object);
  }
  return result;
}

absl::StatusOr<ObjectRef> ObjectStore::Create(const std::string& resource_id,
                                              absl::string_view ns,
                                              rapidjson::Document object,
                                              WriteOptions options) {
  if (!object.IsObject()) return BadRequestError("the object must be a JSON object");
  Pending pending;
  ObjectRef created;
  {
    absl::MutexLock lock(&mu_);
    Table* table = FindTable(resource_id);
    if (table == nullptr) return UnknownResource(resource_id);
    auto& alloc = object.GetAllocator();
    rapidjson::Value& meta = EnsureObject(object, "metadata", alloc);
    std::string name(GetString(meta, {"name"}));
    if (name.empty()) {
      return InvalidError(KindOf(object), "",
                          {FieldRequired("metadata.name",
                                         "name or generateName is required")});
    }
    std::string namespace_name;
    if (table->options.namespaced) {
      namespace_name = std::string(ns);
      if (namespace_name.empty()) {
        return BadRequestError("the namespace of the object must be set");
      }
      if (const Table* namespaces = FindTable(options_.namespace_resource)) {
        auto found = namespaces->objects.find(Key("", namespace_name));
        if (found == namespaces->objects.end()) {
          return NotFoundError(namespaces->options.group_resource, namespace_name);
        }
        if (found->second->deleting) {
          return ForbiddenError(
              table->options.group_resource, name,
              absl::StrCat("unable to create new content in namespace ", namespace_name,
                           " because it is being terminated"));
        }
      }
      SetString(meta, "namespace", namespace_name, alloc);
    } else {
      RemoveMember(meta, "namespace");
    }
    if (table->objects.count(Key(namespace_name, name)) > 0) {
      return AlreadyExistsError(table->options.group_resource, name);
    }
    SetString(meta, "uid", options.uid.empty() ? NewUid() : options.uid, alloc);
    SetString(meta, "creationTimestamp", Now(), alloc);
    RemoveMember(meta, "deletionTimestamp");
    RemoveMember(meta, "deletionGracePeriodSeconds");
    RemoveMember(meta, "selfLink");
    if (table->options.track_generation) {
      SetInt(meta, "generation", 1, alloc);
    } else {
      RemoveMember(meta, "generation");
    }
    if (options.dry_run) {
      return Publish(resource_id, *table, object, 0);
    }
    created = Publish(resource_id, *table, object, ++resource_version_);
    StoreObject(created);
    Emit(WatchEventType::kAdded, created, nullptr);
  }
  Notify(pending);
  return created;
}

absl::StatusOr<ObjectRef> ObjectStore::Update(const std::string& resource_id,
                                              absl::string_view ns, absl::string_view name,
                                              const Mutator& mutate,
                                              WriteOptions options) {
  Pending pending;
  ObjectRef result;
  {
    absl::MutexLock lock(&mu_);
    Table* table = FindTable(resource_id);
    if (table == nullptr) return UnknownResource(resource_id);
    Key key(table->options.namespaced ? std::string(ns) : std::string(), std::string(name));
    auto it = table->objects.find(key);
    if (it == table->objects.end()) {
      return NotFoundError(table->options.group_resource, name);
    }
    ObjectRef current = it->second;
    rapidjson::Document current_doc = current->Parse();
    rapidjson::Document proposed;
    if (absl::Status s = mutate(current_doc, proposed); !s.ok()) return s;
    if (!proposed.IsObject()) return BadRequestError("the object must be a JSON object");
    auto& alloc = proposed.GetAllocator();
    rapidjson::Value& meta = EnsureObject(proposed, "metadata", alloc);
    const rapidjson::Value& current_meta = current_doc["metadata"];

    absl::string_view rv = GetString(meta, {"resourceVersion"});
    if (!rv.empty() && rv != absl::StrCat(current->resource_version)) {
      return StaleResourceVersionError(table->options.group_resource, name);
    }
    absl::string_view uid = GetString(meta, {"uid"});
    if (!uid.empty() && uid != current->uid) {
      return ConflictError(table->options.group_resource, name,
                           absl::StrCat("Precondition failed: UID in precondition: ", uid,
                                        ", UID in object meta: ", current->uid));
    }
    // Fields the client cannot change through an update.
    for (absl::string_view field : {"uid", "creationTimestamp", "deletionTimestamp",
                                   "deletionGracePeriodSeconds", "generation", "name",
                                   "namespace"}) {
      const rapidjson::Value* value = Find(current_meta, {field});
      if (value == nullptr) {
        RemoveMember(meta, field);
      } else {
        SetMember(meta, field, rapidjson::Value(*value, alloc), alloc);
      }
    }
    RemoveMember(meta, "selfLink");
    if (current->deleting) {
      std::vector<std::string> added;
      if (const rapidjson::Value* finalizers = Find(meta, {"finalizers"});
          finalizers != nullptr && finalizers->IsArray()) {
        for (const rapidjson::Value& f : finalizers->GetArray()) {
          if (!f.IsString()) continue;
          absl::string_view value(f.GetString(), f.GetStringLength());
          if (std::find(current->finalizers.begin(), current->finalizers.end(), value) ==
              current->finalizers.end()) {
            return InvalidError(
                KindOf(current_doc), name,
                {FieldForbidden("metadata.finalizers",
                                "no new finalizers can be added if the object is being "
                                "deleted")});
          }
        }
      }
    }
    if (table->options.track_generation && !SpecEqual(current_doc, proposed)) {
      int64_t generation = GetInt(current_meta, {"generation"}).value_or(0);
      SetInt(meta, "generation", generation + 1, alloc);
    }
    SetString(meta, "resourceVersion", absl::StrCat(current->resource_version), alloc);
    if (JsonEqual(current_doc, proposed)) return current;
    if (options.dry_run) {
      return Publish(resource_id, *table, proposed, current->resource_version);
    }
    result = Replace(resource_id, *table, current, proposed);
    MaybeFinish(resource_id, result, pending);
    auto latest = table->objects.find(key);
    if (latest == table->objects.end()) {
      // Removed: the last finalizer went away. Answer with the final state.
      if (!pending.removed.empty()) result = pending.removed.front();
    } else {
      result = latest->second;
    }
  }
  Notify(pending);
  return result;
}

ObjectRef ObjectStore::Replace(const std::string& resource_id, Table& table,
                               const ObjectRef& old, rapidjson::Document& doc) {
  ObjectRef next = Publish(resource_id, table, doc, ++resource_version_);
  StoreObject(next);
  Emit(WatchEventType::kModified, next, old);
  return next;
}

ObjectRef ObjectStore::Rewrite(const std::string& resource_id, const ObjectRef& object,
                               const std::function<void(rapidjson::Document&)>& edit) {
  Table& table = tables_[resource_id];
  rapidjson::Document doc = object->Parse();
  edit(doc);
  return Replace(resource_id, table, object, doc);
}

std::vector<std::pair<std::string, ObjectRef>> ObjectStore::DependentsOf(
    const std::string& uid) const {
  std::vector<std::pair<std::string, ObjectRef>> out;
  auto [begin, end] = owners_.equal_range(uid);
  for (auto it = begin; it != end; ++it) {
    const auto& [resource_id, ns, name] = it->second;
    const Table* table = FindTable(resource_id);
    if (table == nullptr) continue;
    auto found = table->objects.find(Key(ns, name));
    if (found != table->objects.end()) out.emplace_back(resource_id, found->second);
  }
  return out;
}

bool ObjectStore::NamespaceEmpty(const std::string& ns) const {
  for (const auto& [id, table] : tables_) {
    if (!table.options.namespaced) continue;
    auto it = table.objects.lower_bound(Key(ns, ""));
    if (it != table.objects.end() && it->first.first == ns) return false;
  }
  return true;
}

ObjectRef ObjectStore::RemoveLocked(const std::string& resource_id,
                                    const ObjectRef& object, Pending& pending) {
  Table& table = tables_[resource_id];
  Key key(object->ns, object->name);
  rapidjson::Document doc = object->Parse();
  ObjectRef final_state = Publish(resource_id, table, doc, ++resource_version_);
  auto it = table.objects.find(key);
  ObjectRef previous = it == table.objects.end() ? object : it->second;
  if (it != table.objects.end()) {
    for (const std::string& owner : it->second->owner_uids) {
      auto [begin, end] = owners_.equal_range(owner);
      for (auto o = begin; o != end; ++o) {
        if (o->second == std::make_tuple(resource_id, object->ns, object->name)) {
          owners_.erase(o);
          break;
        }
      }
    }
    table.objects.erase(it);
    uids_.erase(object->uid);
  }
  Emit(WatchEventType::kDeleted, final_state, previous);
  pending.removed.push_back(final_state);

  // Garbage collection: dependents go with their last owner; a dependent with
  // other live owners only loses its reference to this one.
  for (const auto& [dep_id, dependent] : DependentsOf(final_state->uid)) {
    const Table* dep_table = FindTable(dep_id);
    if (dep_table == nullptr) continue;
    auto current = dep_table->objects.find(Key(dependent->ns, dependent->name));
    if (current == dep_table->objects.end()) continue;
    ObjectRef dep = current->second;
    bool other_owner_alive = false;
    for (const std::string& owner_uid : dep->owner_uids) {
      if (owner_uid != final_state->uid && FindByUid(owner_uid).second != nullptr) {
        other_owner_alive = true;
        break;
      }
    }
    if (other_owner_alive) {
      std::string gone = final_state->uid;
      Rewrite(dep_id, dep, [&gone](rapidjson::Document& d) {
        rapidjson::Value* refs = FindMutable(d, {"metadata", "ownerReferences"});
        if (refs == nullptr || !refs->IsArray()) return;
        for (auto r = refs->Begin(); r != refs->End();) {
          if (GetString(*r, {"uid"}) == gone) {
            r = refs->Erase(r);
          } else {
            ++r;
          }
        }
      });
    } else {
      (void)DeleteLocked(dep_id, dep, PropagationPolicy::kBackground, pending);
    }
  }

  // A terminating namespace goes once its content is gone.
  if (!final_state->ns.empty()) {
    if (Table* namespaces = FindTable(options_.namespace_resource)) {
      auto ns = namespaces->objects.find(Key("", final_state->ns));
      if (ns != namespaces->objects.end() && ns->second->deleting) {
        MaybeFinish(options_.namespace_resource, ns->second, pending);
      }
    }
  }
  // Owners deleted in the foreground wait for their last dependent.
  for (const std::string& owner_uid : final_state->owner_uids) {
    auto [owner_resource, owner] = FindByUid(owner_uid);
    if (owner != nullptr && owner->deleting) MaybeFinish(owner_resource, owner, pending);
  }
  return final_state;
}

void ObjectStore::MaybeFinish(const std::string& resource_id, const ObjectRef& object,
                              Pending& pending) {
  Table* table = FindTable(resource_id);
  if (table == nullptr) return;
  auto it = table->objects.find(Key(object->ns, object->name));
  if (it == table->objects.end()) return;
  ObjectRef current = it->second;
  if (!current->deleting) return;
  bool foreground = std::find(current->finalizers.begin(), current->finalizers.end(),
                              kForegroundFinalizer) != current->finalizers.end();
  if (foreground && DependentsOf(current->uid).empty()) {
    current = Rewrite(resource_id, current, [](rapidjson::Document& d) {
      rapidjson::Value* finalizers = FindMutable(d, {"metadata", "finalizers"});
      if (finalizers == nullptr || !finalizers->IsArray()) return;
      for (auto f = finalizers->Begin(); f != finalizers->End();) {
        if (f->IsString() && absl::string_view(f->GetString()) == kForegroundFinalizer) {
          f = finalizers->Erase(f);
        } else {
          ++f;
        }
      }
      if (finalizers->Empty()) RemoveMember(d["metadata"], "finalizers");
    });
  }
  if (!current->finalizers.empty()) return;
  if (resource_id == options_.namespace_resource && !NamespaceEmpty(current->name)) return;
  RemoveLocked(resource_id, current, pending);
}

absl::StatusOr<ObjectStore::DeleteResult> ObjectStore::Delete(
    const std::string& resource_id, absl::string_view ns, absl::string_view name,
    const DeleteOptions& options) {
  Pending pending;
  DeleteResult result;
  {
    absl::MutexLock lock(&mu_);
    Table* table = FindTable(resource_id);
    if (table == nullptr) return UnknownResource(resource_id);
    Key key(table->options.namespaced ? std::string(ns) : std::string(), std::string(name));
    auto it = table->objects.find(key);
    if (it == table->objects.end()) {
      return NotFoundError(table->options.group_resource, name);
    }
    ObjectRef object = it->second;
    if (options.precondition_uid.has_value() && *options.precondition_uid != object->uid) {
      return ConflictError(table->options.group_resource, name,
                           absl::StrCat("Precondition failed: UID in precondition: ",
                                        *options.precondition_uid,
                                        ", UID in object meta: ", object->uid));
    }
    if (options.precondition_resource_version.has_value() &&
        *options.precondition_resource_version != absl::StrCat(object->resource_version)) {
      return ConflictError(
          table->options.group_resource, name,
          absl::StrCat("Precondition failed: ResourceVersion in precondition: ",
                       *options.precondition_resource_version,
                       ", ResourceVersion in object meta: ", object->resource_version));
    }
    if (options.dry_run) {
      result.object = object;
      result.removed = object->finalizers.empty() &&
                       resource_id != options_.namespace_resource;
      return result;
    }
    absl::StatusOr<DeleteResult> deleted =
        DeleteLocked(resource_id, object, options.propagation, pending);
    if (!deleted.ok()) return deleted.status();
    result = *deleted;
    if (!result.removed) {
      // Foreground deletion or GC may have finished it meanwhile.
      auto latest = table->objects.find(key);
      if (latest == table->objects.end()) {
        result.removed = true;
      } else {
        result.object = latest->second;
      }
    }
  }
  Notify(pending);
  return result;
}

absl::StatusOr<ObjectStore::DeleteResult> ObjectStore::DeleteLocked(
    const std::string& resource_id, const ObjectRef& object,
    PropagationPolicy propagation, Pending& pending) {
  DeleteResult result;
  if (object->deleting) {
    result.object = object;
    return result;
  }
  const bool is_namespace = resource_id == options_.namespace_resource;
  std::vector<std::pair<std::string, ObjectRef>> dependents = DependentsOf(object->uid);
  if (propagation == PropagationPolicy::kOrphan) {
    std::string uid = object->uid;
    for (const auto& [dep_id, dep] : dependents) {
      Rewrite(dep_id, dep, [&uid](rapidjson::Document& d) {
        rapidjson::Value* refs = FindMutable(d, {"metadata", "ownerReferences"});
        if (refs == nullptr || !refs->IsArray()) return;
        for (auto r = refs->Begin(); r != refs->End();) {
          if (GetString(*r, {"uid"}) == uid) {
            r = refs->Erase(r);
          } else {
            ++r;
          }
        }
        if (refs->Empty()) RemoveMember(d["metadata"], "ownerReferences");
      });
    }
    dependents.clear();
  }
  const bool foreground =
      propagation == PropagationPolicy::kForeground && !dependents.empty();
  if (object->finalizers.empty() && !foreground && !is_namespace) {
    result.object = RemoveLocked(resource_id, object, pending);
    result.removed = true;
    return result;
  }
  std::string now = Now();
  ObjectRef marked = Rewrite(resource_id, object, [&](rapidjson::Document& d) {
    auto& alloc = d.GetAllocator();
    rapidjson::Value& meta = EnsureObject(d, "metadata", alloc);
    SetString(meta, "deletionTimestamp", now, alloc);
    SetInt(meta, "deletionGracePeriodSeconds", 0, alloc);
    if (foreground) {
      rapidjson::Value* finalizers = FindMutable(meta, {"finalizers"});
      if (finalizers == nullptr || !finalizers->IsArray()) {
        SetMember(meta, "finalizers", rapidjson::Value(rapidjson::kArrayType), alloc);
        finalizers = FindMutable(meta, {"finalizers"});
      }
      finalizers->PushBack(MakeString(kForegroundFinalizer, alloc), alloc);
    }
    if (is_namespace) {
      SetString(EnsureObject(d, "status", alloc), "phase", "Terminating", alloc);
    }
  });
  result.object = marked;
  if (foreground) {
    for (const auto& [dep_id, dep] : dependents) {
      const Table* dep_table = FindTable(dep_id);
      if (dep_table == nullptr) continue;
      auto current = dep_table->objects.find(Key(dep->ns, dep->name));
      if (current == dep_table->objects.end()) continue;
      (void)DeleteLocked(dep_id, current->second, PropagationPolicy::kForeground, pending);
    }
  }
  if (is_namespace) {
    const std::string& ns = object->name;
    std::vector<std::pair<std::string, ObjectRef>> content;
    for (const auto& [id, table] : tables_) {
      if (!table.options.namespaced) continue;
      for (auto it = table.objects.lower_bound(Key(ns, ""));
           it != table.objects.end() && it->first.first == ns; ++it) {
        content.emplace_back(id, it->second);
      }
    }
    for (const auto& [id, item] : content) {
      const Table* t = FindTable(id);
      if (t == nullptr) continue;
      auto current = t->objects.find(Key(item->ns, item->name));
      if (current == t->objects.end()) continue;
      (void)DeleteLocked(id, current->second, PropagationPolicy::kBackground, pending);
    }
  }
  MaybeFinish(resource_id, marked, pending);
  Table* table = FindTable(resource_id);
  auto latest = table->objects.find(Key(marked->ns, marked->name));
  if (latest == table->objects.end()) {
    result.removed = true;
    for (const ObjectRef& removed : pending.removed) {
      if (removed->uid == marked->uid) result.object = removed;
    }
  } else {
    result.object = latest->second;
  }
  return result;
}

absl::StatusOr<std::shared_ptr<Watch>> ObjectStore::StartWatch(
    const std::string& resource_id, const WatchOptions& options) {
  absl::MutexLock lock(&mu_);
  const Table* table = FindTable(resource_id);
  if (table == nullptr) return UnknownResource(resource_id);
  auto watch = std::make_shared<Watch>();
  watch->resource_id_ = resource_id;
  watch->ns_ = table->options.namespaced && options.ns.has_value() ? *options.ns : "";
  watch->predicate_ = options.predicate;
  const bool replay_state = options.send_initial_events ||
                            !options.from_resource_version.has_value() ||
                            *options.from_resource_version == 0;
  if (replay_state) {
    for (const auto& [key, object] : table->objects) {
      if (!watch->ns_.empty() && key.first != watch->ns_) continue;
      if (watch->predicate_ && !watch->predicate_(*object)) continue;
      WatchEvent event;
      event.type = WatchEventType::kAdded;
      event.object = object;
      event.resource_version = object->resource_version;
      watch->Push(std::move(event), SIZE_MAX);
    }
    if (options.send_initial_events) {
      WatchEvent bookmark;
      bookmark.type = WatchEventType::kBookmark;
      bookmark.resource_version = resource_version_;
      bookmark.initial_events_end = true;
      watch->Push(std::move(bookmark), SIZE_MAX);
    }
  } else {
    uint64_t from = *options.from_resource_version;
    if (from < evicted_through_) {
      return ExpiredError(absl::StrCat("too old resource version: ", from, " (",
                                       evicted_through_ + 1, ")"));
    }
    auto it = std::upper_bound(history_.begin(), history_.end(), from,
                               [](uint64_t rv, const WatchEvent& e) {
                                 return rv < e.resource_version;
                               });
    for (; it != history_.end(); ++it) {
      const WatchEvent& e = *it;
      if (e.object == nullptr || e.object->resource_id != resource_id) continue;
      if (!watch->ns_.empty() && e.object->ns != watch->ns_) continue;
      bool now = !watch->predicate_ || watch->predicate_(*e.object);
      bool before = e.previous != nullptr &&
                    (!watch->predicate_ || watch->predicate_(*e.previous));
      std::optional<WatchEventType> type;
      switch (e.type) {
        case WatchEventType::kAdded: if (now) type = e.type; break;
        case WatchEventType::kModified:
          if (now && before) type = WatchEventType::kModified;
          else if (now) type = WatchEventType::kAdded;
          else if (before) type = WatchEventType::kDeleted;
          break;
        case WatchEventType::kDeleted: if (now) type = e.type; break;
        case WatchEventType::kBookmark: break;
      }
      if (!type) continue;
      WatchEvent copy = e;
      copy.type = *type;
      watch->Push(std::move(copy), SIZE_MAX);
    }
  }
  // Forget watches their consumers stopped.
  watches_.erase(std::remove_if(watches_.begin(), watches_.end(),
                                [](const std::shared_ptr<Watch>& w) {
                                  return w->stopped() || w->terminated();
                                }),
                 watches_.end());
  watches_.push_back(watch);
  return watch;
}

void ObjectStore::Bookmark(Watch& watch) {
  absl::MutexLock lock(&mu_);
  WatchEvent bookmark;
  bookmark.type = WatchEventType::kBookmark;
  bookmark.resource_version = resource_version_;
  watch.Push(std::move(bookmark), options_.watch_queue_limit);
}

void ObjectStore::SetRemovalObserver(std::function<void(const ObjectRef&)> observer) {
  removal_observer_ = std::move(observer);
}

void ObjectStore::Notify(Pending& pending) {
  if (!removal_observer_) return;
  for (const ObjectRef& removed : pending.removed) removal_observer_(removed);
}

}  // namespace mck8s::sim
