#include "mck8s/apischema/crd.h"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace mck8s::apischema {
namespace {

absl::string_view View(const rapidjson::Value& v) {
  return absl::string_view(v.GetString(), v.GetStringLength());
}

const rapidjson::Value* Get(const rapidjson::Value& object,
                            absl::string_view key) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(
      rapidjson::Value(rapidjson::StringRef(key.data(), key.size())));
  return it == object.MemberEnd() ? nullptr : &it->value;
}

// RFC 1035 label: lowercase alphanumerics and '-', starting with a letter,
// ending with an alphanumeric, at most 63 characters.
bool IsDns1035Label(absl::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  if (s.front() < 'a' || s.front() > 'z') return false;
  if (s.back() == '-') return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return false;
    }
  }
  return true;
}

// RFC 1123 subdomain: dot-separated labels of lowercase alphanumerics and
// '-', at most 253 characters.
bool IsDns1123Subdomain(absl::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  for (absl::string_view label : absl::StrSplit(s, '.')) {
    if (label.empty() || label.size() > 63) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    for (char c : label) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
        return false;
      }
    }
  }
  return true;
}

class CrdReader {
 public:
  explicit CrdReader(std::vector<FieldError>& errors) : errors_(errors) {}

  void Read(const rapidjson::Value& crd, CustomResourceDefinition* out) {
    if (!crd.IsObject()) {
      Error(FieldErrorType::kTypeInvalid, "", RenderValue(crd),
            "a CustomResourceDefinition must be an object");
      return;
    }
    ExpectString(crd, "apiVersion", "apiVersion", "apiextensions.k8s.io/v1");
    ExpectString(crd, "kind", "kind", "CustomResourceDefinition");
    const rapidjson::Value* metadata = Get(crd, "metadata");
    std::string name = String(metadata ? *metadata : crd, "name",
                              "metadata.name", /*required=*/true);
    const rapidjson::Value* spec = Get(crd, "spec");
    if (spec == nullptr || !spec->IsObject()) {
      Error(FieldErrorType::kRequired, "spec", std::nullopt, "");
      return;
    }
    CheckKnownKeys(*spec, "spec",
                   {"group", "names", "scope", "versions", "conversion",
                    "preserveUnknownFields"});
    out->name = name;
    out->group = String(*spec, "group", "spec.group", true);
    if (!out->group.empty() &&
        (!IsDns1123Subdomain(out->group) ||
         out->group.find('.') == std::string::npos)) {
      Error(FieldErrorType::kInvalid, "spec.group", Quote(out->group),
            "should be a domain with at least one dot");
    }
    if (const rapidjson::Value* p = Get(*spec, "preserveUnknownFields");
        p != nullptr && p->IsBool() && p->GetBool()) {
      Error(FieldErrorType::kInvalid, "spec.preserveUnknownFields", "true",
            "must be false in order to use defaults in the schema");
    }
    std::string scope = String(*spec, "scope", "spec.scope", true);
    if (scope == "Namespaced") {
      out->namespaced = true;
    } else if (scope == "Cluster") {
      out->namespaced = false;
    } else if (!scope.empty()) {
      Error(FieldErrorType::kNotSupported, "spec.scope", Quote(scope),
            "supported values: \"Cluster\", \"Namespaced\"");
    }
    ReadNames(*spec, out);
    if (!out->plural.empty() && !out->group.empty() &&
        name != absl::StrCat(out->plural, ".", out->group)) {
      Error(FieldErrorType::kInvalid, "metadata.name", Quote(name),
            "must be spec.names.plural+\".\"+spec.group");
    }
    ReadVersions(*spec, out);
  }

 private:
  void Error(FieldErrorType type, std::string path,
             std::optional<std::string> bad_value, std::string detail) {
    errors_.push_back(
        MakeFieldError(type, std::move(path), std::move(bad_value),
                       std::move(detail)));
  }

