// Any bytes as an API answer (an object or a list), then the accessors a
// controller uses on it: errors, never crashes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "mck8s/kubeapi/errors.h"
#include "mck8s/kubeapi/object.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string body(reinterpret_cast<const char*>(data), size);
  (void)mck8s::kubeapi::ErrorFromResponse(422, body);
  absl::StatusOr<mck8s::kubeapi::Object> object = mck8s::kubeapi::Object::Parse(body);
  if (object.ok()) {
    (void)object->labels();
    (void)object->owner_references();
    (void)object->finalizers();
    (void)object->FindString("/spec/template/spec/containers/0/image");
    mck8s::kubeapi::Object copy = *object;
    (void)copy.SetString("/metadata/labels/x", "y");
    (void)copy.ToJson();
  }
  absl::StatusOr<mck8s::kubeapi::ObjectList> list = mck8s::kubeapi::ParseObjectList(body);
  if (list.ok()) {
    for (const auto& item : list->items) (void)item.key();
  }
  return 0;
}
