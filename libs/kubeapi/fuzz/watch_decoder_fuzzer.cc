// Any bytes as a watch stream, cut in two at a point chosen by the first
// byte: the decoder must not crash, and must decode the same events as when
// fed the stream whole.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "mck8s/kubeapi/watch.h"

namespace {

std::vector<std::string> Decode(const std::vector<std::string_view>& pieces, bool* ok) {
  mck8s::kubeapi::WatchDecoder decoder(1 << 20);
  std::vector<std::string> events;
  *ok = true;
  for (std::string_view piece : pieces) {
    absl::Status status = decoder.Feed(piece, [&](mck8s::kubeapi::WatchEvent event) {
      events.push_back(std::string(mck8s::kubeapi::WatchEventTypeName(event.type)) +
                       event.object.ToJson());
      return true;
    });
    if (!status.ok()) {
      *ok = false;
      return events;
    }
  }
  *ok = decoder.Finish().ok();
  return events;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::string_view stream(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t cut = stream.empty() ? 0 : data[0] % (stream.size() + 1);
  bool whole_ok = false;
  bool split_ok = false;
  std::vector<std::string> whole = Decode({stream}, &whole_ok);
  std::vector<std::string> split = Decode({stream.substr(0, cut), stream.substr(cut)}, &split_ok);
  if (whole_ok != split_ok || whole != split) std::abort();
  return 0;
}
