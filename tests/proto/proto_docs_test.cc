// Specification of the mck8s.v1 contracts as documents: every element carries
// a leading comment, the published services have the agreed shape, the enums
// follow the naming rules, and the descriptor set shipped for tools describes
// exactly the code that was compiled.
//
// The descriptor set (MCK8S_PROTO_DESCRIPTOR_SET) is written by protoc with
// --include_source_info, so comments are found through SourceCodeInfo
// location paths: a path is the list of (field number, index) steps from the
// FileDescriptorProto down to the element, e.g. {4, 2, 2, 0} is the first
// field of the third top-level message.

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cctype>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "mck8s/v1/cluster_state.grpc.pb.h"
#include "mck8s/v1/scheduler.grpc.pb.h"

namespace mck8s::proto_test {
namespace {

using google::protobuf::DescriptorPool;
using google::protobuf::DescriptorProto;
using google::protobuf::EnumDescriptorProto;
using google::protobuf::FileDescriptorProto;
using google::protobuf::FileDescriptorSet;
using google::protobuf::ServiceDescriptorProto;

constexpr std::string_view kPackage = "mck8s.v1";

FileDescriptorSet LoadDescriptorSet(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  INFO("descriptor set: " << path);
  REQUIRE(in.good());
  std::stringstream bytes;
  bytes << in.rdbuf();
  FileDescriptorSet set;
  REQUIRE(set.ParseFromString(bytes.str()));
  return set;
}

std::vector<const FileDescriptorProto*> FilesOfPackage(const FileDescriptorSet& set,
                                                       std::string_view package) {
  std::vector<const FileDescriptorProto*> files;
  for (const FileDescriptorProto& file : set.file()) {
    if (file.package() == package) files.push_back(&file);
  }
  return files;
}

bool IsBlank(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return std::isspace(c) != 0; });
}

// Walks one file's declarations and lists, as "<kind> <full name>", every
// service, rpc, message, field, oneof, enum and enum value whose leading
// comment is missing or blank. Trailing and detached comments do not count:
// generators and `buf` attach only leading comments to an element.
class DocumentationAudit {
 public:
  explicit DocumentationAudit(const FileDescriptorProto& file) : file_(file) {
    for (const auto& location : file.source_code_info().location()) {
      std::vector<int> path(location.path().begin(), location.path().end());
      leading_comments_[path] = location.leading_comments();
    }
  }

  std::vector<std::string> Undocumented() {
    const std::string scope = file_.package();
    for (int i = 0; i < file_.message_type_size(); ++i) {
      AuditMessage(file_.message_type(i), {FileDescriptorProto::kMessageTypeFieldNumber, i}, scope);
    }
    for (int i = 0; i < file_.enum_type_size(); ++i) {
      AuditEnum(file_.enum_type(i), {FileDescriptorProto::kEnumTypeFieldNumber, i}, scope);
    }
    for (int i = 0; i < file_.service_size(); ++i) {
      AuditService(file_.service(i), {FileDescriptorProto::kServiceFieldNumber, i}, scope);
    }
    return missing_;
  }

 private:
  static std::vector<int> Append(std::vector<int> path, int field_number, int index) {
    path.push_back(field_number);
    path.push_back(index);
    return path;
  }

  void Require(const std::vector<int>& path, std::string_view kind, const std::string& name) {
    auto it = leading_comments_.find(path);
    if (it == leading_comments_.end() || IsBlank(it->second)) {
      missing_.push_back(std::string(kind) + " " + name);
    }
  }

  void AuditMessage(const DescriptorProto& message, const std::vector<int>& path,
                    const std::string& scope) {
    const std::string name = scope + "." + message.name();
    Require(path, "message", name);
    for (int i = 0; i < message.field_size(); ++i) {
      Require(Append(path, DescriptorProto::kFieldFieldNumber, i), "field",
              name + "." + message.field(i).name());
    }
    for (int i = 0; i < message.oneof_decl_size(); ++i) {
      // A proto3 `optional` field lives in a synthetic oneof that has no
      // source of its own; the field's comment documents it.
      const bool synthetic =
          std::any_of(message.field().begin(), message.field().end(), [i](const auto& field) {
            return field.has_oneof_index() && field.oneof_index() == i && field.proto3_optional();
          });
      if (synthetic) continue;
      Require(Append(path, DescriptorProto::kOneofDeclFieldNumber, i), "oneof",
              name + "." + message.oneof_decl(i).name());
    }
    for (int i = 0; i < message.nested_type_size(); ++i) {
      // Map fields generate an entry message; the map field is what is
      // documented.
      if (message.nested_type(i).options().map_entry()) continue;
      AuditMessage(message.nested_type(i), Append(path, DescriptorProto::kNestedTypeFieldNumber, i),
                   name);
    }
    for (int i = 0; i < message.enum_type_size(); ++i) {
      AuditEnum(message.enum_type(i), Append(path, DescriptorProto::kEnumTypeFieldNumber, i), name);
    }
  }

