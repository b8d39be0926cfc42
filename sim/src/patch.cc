#include "mck8s/sim/patch.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/strip.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"

namespace mck8s::sim {
namespace {

absl::string_view Name(const rapidjson::Value& v) {
  return absl::string_view(v.GetString(), v.GetStringLength());
}

rapidjson::Value::ConstMemberIterator FindIn(const rapidjson::Value& object,
                                             absl::string_view key) {
  return FindMemberOf(object, key);
}

// ---------------------------------------------------------------------------
// Schema navigation (OpenAPI v3 JSON)

const rapidjson::Value* PropertySchema(const rapidjson::Value* schema, absl::string_view name) {
  if (schema == nullptr || !schema->IsObject()) return nullptr;
  if (const rapidjson::Value* props = Find(*schema, {"properties"});
      props != nullptr && props->IsObject()) {
    auto it = FindIn(*props, name);
    if (it != props->MemberEnd()) return &it->value;
  }
  if (const rapidjson::Value* additional = Find(*schema, {"additionalProperties"});
      additional != nullptr && additional->IsObject()) {
    return additional;
  }
  return nullptr;
}

const rapidjson::Value* ItemsSchema(const rapidjson::Value* schema) {
  if (schema == nullptr) return nullptr;
  const rapidjson::Value* items = Find(*schema, {"items"});
  return items != nullptr && items->IsObject() ? items : nullptr;
}

struct PatchListStrategy {
  bool merge = false;
  std::string merge_key;
};

PatchListStrategy StrategyOf(const rapidjson::Value* schema) {
  PatchListStrategy out;
  if (schema == nullptr) return out;
  absl::string_view strategy = GetString(*schema, {"x-kubernetes-patch-strategy"});
  for (absl::string_view part : absl::StrSplit(strategy, ',')) {
    if (part == "merge") out.merge = true;
  }
  out.merge_key = std::string(GetString(*schema, {"x-kubernetes-patch-merge-key"}));
  return out;
}

struct ApplyListType {
  enum Kind { kAtomic, kSet, kMap } kind = kAtomic;
  std::vector<std::string> keys;
};

ApplyListType ListTypeOf(const rapidjson::Value* schema) {
  ApplyListType out;
  if (schema == nullptr) return out;
  absl::string_view type = GetString(*schema, {"x-kubernetes-list-type"});
  if (type == "map") {
    out.kind = ApplyListType::kMap;
    if (const rapidjson::Value* keys = Find(*schema, {"x-kubernetes-list-map-keys"});
        keys != nullptr && keys->IsArray()) {
      for (const rapidjson::Value& k : keys->GetArray()) {
        if (k.IsString()) out.keys.emplace_back(Name(k));
      }
    }
    if (out.keys.empty()) out.kind = ApplyListType::kAtomic;
    return out;
  }
  if (type == "set") {
    out.kind = ApplyListType::kSet;
    return out;
  }
  if (type == "atomic") return out;
  PatchListStrategy strategy = StrategyOf(schema);
  if (strategy.merge && !strategy.merge_key.empty()) {
    out.kind = ApplyListType::kMap;
    out.keys = {strategy.merge_key};
  } else if (strategy.merge) {
    out.kind = ApplyListType::kSet;
  }
  return out;
}

// ---------------------------------------------------------------------------
// JSON merge patch

absl::Status MergePatchValue(rapidjson::Value& target, const rapidjson::Value& patch,
                             JsonAllocator& alloc) {
  if (!patch.IsObject()) {
    target.CopyFrom(patch, alloc);
    return absl::OkStatus();
  }
  if (!target.IsObject()) target.SetObject();
  for (auto it = patch.MemberBegin(); it != patch.MemberEnd(); ++it) {
    absl::string_view key = Name(it->name);
    if (it->value.IsNull()) {
      RemoveMember(target, key);
      continue;
    }
    auto existing = target.FindMember(it->name);
    if (existing == target.MemberEnd()) {
      rapidjson::Value fresh(rapidjson::kObjectType);
      if (it->value.IsObject()) {
        MergePatchValue(fresh, it->value, alloc).IgnoreError();
      } else {
        fresh.CopyFrom(it->value, alloc);
      }
      target.AddMember(MakeString(key, alloc), std::move(fresh), alloc);
    } else {
      MergePatchValue(existing->value, it->value, alloc).IgnoreError();
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// JSON patch

absl::StatusOr<std::vector<std::string>> ParsePointer(absl::string_view pointer) {
  std::vector<std::string> tokens;
  if (pointer.empty()) return tokens;
  if (pointer[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("JSON pointer \"", pointer, "\" must start with '/'"));
  }
  for (absl::string_view raw : absl::StrSplit(pointer.substr(1), '/')) {
    tokens.push_back(absl::StrReplaceAll(raw, {{"~1", "/"}, {"~0", "~"}}));
  }
  return tokens;
}

absl::StatusOr<size_t> ArrayIndex(const std::string& token, size_t size, bool allow_end) {
  if (token == "-" && allow_end) return size;
  size_t index = 0;
  if (token.empty() || (token.size() > 1 && token[0] == '0') ||
      !absl::SimpleAtoi(token, &index)) {
    return absl::InvalidArgumentError(absl::StrCat("invalid array index \"", token, "\""));
  }
  if (index > size || (!allow_end && index == size)) {
    return absl::InvalidArgumentError(
        absl::StrCat("array index ", index, " out of bounds (size ", size, ")"));
  }
  return index;
}

// The value at `tokens`, or nullptr.
rapidjson::Value* Resolve(rapidjson::Value& root, const std::vector<std::string>& tokens,
                          size_t count) {
  rapidjson::Value* current = &root;
  for (size_t i = 0; i < count; ++i) {
    const std::string& token = tokens[i];
    if (current->IsObject()) {
      auto it = current->FindMember(rapidjson::StringRef(token.c_str()));
      if (it == current->MemberEnd()) return nullptr;
      current = &it->value;
    } else if (current->IsArray()) {
      absl::StatusOr<size_t> index = ArrayIndex(token, current->Size(), false);
      if (!index.ok()) return nullptr;
      current = &(*current)[static_cast<rapidjson::SizeType>(*index)];
    } else {
      return nullptr;
    }
  }
  return current;
}

absl::Status AddAt(rapidjson::Document& doc, const std::vector<std::string>& tokens,
                   rapidjson::Value value, absl::string_view path) {
  auto& alloc = doc.GetAllocator();
  if (tokens.empty()) {
    static_cast<rapidjson::Value&>(doc) = std::move(value);
    return absl::OkStatus();
  }
  rapidjson::Value* parent = Resolve(doc, tokens, tokens.size() - 1);
  if (parent == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("add operation does not apply: doc is missing path: \"", path, "\""));
  }
  const std::string& last = tokens.back();
  if (parent->IsObject()) {
    SetMember(*parent, last, std::move(value), alloc);
    return absl::OkStatus();
  }
  if (parent->IsArray()) {
    absl::StatusOr<size_t> index = ArrayIndex(last, parent->Size(), true);
    if (!index.ok()) return index.status();
    parent->PushBack(rapidjson::Value(), alloc);
    for (size_t i = parent->Size() - 1; i > *index; --i) {
      (*parent)[static_cast<rapidjson::SizeType>(i)] =
          std::move((*parent)[static_cast<rapidjson::SizeType>(i - 1)]);
    }
    (*parent)[static_cast<rapidjson::SizeType>(*index)] = std::move(value);
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("add operation does not apply: \"", path, "\" has no container"));
}

absl::StatusOr<rapidjson::Value> RemoveAt(rapidjson::Document& doc,
                                          const std::vector<std::string>& tokens,
                                          absl::string_view path, JsonAllocator& alloc) {
  if (tokens.empty()) return absl::InvalidArgumentError("cannot remove the whole document");
  rapidjson::Value* parent = Resolve(doc, tokens, tokens.size() - 1);
  const std::string& last = tokens.back();
  if (parent != nullptr && parent->IsObject()) {
    auto it = parent->FindMember(rapidjson::StringRef(last.c_str()));
    if (it != parent->MemberEnd()) {
      rapidjson::Value removed(it->value, alloc);
      parent->EraseMember(it);
      return removed;
    }
  } else if (parent != nullptr && parent->IsArray()) {
    absl::StatusOr<size_t> index = ArrayIndex(last, parent->Size(), false);
    if (index.ok()) {
      rapidjson::Value removed((*parent)[static_cast<rapidjson::SizeType>(*index)], alloc);
      parent->Erase(parent->Begin() + *index);
      return removed;
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("remove operation does not apply: doc is missing path: \"", path, "\""));
}

// ---------------------------------------------------------------------------
// Strategic merge patch

bool IsDirectiveKey(absl::string_view key) { return !key.empty() && key[0] == '$'; }

// A copy of `value` without strategic-merge directives.
rapidjson::Value StripDirectives(const rapidjson::Value& value, JsonAllocator& alloc) {
  if (value.IsObject()) {
    rapidjson::Value out(rapidjson::kObjectType);
    for (auto it = value.MemberBegin(); it != value.MemberEnd(); ++it) {
      if (IsDirectiveKey(Name(it->name))) continue;
      out.AddMember(rapidjson::Value(it->name, alloc), StripDirectives(it->value, alloc), alloc);
    }
    return out;
  }
  if (value.IsArray()) {
    rapidjson::Value out(rapidjson::kArrayType);
    for (const rapidjson::Value& item : value.GetArray()) {
      if (item.IsObject() && item.HasMember("$patch")) continue;
      out.PushBack(StripDirectives(item, alloc), alloc);
    }
    return out;
  }
  return rapidjson::Value(value, alloc);
}

absl::Status MergeMap(rapidjson::Value& target, const rapidjson::Value& patch,
                      const rapidjson::Value* schema, JsonAllocator& alloc,
                      const std::string& path);

absl::Status MergeList(rapidjson::Value& target, const rapidjson::Value& patch,
                       const rapidjson::Value* list_schema, JsonAllocator& alloc,
                       const std::string& path) {
  const PatchListStrategy strategy = StrategyOf(list_schema);
  const rapidjson::Value* item_schema = ItemsSchema(list_schema);
  if (!target.IsArray()) target.SetArray();
  if (!strategy.merge) {
    target = StripDirectives(patch, alloc);
    return absl::OkStatus();
  }
  // {"$patch": "replace"} among the items replaces the whole list.
  for (const rapidjson::Value& item : patch.GetArray()) {
    if (item.IsObject() && GetString(item, {"$patch"}) == "replace") {
      target = StripDirectives(patch, alloc);
      return absl::OkStatus();
    }
  }
  if (strategy.merge_key.empty()) {
    // A list of scalars merged as a set.
    for (const rapidjson::Value& item : patch.GetArray()) {
      bool present = false;
      for (const rapidjson::Value& existing : target.GetArray()) {
        if (JsonEqual(existing, item)) present = true;
      }
      if (!present) target.PushBack(rapidjson::Value(item, alloc), alloc);
    }
    return absl::OkStatus();
  }
  const std::string& key = strategy.merge_key;
  for (const rapidjson::Value& item : patch.GetArray()) {
    if (!item.IsObject()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": items of a list merged by \"", key, "\" must be objects"));
    }
    auto key_value = FindIn(item, key);
    if (key_value == item.MemberEnd()) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": map: ", ToJson(item), " does not contain declared merge key: ", key));
    }
    absl::string_view directive = GetString(item, {"$patch"});
    rapidjson::Value* match = nullptr;
    rapidjson::SizeType match_index = 0;
    for (rapidjson::SizeType i = 0; i < target.Size(); ++i) {
      if (!target[i].IsObject()) continue;
      auto existing = FindIn(target[i], key);
      if (existing != target[i].MemberEnd() && JsonEqual(existing->value, key_value->value)) {
        match = &target[i];
        match_index = i;
        break;
      }
    }
    if (directive == "delete") {
      if (match != nullptr) target.Erase(target.Begin() + match_index);
      continue;
    }
    std::string item_path = absl::StrCat(path, "[", key, "=", ToJson(key_value->value), "]");
    if (match != nullptr) {
      absl::Status s = MergeMap(*match, item, item_schema, alloc, item_path);
      if (!s.ok()) return s;
    } else {
      rapidjson::Value fresh(rapidjson::kObjectType);
      absl::Status s = MergeMap(fresh, item, item_schema, alloc, item_path);
      if (!s.ok()) return s;
      target.PushBack(std::move(fresh), alloc);
    }
  }
  return absl::OkStatus();
}

