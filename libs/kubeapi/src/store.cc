#include "mck8s/kubeapi/store.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "mck8s/base/strings.h"

namespace mck8s::kubeapi {

std::string ObjectKeyString(const Object& object) {
  const std::string_view ns = object.namespace_name();
  if (ns.empty()) return std::string(object.name());
  return absl::StrCat(ToAbsl(ns), "/", ToAbsl(object.name()));
}

// The namespace index has no index function: its one value is read in
// place, which spares a relist of 100,000 objects as many vectors and
// strings.
Store::Store() { indexes_[kNamespaceIndex].by_namespace = true; }

absl::Status Store::AddIndex(const std::string& name, IndexFunc func) {
  absl::MutexLock lock(&mu_);
  if (!items_.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("index \"", name, "\" added after objects arrived"));
  }
  if (indexes_.contains(name)) {
    return absl::AlreadyExistsError(absl::StrCat("index \"", name, "\" already exists"));
  }
  indexes_[name].func = std::move(func);
  return absl::OkStatus();
}

void Store::IndexLocked(const std::string& key, const Object& object) {
  for (auto& [name, index] : indexes_) {
    if (index.by_namespace) {
      const absl::string_view ns = ToAbsl(object.namespace_name());
      auto it = index.values.find(ns);
      if (it == index.values.end()) it = index.values.try_emplace(std::string(ns)).first;
      it->second.insert(key);
      continue;
    }
    for (std::string& value : index.func(object)) index.values[std::move(value)].insert(key);
  }
}

void Store::UnindexLocked(const std::string& key, const Object& object) {
  auto unindex = [&key](Index& index, absl::string_view value) {
    auto it = index.values.find(value);
    if (it == index.values.end()) return;
    it->second.erase(key);
    if (it->second.empty()) index.values.erase(it);
  };
  for (auto& [name, index] : indexes_) {
    if (index.by_namespace) {
      unindex(index, ToAbsl(object.namespace_name()));
      continue;
    }
    for (const std::string& value : index.func(object)) unindex(index, value);
  }
}

ObjectPtr Store::Upsert(ObjectPtr object) {
  std::string key = ObjectKeyString(*object);
  absl::MutexLock lock(&mu_);
  ObjectPtr& slot = items_[key];
  ObjectPtr previous = std::move(slot);
  if (previous != nullptr) UnindexLocked(key, *previous);
  IndexLocked(key, *object);
  slot = std::move(object);
  return previous;
}

ObjectPtr Store::Delete(const std::string& key) {
  absl::MutexLock lock(&mu_);
  auto it = items_.find(key);
  if (it == items_.end()) return nullptr;
  ObjectPtr previous = std::move(it->second);
  items_.erase(it);
  UnindexLocked(key, *previous);
  return previous;
}

std::vector<ObjectPtr> Store::Replace(std::vector<ObjectPtr> objects) {
  absl::MutexLock lock(&mu_);
  std::vector<ObjectPtr> previous;
  previous.reserve(items_.size());
  for (auto& [key, object] : items_) previous.push_back(std::move(object));
  items_.clear();
  for (auto& [name, index] : indexes_) index.values.clear();
  items_.reserve(objects.size());
  for (ObjectPtr& object : objects) {
    std::string key = ObjectKeyString(*object);
    IndexLocked(key, *object);
    items_[std::move(key)] = std::move(object);
  }
  return previous;
}

ObjectPtr Store::Get(const std::string& key) const {
  absl::MutexLock lock(&mu_);
  auto it = items_.find(key);
  return it == items_.end() ? nullptr : it->second;
}

ObjectPtr Store::Get(std::string_view ns, std::string_view name) const {
  return Get(ns.empty() ? std::string(name) : absl::StrCat(ToAbsl(ns), "/", ToAbsl(name)));
}

std::vector<ObjectPtr> Store::List() const {
  absl::MutexLock lock(&mu_);
  std::vector<ObjectPtr> out;
  out.reserve(items_.size());
  for (const auto& [key, object] : items_) out.push_back(object);
  return out;
}

std::vector<std::string> Store::ListKeys() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::string> out;
  out.reserve(items_.size());
  for (const auto& [key, object] : items_) out.push_back(key);
  return out;
}

std::vector<ObjectPtr> Store::ByIndex(std::string_view index, std::string_view value) const {
  absl::MutexLock lock(&mu_);
  std::vector<ObjectPtr> out;
  auto idx = indexes_.find(ToAbsl(index));
  if (idx == indexes_.end()) return out;
  auto keys = idx->second.values.find(ToAbsl(value));
  if (keys == idx->second.values.end()) return out;
  out.reserve(keys->second.size());
  for (const std::string& key : keys->second) {
    auto it = items_.find(key);
    if (it != items_.end()) out.push_back(it->second);
  }
  return out;
}

std::vector<ObjectPtr> Store::ListNamespace(std::string_view ns) const {
  return ByIndex(kNamespaceIndex, ns);
}

size_t Store::size() const {
  absl::MutexLock lock(&mu_);
  return items_.size();
}

}  // namespace mck8s::kubeapi