  void AuditEnum(const EnumDescriptorProto& enumeration, const std::vector<int>& path,
                 const std::string& scope) {
    const std::string name = scope + "." + enumeration.name();
    Require(path, "enum", name);
    for (int i = 0; i < enumeration.value_size(); ++i) {
      Require(Append(path, EnumDescriptorProto::kValueFieldNumber, i), "enum value",
              name + "." + enumeration.value(i).name());
    }
  }

  void AuditService(const ServiceDescriptorProto& service, const std::vector<int>& path,
                    const std::string& scope) {
    const std::string name = scope + "." + service.name();
    Require(path, "service", name);
    for (int i = 0; i < service.method_size(); ++i) {
      Require(Append(path, ServiceDescriptorProto::kMethodFieldNumber, i), "rpc",
              name + "." + service.method(i).name());
    }
  }

  const FileDescriptorProto& file_;
  std::map<std::vector<int>, std::string> leading_comments_;
  std::vector<std::string> missing_;
};

std::vector<std::string> UndocumentedElements(const FileDescriptorSet& set,
                                              std::string_view package) {
  std::vector<std::string> missing;
  for (const FileDescriptorProto* file : FilesOfPackage(set, package)) {
    for (std::string& element : DocumentationAudit(*file).Undocumented()) {
      missing.push_back(file->name() + ": " + element);
    }
  }
  return missing;
}

TEST_CASE("every element of mck8s.v1 has a leading comment", "[proto][unit]") {
  const FileDescriptorSet set = LoadDescriptorSet(MCK8S_PROTO_DESCRIPTOR_SET);
  // An audit that saw nothing would pass vacuously.
  REQUIRE(FilesOfPackage(set, kPackage).size() == 3);

  for (const std::string& element : UndocumentedElements(set, kPackage)) {
    FAIL_CHECK("no leading comment: " << element);
  }
}

TEST_CASE("the documentation audit names each undocumented element and nothing else",
          "[proto][unit]") {
  const FileDescriptorSet set = LoadDescriptorSet(MCK8S_AUDIT_FIXTURE_SET);
  std::vector<std::string> found = UndocumentedElements(set, "mck8s.audit_fixture");
  std::sort(found.begin(), found.end());

  const std::string file = "audit_fixture.proto: ";
  std::vector<std::string> expected = {
      file + "field mck8s.audit_fixture.Documented.undocumented_field",
      file + "field mck8s.audit_fixture.Documented.trailing_only",
      file + "oneof mck8s.audit_fixture.Documented.undocumented_oneof",
      file + "message mck8s.audit_fixture.Documented.UndocumentedNested",
      file + "enum mck8s.audit_fixture.Documented.UndocumentedNestedEnum",
      file + "message mck8s.audit_fixture.UndocumentedMessage",
      file + "message mck8s.audit_fixture.DetachedOnly",
      file + "message mck8s.audit_fixture.BlankComment",
      file + "enum value mck8s.audit_fixture.DocumentedEnum.DOCUMENTED_ENUM_UNDOCUMENTED",
      file + "enum mck8s.audit_fixture.UndocumentedEnum",
      file + "rpc mck8s.audit_fixture.DocumentedService.UndocumentedCall",
      file + "service mck8s.audit_fixture.UndocumentedService",
  };
  std::sort(expected.begin(), expected.end());
  CHECK(found == expected);
}

TEST_CASE("the descriptor set describes the compiled-in contracts", "[proto][unit]") {
  const FileDescriptorSet set = LoadDescriptorSet(MCK8S_PROTO_DESCRIPTOR_SET);
  for (const FileDescriptorProto* from_set : FilesOfPackage(set, kPackage)) {
    INFO("file: " << from_set->name());
    const google::protobuf::FileDescriptor* compiled =
        DescriptorPool::generated_pool()->FindFileByName(from_set->name());
    REQUIRE(compiled != nullptr);
    FileDescriptorProto expected;
    compiled->CopyTo(&expected);
    compiled->CopyJsonNameTo(&expected);
    FileDescriptorProto actual = *from_set;
    actual.clear_source_code_info();
    CHECK(google::protobuf::util::MessageDifferencer::Equals(expected, actual));
  }
}

struct RpcShape {
  std::string service;
  std::string method;
  std::string input;
  std::string output;
  bool server_streaming;
  bool client_streaming = false;
};