// Reorders `list` as `order` lists its elements (by merge key, or by value
// for scalars); elements the order does not name keep their relative order
// after the named ones.
void ApplyElementOrder(rapidjson::Value& list, const rapidjson::Value& order,
                       const std::string& merge_key, JsonAllocator& alloc) {
  if (!list.IsArray() || !order.IsArray()) return;
  std::vector<bool> used(list.Size(), false);
  rapidjson::Value out(rapidjson::kArrayType);
  for (const rapidjson::Value& wanted : order.GetArray()) {
    for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
      if (used[i]) continue;
      bool same;
      if (!merge_key.empty() && wanted.IsObject() && list[i].IsObject()) {
        auto a = FindIn(wanted, merge_key);
        auto b = FindIn(list[i], merge_key);
        same = a != wanted.MemberEnd() && b != list[i].MemberEnd() && JsonEqual(a->value, b->value);
      } else {
        same = JsonEqual(wanted, list[i]);
      }
      if (same) {
        used[i] = true;
        out.PushBack(rapidjson::Value(list[i], alloc), alloc);
        break;
      }
    }
  }
  for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
    if (!used[i]) out.PushBack(rapidjson::Value(list[i], alloc), alloc);
  }
  list = std::move(out);
}

absl::Status MergeMap(rapidjson::Value& target, const rapidjson::Value& patch,
                      const rapidjson::Value* schema, JsonAllocator& alloc,
                      const std::string& path) {
  if (!target.IsObject()) target.SetObject();
  absl::string_view directive = GetString(patch, {"$patch"});
  if (directive == "replace") {
    target = StripDirectives(patch, alloc);
    return absl::OkStatus();
  }
  if (directive == "delete") {
    target.SetObject();
    return absl::OkStatus();
  }
  if (!directive.empty() && directive != "merge") {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ": unknown patch directive \"", directive, "\""));
  }
  std::vector<std::pair<std::string, const rapidjson::Value*>> orders;
  for (auto it = patch.MemberBegin(); it != patch.MemberEnd(); ++it) {
    absl::string_view key = Name(it->name);
    const std::string child_path = path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
    if (key == "$patch" || key == "$retainKeys") continue;
    if (absl::ConsumePrefix(&key, "$setElementOrder/")) {
      orders.emplace_back(std::string(key), &it->value);
      continue;
    }
    if (absl::ConsumePrefix(&key, "$deleteFromPrimitiveList/")) {
      rapidjson::Value* list = FindMutable(target, {key});
      if (list != nullptr && list->IsArray() && it->value.IsArray()) {
        for (const rapidjson::Value& gone : it->value.GetArray()) {
          for (auto e = list->Begin(); e != list->End();) {
            if (JsonEqual(*e, gone)) {
              e = list->Erase(e);
            } else {
              ++e;
            }
          }
        }
      }
      continue;
    }
    if (IsDirectiveKey(key)) {
      return absl::InvalidArgumentError(
          absl::StrCat(child_path, ": unknown patch directive"));
    }
    const rapidjson::Value& value = it->value;
    if (value.IsNull()) {
      RemoveMember(target, key);
      continue;
    }
    const rapidjson::Value* child_schema = PropertySchema(schema, key);
    if (value.IsObject()) {
      if (GetString(value, {"$patch"}) == "delete") {
        RemoveMember(target, key);
        continue;
      }
      rapidjson::Value& child = EnsureObject(target, key, alloc);
      absl::Status s = MergeMap(child, value, child_schema, alloc, child_path);
      if (!s.ok()) return s;
      continue;
    }
    if (value.IsArray()) {
      auto existing = target.FindMember(it->name);
      if (existing == target.MemberEnd()) {
        target.AddMember(MakeString(key, alloc), rapidjson::Value(rapidjson::kArrayType), alloc);
        existing = target.MemberEnd() - 1;
      }
      absl::Status s = MergeList(existing->value, value, child_schema, alloc, child_path);
      if (!s.ok()) return s;
      continue;
    }
    SetMember(target, key, rapidjson::Value(value, alloc), alloc);
  }
  for (const auto& [field, order] : orders) {
    rapidjson::Value* list = FindMutable(target, {field});
    if (list == nullptr) continue;
    ApplyElementOrder(*list, *order, StrategyOf(PropertySchema(schema, field)).merge_key, alloc);
  }
  if (const rapidjson::Value* retain = Find(patch, {"$retainKeys"});
      retain != nullptr && retain->IsArray()) {
    for (auto it = target.MemberBegin(); it != target.MemberEnd();) {
      bool keep = false;
      for (const rapidjson::Value& k : retain->GetArray()) {
        if (k.IsString() && Name(k) == Name(it->name)) keep = true;
      }
      if (keep) {
        ++it;
      } else {
        it = target.EraseMember(it);
      }
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------
// Server-side apply

bool IsServerMetadataField(absl::string_view name) {
  return name == "uid" || name == "resourceVersion" || name == "generation" ||
         name == "creationTimestamp" || name == "deletionTimestamp" ||
         name == "deletionGracePeriodSeconds" || name == "managedFields" ||
         name == "selfLink" || name == "name" || name == "namespace";
}

std::string KeyToken(const rapidjson::Value& item, const std::vector<std::string>& keys) {
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  std::string out = "k:{";
  bool first = true;
  for (const std::string& k : sorted) {
    auto it = FindIn(item, k);
    if (it == item.MemberEnd()) continue;
    if (!first) out += ',';
    first = false;
    AppendJsonString(k, out);
    out += ':';
    AppendJson(it->value, out);
  }
  out += '}';
  return out;
}

void BuildFieldSet(const rapidjson::Value& value, const rapidjson::Value* schema,
                   rapidjson::Value& set, JsonAllocator& alloc, int depth) {
  set.SetObject();
  if (!value.IsObject()) return;
  for (auto it = value.MemberBegin(); it != value.MemberEnd(); ++it) {
    absl::string_view key = Name(it->name);
    if (depth == 0 && (key == "apiVersion" || key == "kind")) continue;
    if (depth == 1 && schema == nullptr) {
      // metadata is handled by the caller passing a null schema at depth 1.
    }
    const rapidjson::Value* child_schema = PropertySchema(schema, key);
    rapidjson::Value child(rapidjson::kObjectType);
    const rapidjson::Value& v = it->value;
    if (v.IsObject()) {
      if (depth == 0 && key == "metadata") {
        rapidjson::Value meta(rapidjson::kObjectType);
        for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
          if (IsServerMetadataField(Name(m->name))) continue;
          rapidjson::Value sub(rapidjson::kObjectType);
          BuildFieldSet(m->value, PropertySchema(child_schema, Name(m->name)), sub, alloc,
                        depth + 2);
          meta.AddMember(MakeString(absl::StrCat("f:", Name(m->name)), alloc), std::move(sub),
                         alloc);
        }
        if (meta.MemberCount() > 0) {
          set.AddMember(MakeString("f:metadata", alloc), std::move(meta), alloc);
        }
        continue;
      }
      BuildFieldSet(v, child_schema, child, alloc, depth + 1);
    } else if (v.IsArray()) {
      ApplyListType list_type = ListTypeOf(child_schema);
      const rapidjson::Value* item_schema = ItemsSchema(child_schema);
      if (list_type.kind == ApplyListType::kMap) {
        for (const rapidjson::Value& item : v.GetArray()) {
          if (!item.IsObject()) continue;
          rapidjson::Value entry(rapidjson::kObjectType);
          BuildFieldSet(item, item_schema, entry, alloc, depth + 2);
          entry.AddMember(MakeString(".", alloc), rapidjson::Value(rapidjson::kObjectType), alloc);
          child.AddMember(MakeString(KeyToken(item, list_type.keys), alloc), std::move(entry),
                          alloc);
        }
      } else if (list_type.kind == ApplyListType::kSet) {
        for (const rapidjson::Value& item : v.GetArray()) {
          child.AddMember(MakeString(absl::StrCat("v:", ToJson(item)), alloc),
                          rapidjson::Value(rapidjson::kObjectType), alloc);
        }
      }
    }
    set.AddMember(MakeString(absl::StrCat("f:", key), alloc), std::move(child), alloc);
  }
}

// The part of `before` not in `after`: what a manager stopped applying.
void FieldSetDifference(const rapidjson::Value& before, const rapidjson::Value& after,
                        rapidjson::Value& out, JsonAllocator& alloc) {
  out.SetObject();
  if (!before.IsObject()) return;
  for (auto it = before.MemberBegin(); it != before.MemberEnd(); ++it) {
    if (Name(it->name) == ".") continue;
    auto other = after.IsObject() ? after.FindMember(it->name) : after.MemberEnd();
    if (!after.IsObject() || other == after.MemberEnd()) {
      out.AddMember(rapidjson::Value(it->name, alloc), rapidjson::Value(rapidjson::kObjectType),
                    alloc);
      continue;
    }
    if (it->value.IsObject() && it->value.MemberCount() > 0 && other->value.IsObject() &&
        other->value.MemberCount() > 0) {
      rapidjson::Value sub;
      FieldSetDifference(it->value, other->value, sub, alloc);
      if (sub.MemberCount() > 0) {
        out.AddMember(rapidjson::Value(it->name, alloc), std::move(sub), alloc);
      }
    }
  }
}

bool ItemMatchesKey(const rapidjson::Value& item, const rapidjson::Value& key_fields) {
  if (!item.IsObject() || !key_fields.IsObject()) return false;
  for (auto it = key_fields.MemberBegin(); it != key_fields.MemberEnd(); ++it) {
    auto v = item.FindMember(it->name);
    if (v == item.MemberEnd() || !JsonEqual(v->value, it->value)) return false;
  }
  return true;
}

void RemoveFieldSet(rapidjson::Value& value, const rapidjson::Value& removal,
                    JsonAllocator& alloc) {
  if (!removal.IsObject()) return;
  for (auto it = removal.MemberBegin(); it != removal.MemberEnd(); ++it) {
    absl::string_view token = Name(it->name);
    const bool whole = it->value.MemberCount() == 0;
    if (absl::ConsumePrefix(&token, "f:")) {
      if (!value.IsObject()) continue;
      auto field = FindMemberOf(value, token);
      if (field == value.MemberEnd()) continue;
      if (whole) {
        value.EraseMember(field);
      } else {
        RemoveFieldSet(field->value, it->value, alloc);
      }
    } else if (absl::ConsumePrefix(&token, "k:")) {
      if (!value.IsArray()) continue;
      absl::StatusOr<rapidjson::Document> key = ParseJson(token);
      if (!key.ok()) continue;
      for (auto item = value.Begin(); item != value.End(); ++item) {
        if (!ItemMatchesKey(*item, *key)) continue;
        if (whole) {
          value.Erase(item);
        } else {
          RemoveFieldSet(*item, it->value, alloc);
        }
        break;
      }
    } else if (absl::ConsumePrefix(&token, "v:")) {
      if (!value.IsArray()) continue;
      absl::StatusOr<rapidjson::Document> gone = ParseJson(token);
      if (!gone.ok()) continue;
      for (auto item = value.Begin(); item != value.End(); ++item) {
        if (JsonEqual(*item, *gone)) {
          value.Erase(item);
          break;
        }
      }
    }
  }
}

void StructuredMerge(rapidjson::Value& live, const rapidjson::Value& applied,
                     const rapidjson::Value* schema, JsonAllocator& alloc) {
  if (!applied.IsObject()) {
    live.CopyFrom(applied, alloc);
    return;
  }
  if (!live.IsObject()) live.SetObject();
  for (auto it = applied.MemberBegin(); it != applied.MemberEnd(); ++it) {
    absl::string_view key = Name(it->name);
    const rapidjson::Value& value = it->value;
    if (value.IsNull()) {
      RemoveMember(live, key);
      continue;
    }
    const rapidjson::Value* child_schema = PropertySchema(schema, key);
    auto existing = live.FindMember(it->name);
    if (value.IsObject()) {
      rapidjson::Value& child = EnsureObject(live, key, alloc);
      StructuredMerge(child, value, child_schema, alloc);
      continue;
    }
    if (value.IsArray() && existing != live.MemberEnd() && existing->value.IsArray()) {
      ApplyListType list_type = ListTypeOf(child_schema);
      const rapidjson::Value* item_schema = ItemsSchema(child_schema);
      rapidjson::Value& list = existing->value;
      if (list_type.kind == ApplyListType::kMap) {
        for (const rapidjson::Value& item : value.GetArray()) {
          if (!item.IsObject()) continue;
          rapidjson::Value key_fields(rapidjson::kObjectType);
          for (const std::string& k : list_type.keys) {
            auto kv = FindIn(item, k);
            if (kv != item.MemberEnd()) {
              key_fields.AddMember(MakeString(k, alloc), rapidjson::Value(kv->value, alloc), alloc);
            }
          }
          bool merged = false;
          for (rapidjson::Value& existing_item : list.GetArray()) {
            if (ItemMatchesKey(existing_item, key_fields)) {
              StructuredMerge(existing_item, item, item_schema, alloc);
              merged = true;
              break;
            }
          }
          if (!merged) list.PushBack(rapidjson::Value(item, alloc), alloc);
        }
        continue;
      }
      if (list_type.kind == ApplyListType::kSet) {
        for (const rapidjson::Value& item : value.GetArray()) {
          bool present = false;
          for (const rapidjson::Value& e : list.GetArray()) present = present || JsonEqual(e, item);
          if (!present) list.PushBack(rapidjson::Value(item, alloc), alloc);
        }
        continue;
      }
    }
    SetMember(live, key, rapidjson::Value(value, alloc), alloc);
  }
}

}  // namespace

