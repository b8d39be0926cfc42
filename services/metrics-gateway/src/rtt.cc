#include "mck8s/gateway/rtt.h"

#include <yaml-cpp/yaml.h>

#include <cmath>

#include "absl/strings/str_cat.h"

namespace mck8s::gateway {

absl::StatusOr<RttTable> ParseRttYaml(std::string_view yaml) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("rtt: malformed YAML: ", e.what()));
  }
  RttTable table;
  if (!root.IsDefined() || root.IsNull()) return table;
  if (root.IsMap() && root["rtt"]) root = root["rtt"];
  if (root.IsNull()) return table;
  if (!root.IsMap()) return absl::InvalidArgumentError("rtt: must be a map of cluster to map");
  for (const auto& row : root) {
    const std::string from = row.first.as<std::string>();
    if (!row.second.IsMap()) {
      return absl::InvalidArgumentError(
          absl::StrCat("rtt.", from, ": must be a map of cluster to milliseconds"));
    }
    for (const auto& cell : row.second) {
      const std::string to = cell.first.as<std::string>();
      const std::string field = absl::StrCat("rtt.", from, ".", to);
      if (from == to) return absl::InvalidArgumentError(field + ": a cluster has no RTT to itself");
      double ms = 0;
      try {
        ms = cell.second.as<double>();
      } catch (const YAML::Exception&) {
        return absl::InvalidArgumentError(field + ": not a number of milliseconds");
      }
      if (!std::isfinite(ms) || ms < 0) {
        return absl::InvalidArgumentError(field + ": must be finite and not negative");
      }
      for (const RttKey& key : {RttKey{from, to}, RttKey{to, from}}) {
        auto it = table.find(key);
        if (it != table.end() && it->second.rtt_ms() != ms) {
          return absl::InvalidArgumentError(absl::StrCat(field, ": ", ms, " ms contradicts ",
                                                         it->second.rtt_ms(),
                                                         " ms given for the other direction"));
        }
        v1::RttEntry entry;
        entry.set_from_cluster(key.first);
        entry.set_to_cluster(key.second);
        entry.set_rtt_ms(ms);
        entry.set_source(v1::RTT_SOURCE_STATIC);
        table[key] = std::move(entry);
      }
    }
  }
  return table;
}

StaticRttSource::StaticRttSource(RttTable table) : table_(std::move(table)) {}

void StaticRttSource::Set(RttTable table) {
  absl::MutexLock lock(&mu_);
  table_ = std::move(table);
}

absl::StatusOr<RttTable> StaticRttSource::Fetch(const std::vector<RttTarget>&) {
  absl::MutexLock lock(&mu_);
  return table_;
}

RttTable CombineRtt(const std::vector<const RttTable*>& layers) {
  RttTable out;
  for (const RttTable* layer : layers) {
    if (layer == nullptr) continue;
    for (const auto& [key, entry] : *layer) out[key] = entry;
  }
  return out;
}

}  // namespace mck8s::gateway
