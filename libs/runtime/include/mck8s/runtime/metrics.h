// -----------------------------------------------------------------------------
// File: mck8s/runtime/metrics.h
// -----------------------------------------------------------------------------
//
// Prometheus metrics for every mck8s service: counters, gauges and classic
// histograms grouped in labelled families, a registry that owns them, and the
// text exposition format 0.0.4 that Prometheus scrapes from /metrics.
//
// The output is byte-compatible with what Go's client_golang writes, because
// our dashboards and alerts are shared with Go controllers (controller-runtime,
// Karmada): families sorted by name, `# HELP` then `# TYPE`, labels sorted by
// name with `le` last, series sorted by label values, families without series
// left out, and floats in Go's shortest form (`1`, `0.005`, `1e-08`,
// `1.048576e+06`). Histogram buckets built with ExponentialBuckets() use
// repeated multiplication like Go, so their `le` strings aggregate with Go
// components (`9.999999999999999e-06`, not `1e-05`).
//
// Usage:
//
//   using mck8s::runtime::Registry;
//   auto& reconciles = Registry::Default().AddCounter(
//       "controller_runtime_reconcile_total",
//       "Total number of reconciliations per controller",
//       {"controller", "result"});
//   Counter& ok = reconciles.WithLabels({"placement", "success"});  // cache it
//   ok.Increment();
//
//   auto& latency = Registry::Default().AddHistogram(
//       "controller_runtime_reconcile_time_seconds",
//       "Length of time per reconciliation per controller", {"controller"},
//       mck8s::runtime::DefaultBuckets());
//   latency.WithLabels({"placement"}).Observe(0.012);
//
//   std::string body = Registry::Default().Render();  // served at /metrics
//
// Programming errors (an invalid metric or label name, the same name added
// twice with a different definition, the wrong number of label values) abort
// the process with a message naming the metric: they come from constants in
// the code and a test run finds them. Runtime data never crashes: any label
// value is accepted and escaped (invalid UTF-8 is replaced by U+FFFD).
//
// Thread safety: every class here is thread-safe. Updating a series is
// lock-free (atomics); looking a series up takes a reader lock, so hot paths
// keep the reference WithLabels() returns instead of looking it up each time.

#ifndef MCK8S_RUNTIME_METRICS_H_
#define MCK8S_RUNTIME_METRICS_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"

namespace mck8s::runtime {

// The Content-Type of Render()'s output; exactly client_golang's FmtText.
inline constexpr std::string_view kTextContentType =
    "text/plain; version=0.0.4; charset=utf-8";

// `count` buckets: start, start*factor, start*factor*factor, ... computed by
// repeated multiplication (as Go's prometheus.ExponentialBuckets does) so that
// the formatted bounds match Go's `le` strings. Requires count >= 1,
// start > 0 and factor > 1; aborts otherwise (bucket layouts are constants).
std::vector<double> ExponentialBuckets(double start, double factor, int count);

// `count` buckets: start, start+width, ... by repeated addition, like Go's
// prometheus.LinearBuckets. Requires count >= 1 and width > 0; aborts
// otherwise.
std::vector<double> LinearBuckets(double start, double width, int count);

// client_golang's DefBuckets: .005 .01 .025 .05 .1 .25 .5 1 2.5 5 10.
std::vector<double> DefaultBuckets();

// Formats `v` like Go's strconv.FormatFloat(v, 'g', -1, 64), which is how
// Prometheus client libraries write sample values and `le` bounds: the
// shortest digits that read back as `v`, in exponent form when the decimal
// exponent is below -4 or 6 and above (Go's %g switch points for the
// shortest precision). Examples: "1", "0.005", "123456", "1e+06", "1e-08",
// "1.048576e+06", "+Inf", "-Inf", "NaN".
std::string FormatFloat(double v);

// A monotonically increasing value (a count of events, seconds of CPU).
class Counter {
 public:
  Counter() = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  // Adds `delta`. A counter never goes down, so a negative or NaN delta is
  // ignored rather than corrupting the series (rate() would see a reset).
  void Increment(double delta = 1);
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// A value that goes up and down (a queue depth, a temperature, a timestamp).
class Gauge {
 public:
  Gauge() = default;
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

