{{/*
Names, labels and addresses shared by every template.

Most templates loop over the five services listed in "mck8s.components" and
pass a context dict to the helpers below:
  (dict "root" $ "component" $component)
where $component is one entry of that list: {name, valuesKey, clusterState,
scheduler}. name is the kebab-case service name used in resource names, in the
app.kubernetes.io/component label and in the binary name; valuesKey is the
block of values.yaml holding the service's settings; clusterState and
scheduler say whether the service dials the metrics-gateway's ClusterState API
and the scheduler's Scheduler API.
*/}}

{{- define "mck8s.components" -}}
scheduler:
  name: scheduler
  valuesKey: scheduler
  clusterState: true
  scheduler: false
metricsGateway:
  name: metrics-gateway
  valuesKey: metricsGateway
  clusterState: false
  scheduler: false
mchpa:
  name: mchpa
  valuesKey: mchpa
  clusterState: true
  scheduler: true
descheduler:
  name: descheduler
  valuesKey: descheduler
  clusterState: true
  scheduler: true
provisioner:
  name: provisioner
  valuesKey: provisioner
  clusterState: true
  scheduler: true
{{- end }}

{{/* The chart name, or nameOverride. */}}
{{- define "mck8s.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The prefix of every resource name. Truncated to 47 characters so that the
longest suffix ("-metrics-gateway") still fits in a 63-character DNS label.
*/}}
{{- define "mck8s.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 47 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 47 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 47 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* chart-version, for the helm.sh/chart label. */}}
{{- define "mck8s.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object. Takes the root context. */}}
{{- define "mck8s.labels" -}}
helm.sh/chart: {{ include "mck8s.chart" . }}
app.kubernetes.io/name: {{ include "mck8s.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/part-of: mck8s
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Labels of one service's objects. Takes (dict "root" "component"). */}}
{{- define "mck8s.componentLabels" -}}
{{ include "mck8s.labels" .root }}
app.kubernetes.io/component: {{ .component.name }}
{{- end }}

{{/* Selector labels of one service. Takes (dict "root" "component"). */}}
{{- define "mck8s.selectorLabels" -}}
app.kubernetes.io/name: {{ include "mck8s.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component.name }}
{{- end }}

{{/* "<fullname>-<service>". Takes (dict "root" "component"). */}}
{{- define "mck8s.componentName" -}}
{{- printf "%s-%s" (include "mck8s.fullname" .root) .component.name }}
{{- end }}

{{/* ServiceAccount name of one service. Takes (dict "root" "component"). */}}
{{- define "mck8s.serviceAccountName" -}}
{{- $sa := (index .root.Values .component.valuesKey).serviceAccount }}
{{- if $sa.create }}
{{- default (include "mck8s.componentName" .) $sa.name }}
{{- else }}
{{- default "default" $sa.name }}
{{- end }}
{{- end }}

{{/* Container image of one service. Takes (dict "root" "component"). */}}
{{- define "mck8s.image" -}}
{{- $global := .root.Values.image }}
{{- $own := (index .root.Values .component.valuesKey).image | default dict }}
{{- $repository := default $global.repository $own.repository }}
{{- $tag := default (default .root.Chart.AppVersion $global.tag) $own.tag }}
{{- $digest := default $global.digest $own.digest }}
{{- if $digest }}
{{- printf "%s@%s" $repository $digest }}
{{- else }}
{{- printf "%s:%s" $repository $tag }}
{{- end }}
{{- end }}

{{/* Namespace of the member clusters' kubeconfig Secrets. Takes the root context. */}}
{{- define "mck8s.fleetNamespace" -}}
{{- default .Release.Namespace .Values.fleetNamespace }}
{{- end }}

{{/* Namespace of the leader-election Leases. Takes the root context. */}}
{{- define "mck8s.leaseNamespace" -}}
{{- default .Release.Namespace .Values.leaderElection.namespace }}
{{- end }}

{{/* In-cluster DNS name of one service's Service. Takes (dict "root" "component"). */}}
{{- define "mck8s.serviceHost" -}}
{{- printf "%s.%s.svc.%s" (include "mck8s.componentName" .) .root.Release.Namespace .root.Values.clusterDomain }}
{{- end }}

{{/* host:port of the metrics-gateway's ClusterState API. Takes the root context. */}}
{{- define "mck8s.clusterStateAddress" -}}
{{- if .Values.clusterStateAddress }}
{{- .Values.clusterStateAddress }}
{{- else }}
{{- $gateway := dict "name" "metrics-gateway" }}
{{- printf "%s:%v" (include "mck8s.serviceHost" (dict "root" . "component" $gateway)) .Values.ports.grpc }}
{{- end }}
{{- end }}

{{/* host:port of the scheduler's Scheduler API. Takes the root context. */}}
{{- define "mck8s.schedulerAddress" -}}
{{- if .Values.schedulerAddress }}
{{- .Values.schedulerAddress }}
{{- else }}
{{- $scheduler := dict "name" "scheduler" }}
{{- printf "%s:%v" (include "mck8s.serviceHost" (dict "root" . "component" $scheduler)) .Values.ports.grpc }}
{{- end }}
{{- end }}

{{/* TLS Secret of one service, or "". Takes (dict "root" "component"). */}}
{{- define "mck8s.tlsSecretName" -}}
{{- $own := (index .root.Values .component.valuesKey).tls | default dict }}
{{- default .root.Values.tls.secretName $own.secretName }}
{{- end }}

{{/*
Settings that the schema cannot check on its own; fails the render with the
offending key named. Takes (dict "root" "component").
*/}}
{{- define "mck8s.validate" -}}
{{- $values := index .root.Values .component.valuesKey }}
{{- if and (gt (int $values.replicas) 1) (not .root.Values.leaderElection.enabled) }}
{{- fail (printf "%s.replicas is %v but leaderElection.enabled is false: more than one replica needs leader election" .component.valuesKey $values.replicas) }}
{{- end }}
{{- if and .root.Values.tls.enabled (not (include "mck8s.tlsSecretName" .)) }}
{{- fail (printf "tls.enabled is true but neither tls.secretName nor %s.tls.secretName is set" .component.valuesKey) }}
{{- end }}
{{- end }}
