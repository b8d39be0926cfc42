#include "mck8s/runtime/log.h"

#include <unistd.h>

#include <atomic>
#include <cmath>
#include <mutex>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "mck8s/base/strings.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"

namespace mck8s::runtime {

absl::StatusOr<LogLevel> ParseLogLevel(std::string_view name) {
  const std::string lower = absl::AsciiStrToLower(ToAbsl(name));
  if (lower == "debug") return LogLevel::kDebug;
  if (lower == "info") return LogLevel::kInfo;
  if (lower == "warn" || lower == "warning") return LogLevel::kWarn;
  if (lower == "error") return LogLevel::kError;
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown log level \"", ToAbsl(name), "\": expected debug, info, warn or error"));
}

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "debug";
    case LogLevel::kInfo: return "info";
    case LogLevel::kWarn: return "warn";
    case LogLevel::kError: return "error";
  }
  return "info";
}

namespace log {
namespace {

struct LoggerState {
  absl::Mutex mu;
  std::string name ABSL_GUARDED_BY(mu) = "mck8s";
  std::function<void(std::string_view)> sink ABSL_GUARDED_BY(mu);
};

LoggerState& State() {
  static LoggerState* state = new LoggerState();
  return *state;
}

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};

void WriteToStderr(std::string_view line) {
  // One write(2) per line keeps lines whole under concurrency (stderr is
  // unbuffered and lines are far below PIPE_BUF in the common case; the
  // logger mutex serialises the rest).
  size_t off = 0;
  while (off < line.size()) {
    ssize_t n = ::write(STDERR_FILENO, line.data() + off, line.size() - off);
    if (n <= 0) return;
    off += static_cast<size_t>(n);
  }
}

}  // namespace

void Init(std::string_view logger_name, LogLevel level) {
  LoggerState& state = State();
  absl::MutexLock lock(&state.mu);
  state.name = std::string(logger_name);
  g_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

void SetLevel(LogLevel level) {
  g_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

LogLevel Level() {
  return static_cast<LogLevel>(g_level.load(std::memory_order_relaxed));
}

bool Enabled(LogLevel level) {
  return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

void SetSinkForTesting(std::function<void(std::string_view)> sink) {
  LoggerState& state = State();
  absl::MutexLock lock(&state.mu);
  state.sink = std::move(sink);
}

std::string FormatLine(absl::Time now, LogLevel level, std::string_view logger,
                       std::string_view msg,
                       std::initializer_list<LogField> fields) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  auto key = [&writer](std::string_view k) {
    writer.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()));
  };
  auto string = [&writer](std::string_view v) {
    writer.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
  };
  writer.StartObject();
  key("ts");
  string(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", now, absl::UTCTimeZone()));
  key("level");
  string(LogLevelName(level));
  key("logger");
  string(logger);
  key("msg");
  string(msg);
  for (const LogField& field : fields) {
    key(field.key);
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>) {
            string(v);
          } else if constexpr (std::is_same_v<T, int64_t>) {
            writer.Int64(v);
          } else if constexpr (std::is_same_v<T, uint64_t>) {
            writer.Uint64(v);
          } else if constexpr (std::is_same_v<T, double>) {
            // JSON has no NaN or infinities; write them as strings.
            if (std::isfinite(v)) {
              writer.Double(v);
            } else {
              string(absl::StrCat(v));
            }
          } else {
            writer.Bool(v);
          }
        },
        field.value);
  }
  writer.EndObject();
  std::string line(buffer.GetString(), buffer.GetSize());
  line.push_back('\n');
  return line;
}

void Write(LogLevel level, std::string_view msg,
           std::initializer_list<LogField> fields) {
  LoggerState& state = State();
  absl::MutexLock lock(&state.mu);
  std::string line = FormatLine(absl::Now(), level, state.name, msg, fields);
  if (state.sink) {
    state.sink(line);
  } else {
    WriteToStderr(line);
  }
}

}  // namespace log
}  // namespace mck8s::runtime