  void Set(double value) { value_.store(value, std::memory_order_relaxed); }
  void Increment(double delta = 1);
  void Decrement(double delta = 1) { Increment(-delta); }
  double Value() const { return value_.load(std::memory_order_relaxed); }
  // Sets the gauge to the current wall-clock time in seconds since the Unix
  // epoch (the form Prometheus expects for `..._timestamp_seconds`).
  void SetToCurrentTime();

 private:
  std::atomic<double> value_{0};
};

// A classic Prometheus histogram: cumulative counts per upper bound, plus the
// sum and count of every observation.
class Histogram {
 public:
  // `upper_bounds` must be strictly increasing; a trailing +Inf is implied
  // (and dropped if given). An empty list means DefaultBuckets(). Aborts on
  // unsorted or NaN bounds (they are constants in the code).
  explicit Histogram(std::vector<double> upper_bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  // Records one observation into the first bucket whose bound is >= value
  // (NaN lands only in +Inf, as in client_golang, and makes the sum NaN).
  void Observe(double value);
  // Number of observations (the +Inf bucket).
  uint64_t Count() const;
  double Sum() const { return sum_.load(std::memory_order_relaxed); }

  // The finite upper bounds, without +Inf.
  const std::vector<double>& UpperBounds() const { return upper_bounds_; }
  // Cumulative counts, one per finite bound and a last one for +Inf (which
  // equals the count of this snapshot). While other threads observe, the sum
  // read separately may include a few more or fewer observations.
  std::vector<uint64_t> CumulativeCounts() const;

 private:
  std::vector<double> upper_bounds_;
  // Non-cumulative counts, upper_bounds_.size() + 1 entries (last is +Inf).
  std::unique_ptr<std::atomic<uint64_t>[]> bucket_counts_;
  std::atomic<double> sum_{0};
};

enum class MetricType { kCounter, kGauge, kHistogram };

namespace internal {

// Hash and equality over a list of label values, usable both with the stored
// key (std::vector<std::string>) and a lookup view (string_views), so a hit
// on the hot path allocates nothing.
struct LabelValuesHash {
  using is_transparent = void;
  size_t operator()(absl::Span<const std::string> values) const;
  size_t operator()(absl::Span<const std::string_view> values) const;
  size_t operator()(const std::vector<std::string>& values) const {
    return (*this)(absl::Span<const std::string>(values));
  }
};
struct LabelValuesEq {
  using is_transparent = void;
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      if (std::string_view(a[i]) != std::string_view(b[i])) return false;
    }
    return true;
  }
};

// What the registry needs from a family, whatever its metric type.
class FamilyBase {
 public:
  virtual ~FamilyBase() = default;
  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  MetricType type() const { return type_; }
  // Appends this family's HELP, TYPE and samples in text format 0.0.4;
  // appends nothing when the family has no series.
  virtual void RenderTo(std::string& out) const = 0;

 protected:
  FamilyBase(MetricType type, std::string name, std::string help,
             std::vector<std::string> label_names);

  // Escaped `name="value",...` in label-name order (without braces) and the
  // values in that same order, which is the order series are sorted by.
  struct LabelSet {
    std::string rendered;
    std::vector<std::string> sorted_values;
  };
  LabelSet MakeLabelSet(const std::vector<std::string>& values) const;
  void RenderHeader(std::string& out) const;

  const MetricType type_;
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  // Indices into label_names_, sorted by label name.
  std::vector<size_t> label_order_;
};

}  // namespace internal

// All series of one metric name, one per combination of label values.
// T is Counter, Gauge or Histogram; families are created by a Registry.
template <typename T>
class Family final : public internal::FamilyBase {
 public:
  Family(const Family&) = delete;
  Family& operator=(const Family&) = delete;

