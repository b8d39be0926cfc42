#include "mck8s/runtime/metrics.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <system_error>
#include <type_traits>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace mck8s::runtime {
namespace {

// Metric definitions are constants in the code, so a bad one is a bug that
// the first test run must reveal loudly.
[[noreturn]] void Fatal(std::string_view message) {
  std::fprintf(stderr, "mck8s::runtime metrics: %.*s\n",
               static_cast<int>(message.size()), message.data());
  std::fflush(stderr);
  std::abort();
}

// Adds to an atomic double with a compare-and-swap loop; fetch_add on
// floating-point atomics is not lock-free everywhere.
void AtomicAdd(std::atomic<double>& target, double delta) {
  double current = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(current, current + delta,
                                       std::memory_order_relaxed,
                                       std::memory_order_relaxed)) {
  }
}

bool IsValidMetricName(std::string_view name) {
  if (name.empty() || name.substr(0, 2) == "__") return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                       c == '_' || c == ':';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

bool IsValidLabelName(std::string_view name) {
  if (name.empty() || name.substr(0, 2) == "__") return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

// Length of the valid UTF-8 sequence starting at s[i], or 0 if invalid
// (overlong forms, surrogates and code points above U+10FFFF included).
size_t Utf8SequenceLength(std::string_view s, size_t i) {
  const auto byte = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return 1;
  size_t length;
  uint32_t min_code_point;
  uint32_t code_point;
  if ((b0 & 0xE0) == 0xC0) {
    length = 2, min_code_point = 0x80, code_point = b0 & 0x1F;
  } else if ((b0 & 0xF0) == 0xE0) {
    length = 3, min_code_point = 0x800, code_point = b0 & 0x0F;
  } else if ((b0 & 0xF8) == 0xF0) {
    length = 4, min_code_point = 0x10000, code_point = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + length > s.size()) return 0;
  for (size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code_point = (code_point << 6) | (byte(i + k) & 0x3F);
  }
  if (code_point < min_code_point || code_point > 0x10FFFF ||
      (code_point >= 0xD800 && code_point <= 0xDFFF)) {
    return 0;
  }
  return length;
}

// Escapes for the text format: `\` and newline always, `"` inside label
// values only. Invalid UTF-8 becomes U+FFFD so the exposition stays parseable
// whatever bytes a label value carries.
void AppendEscaped(std::string& out, std::string_view s, bool quote) {
  for (size_t i = 0; i < s.size();) {
    const char c = s[i];
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else if (static_cast<unsigned char>(c) < 0x80) {
      out += c;
    } else {
      const size_t length = Utf8SequenceLength(s, i);
      if (length == 0) {
        out += "\xEF\xBF\xBD";
        ++i;
        continue;
      }
      out.append(s.substr(i, length));
      i += length;
      continue;
    }
    ++i;
  }
}

void AppendSample(std::string& out, std::string_view name,
                  std::string_view suffix, std::string_view labels,
                  std::string_view extra_labels, std::string_view value) {
  out += name;
  out += suffix;
  if (!labels.empty() || !extra_labels.empty()) {
    out += '{';
    out += labels;
    if (!labels.empty() && !extra_labels.empty()) out += ',';
    out += extra_labels;
    out += '}';
  }
  out += ' ';
  out += value;
  out += '\n';
}

const char* TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

std::vector<double> NormalizeBuckets(std::vector<double> bounds,
                                     absl::string_view what) {
  if (bounds.empty()) return DefaultBuckets();
  if (std::isinf(bounds.back()) && bounds.back() > 0) bounds.pop_back();
  for (size_t i = 0; i < bounds.size(); ++i) {
    if (std::isnan(bounds[i])) {
      Fatal(absl::StrCat(what, ": histogram bucket ", i, " is NaN"));
    }
    if (i > 0 && !(bounds[i - 1] < bounds[i])) {
      Fatal(absl::StrCat(what,
                         ": histogram buckets must be strictly increasing, "
                         "but bucket ",
                         i, " (", FormatFloat(bounds[i]),
                         ") follows ", FormatFloat(bounds[i - 1])));
    }
  }
  return bounds;
}

}  // namespace

std::vector<double> ExponentialBuckets(double start, double factor,
                                       int count) {
  if (count < 1 || !(start > 0) || !(factor > 1)) {
    Fatal(absl::StrCat("ExponentialBuckets(", FormatFloat(start), ", ",
                       FormatFloat(factor), ", ", count,
                       ") needs count >= 1, start > 0 and factor > 1"));
  }
  std::vector<double> buckets(static_cast<size_t>(count));
  buckets[0] = start;
  for (size_t i = 1; i < buckets.size(); ++i) {
    buckets[i] = buckets[i - 1] * factor;
  }
  return buckets;
}

std::vector<double> LinearBuckets(double start, double width, int count) {
  if (count < 1 || !(width > 0)) {
    Fatal(absl::StrCat("LinearBuckets(", FormatFloat(start), ", ",
                       FormatFloat(width), ", ", count,
                       ") needs count >= 1 and width > 0"));
  }
  std::vector<double> buckets(static_cast<size_t>(count));
  buckets[0] = start;
  for (size_t i = 1; i < buckets.size(); ++i) {
    buckets[i] = buckets[i - 1] + width;
  }
  return buckets;
}

std::vector<double> DefaultBuckets() {
  return {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};
}

std::string FormatFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  // The shortest round-trip digits in scientific form, e.g. "-1.2345e+06";
  // Go's %g then picks plain or exponent form from the decimal exponent.
  char buffer[64];
  const std::to_chars_result result = std::to_chars(
      buffer, buffer + sizeof(buffer), v, std::chars_format::scientific);
  const std::string_view scientific(buffer,
                                    static_cast<size_t>(result.ptr - buffer));
  const size_t e = scientific.find('e');
  int exponent = 0;
  std::from_chars(scientific.data() + e + 1 +
                      (scientific[e + 1] == '+' ? 1 : 0),
                  scientific.data() + scientific.size(), exponent);
  if (exponent < -4 || exponent >= 6) {
    // Go and C++ agree here: at least two exponent digits, explicit sign.
    return std::string(scientific);
  }
  std::string_view mantissa = scientific.substr(0, e);
  std::string out;
  if (mantissa.front() == '-') {
    out += '-';
    mantissa.remove_prefix(1);
  }
  std::string digits;
  for (char c : mantissa) {
    if (c != '.') digits += c;
  }
  if (exponent < 0) {
    out += "0.";
    out.append(static_cast<size_t>(-exponent - 1), '0');
    out += digits;
    return out;
  }
  const size_t integer_digits = static_cast<size_t>(exponent) + 1;
  if (digits.size() <= integer_digits) {
    out += digits;
    out.append(integer_digits - digits.size(), '0');
  } else {
    out.append(digits, 0, integer_digits);
    out += '.';
    out.append(digits, integer_digits, std::string::npos);
  }
  return out;
}

