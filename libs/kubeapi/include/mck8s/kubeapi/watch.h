// -----------------------------------------------------------------------------
// File: mck8s/kubeapi/watch.h
// -----------------------------------------------------------------------------
//
// Watch events and the streaming decoder for a watch response body: a
// sequence of JSON objects {"type": ..., "object": {...}}, newline-delimited
// as the API server writes them. The decoder frames objects by their braces
// (strings and escapes respected), not by newlines, so it accepts any
// whitespace between events and does not care where the transport cut the
// bytes: feeding a stream one byte at a time yields the same events as
// feeding it whole.
//
// Usage:
//
//   WatchDecoder decoder;
//   for (each piece of body) {
//     MCK8S_RETURN_IF_ERROR(decoder.Feed(piece, [&](WatchEvent event) {
//       ... return true to go on, false to stop ...
//     }));
//   }
//   MCK8S_RETURN_IF_ERROR(decoder.Finish());  // a truncated event is an error
//
// Errors are INVALID_ARGUMENT naming the event number and the problem:
// malformed JSON, an event that is not an object, an unknown or missing
// type, a missing object, bytes between events that are not whitespace, an
// event larger than the limit. After an error the decoder refuses further
// input. Pure: no I/O, no clock. Thread-compatible.

#ifndef MCK8S_KUBEAPI_WATCH_H_
#define MCK8S_KUBEAPI_WATCH_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <memory>
#include <vector>

#include <rapidjson/allocators.h>

#include "absl/status/status.h"
#include "mck8s/kubeapi/object.h"

namespace mck8s::kubeapi {

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark, kError };

std::string_view WatchEventTypeName(WatchEventType type);  // "ADDED", ...

struct WatchEvent {
  WatchEventType type = WatchEventType::kAdded;
  // The object; for kBookmark only its metadata.resourceVersion matters;
  // for kError it is the Status the server sent.
  Object object;
  // For kError: the Status decoded as an error (errors.h), e.g. IsGone().
  absl::Status error;
};

class WatchDecoder {
 public:
  // Events larger than `max_event_bytes` are rejected.
  explicit WatchDecoder(size_t max_event_bytes = size_t{64} << 20);

  // Consumes `data`; calls `emit` for every event completed by it, in
  // order. Stops early (OK) when emit returns false. Returns the first
  // decoding error.
  absl::Status Feed(std::string_view data, const std::function<bool(WatchEvent)>& emit);

  // The stream ended: OK unless an event was cut short.
  absl::Status Finish() const;

  // Events decoded so far.
  int64_t events() const { return events_; }

 private:
  absl::Status Decode(std::string& text, WatchEvent* event);

  const size_t max_event_bytes_;
  std::string pending_;  // bytes of the event in progress
  // The parse of each event allocates from this pool, whose first 4 KiB
  // are reused from event to event of one Feed() instead of allocated each
  // time. Both are made at the first event of a Feed() and dropped, with
  // pending_'s capacity, when a Feed() ends between two events, so a quiet
  // watch (most of a large fleet's) costs no memory for them.
  std::unique_ptr<char[]> parse_buffer_;
  std::unique_ptr<rapidjson::MemoryPoolAllocator<>> parse_pool_;
  int depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
  int64_t events_ = 0;
  absl::Status failed_;
};

}  // namespace mck8s::kubeapi

#endif  // MCK8S_KUBEAPI_WATCH_H_
