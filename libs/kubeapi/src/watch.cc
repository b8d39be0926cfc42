#include "mck8s/kubeapi/watch.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "mck8s/kubeapi/errors.h"

namespace mck8s::kubeapi {

std::string_view WatchEventTypeName(WatchEventType type) {
  switch (type) {
    case WatchEventType::kAdded:
      return "ADDED";
    case WatchEventType::kModified:
      return "MODIFIED";
    case WatchEventType::kDeleted:
      return "DELETED";
    case WatchEventType::kBookmark:
      return "BOOKMARK";
    case WatchEventType::kError:
      return "ERROR";
  }
  return "UNKNOWN";
}

namespace {
// Most events are small; a larger one spills into the pool's own chunks,
// freed before the next event.
constexpr size_t kParseBufferBytes = 4 * 1024;
}  // namespace

WatchDecoder::WatchDecoder(size_t max_event_bytes) : max_event_bytes_(max_event_bytes) {}

absl::Status WatchDecoder::Decode(std::string& text, WatchEvent* event) {
  const int64_t number = events_ + 1;
  if (parse_pool_ == nullptr) {
    parse_buffer_.reset(new char[kParseBufferBytes]);  // not zeroed: pages stay untouched
    parse_pool_ =
        std::make_unique<rapidjson::MemoryPoolAllocator<>>(parse_buffer_.get(), kParseBufferBytes);
  }
  // Frees what the previous event spilled beyond the reused buffer.
  parse_pool_->Clear();
  rapidjson::Document doc(parse_pool_.get());
  doc.ParseInsitu(text.data());
  if (doc.HasParseError()) {
    return absl::InvalidArgumentError(absl::StrCat("watch event ", number, " is not valid JSON: ",
                                                   rapidjson::GetParseError_En(doc.GetParseError()),
                                                   " (at byte ", doc.GetErrorOffset(), ")"));
  }
  if (!doc.IsObject()) {
    return absl::InvalidArgumentError(absl::StrCat("watch event ", number, " is not an object"));
  }
  auto type = doc.FindMember("type");
  if (type == doc.MemberEnd() || !type->value.IsString()) {
    return absl::InvalidArgumentError(absl::StrCat("watch event ", number, " has no type"));
  }
  const std::string_view name(type->value.GetString(), type->value.GetStringLength());
  if (name == "ADDED") {
    event->type = WatchEventType::kAdded;
  } else if (name == "MODIFIED") {
    event->type = WatchEventType::kModified;
  } else if (name == "DELETED") {
    event->type = WatchEventType::kDeleted;
  } else if (name == "BOOKMARK") {
    event->type = WatchEventType::kBookmark;
  } else if (name == "ERROR") {
    event->type = WatchEventType::kError;
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("watch event ", number, " has an unknown type \"",
                     absl::string_view(name.data(), name.size()), "\""));
  }
  auto object = doc.FindMember("object");
  if (object == doc.MemberEnd() || !object->value.IsObject()) {
    return absl::InvalidArgumentError(absl::StrCat("watch event ", number, " (",
                                                   absl::string_view(name.data(), name.size()),
                                                   ") has no object"));
  }
  absl::StatusOr<Object> decoded = Object::FromJson(object->value);
  if (!decoded.ok()) return decoded.status();
  event->object = *std::move(decoded);
  if (event->type == WatchEventType::kError) {
    const rapidjson::Value& status = object->value;
    int code = 500;
    if (auto c = status.FindMember("code"); c != status.MemberEnd() && c->value.IsInt()) {
      code = c->value.GetInt();
    }
    event->error = ErrorFromResponse(code, event->object.ToJson(), "watch");
  }
  return absl::OkStatus();
}

absl::Status WatchDecoder::Feed(std::string_view data,
                                const std::function<bool(WatchEvent)>& emit) {
  if (!failed_.ok()) return failed_;
  size_t start = 0;  // first byte of `data` not yet copied to pending_
  for (size_t i = 0; i < data.size(); ++i) {
    const char c = data[i];
    if (depth_ == 0) {
      if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
        start = i + 1;
        continue;
      }
      if (c != '{') {
        failed_ = absl::InvalidArgumentError(absl::StrCat(
            "watch stream: unexpected byte 0x", absl::Hex(static_cast<unsigned char>(c)),
            " before event ", events_ + 1, " (events must be JSON objects)"));
        return failed_;
      }
      start = i;
      depth_ = 1;
      continue;
    }
    if (in_string_) {
      if (escaped_) {
        escaped_ = false;
      } else if (c == '\\') {
        escaped_ = true;
      } else if (c == '"') {
        in_string_ = false;
      }
      continue;
    }
    if (c == '"') {
      in_string_ = true;
    } else if (c == '{' || c == '[') {
      ++depth_;
    } else if (c == '}' || c == ']') {
      --depth_;
      if (depth_ == 0) {
        pending_.append(data.data() + start, i + 1 - start);
        start = i + 1;
        WatchEvent event;
        absl::Status decoded = Decode(pending_, &event);
        pending_.clear();
        if (!decoded.ok()) {
          failed_ = decoded;
          return failed_;
        }
        ++events_;
        if (!emit(std::move(event))) return absl::OkStatus();
      }
    }
  }
  if (depth_ > 0 && start < data.size()) {
    pending_.append(data.data() + start, data.size() - start);
  }
  if (pending_.size() > max_event_bytes_) {
    failed_ = absl::InvalidArgumentError(
        absl::StrCat("watch event ", events_ + 1, " is larger than ", max_event_bytes_, " bytes"));
    return failed_;
  }
  if (depth_ == 0) {
    // Between events nothing is kept: a watch waits for its next piece of
    // stream most of its life, and a large fleet has thousands of them.
    std::string().swap(pending_);
    parse_pool_.reset();
    parse_buffer_.reset();
  }
  return absl::OkStatus();
}

absl::Status WatchDecoder::Finish() const {
  if (!failed_.ok()) return failed_;
  if (depth_ > 0) {
    return absl::InvalidArgumentError(absl::StrCat("watch stream ended inside event ", events_ + 1,
                                                   " (", pending_.size(), " bytes received)"));
  }
  return absl::OkStatus();
}

}  // namespace mck8s::kubeapi