void Counter::Increment(double delta) {
  if (!(delta >= 0)) return;  // negative or NaN
  AtomicAdd(value_, delta);
}

void Gauge::Increment(double delta) { AtomicAdd(value_, delta); }

void Gauge::SetToCurrentTime() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  Set(std::chrono::duration<double>(now).count());
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : upper_bounds_(NormalizeBuckets(std::move(upper_bounds), "Histogram")),
      bucket_counts_(
          std::make_unique<std::atomic<uint64_t>[]>(upper_bounds_.size() + 1)) {
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) {
    bucket_counts_[i].store(0, std::memory_order_relaxed);
  }
}

void Histogram::Observe(double value) {
  // First bound >= value; NaN compares false everywhere and lands in +Inf.
  const size_t index = static_cast<size_t>(
      std::lower_bound(upper_bounds_.begin(), upper_bounds_.end(), value,
                       [](double bound, double v) { return bound < v; }) -
      upper_bounds_.begin());
  const size_t bucket = std::isnan(value) ? upper_bounds_.size() : index;
  bucket_counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, value);
}

uint64_t Histogram::Count() const {
  uint64_t total = 0;
  for (size_t i = 0; i <= upper_bounds_.size(); ++i) {
    total += bucket_counts_[i].load(std::memory_order_relaxed);
  }
  return total;
}

std::vector<uint64_t> Histogram::CumulativeCounts() const {
  std::vector<uint64_t> counts(upper_bounds_.size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    total += bucket_counts_[i].load(std::memory_order_relaxed);
    counts[i] = total;
  }
  return counts;
}