absl::Status ApplyMergePatch(rapidjson::Value& target, const rapidjson::Value& patch,
                             JsonAllocator& alloc) {
  return MergePatchValue(target, patch, alloc);
}

absl::Status ApplyJsonPatch(rapidjson::Document& target, const rapidjson::Value& operations) {
  if (!operations.IsArray()) {
    return absl::InvalidArgumentError("a JSON patch must be an array of operations");
  }
  auto& alloc = target.GetAllocator();
  for (rapidjson::SizeType i = 0; i < operations.Size(); ++i) {
    const rapidjson::Value& op = operations[i];
    if (!op.IsObject()) {
      return absl::InvalidArgumentError(absl::StrCat("operation ", i, " is not an object"));
    }
    absl::string_view name = GetString(op, {"op"});
    absl::string_view path = GetString(op, {"path"});
    if (!op.HasMember("path") || !op["path"].IsString()) {
      return absl::InvalidArgumentError(absl::StrCat("operation ", i, " has no path"));
    }
    absl::StatusOr<std::vector<std::string>> tokens = ParsePointer(path);
    if (!tokens.ok()) return tokens.status();
    auto value_of = [&]() -> absl::StatusOr<const rapidjson::Value*> {
      auto it = op.FindMember("value");
      if (it == op.MemberEnd()) {
        return absl::InvalidArgumentError(
            absl::StrCat(name, " operation ", i, " has no value"));
      }
      return &it->value;
    };
    if (name == "add") {
      absl::StatusOr<const rapidjson::Value*> value = value_of();
      if (!value.ok()) return value.status();
      absl::Status s = AddAt(target, *tokens, rapidjson::Value(**value, alloc), path);
      if (!s.ok()) return s;
    } else if (name == "remove") {
      absl::StatusOr<rapidjson::Value> removed = RemoveAt(target, *tokens, path, alloc);
      if (!removed.ok()) return removed.status();
    } else if (name == "replace") {
      absl::StatusOr<const rapidjson::Value*> value = value_of();
      if (!value.ok()) return value.status();
      rapidjson::Value* slot = Resolve(target, *tokens, tokens->size());
      if (slot == nullptr) {
        return absl::InvalidArgumentError(absl::StrCat(
            "replace operation does not apply: doc is missing key: ", path));
      }
      slot->CopyFrom(**value, alloc);
    } else if (name == "move" || name == "copy") {
      absl::string_view from = GetString(op, {"from"});
      absl::StatusOr<std::vector<std::string>> from_tokens = ParsePointer(from);
      if (!from_tokens.ok()) return from_tokens.status();
      rapidjson::Value moved;
      if (name == "move") {
        absl::StatusOr<rapidjson::Value> removed = RemoveAt(target, *from_tokens, from, alloc);
        if (!removed.ok()) return removed.status();
        moved = std::move(*removed);
      } else {
        rapidjson::Value* source = Resolve(target, *from_tokens, from_tokens->size());
        if (source == nullptr) {
          return absl::InvalidArgumentError(
              absl::StrCat("copy operation does not apply: doc is missing from path: ", from));
        }
        moved.CopyFrom(*source, alloc);
      }
      absl::Status s = AddAt(target, *tokens, std::move(moved), path);
      if (!s.ok()) return s;
    } else if (name == "test") {
      absl::StatusOr<const rapidjson::Value*> value = value_of();
      if (!value.ok()) return value.status();
      rapidjson::Value* slot = Resolve(target, *tokens, tokens->size());
      if (slot == nullptr || !JsonEqual(*slot, **value)) {
        return absl::InvalidArgumentError(
            absl::StrCat("testing value ", path, " failed: test failed"));
      }
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("Unexpected kind: \"", name, "\" in operation ", i));
    }
  }
  return absl::OkStatus();
}

