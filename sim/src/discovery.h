// Discovery and OpenAPI documents rendered from a resource catalog.

#ifndef MCK8S_SIM_SRC_DISCOVERY_H_
#define MCK8S_SIM_SRC_DISCOVERY_H_

#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "mck8s/sim/resource_registry.h"

namespace mck8s::sim::internal {

// The apidiscovery.k8s.io APIGroupDiscoveryList of the core group (core)
// or of every named group; `version` is "v2" or "v2beta1".
std::string AggregatedDiscovery(const ResourceCatalog& catalog, bool core,
                                absl::string_view version);

// Legacy discovery documents.
std::string ApiVersions(absl::string_view server_address);
std::string ApiGroupList(const ResourceCatalog& catalog);
std::optional<std::string> ApiGroup(const ResourceCatalog& catalog, absl::string_view group);
std::optional<std::string> ApiResourceList(const ResourceCatalog& catalog,
                                           absl::string_view group,
                                           absl::string_view version);

// The OpenAPI v3 document of one group-version, paths rooted at "/api/v1" or
// "/apis/G/V" (clients join them to the server URL).
std::optional<std::string> OpenApiGroupVersion(const ResourceCatalog& catalog,
                                               absl::string_view group,
                                               absl::string_view version);

}  // namespace mck8s::sim::internal

#endif  // MCK8S_SIM_SRC_DISCOVERY_H_
