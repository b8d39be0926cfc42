// libFuzzer target for the MessagePack decoder, which parses whatever a
// Serf agent (or anything listening on its port) sends. Beyond "never
// crash", it checks the invariants the RPC client relies on:
//   * a decoded value encodes and decodes back to an equal value, and that
//     encoding is a fixpoint;
//   * `consumed` never exceeds the input;
//   * every strict prefix of an encoding is reported as incomplete, which is
//     what lets the client wait for more bytes instead of failing.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mck8s/serf/msgpack.h"

namespace {

namespace msgpack = mck8s::serf::msgpack;

void Check(bool condition, const char* what, std::string_view input) {
  if (condition) return;
  std::fprintf(stderr, "invariant violated: %s (input of %zu bytes)\n", what, input.size());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  size_t consumed = 0;
  const absl::StatusOr<msgpack::Value> value = msgpack::Decode(input, &consumed);
  if (!value.ok()) {
    Check(!value.status().message().empty(), "errors carry a message", input);
    return 0;
  }
  Check(consumed >= 1 && consumed <= size, "consumed within the input", input);

  const std::string encoded = msgpack::Encode(*value);
  size_t again_consumed = 0;
  const absl::StatusOr<msgpack::Value> again = msgpack::Decode(encoded, &again_consumed);
  Check(again.ok() && *again == *value, "Decode(Encode(v)) == v", input);
  Check(again_consumed == encoded.size(), "an encoding is consumed whole", input);
  Check(msgpack::Encode(*again) == encoded, "encoding is a fixpoint", input);

  // Prefixes: checking every one is quadratic; a few cuts cover the cases.
  for (size_t cut : {size_t{0}, encoded.size() / 2, encoded.size() - 1}) {
    if (cut >= encoded.size()) continue;
    const absl::StatusOr<msgpack::Value> partial =
        msgpack::Decode(std::string_view(encoded).substr(0, cut));
    Check(!partial.ok() && msgpack::IsIncomplete(partial.status()), "a strict prefix is incomplete",
          input);
  }
  return 0;
}