  void CheckKnownKeys(const rapidjson::Value& object, absl::string_view path,
                      std::initializer_list<absl::string_view> known) {
    for (const auto& member : object.GetObject()) {
      absl::string_view key = View(member.name);
      bool found = false;
      for (absl::string_view k : known) found |= k == key;
      if (!found) {
        std::string field = absl::StrCat(path, ".", key);
        Error(FieldErrorType::kForbidden, field, std::nullopt,
              UnknownFieldMessage(field));
      }
    }
  }

  std::string String(const rapidjson::Value& object, absl::string_view key,
                     std::string path, bool required) {
    const rapidjson::Value* v = Get(object, key);
    if (v == nullptr || (v->IsString() && v->GetStringLength() == 0)) {
      if (required) Error(FieldErrorType::kRequired, path, std::nullopt, "");
      return "";
    }
    if (!v->IsString()) {
      Error(FieldErrorType::kTypeInvalid, path, RenderValue(*v),
            "must be a string");
      return "";
    }
    return std::string(View(*v));
  }

  bool Bool(const rapidjson::Value& object, absl::string_view key,
            std::string path) {
    const rapidjson::Value* v = Get(object, key);
    if (v == nullptr) return false;
    if (!v->IsBool()) {
      Error(FieldErrorType::kTypeInvalid, path, RenderValue(*v),
            "must be a boolean");
      return false;
    }
    return v->GetBool();
  }

  std::vector<std::string> Strings(const rapidjson::Value& object,
                                   absl::string_view key,
                                   const std::string& path) {
    std::vector<std::string> out;
    const rapidjson::Value* v = Get(object, key);
    if (v == nullptr) return out;
    if (!v->IsArray()) {
      Error(FieldErrorType::kTypeInvalid, path, RenderValue(*v),
            "must be a list of strings");
      return out;
    }
    for (rapidjson::SizeType i = 0; i < v->Size(); ++i) {
      if (!(*v)[i].IsString()) {
        Error(FieldErrorType::kTypeInvalid, absl::StrCat(path, "[", i, "]"),
              RenderValue((*v)[i]), "must be a string");
        continue;
      }
      out.emplace_back(View((*v)[i]));
    }
    return out;
  }

  void ExpectString(const rapidjson::Value& object, absl::string_view key,
                    std::string path, std::string_view expected) {
    std::string value = String(object, key, path, true);
    if (!value.empty() && value != expected) {
      Error(FieldErrorType::kNotSupported, path, Quote(value),
            absl::StrCat("supported values: ", Quote(expected)));
    }
  }

  void ReadNames(const rapidjson::Value& spec, CustomResourceDefinition* out) {
    const rapidjson::Value* names = Get(spec, "names");
    if (names == nullptr || !names->IsObject()) {
      Error(FieldErrorType::kRequired, "spec.names", std::nullopt, "");
      return;
    }
    CheckKnownKeys(*names, "spec.names",
                   {"plural", "singular", "shortNames", "kind", "listKind",
                    "categories"});
    out->plural = String(*names, "plural", "spec.names.plural", true);
    out->kind = String(*names, "kind", "spec.names.kind", true);
    out->singular = String(*names, "singular", "spec.names.singular", false);
    out->list_kind = String(*names, "listKind", "spec.names.listKind", false);
    if (out->singular.empty()) out->singular = absl::AsciiStrToLower(out->kind);
    if (out->list_kind.empty() && !out->kind.empty()) {
      out->list_kind = absl::StrCat(out->kind, "List");
    }
    if (!out->plural.empty() && !IsDns1035Label(out->plural)) {
      Error(FieldErrorType::kInvalid, "spec.names.plural", Quote(out->plural),
            "a DNS-1035 label must consist of lower case alphanumeric "
            "characters or '-', start with an alphabetic character, and end "
            "with an alphanumeric character");
    }
    if (!out->singular.empty() && !IsDns1035Label(out->singular)) {
      Error(FieldErrorType::kInvalid, "spec.names.singular",
            Quote(out->singular), "must be a DNS-1035 label");
    }
    if (!out->kind.empty() && !IsDns1035Label(absl::AsciiStrToLower(out->kind))) {
      Error(FieldErrorType::kInvalid, "spec.names.kind", Quote(out->kind),
            "may have mixed case, but should otherwise match a DNS-1035 "
            "label");
    }
    if (out->kind == out->list_kind && !out->kind.empty()) {
      Error(FieldErrorType::kInvalid, "spec.names.listKind",
            Quote(out->list_kind), "kind and listKind may not be the same");
    }
    out->short_names = Strings(*names, "shortNames", "spec.names.shortNames");
    absl::flat_hash_set<std::string> seen;
    for (size_t i = 0; i < out->short_names.size(); ++i) {
      const std::string& s = out->short_names[i];
      std::string path = absl::StrCat("spec.names.shortNames[", i, "]");
      if (!IsDns1035Label(s)) {
        Error(FieldErrorType::kInvalid, path, Quote(s),
              "must be a DNS-1035 label");
      }
      if (!seen.insert(s).second) {
        Error(FieldErrorType::kDuplicate, path, Quote(s), "");
      }
    }
    out->categories = Strings(*names, "categories", "spec.names.categories");
  }

