{{/*
Cluster-wide RBAC rules of each service: exactly the resources and verbs the
service touches, never a wildcard. "mck8s.clusterRules" picks the list of one
service; rbac.yaml renders it into that service's ClusterRole. The
namespaced rules (Leases, events, Secrets, ConfigMaps) are in rbac.yaml.

The scheduler, mchpa and descheduler write events about the namespaced objects
they reconcile (MultiClusterDeployments and friends); an event lives in the
namespace of the object it describes, so those three may create events in any
namespace. The metrics-gateway and the provisioner reconcile cluster-scoped
objects (MemberCluster, CloudProvisioner) and write their events in the
release namespace only.
*/}}

{{- define "mck8s.rules.events" -}}
- apiGroups: [""]
  resources: [events]
  verbs: [create, patch]
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create, patch]
{{- end }}

{{- define "mck8s.rules.scheduler" -}}
- apiGroups: [fogguru.eu]
  resources: [multiclusterdeployments, multiclusterservices, multiclusterjobs]
  verbs: [get, list, watch, update, patch]
- apiGroups: [fogguru.eu]
  resources: [multiclusterdeployments/status, multiclusterservices/status, multiclusterjobs/status]
  verbs: [get, update, patch]
- apiGroups: [fogguru.eu]
  resources: [multiclusterdeployments/finalizers, multiclusterservices/finalizers, multiclusterjobs/finalizers]
  verbs: [update]
- apiGroups: [fogguru.eu]
  resources: [memberclusters]
  verbs: [get, list, watch]
{{ include "mck8s.rules.events" . }}
{{- end }}

{{- define "mck8s.rules.metrics-gateway" -}}
- apiGroups: [fogguru.eu]
  resources: [memberclusters]
  verbs: [get, list, watch]
- apiGroups: [fogguru.eu]
  resources: [memberclusters/status]
  verbs: [get, update, patch]
{{- end }}

{{- define "mck8s.rules.mchpa" -}}
- apiGroups: [fogguru.eu]
  resources: [multiclusterhorizontalpodautoscalers]
  verbs: [get, list, watch]
- apiGroups: [fogguru.eu]
  resources: [multiclusterhorizontalpodautoscalers/status]
  verbs: [get, update, patch]
- apiGroups: [fogguru.eu]
  resources: [multiclusterdeployments]
  verbs: [get, list, watch]
- apiGroups: [fogguru.eu]
  resources: [multiclusterdeployments/scale]
  verbs: [get, update, patch]
{{ include "mck8s.rules.events" . }}
{{- end }}

{{- define "mck8s.rules.descheduler" -}}
- apiGroups: [fogguru.eu]
  resources: [multiclusterdeployments]
  verbs: [get, list, watch, patch]
- apiGroups: [fogguru.eu]
  resources: [memberclusters]
  verbs: [get, list, watch]
{{ include "mck8s.rules.events" . }}
{{- end }}

{{- define "mck8s.rules.provisioner" -}}
- apiGroups: [fogguru.eu]
  resources: [cloudprovisioners]
  verbs: [get, list, watch, update, patch]
- apiGroups: [fogguru.eu]
  resources: [cloudprovisioners/status]
  verbs: [get, update, patch]
- apiGroups: [fogguru.eu]
  resources: [cloudprovisioners/finalizers]
  verbs: [update]
- apiGroups: [fogguru.eu]
  resources: [multiclusterdeployments, multiclusterjobs]
  verbs: [get, list, watch]
- apiGroups: [fogguru.eu]
  resources: [memberclusters]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [cluster.x-k8s.io]
  resources: [clusters, machinedeployments]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [controlplane.cluster.x-k8s.io]
  resources: [kubeadmcontrolplanes]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [bootstrap.cluster.x-k8s.io]
  resources: [kubeadmconfigtemplates]
  verbs: [get, list, watch, create, update, patch, delete]
- apiGroups: [infrastructure.cluster.x-k8s.io]
  resources: [openstackclusters, openstackmachinetemplates]
  verbs: [get, list, watch, create, update, patch, delete]
{{- end }}

{{/* The cluster-wide rules of one service. Takes (dict "root" "component"). */}}
{{- define "mck8s.clusterRules" -}}
{{- include (printf "mck8s.rules.%s" .component.name) . }}
{{- end }}
