#include "mck8s/gateway/serf_rtt.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "mck8s/serf/client.h"

namespace mck8s::gateway {

SerfRttSource::SerfRttSource(SerfRttOptions options) : options_(std::move(options)) {}

SerfRttSource::~SerfRttSource() = default;

absl::StatusOr<RttTable> SerfRttSource::Fetch(const std::vector<RttTarget>& targets) {
  // Serf node name -> cluster, for the clusters that declare Serf.
  std::map<std::string, std::string> clusters_by_node;
  std::vector<std::string> addresses;
  if (!options_.rpc_address.empty()) addresses.push_back(options_.rpc_address);
  for (const RttTarget& target : targets) {
    if (target.serf_node.empty() && target.serf_rpc_address.empty()) continue;
    clusters_by_node[target.serf_node.empty() ? target.cluster : target.serf_node] = target.cluster;
    if (!target.serf_rpc_address.empty()) addresses.push_back(target.serf_rpc_address);
  }
  RttTable table;
  if (clusters_by_node.empty()) return table;

  absl::MutexLock lock(&mu_);
  if (client_ == nullptr) {
    std::vector<std::string> failures;
    for (const std::string& address : addresses) {
      absl::StatusOr<std::unique_ptr<serf::Client>> client =
          serf::Client::Connect(address, options_.auth_key, options_.timeout);
      if (client.ok()) {
        client_ = *std::move(client);
        break;
      }
      failures.push_back(absl::StrCat(address, ": ", client.status().message()));
    }
    if (client_ == nullptr) {
      return absl::UnavailableError(
          absl::StrCat("no Serf agent answered (", absl::StrJoin(failures, "; "), ")"));
    }
  }
  std::map<std::string, serf::Coordinate> coordinates;
  for (const auto& [node, cluster] : clusters_by_node) {
    absl::StatusOr<serf::Coordinate> coordinate = client_->GetCoordinate(node);
    if (absl::IsNotFound(coordinate.status())) continue;
    if (!coordinate.ok()) {
      client_.reset();
      return absl::Status(coordinate.status().code(), absl::StrCat("get-coordinate ", node, ": ",
                                                                   coordinate.status().message()));
    }
    coordinates.emplace(node, *std::move(coordinate));
  }
  for (auto a = coordinates.begin(); a != coordinates.end(); ++a) {
    for (auto b = std::next(a); b != coordinates.end(); ++b) {
      absl::StatusOr<double> ms = serf::RttMillis(a->second, b->second);
      if (!ms.ok()) continue;  // incompatible coordinates: unknown RTT
      const std::string& from = clusters_by_node.at(a->first);
      const std::string& to = clusters_by_node.at(b->first);
      for (const RttKey& key : {RttKey{from, to}, RttKey{to, from}}) {
        v1::RttEntry entry;
        entry.set_from_cluster(key.first);
        entry.set_to_cluster(key.second);
        entry.set_rtt_ms(*ms);
        entry.set_source(v1::RTT_SOURCE_SERF);
        table[key] = std::move(entry);
      }
    }
  }
  return table;
}

}  // namespace mck8s::gateway
