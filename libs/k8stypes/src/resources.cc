#include "mck8s/k8stypes/resources.h"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "mck8s/base/strings.h"
#include "absl/strings/str_join.h"
#include "mck8s/k8stypes/quantity.h"

namespace mck8s::k8stypes {
namespace {

constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
constexpr int64_t kMin = std::numeric_limits<int64_t>::min();

int64_t SaturatingAdd(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return b > 0 ? kMax : kMin;
  return sum;
}

int64_t SaturatingSub(int64_t a, int64_t b) {
  int64_t difference = 0;
  if (__builtin_sub_overflow(a, b, &difference)) return b < 0 ? kMax : kMin;
  return difference;
}

int64_t SaturatingMul(int64_t a, int64_t b) {
  int64_t product = 0;
  if (__builtin_mul_overflow(a, b, &product)) return (a < 0) != (b < 0) ? kMin : kMax;
  return product;
}

// Keeps the invariant that `extended` holds no zero amounts, so that equal
// resources compare equal however they were computed.
void DropZeroEntries(std::map<std::string, int64_t, std::less<>>& extended) {
  std::erase_if(extended, [](const auto& entry) { return entry.second == 0; });
}

// floor(free / request) for request > 0, never below zero.
int64_t CopiesThatFit(int64_t free, int64_t request) {
  return free <= 0 ? 0 : free / request;
}

}  // namespace

Resources& Resources::operator+=(const Resources& other) {
  cpu_millis = SaturatingAdd(cpu_millis, other.cpu_millis);
  memory_bytes = SaturatingAdd(memory_bytes, other.memory_bytes);
  pods = SaturatingAdd(pods, other.pods);
  for (const auto& [name, amount] : other.extended) {
    int64_t& mine = extended[name];
    mine = SaturatingAdd(mine, amount);
  }
  DropZeroEntries(extended);
  return *this;
}

Resources& Resources::operator-=(const Resources& other) {
  cpu_millis = SaturatingSub(cpu_millis, other.cpu_millis);
  memory_bytes = SaturatingSub(memory_bytes, other.memory_bytes);
  pods = SaturatingSub(pods, other.pods);
  for (const auto& [name, amount] : other.extended) {
    int64_t& mine = extended[name];
    mine = SaturatingSub(mine, amount);
  }
  DropZeroEntries(extended);
  return *this;
}

Resources Resources::Times(int64_t factor) const {
  Resources result;
  result.cpu_millis = SaturatingMul(cpu_millis, factor);
  result.memory_bytes = SaturatingMul(memory_bytes, factor);
  result.pods = SaturatingMul(pods, factor);
  for (const auto& [name, amount] : extended) {
    result.extended[name] = SaturatingMul(amount, factor);
  }
  DropZeroEntries(result.extended);
  return result;
}

bool Resources::Fits(const Resources& need) const {
  const auto fits = [](int64_t available, int64_t requested) {
    return requested <= 0 || requested <= available;
  };
  if (!fits(cpu_millis, need.cpu_millis) || !fits(memory_bytes, need.memory_bytes) ||
      !fits(pods, need.pods)) {
    return false;
  }
  for (const auto& [name, amount] : need.extended) {
    if (!fits(Extended(name), amount)) return false;
  }
  return true;
}

bool Resources::IsZero() const {
  return cpu_millis == 0 && memory_bytes == 0 && pods == 0 &&
         std::all_of(extended.begin(), extended.end(),
                     [](const auto& entry) { return entry.second == 0; });
}

int64_t Resources::Extended(std::string_view name) const {
  const auto it = extended.find(name);
  return it == extended.end() ? 0 : it->second;
}

std::string Resources::String() const {
  std::vector<std::string> parts;
  if (cpu_millis != 0) {
    parts.push_back(absl::StrCat("cpu=", Quantity::FromMilli(cpu_millis).String()));
  }
  if (memory_bytes != 0) {
    parts.push_back(absl::StrCat("memory=", Quantity::FromBytes(memory_bytes).String()));
  }
  if (pods != 0) parts.push_back(absl::StrCat("pods=", pods));
  for (const auto& [name, amount] : extended) {
    if (amount != 0) {
      parts.push_back(absl::StrCat(name, "=", Quantity::FromValue(amount).String()));
    }
  }
  if (parts.empty()) return "{}";
  return absl::StrJoin(parts, " ");
}

absl::Status SetResourceFromString(std::string_view name, std::string_view quantity,
                                   Resources& resources) {
  if (name.empty()) {
    return absl::InvalidArgumentError("resource list has an entry with an empty name");
  }
  absl::StatusOr<Quantity> parsed = Quantity::Parse(quantity);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("resource \"", ToAbsl(name), "\": ", parsed.status().message()));
  }
  if (parsed->Sign() < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "resource \"", ToAbsl(name), "\": quantity ", parsed->String(), " must not be negative"));
  }
  const bool is_cpu = name == kResourceCpu;
  absl::StatusOr<int64_t> amount =
      is_cpu ? parsed->CheckedMilliValue() : parsed->CheckedValue();
  if (!amount.ok()) {
    return absl::OutOfRangeError(
        absl::StrCat("resource \"", ToAbsl(name), "\": ", amount.status().message()));
  }
  if (is_cpu) {
    resources.cpu_millis = *amount;
  } else if (name == kResourceMemory) {
    resources.memory_bytes = *amount;
  } else if (name == kResourcePods) {
    resources.pods = *amount;
  } else if (*amount == 0) {
    resources.extended.erase(std::string(name));
  } else {
    resources.extended[std::string(name)] = *amount;
  }
  return absl::OkStatus();
}

int64_t ReplicasThatFit(const Resources& free, const Resources& per_replica) {
  int64_t replicas = CopiesThatFit(free.pods, std::max<int64_t>(per_replica.pods, 1));
  const auto limit = [&replicas](int64_t available, int64_t requested) {
    if (requested > 0) replicas = std::min(replicas, CopiesThatFit(available, requested));
  };
  limit(free.cpu_millis, per_replica.cpu_millis);
  limit(free.memory_bytes, per_replica.memory_bytes);
  for (const auto& [name, amount] : per_replica.extended) {
    limit(free.Extended(name), amount);
  }
  return replicas;
}

}  // namespace mck8s::k8stypes