absl::Status ApplyStrategicMergePatch(rapidjson::Value& target, const rapidjson::Value& patch,
                                      const rapidjson::Value* schema, JsonAllocator& alloc) {
  if (!patch.IsObject()) {
    return absl::InvalidArgumentError("a strategic merge patch must be a JSON object");
  }
  return MergeMap(target, patch, schema, alloc, "");
}

rapidjson::Document FieldSetOf(const rapidjson::Value& object, const rapidjson::Value* schema) {
  rapidjson::Document set;
  BuildFieldSet(object, schema, set, set.GetAllocator(), 0);
  return set;
}

absl::Status ServerSideApply(rapidjson::Document& live, const rapidjson::Value& applied,
                             const rapidjson::Value* schema, absl::string_view manager,
                             absl::string_view api_version, absl::string_view time) {
  if (!applied.IsObject()) {
    return absl::InvalidArgumentError("an applied configuration must be an object");
  }
  auto& alloc = live.GetAllocator();
  if (!live.IsObject()) live.SetObject();
  rapidjson::Document new_set = FieldSetOf(applied, schema);

  // The fields this manager applied last time.
  rapidjson::Value previous_set(rapidjson::kObjectType);
  if (rapidjson::Value* managed = FindMutable(live, {"metadata", "managedFields"});
      managed != nullptr && managed->IsArray()) {
    for (const rapidjson::Value& entry : managed->GetArray()) {
      if (GetString(entry, {"manager"}) == manager &&
          GetString(entry, {"operation"}) == "Apply") {
        if (const rapidjson::Value* fields = Find(entry, {"fieldsV1"})) {
          previous_set.CopyFrom(*fields, alloc);
        }
      }
    }
  }

  StructuredMerge(live, applied, schema, alloc);
  rapidjson::Value removal;
  FieldSetDifference(previous_set, new_set, removal, alloc);
  RemoveFieldSet(live, removal, alloc);

  rapidjson::Value& meta = EnsureObject(live, "metadata", alloc);
  rapidjson::Value entries(rapidjson::kArrayType);
  if (rapidjson::Value* managed = FindMutable(meta, {"managedFields"});
      managed != nullptr && managed->IsArray()) {
    for (rapidjson::Value& entry : managed->GetArray()) {
      if (GetString(entry, {"manager"}) == manager &&
          GetString(entry, {"operation"}) == "Apply") {
        continue;
      }
      entries.PushBack(rapidjson::Value(entry, alloc), alloc);
    }
  }
  rapidjson::Value entry(rapidjson::kObjectType);
  SetString(entry, "manager", manager, alloc);
  SetString(entry, "operation", "Apply", alloc);
  SetString(entry, "apiVersion", api_version, alloc);
  SetString(entry, "time", time, alloc);
  SetString(entry, "fieldsType", "FieldsV1", alloc);
  SetMember(entry, "fieldsV1", rapidjson::Value(new_set, alloc), alloc);
  entries.PushBack(std::move(entry), alloc);
  SetMember(meta, "managedFields", std::move(entries), alloc);
  return absl::OkStatus();
}

}  // namespace mck8s::sim