  void ReadVersions(const rapidjson::Value& spec,
                    CustomResourceDefinition* out) {
    const rapidjson::Value* versions = Get(spec, "versions");
    if (versions == nullptr || !versions->IsArray() || versions->Empty()) {
      Error(FieldErrorType::kRequired, "spec.versions", std::nullopt,
            "must have exactly one version marked as storage version");
      return;
    }
    absl::flat_hash_set<std::string> names;
    int storage = 0;
    for (rapidjson::SizeType i = 0; i < versions->Size(); ++i) {
      const rapidjson::Value& v = (*versions)[i];
      std::string path = absl::StrCat("spec.versions[", i, "]");
      if (!v.IsObject()) {
        Error(FieldErrorType::kTypeInvalid, path, RenderValue(v),
              "must be an object");
        continue;
      }
      CheckKnownKeys(v, path,
                     {"name", "served", "storage", "deprecated",
                      "deprecationWarning", "schema", "subresources",
                      "additionalPrinterColumns", "selectableFields"});
      CrdVersion version;
      version.name = String(v, "name", absl::StrCat(path, ".name"), true);
      if (!version.name.empty()) {
        if (!IsDns1035Label(version.name)) {
          Error(FieldErrorType::kInvalid, absl::StrCat(path, ".name"),
                Quote(version.name), "must be a DNS-1035 label");
        }
        if (!names.insert(version.name).second) {
          Error(FieldErrorType::kDuplicate, absl::StrCat(path, ".name"),
                Quote(version.name), "");
        }
      }
      version.served = Bool(v, "served", absl::StrCat(path, ".served"));
      version.storage = Bool(v, "storage", absl::StrCat(path, ".storage"));
      if (version.storage) ++storage;
      version.deprecated =
          Bool(v, "deprecated", absl::StrCat(path, ".deprecated"));
      version.deprecation_warning =
          String(v, "deprecationWarning",
                 absl::StrCat(path, ".deprecationWarning"), false);
      ReadSchema(v, path, &version);
      ReadSubresources(v, path, &version);
      ReadPrinterColumns(v, path, &version);
      out->versions.push_back(std::move(version));
    }
    if (storage != 1) {
      Error(FieldErrorType::kInvalid, "spec.versions",
            absl::StrCat(storage),
            "must have exactly one version marked as storage version");
    }
  }

  void ReadSchema(const rapidjson::Value& v, const std::string& path,
                  CrdVersion* version) {
    const rapidjson::Value* schema = Get(v, "schema");
    const rapidjson::Value* open_api =
        schema == nullptr ? nullptr : Get(*schema, "openAPIV3Schema");
    std::string schema_path = absl::StrCat(path, ".schema.openAPIV3Schema");
    if (open_api == nullptr) {
      Error(FieldErrorType::kRequired, schema_path, std::nullopt,
            "schemas are required");
      return;
    }
    absl::StatusOr<StructuralSchema> compiled =
        StructuralSchema::Compile(*open_api);
    if (compiled.ok()) {
      version->schema = *std::move(compiled);
      return;
    }
    // Compile again only to name the problems under this version's path.
    std::vector<FieldError> problems =
        StructuralSchema::CheckStructural(*open_api, schema_path);
    errors_.insert(errors_.end(), problems.begin(), problems.end());
  }