TEST_CASE("the services have the agreed rpcs", "[proto][unit]") {
  const std::vector<RpcShape> table = {
      {"mck8s.v1.Scheduler", "Place", "mck8s.v1.PlaceRequest", "mck8s.v1.PlaceResponse", false},
      {"mck8s.v1.Scheduler", "Offload", "mck8s.v1.OffloadRequest", "mck8s.v1.OffloadResponse",
       false},
      {"mck8s.v1.Scheduler", "Burst", "mck8s.v1.BurstRequest", "mck8s.v1.BurstResponse", false},
      {"mck8s.v1.Scheduler", "PlaceStream", "mck8s.v1.PlaceRequest", "mck8s.v1.PlaceStreamResponse",
       true, true},
      {"mck8s.v1.ClusterState", "GetSnapshot", "mck8s.v1.GetSnapshotRequest",
       "mck8s.v1.GetSnapshotResponse", false},
      {"mck8s.v1.ClusterState", "Watch", "mck8s.v1.WatchRequest", "mck8s.v1.WatchEvent", true},
  };
  std::map<std::string, int> methods_per_service;
  for (const RpcShape& rpc : table) {
    INFO(rpc.service << "." << rpc.method);
    ++methods_per_service[rpc.service];
    const google::protobuf::ServiceDescriptor* service =
        DescriptorPool::generated_pool()->FindServiceByName(rpc.service);
    REQUIRE(service != nullptr);
    const google::protobuf::MethodDescriptor* method = service->FindMethodByName(rpc.method);
    REQUIRE(method != nullptr);
    CHECK(method->input_type()->full_name() == rpc.input);
    CHECK(method->output_type()->full_name() == rpc.output);
    CHECK(method->client_streaming() == rpc.client_streaming);
    CHECK(method->server_streaming() == rpc.server_streaming);
  }
  for (const auto& [service, count] : methods_per_service) {
    INFO(service);
    CHECK(DescriptorPool::generated_pool()->FindServiceByName(service)->method_count() == count);
  }
  // The generated stubs are what services and tools build on.
  CHECK(std::string(mck8s::v1::Scheduler::service_full_name()) == "mck8s.v1.Scheduler");
  CHECK(std::string(mck8s::v1::ClusterState::service_full_name()) == "mck8s.v1.ClusterState");
}

// UPPER_SNAKE_CASE of a PascalCase enum name: "TaintEffect" -> "TAINT_EFFECT".
std::string UpperSnake(std::string_view pascal) {
  std::string out;
  for (char c : pascal) {
    if (std::isupper(static_cast<unsigned char>(c)) && !out.empty()) out += '_';
    out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

void CollectEnums(const google::protobuf::Descriptor* message,
                  std::vector<const google::protobuf::EnumDescriptor*>& enums) {
  for (int i = 0; i < message->enum_type_count(); ++i) enums.push_back(message->enum_type(i));
  for (int i = 0; i < message->nested_type_count(); ++i) {
    CollectEnums(message->nested_type(i), enums);
  }
}

TEST_CASE("every enum opens with <NAME>_UNSPECIFIED = 0 and prefixes its values", "[proto][unit]") {
  REQUIRE(UpperSnake("TaintEffect") == "TAINT_EFFECT");

  const FileDescriptorSet set = LoadDescriptorSet(MCK8S_PROTO_DESCRIPTOR_SET);
  std::vector<const google::protobuf::EnumDescriptor*> enums;
  for (const FileDescriptorProto* file : FilesOfPackage(set, kPackage)) {
    const google::protobuf::FileDescriptor* compiled =
        DescriptorPool::generated_pool()->FindFileByName(file->name());
    REQUIRE(compiled != nullptr);
    for (int i = 0; i < compiled->enum_type_count(); ++i) enums.push_back(compiled->enum_type(i));
    for (int i = 0; i < compiled->message_type_count(); ++i) {
      CollectEnums(compiled->message_type(i), enums);
    }
  }
  REQUIRE_FALSE(enums.empty());
  for (const google::protobuf::EnumDescriptor* enumeration : enums) {
    INFO("enum " << enumeration->full_name());
    const std::string prefix = UpperSnake(enumeration->name()) + "_";
    REQUIRE(enumeration->value_count() >= 2);
    CHECK(enumeration->value(0)->name() == prefix + "UNSPECIFIED");
    CHECK(enumeration->value(0)->number() == 0);
    for (int i = 0; i < enumeration->value_count(); ++i) {
      INFO("value " << enumeration->value(i)->name());
      CHECK(enumeration->value(i)->name().rfind(prefix, 0) == 0);
    }
  }
}

}  // namespace
}  // namespace mck8s::proto_test