namespace internal {

size_t LabelValuesHash::operator()(absl::Span<const std::string> values) const {
  size_t hash = values.size();
  for (const std::string& value : values) {
    hash = absl::Hash<std::pair<size_t, std::string_view>>()(
        {hash, std::string_view(value)});
  }
  return hash;
}

size_t LabelValuesHash::operator()(
    absl::Span<const std::string_view> values) const {
  size_t hash = values.size();
  for (std::string_view value : values) {
    hash = absl::Hash<std::pair<size_t, std::string_view>>()({hash, value});
  }
  return hash;
}

FamilyBase::FamilyBase(MetricType type, std::string name, std::string help,
                       std::vector<std::string> label_names)
    : type_(type),
      name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      label_order_(label_names_.size()) {
  std::iota(label_order_.begin(), label_order_.end(), size_t{0});
  std::sort(label_order_.begin(), label_order_.end(),
            [this](size_t a, size_t b) {
              return label_names_[a] < label_names_[b];
            });
}

FamilyBase::LabelSet FamilyBase::MakeLabelSet(
    const std::vector<std::string>& values) const {
  LabelSet set;
  set.sorted_values.reserve(values.size());
  for (size_t k = 0; k < label_order_.size(); ++k) {
    const size_t index = label_order_[k];
    if (k > 0) set.rendered += ',';
    set.rendered += label_names_[index];
    set.rendered += "=\"";
    AppendEscaped(set.rendered, values[index], /*quote=*/true);
    set.rendered += '"';
    set.sorted_values.push_back(values[index]);
  }
  return set;
}

void FamilyBase::RenderHeader(std::string& out) const {
  out += "# HELP ";
  out += name_;
  out += ' ';
  AppendEscaped(out, help_, /*quote=*/false);
  out += "\n# TYPE ";
  out += name_;
  out += ' ';
  out += TypeName(type_);
  out += '\n';
}

}  // namespace internal

template <typename T>
Family<T>::Family(MetricType type, std::string name, std::string help,
                  std::vector<std::string> label_names,
                  std::vector<double> buckets)
    : FamilyBase(type, std::move(name), std::move(help),
                 std::move(label_names)),
      buckets_(std::move(buckets)) {
  bucket_labels_.reserve(buckets_.size());
  for (double bound : buckets_) {
    bucket_labels_.push_back(absl::StrCat("le=\"", FormatFloat(bound), "\""));
  }
  bucket_labels_.push_back("le=\"+Inf\"");
}

template <typename T>
std::unique_ptr<T> Family<T>::NewMetric() const {
  if constexpr (std::is_same_v<T, Histogram>) {
    return std::make_unique<Histogram>(buckets_);
  } else {
    return std::make_unique<T>();
  }
}

template <typename T>
T& Family<T>::Find(absl::Span<const std::string_view> values) {
  if (values.size() != label_names_.size()) {
    std::vector<absl::string_view> shown;
    for (std::string_view value : values) shown.emplace_back(value.data(), value.size());
    Fatal(absl::StrCat("metric ", name_, " has ", label_names_.size(),
                       " label(s) [", absl::StrJoin(label_names_, ", "),
                       "] but WithLabels got ", values.size(), " value(s) [",
                       absl::StrJoin(shown, ", "), "]"));
  }
  {
    absl::ReaderMutexLock lock(&mu_);
    if (auto it = series_.find(values); it != series_.end()) {
      return *it->second.metric;
    }
  }
  std::vector<std::string> key(values.begin(), values.end());
  absl::MutexLock lock(&mu_);
  auto [it, inserted] = series_.try_emplace(std::move(key));
  if (inserted) {
    it->second.metric = NewMetric();
    it->second.labels = MakeLabelSet(it->first);
  }
  return *it->second.metric;
}

template <typename T>
T& Family<T>::WithLabels(std::initializer_list<std::string_view> values) {
  return Find(absl::Span<const std::string_view>(values.begin(),
                                                 values.size()));
}

template <typename T>
T& Family<T>::WithLabels(const std::vector<std::string>& values) {
  const absl::InlinedVector<std::string_view, 8> views(values.begin(),
                                                       values.end());
  return Find(views);
}

template <typename T>
void Family<T>::Remove(const std::vector<std::string>& values) {
  absl::MutexLock lock(&mu_);
  auto it = series_.find(values);
  if (it == series_.end()) return;
  removed_.push_back(std::move(it->second.metric));
  series_.erase(it);
}

