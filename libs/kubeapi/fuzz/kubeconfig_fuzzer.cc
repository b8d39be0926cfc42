// Any bytes as a kubeconfig: an error or a config, never a crash. Relative
// file references resolve against a directory that does not exist, so the
// fuzzer reads no real files.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mck8s/kubeapi/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view yaml(reinterpret_cast<const char*>(data), size);
  (void)mck8s::kubeapi::ParseKubeconfig(yaml, "", "/nonexistent-fuzz-dir");
  (void)mck8s::kubeapi::ParseKubeconfig(yaml, "edge", "/nonexistent-fuzz-dir");
  return 0;
}