  // The schema node a JSON path like ".spec.replicas" names, or nullptr when
  // the schema leaves it unspecified.
  const rapidjson::Value* SchemaAt(const rapidjson::Value& schema,
                                   absl::string_view json_path) {
    const rapidjson::Value* node = &schema;
    for (absl::string_view part :
         absl::StrSplit(json_path.substr(1), '.')) {
      const rapidjson::Value* props = Get(*node, "properties");
      const rapidjson::Value* next = props ? Get(*props, part) : nullptr;
      if (next == nullptr) return nullptr;
      node = next;
    }
    return node;
  }

  void CheckScalePath(const CrdVersion& version, const std::string& path,
                      const std::string& value, absl::string_view type,
                      bool spec_allowed, bool status_allowed) {
    bool under_spec = value.rfind(".spec.", 0) == 0;
    bool under_status = value.rfind(".status.", 0) == 0;
    if (!((spec_allowed && under_spec) || (status_allowed && under_status))) {
      Error(FieldErrorType::kInvalid, path, Quote(value),
            absl::StrCat("should be a json path under ",
                         spec_allowed && status_allowed ? ".spec or .status"
                         : spec_allowed                 ? ".spec"
                                                        : ".status"));
      return;
    }
    const rapidjson::Value* node = SchemaAt(version.schema.json(), value);
    if (node == nullptr) return;
    const rapidjson::Value* t = Get(*node, "type");
    if (t == nullptr || !t->IsString() || View(*t) != type) {
      Error(FieldErrorType::kInvalid, path, Quote(value),
            absl::StrCat("should point to a field of type ", type));
    }
  }

  void ReadSubresources(const rapidjson::Value& v, const std::string& path,
                        CrdVersion* version) {
    const rapidjson::Value* sub = Get(v, "subresources");
    if (sub == nullptr) return;
    std::string sub_path = absl::StrCat(path, ".subresources");
    if (!sub->IsObject()) {
      Error(FieldErrorType::kTypeInvalid, sub_path, RenderValue(*sub),
            "must be an object");
      return;
    }
    CheckKnownKeys(*sub, sub_path, {"status", "scale"});
    version->status_subresource = Get(*sub, "status") != nullptr;
    const rapidjson::Value* scale = Get(*sub, "scale");
    if (scale == nullptr) return;
    std::string scale_path = absl::StrCat(sub_path, ".scale");
    if (!scale->IsObject()) {
      Error(FieldErrorType::kTypeInvalid, scale_path, RenderValue(*scale),
            "must be an object");
      return;
    }
    CheckKnownKeys(*scale, scale_path,
                   {"specReplicasPath", "statusReplicasPath",
                    "labelSelectorPath"});
    ScaleSubresource s;
    std::string spec_path = absl::StrCat(scale_path, ".specReplicasPath");
    std::string status_path = absl::StrCat(scale_path, ".statusReplicasPath");
    std::string selector_path = absl::StrCat(scale_path, ".labelSelectorPath");
    s.spec_replicas_path = String(*scale, "specReplicasPath", spec_path, true);
    s.status_replicas_path =
        String(*scale, "statusReplicasPath", status_path, true);
    s.label_selector_path =
        String(*scale, "labelSelectorPath", selector_path, false);
    if (!s.spec_replicas_path.empty()) {
      CheckScalePath(*version, spec_path, s.spec_replicas_path, "integer",
                     true, false);
    }
    if (!s.status_replicas_path.empty()) {
      CheckScalePath(*version, status_path, s.status_replicas_path, "integer",
                     false, true);
    }
    if (!s.label_selector_path.empty()) {
      CheckScalePath(*version, selector_path, s.label_selector_path, "string",
                     true, true);
    }
    version->scale = std::move(s);
  }