  // Returns the series for these label values, one per label name in the
  // order the names were declared, creating it at 0 on first use. The
  // reference stays valid for the registry's lifetime, even after Remove().
  // Thread-safe. The wrong number of values aborts (a programming error).
  T& WithLabels(std::initializer_list<std::string_view> values);
  T& WithLabels(const std::vector<std::string>& values);

  // Stops exporting the series with these label values (e.g. when the member
  // cluster it describes is deleted). A reference obtained earlier stays
  // valid but is no longer rendered; a later WithLabels() with the same
  // values starts a new series at 0. Unknown values are a no-op.
  void Remove(const std::vector<std::string>& values);

  // Histogram families only: the finite bucket bounds of every series.
  const std::vector<double>& buckets() const { return buckets_; }

  void RenderTo(std::string& out) const override;

 private:
  friend class Registry;
  struct Series {
    std::unique_ptr<T> metric;
    LabelSet labels;
  };

  Family(MetricType type, std::string name, std::string help,
         std::vector<std::string> label_names, std::vector<double> buckets);
  T& Find(absl::Span<const std::string_view> values);
  std::unique_ptr<T> NewMetric() const;

  const std::vector<double> buckets_;
  // Pre-formatted `le` values of buckets_ (histograms only).
  std::vector<std::string> bucket_labels_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::vector<std::string>, Series,
                      internal::LabelValuesHash, internal::LabelValuesEq>
      series_ ABSL_GUARDED_BY(mu_);
  // Removed series, kept alive so that references handed out stay valid.
  std::vector<std::unique_ptr<T>> removed_ ABSL_GUARDED_BY(mu_);
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;

// Owns metric families and renders them. Services use Registry::Default();
// tests build their own.
class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // The process-wide registry (never destroyed, so metrics may be updated
  // from any thread until the process exits).
  static Registry& Default();

  // Add* returns the family named `name`, creating it. Adding the same name
  // again with the same type, help, label names (and buckets) returns the
  // existing family, so independent modules may declare a shared metric.
  // Aborts, naming the metric, on: an invalid metric name
  // ([a-zA-Z_:][a-zA-Z0-9_:]*, not starting with "__"), an invalid or
  // duplicated label name ([a-zA-Z_][a-zA-Z0-9_]*, not starting with "__";
  // `le` is reserved on histograms), or a conflicting re-definition.
  // A family without labels has its single series created at 0 right away,
  // because a metric without labels must always be exported.
  CounterFamily& AddCounter(std::string name, std::string help,
                            std::vector<std::string> label_names = {});
  GaugeFamily& AddGauge(std::string name, std::string help,
                        std::vector<std::string> label_names = {});
  // `buckets`: strictly increasing finite upper bounds (+Inf is implied);
  // empty means DefaultBuckets().
  HistogramFamily& AddHistogram(std::string name, std::string help,
                                std::vector<std::string> label_names,
                                std::vector<double> buckets);

  // `callback` runs at the start of every Render(), without any registry
  // lock held, to refresh values that are read rather than counted (process
  // statistics, queue depths). Concurrent Render() calls may run it
  // concurrently, so it must be thread-safe and quick.
  void AddCollectCallback(std::function<void()> callback);

  // The whole registry in text exposition format 0.0.4 (kTextContentType),
  // laid out as client_golang does (see the file comment). Thread-safe.
  std::string Render();

 private:
  template <typename T>
  Family<T>& Add(MetricType type, std::string name, std::string help,
                 std::vector<std::string> label_names,
                 std::vector<double> buckets);

  absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<internal::FamilyBase>, std::less<>>
      families_ ABSL_GUARDED_BY(mu_);
  std::vector<std::function<void()>> callbacks_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mck8s::runtime

#endif  // MCK8S_RUNTIME_METRICS_H_
