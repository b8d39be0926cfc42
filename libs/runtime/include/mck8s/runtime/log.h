// -----------------------------------------------------------------------------
// File: mck8s/runtime/log.h
// -----------------------------------------------------------------------------
//
// Structured logs: one JSON object per line on stderr, the shape log
// collectors already parse for Kubernetes controllers (zap/logr JSON):
//
//   {"ts":"2026-11-25T04:10:11.123Z","level":"info","logger":"scheduler",
//    "msg":"placed workload","mcd":"default/hello","clusters":2}
//
// Usage:
//
//   log::Init("scheduler", LogLevel::kInfo);
//   log::Info("placed workload", {{"mcd", key.String()}, {"clusters", 2}});
//   log::Error("member write failed", {{"cluster", name}, {"error", status}});
//
// Thread-safe: a line is written whole with one write(2); lines of
// concurrent callers never interleave. Messages below the level cost a
// comparison and nothing else.

#ifndef MCK8S_RUNTIME_LOG_H_
#define MCK8S_RUNTIME_LOG_H_

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace mck8s::runtime {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// Accepts debug, info, warn (or warning), error; InvalidArgument otherwise.
absl::StatusOr<LogLevel> ParseLogLevel(std::string_view name);
std::string_view LogLevelName(LogLevel level);

// One key/value pair of a log line. Values keep their JSON type.
struct LogField {
  using Value = std::variant<std::string, int64_t, uint64_t, double, bool>;
  LogField(std::string_view k, std::string_view v) : key(k), value(std::string(v)) {}
  LogField(std::string_view k, const char* v) : key(k), value(std::string(v)) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(v) {}
  LogField(std::string_view k, int v) : key(k), value(int64_t{v}) {}
  LogField(std::string_view k, long v) : key(k), value(int64_t{v}) {}
  LogField(std::string_view k, long long v) : key(k), value(int64_t{v}) {}
  LogField(std::string_view k, unsigned v) : key(k), value(uint64_t{v}) {}
  LogField(std::string_view k, unsigned long v) : key(k), value(uint64_t{v}) {}
  LogField(std::string_view k, unsigned long long v) : key(k), value(uint64_t{v}) {}
  LogField(std::string_view k, double v) : key(k), value(v) {}
  LogField(std::string_view k, bool v) : key(k), value(v) {}
  LogField(std::string_view k, const absl::Status& s) : key(k), value(s.ToString()) {}
  LogField(std::string_view k, absl::Duration d) : key(k), value(absl::FormatDuration(d)) {}

  std::string key;
  Value value;
};

namespace log {

// Sets the logger name written in every line and the minimum level. Safe to
// call again (tests do); the default is logger "mck8s", level info.
void Init(std::string_view logger_name, LogLevel level);
void SetLevel(LogLevel level);
LogLevel Level();
bool Enabled(LogLevel level);

// Replaces the destination (default: write(2) to stderr). For tests.
void SetSinkForTesting(std::function<void(std::string_view line)> sink);

// Formats one line without writing it (exposed for tests).
std::string FormatLine(absl::Time now, LogLevel level, std::string_view logger,
                       std::string_view msg,
                       std::initializer_list<LogField> fields);

void Write(LogLevel level, std::string_view msg,
           std::initializer_list<LogField> fields = {});
inline void Debug(std::string_view msg, std::initializer_list<LogField> f = {}) {
  if (Enabled(LogLevel::kDebug)) Write(LogLevel::kDebug, msg, f);
}
inline void Info(std::string_view msg, std::initializer_list<LogField> f = {}) {
  if (Enabled(LogLevel::kInfo)) Write(LogLevel::kInfo, msg, f);
}
inline void Warn(std::string_view msg, std::initializer_list<LogField> f = {}) {
  if (Enabled(LogLevel::kWarn)) Write(LogLevel::kWarn, msg, f);
}
inline void Error(std::string_view msg, std::initializer_list<LogField> f = {}) {
  Write(LogLevel::kError, msg, f);
}

}  // namespace log
}  // namespace mck8s::runtime

#endif  // MCK8S_RUNTIME_LOG_H_