  void ReadPrinterColumns(const rapidjson::Value& v, const std::string& path,
                          CrdVersion* version) {
    const rapidjson::Value* columns = Get(v, "additionalPrinterColumns");
    if (columns == nullptr) return;
    std::string columns_path = absl::StrCat(path, ".additionalPrinterColumns");
    if (!columns->IsArray()) {
      Error(FieldErrorType::kTypeInvalid, columns_path, RenderValue(*columns),
            "must be a list");
      return;
    }
    for (rapidjson::SizeType i = 0; i < columns->Size(); ++i) {
      const rapidjson::Value& c = (*columns)[i];
      std::string c_path = absl::StrCat(columns_path, "[", i, "]");
      if (!c.IsObject()) {
        Error(FieldErrorType::kTypeInvalid, c_path, RenderValue(c),
              "must be an object");
        continue;
      }
      CheckKnownKeys(c, c_path,
                     {"name", "type", "format", "description", "jsonPath",
                      "priority"});
      PrinterColumn column;
      column.name = String(c, "name", absl::StrCat(c_path, ".name"), true);
      column.type = String(c, "type", absl::StrCat(c_path, ".type"), true);
      column.format =
          String(c, "format", absl::StrCat(c_path, ".format"), false);
      column.description =
          String(c, "description", absl::StrCat(c_path, ".description"), false);
      column.json_path =
          String(c, "jsonPath", absl::StrCat(c_path, ".jsonPath"), true);
      static constexpr absl::string_view kTypes[] = {
          "integer", "number", "string", "boolean", "date"};
      bool known = false;
      for (absl::string_view t : kTypes) known |= column.type == t;
      if (!column.type.empty() && !known) {
        Error(FieldErrorType::kNotSupported, absl::StrCat(c_path, ".type"),
              Quote(column.type),
              "supported values: \"boolean\", \"date\", \"integer\", "
              "\"number\", \"string\"");
      }
      if (!column.json_path.empty() && column.json_path[0] != '.') {
        Error(FieldErrorType::kInvalid, absl::StrCat(c_path, ".jsonPath"),
              Quote(column.json_path), "must be a simple json path starting "
              "with .");
      }
      if (const rapidjson::Value* p = Get(c, "priority")) {
        if (!p->IsInt() || p->GetInt() < 0) {
          Error(FieldErrorType::kInvalid, absl::StrCat(c_path, ".priority"),
                RenderValue(*p), "must be a non-negative integer");
        } else {
          column.priority = p->GetInt();
        }
      }
      version->printer_columns.push_back(std::move(column));
    }
  }

  std::vector<FieldError>& errors_;
};

}  // namespace

const CrdVersion& CustomResourceDefinition::StorageVersion() const {
  for (const CrdVersion& v : versions) {
    if (v.storage) return v;
  }
  return versions.front();
}

const CrdVersion* CustomResourceDefinition::FindVersion(
    std::string_view version) const {
  for (const CrdVersion& v : versions) {
    if (v.name == version) return &v;
  }
  return nullptr;
}

std::vector<FieldError> ValidateCustomResourceDefinition(
    const rapidjson::Value& crd) {
  std::vector<FieldError> errors;
  CustomResourceDefinition ignored;
  CrdReader(errors).Read(crd, &ignored);
  return errors;
}

absl::StatusOr<CustomResourceDefinition> ReadCustomResourceDefinition(
    const rapidjson::Value& crd) {
  std::vector<FieldError> errors;
  CustomResourceDefinition out;
  CrdReader(errors).Read(crd, &out);
  if (!errors.empty()) {
    std::string name = out.name.empty() ? "<unnamed>" : out.name;
    return absl::InvalidArgumentError(
        absl::StrCat("CustomResourceDefinition.apiextensions.k8s.io \"", name,
                     "\" is invalid: ", FormatFieldErrors(errors)));
  }
  return out;
}

}  // namespace mck8s::apischema