template <typename T>
void Family<T>::RenderTo(std::string& out) const {
  // Snapshot the series (pointers stay valid: series are never freed while
  // the family lives), then format without holding the lock.
  std::vector<std::pair<const LabelSet*, const T*>> snapshot;
  {
    absl::ReaderMutexLock lock(&mu_);
    snapshot.reserve(series_.size());
    for (const auto& [values, series] : series_) {
      snapshot.emplace_back(&series.labels, series.metric.get());
    }
  }
  if (snapshot.empty()) return;
  std::sort(snapshot.begin(), snapshot.end(), [](const auto& a, const auto& b) {
    return a.first->sorted_values < b.first->sorted_values;
  });
  RenderHeader(out);
  for (const auto& [labels, metric] : snapshot) {
    if constexpr (std::is_same_v<T, Histogram>) {
      const std::vector<uint64_t> counts = metric->CumulativeCounts();
      for (size_t i = 0; i < counts.size(); ++i) {
        AppendSample(out, name_, "_bucket", labels->rendered, bucket_labels_[i],
                     absl::StrCat(counts[i]));
      }
      AppendSample(out, name_, "_sum", labels->rendered, "",
                   FormatFloat(metric->Sum()));
      AppendSample(out, name_, "_count", labels->rendered, "",
                   absl::StrCat(counts.back()));
    } else {
      AppendSample(out, name_, "", labels->rendered, "",
                   FormatFloat(metric->Value()));
    }
  }
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

Registry& Registry::Default() {
  static Registry* const registry = new Registry();
  return *registry;
}

template <typename T>
Family<T>& Registry::Add(MetricType type, std::string name, std::string help,
                         std::vector<std::string> label_names,
                         std::vector<double> buckets) {
  if (!IsValidMetricName(name)) {
    Fatal(absl::StrCat("invalid metric name \"", name,
                       "\": want [a-zA-Z_:][a-zA-Z0-9_:]* not starting with "
                       "\"__\""));
  }
  for (size_t i = 0; i < label_names.size(); ++i) {
    const std::string& label = label_names[i];
    if (!IsValidLabelName(label)) {
      Fatal(absl::StrCat("metric ", name, ": invalid label name \"", label,
                         "\": want [a-zA-Z_][a-zA-Z0-9_]* not starting with "
                         "\"__\""));
    }
    if (type == MetricType::kHistogram && label == "le") {
      Fatal(absl::StrCat("histogram ", name,
                         ": label name \"le\" is reserved for buckets"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (label_names[j] == label) {
        Fatal(absl::StrCat("metric ", name, ": label name \"", label,
                           "\" appears twice"));
      }
    }
  }
  if (type == MetricType::kHistogram) {
    buckets = NormalizeBuckets(std::move(buckets), name);
  }

  absl::MutexLock lock(&mu_);
  if (auto it = families_.find(name); it != families_.end()) {
    internal::FamilyBase& existing = *it->second;
    auto* family = dynamic_cast<Family<T>*>(&existing);
    if (family == nullptr || existing.type() != type ||
        existing.help() != help || existing.label_names() != label_names ||
        family->buckets() != buckets) {
      Fatal(absl::StrCat("metric ", name,
                         " is already registered with a different type, "
                         "help, label names or buckets (",
                         TypeName(existing.type()), " [",
                         absl::StrJoin(existing.label_names(), ", "),
                         "] vs ", TypeName(type), " [",
                         absl::StrJoin(label_names, ", "), "])"));
    }
    return *family;
  }
  const bool unlabelled = label_names.empty();
  std::unique_ptr<Family<T>> family(
      new Family<T>(type, name, std::move(help), std::move(label_names),
                    std::move(buckets)));
  Family<T>& result = *family;
  families_.emplace(std::move(name), std::move(family));
  if (unlabelled) result.WithLabels({});
  return result;
}

CounterFamily& Registry::AddCounter(std::string name, std::string help,
                                    std::vector<std::string> label_names) {
  return Add<Counter>(MetricType::kCounter, std::move(name), std::move(help),
                      std::move(label_names), {});
}

GaugeFamily& Registry::AddGauge(std::string name, std::string help,
                                std::vector<std::string> label_names) {
  return Add<Gauge>(MetricType::kGauge, std::move(name), std::move(help),
                    std::move(label_names), {});
}

HistogramFamily& Registry::AddHistogram(std::string name, std::string help,
                                        std::vector<std::string> label_names,
                                        std::vector<double> buckets) {
  return Add<Histogram>(MetricType::kHistogram, std::move(name),
                        std::move(help), std::move(label_names),
                        std::move(buckets));
}

void Registry::AddCollectCallback(std::function<void()> callback) {
  absl::MutexLock lock(&mu_);
  callbacks_.push_back(std::move(callback));
}

std::string Registry::Render() {
  std::vector<std::function<void()>> callbacks;
  {
    absl::MutexLock lock(&mu_);
    callbacks = callbacks_;
  }
  for (const auto& callback : callbacks) callback();

  std::string out;
  absl::ReaderMutexLock lock(&mu_);
  out.reserve(families_.size() * 256);
  for (const auto& [name, family] : families_) family->RenderTo(out);
  return out;
}

}  // namespace mck8s::runtime
