// The OpenAPI v3 schemas of the built-in kinds the simulator serves, in the
// shape kube-apiserver publishes them (field names, types, list merge keys),
// trimmed to what mck8s, kubectl and common manifests use. Deep corners that
// manifests rarely spell out (affinity, security contexts, volume sources,
// lifecycle hooks) are kept open with x-kubernetes-preserve-unknown-fields.
//
// `$ref: Name` stands for the definition `Name`, expanded by
// builtin_types.cc; sibling keys (a description) override the definition's.

#include "builtin_schemas.h"

namespace mck8s::sim::internal {

absl::string_view BuiltinSchemaYaml() {
  static constexpr char kYaml[] = R"yaml(
definitions:
  Time:
    type: string
    format: date-time
  Quantity:
    description: A fixed-point number with an optional SI or binary suffix (100m, 2Gi).
    x-kubernetes-preserve-unknown-fields: true
  IntOrString:
    x-kubernetes-int-or-string: true
  StringMap:
    type: object
    additionalProperties:
      type: string
  ResourceList:
    type: object
    additionalProperties:
      $ref: Quantity
  OpenObject:
    type: object
    x-kubernetes-preserve-unknown-fields: true
  LabelSelector:
    description: A label query over a set of resources; matchLabels and matchExpressions are ANDed.
    type: object
    x-kubernetes-map-type: atomic
    properties:
      matchLabels:
        $ref: StringMap
      matchExpressions:
        type: array
        items:
          type: object
          required: [key, operator]
          properties:
            key: {type: string}
            operator: {type: string}
            values:
              type: array
              items: {type: string}
  OwnerReference:
    type: object
    required: [apiVersion, kind, name, uid]
    properties:
      apiVersion: {type: string}
      kind: {type: string}
      name: {type: string}
      uid: {type: string}
      controller: {type: boolean}
      blockOwnerDeletion: {type: boolean}
  ManagedFieldsEntry:
    type: object
    properties:
      manager: {type: string}
      operation: {type: string}
      apiVersion: {type: string}
      time: {$ref: Time}
      fieldsType: {type: string}
      fieldsV1: {$ref: OpenObject}
      subresource: {type: string}
  ObjectMeta:
    description: Standard object's metadata.
    type: object
    properties:
      name:
        description: Name must be unique within a namespace.
        type: string
      generateName:
        description: An optional prefix used by the server to generate a unique name when name is not provided.
        type: string
      namespace:
        description: The namespace of the object; empty for cluster-scoped objects.
        type: string
      uid:
        description: The unique in time and space value for this object, set by the server.
        type: string
      resourceVersion:
        description: An opaque value that represents the internal version of this object, for optimistic concurrency and watches.
        type: string
      generation:
        description: A sequence number representing a specific generation of the desired state.
        type: integer
        format: int64
      creationTimestamp:
        $ref: Time
        description: When this object was created, set by the server.
      deletionTimestamp:
        $ref: Time
        description: When this object will be deleted, set by the server when a graceful deletion is requested.
      deletionGracePeriodSeconds:
        type: integer
        format: int64
      labels:
        $ref: StringMap
        description: Map of string keys and values that can be used to organize and categorize objects.
      annotations:
        $ref: StringMap
        description: Unstructured key value map stored with a resource.
      ownerReferences:
        description: Objects depended by this object; when all are deleted, this object is garbage collected.
        type: array
        x-kubernetes-patch-merge-key: uid
        x-kubernetes-patch-strategy: merge
        x-kubernetes-list-type: map
        x-kubernetes-list-map-keys: [uid]
        items:
          $ref: OwnerReference
      finalizers:
        description: Must be empty before the object is deleted from the registry.
        type: array
        x-kubernetes-patch-strategy: merge
        x-kubernetes-list-type: set
        items: {type: string}
      managedFields:
        type: array
        items:
          $ref: ManagedFieldsEntry
      selfLink:
        type: string
  Condition:
    type: object
    required: [type, status]
    properties:
      type: {type: string}
      status: {type: string}
      observedGeneration: {type: integer, format: int64}
      lastTransitionTime: {$ref: Time}
      lastUpdateTime: {$ref: Time}
      lastProbeTime: {$ref: Time}
      lastHeartbeatTime: {$ref: Time}
      reason: {type: string}
      message: {type: string}
  Conditions:
    type: array
    x-kubernetes-patch-merge-key: type
    x-kubernetes-patch-strategy: merge
    x-kubernetes-list-type: map
    x-kubernetes-list-map-keys: [type]
    items:
      $ref: Condition
  LocalObjectReference:
    type: object
    x-kubernetes-map-type: atomic
    properties:
      name: {type: string}
  ObjectReference:
    type: object
    x-kubernetes-map-type: atomic
    properties:
      apiVersion: {type: string}
      kind: {type: string}
      name: {type: string}
      namespace: {type: string}
      uid: {type: string}
      resourceVersion: {type: string}
      fieldPath: {type: string}
  ContainerPort:
    type: object
    required: [containerPort]
    properties:
      name: {type: string}
      containerPort: {type: integer, format: int32}
      hostPort: {type: integer, format: int32}
      hostIP: {type: string}
      protocol: {type: string, default: TCP}
  EnvVar:
    type: object
    required: [name]
    properties:
      name: {type: string}
      value: {type: string}
      valueFrom: {$ref: OpenObject}
  EnvFromSource:
    type: object
    properties:
      prefix: {type: string}
      configMapRef:
        type: object
        properties:
          name: {type: string}
          optional: {type: boolean}
      secretRef:
        type: object
        properties:
          name: {type: string}
          optional: {type: boolean}
  ResourceRequirements:
    description: Compute resources required by this container.
    type: object
    properties:
      limits:
        $ref: ResourceList
        description: The maximum amount of compute resources allowed.
      requests:
        $ref: ResourceList
        description: The minimum amount of compute resources required; the scheduler fits pods by requests.
      claims:
        type: array
        items:
          type: object
          required: [name]
          properties:
            name: {type: string}
            request: {type: string}
  VolumeMount:
    type: object
    required: [name, mountPath]
    properties:
      name: {type: string}
      mountPath: {type: string}
      readOnly: {type: boolean}
      recursiveReadOnly: {type: string}
      subPath: {type: string}
      subPathExpr: {type: string}
      mountPropagation: {type: string}
  Probe:
    type: object
    properties:
      exec:
        type: object
        properties:
          command:
            type: array
            items: {type: string}
      httpGet:
        type: object
        required: [port]
        properties:
          path: {type: string}
          port: {$ref: IntOrString}
          host: {type: string}
          scheme: {type: string}
          httpHeaders:
            type: array
            items:
              type: object
              required: [name, value]
              properties:
                name: {type: string}
                value: {type: string}
      tcpSocket:
        type: object
        required: [port]
        properties:
          port: {$ref: IntOrString}
          host: {type: string}
      grpc:
        type: object
        required: [port]
        properties:
          port: {type: integer, format: int32}
          service: {type: string}
      initialDelaySeconds: {type: integer, format: int32}
      timeoutSeconds: {type: integer, format: int32}
      periodSeconds: {type: integer, format: int32}
      successThreshold: {type: integer, format: int32}
      failureThreshold: {type: integer, format: int32}
      terminationGracePeriodSeconds: {type: integer, format: int64}
  Container:
    description: A single application container to run within a pod.
    type: object
    required: [name]
    properties:
      name:
        description: Name of the container, unique within the pod (DNS_LABEL).
        type: string
      image:
        description: Container image name.
        type: string
      imagePullPolicy:
        description: Always, Never or IfNotPresent.
        type: string
      command:
        type: array
        items: {type: string}
      args:
        type: array
        items: {type: string}
      workingDir: {type: string}
      ports:
        description: Ports to expose from the container.
        type: array
        x-kubernetes-patch-merge-key: containerPort
        x-kubernetes-patch-strategy: merge
        x-kubernetes-list-type: map
        x-kubernetes-list-map-keys: [containerPort, protocol]
        items:
          $ref: ContainerPort
      env:
        description: Environment variables to set in the container.
        type: array
        x-kubernetes-patch-merge-key: name
        x-kubernetes-patch-strategy: merge
        items:
          $ref: EnvVar
      envFrom:
        type: array
        items:
          $ref: EnvFromSource
      resources:
        $ref: ResourceRequirements
      resizePolicy:
        type: array
        items:
          type: object
          properties:
            resourceName: {type: string}
            restartPolicy: {type: string}
      restartPolicy: {type: string}
      volumeMounts:
        type: array
        x-kubernetes-patch-merge-key: mountPath
        x-kubernetes-patch-strategy: merge
        items:
          $ref: VolumeMount
      volumeDevices:
        type: array
        x-kubernetes-patch-merge-key: devicePath
        x-kubernetes-patch-strategy: merge
        items:
          type: object
          required: [name, devicePath]
          properties:
            name: {type: string}
            devicePath: {type: string}
      livenessProbe: {$ref: Probe}
      readinessProbe: {$ref: Probe}
      startupProbe: {$ref: Probe}
      lifecycle: {$ref: OpenObject}
      terminationMessagePath: {type: string}
      terminationMessagePolicy: {type: string}
      securityContext: {$ref: OpenObject}
      stdin: {type: boolean}
      stdinOnce: {type: boolean}
      tty: {type: boolean}
  Toleration:
    type: object
    properties:
      key: {type: string}
      operator: {type: string}
      value: {type: string}
      effect: {type: string}
      tolerationSeconds: {type: integer, format: int64}
  Volume:
    description: A named volume; its source (configMap, secret, emptyDir, persistentVolumeClaim, ...) is kept as written.
    type: object
    required: [name]
    x-kubernetes-preserve-unknown-fields: true
    properties:
      name: {type: string}
  PodSpec:
    description: Specification of the desired behavior of the pod.
    type: object
    required: [containers]
    properties:
      containers:
        description: List of containers belonging to the pod.
        type: array
        x-kubernetes-patch-merge-key: name
        x-kubernetes-patch-strategy: merge
        x-kubernetes-list-type: map
        x-kubernetes-list-map-keys: [name]
        items:
          $ref: Container
      initContainers:
        type: array
        x-kubernetes-patch-merge-key: name
        x-kubernetes-patch-strategy: merge
        x-kubernetes-list-type: map
        x-kubernetes-list-map-keys: [name]
        items:
          $ref: Container
      ephemeralContainers:
        type: array
        x-kubernetes-patch-merge-key: name
        x-kubernetes-patch-strategy: merge
        items:
          $ref: OpenObject
      volumes:
        type: array
        x-kubernetes-patch-merge-key: name
        x-kubernetes-patch-strategy: merge,retainKeys
        x-kubernetes-list-type: map
        x-kubernetes-list-map-keys: [name]
        items:
          $ref: Volume
      restartPolicy:
        description: Always, OnFailure or Never.
        type: string
      terminationGracePeriodSeconds: {type: integer, format: int64}
      activeDeadlineSeconds: {type: integer, format: int64}
      dnsPolicy: {type: string}
      dnsConfig: {$ref: OpenObject}
      nodeSelector:
        $ref: StringMap
        description: Labels a node must have for the pod to be scheduled on it.
      serviceAccountName: {type: string}
      serviceAccount: {type: string}
      automountServiceAccountToken: {type: boolean}
      nodeName:
        description: The node the pod is bound to; set by the scheduler.
        type: string
      hostNetwork: {type: boolean}
      hostPID: {type: boolean}
      hostIPC: {type: boolean}
      hostUsers: {type: boolean}
      shareProcessNamespace: {type: boolean}
      securityContext: {$ref: OpenObject}
      imagePullSecrets:
        type: array
        x-kubernetes-patch-merge-key: name
        x-kubernetes-patch-strategy: merge
        items:
          $ref: LocalObjectReference
      hostname: {type: string}
      subdomain: {type: string}
      setHostnameAsFQDN: {type: boolean}
      affinity: {$ref: OpenObject}
      schedulerName: {type: string}
      tolerations:
        description: Taints the pod tolerates.
        type: array
        items:
          $ref: Toleration
      hostAliases:
        type: array
        x-kubernetes-patch-merge-key: ip
        x-kubernetes-patch-strategy: merge
        items:
          type: object
          required: [ip]
          properties:
            ip: {type: string}
            hostnames:
              type: array
              items: {type: string}
      priorityClassName: {type: string}
      priority: {type: integer, format: int32}
      preemptionPolicy: {type: string}
      readinessGates:
        type: array
        items:
          type: object
          required: [conditionType]
          properties:
            conditionType: {type: string}
      runtimeClassName: {type: string}
      enableServiceLinks: {type: boolean}
      overhead: {$ref: ResourceList}
      topologySpreadConstraints:
        type: array
        x-kubernetes-patch-merge-key: topologyKey
        x-kubernetes-patch-strategy: merge
        items:
          $ref: OpenObject
      os:
        type: object
        required: [name]
        properties:
          name: {type: string}
      schedulingGates:
        type: array
        x-kubernetes-patch-merge-key: name
        x-kubernetes-patch-strategy: merge
        items:
          type: object
          required: [name]
          properties:
            name: {type: string}
      resourceClaims:
        type: array
        x-kubernetes-patch-merge-key: name
        x-kubernetes-patch-strategy: merge,retainKeys
        items:
          $ref: OpenObject
      resources: {$ref: ResourceRequirements}
  PodTemplateSpec:
    description: Describes the pods that will be created.
    type: object
    properties:
      metadata:
        $ref: ObjectMeta
      spec:
        $ref: PodSpec
  ContainerStatus:
    type: object
    properties:
      name: {type: string}
      image: {type: string}
      imageID: {type: string}
      containerID: {type: string}
      ready: {type: boolean}
      started: {type: boolean}
      restartCount: {type: integer, format: int32}
      state: {$ref: OpenObject}
      lastState: {$ref: OpenObject}
      allocatedResources: {$ref: ResourceList}
      resources: {$ref: ResourceRequirements}
      volumeMounts: {type: array, items: {$ref: OpenObject}}
      user: {$ref: OpenObject}
      allocatedResourcesStatus: {type: array, items: {$ref: OpenObject}}
  Taint:
    type: object
    required: [key, effect]
    properties:
      key: {type: string}
      value: {type: string}
      effect: {type: string}
      timeAdded: {$ref: Time}
  ServicePort:
    type: object
    required: [port]
    properties:
      name: {type: string}
      protocol: {type: string, default: TCP}
      appProtocol: {type: string}
      port: {type: integer, format: int32}
      targetPort: {$ref: IntOrString}
      nodePort: {type: integer, format: int32}
  JSONSchemaProps:
    description: A JSON-Schema following Specification Draft 4 (http://json-schema.org/).
    type: object
    x-kubernetes-preserve-unknown-fields: true
  CustomResourceDefinitionVersion:
    type: object
    required: [name, served, storage]
    properties:
      name: {type: string}
      served: {type: boolean}
      storage: {type: boolean}
      deprecated: {type: boolean}
      deprecationWarning: {type: string}
      schema:
        type: object
        properties:
          openAPIV3Schema: {$ref: JSONSchemaProps}
      subresources:
        type: object
        properties:
          status: {$ref: OpenObject}
          scale:
            type: object
            required: [specReplicasPath, statusReplicasPath]
            properties:
              specReplicasPath: {type: string}
              statusReplicasPath: {type: string}
              labelSelectorPath: {type: string}
      additionalPrinterColumns:
        type: array
        items:
          type: object
          required: [name, type, jsonPath]
          properties:
            name: {type: string}
            type: {type: string}
            format: {type: string}
            description: {type: string}
            priority: {type: integer, format: int32}
            jsonPath: {type: string}
      selectableFields:
        type: array
        items:
          type: object
          required: [jsonPath]
          properties:
            jsonPath: {type: string}
  PolicyRule:
    type: object
    required: [verbs]
    properties:
      apiGroups: {type: array, items: {type: string}, x-kubernetes-list-type: atomic}
      resources: {type: array, items: {type: string}, x-kubernetes-list-type: atomic}
      resourceNames: {type: array, items: {type: string}, x-kubernetes-list-type: atomic}
      nonResourceURLs: {type: array, items: {type: string}, x-kubernetes-list-type: atomic}
      verbs: {type: array, items: {type: string}, x-kubernetes-list-type: atomic}
  Subject:
    type: object
    required: [kind, name]
    x-kubernetes-map-type: atomic
    properties:
      kind: {type: string}
      apiGroup: {type: string}
      name: {type: string}
      namespace: {type: string}
  RoleRef:
    type: object
    required: [apiGroup, kind, name]
    x-kubernetes-map-type: atomic
    properties:
      apiGroup: {type: string}
      kind: {type: string}
      name: {type: string}
  CustomResourceDefinitionNames:
    type: object
    required: [plural, kind]
    properties:
      plural: {type: string}
      singular: {type: string}
      shortNames: {type: array, items: {type: string}}
      kind: {type: string}
      listKind: {type: string}
      categories: {type: array, items: {type: string}}

kinds:
  Namespace:
    description: Namespace provides a scope for Names.
    type: object
    properties:
      spec:
        type: object
        properties:
          finalizers:
            type: array
            items: {type: string}
      status:
        type: object
        properties:
          phase:
            description: Active or Terminating.
            type: string
          conditions:
            $ref: Conditions
  Node:
    description: A worker node of the cluster.
    type: object
    properties:
      spec:
        type: object
        properties:
          podCIDR: {type: string}
          podCIDRs: {type: array, items: {type: string}}
          providerID: {type: string}
          unschedulable: {type: boolean}
          taints:
            description: Taints of the node; pods that do not tolerate them are not scheduled here.
            type: array
            items:
              $ref: Taint
          configSource: {$ref: OpenObject}
          externalID: {type: string}
      status:
        type: object
        properties:
          capacity:
            $ref: ResourceList
            description: The total resources of the node.
          allocatable:
            $ref: ResourceList
            description: The resources of the node available for scheduling.
          phase: {type: string}
          conditions:
            $ref: Conditions
          addresses:
            type: array
            x-kubernetes-patch-merge-key: type
            x-kubernetes-patch-strategy: merge
            items:
              type: object
              required: [type, address]
              properties:
                type: {type: string}
                address: {type: string}
          daemonEndpoints: {$ref: OpenObject}
          nodeInfo:
            type: object
            properties:
              machineID: {type: string}
              systemUUID: {type: string}
              bootID: {type: string}
              kernelVersion: {type: string}
              osImage: {type: string}
              containerRuntimeVersion: {type: string}
              kubeletVersion: {type: string}
              kubeProxyVersion: {type: string}
              operatingSystem: {type: string}
              architecture: {type: string}
          images: {type: array, items: {$ref: OpenObject}}
          volumesInUse: {type: array, items: {type: string}}
          volumesAttached: {type: array, items: {$ref: OpenObject}}
          config: {$ref: OpenObject}
          runtimeHandlers: {type: array, items: {$ref: OpenObject}}
          features: {$ref: OpenObject}
  Pod:
    description: A collection of containers that can run on a host.
    type: object
    properties:
      spec:
        $ref: PodSpec
      status:
        type: object
        properties:
          phase:
            description: Pending, Running, Succeeded, Failed or Unknown.
            type: string
          conditions:
            $ref: Conditions
          message: {type: string}
          reason: {type: string}
          nominatedNodeName: {type: string}
          hostIP: {type: string}
          hostIPs: {type: array, items: {type: object, properties: {ip: {type: string}}}}
          podIP: {type: string}
          podIPs:
            type: array
            x-kubernetes-patch-merge-key: ip
            x-kubernetes-patch-strategy: merge
            items: {type: object, properties: {ip: {type: string}}}
          startTime: {$ref: Time}
          initContainerStatuses: {type: array, items: {$ref: ContainerStatus}}
          containerStatuses: {type: array, items: {$ref: ContainerStatus}}
          ephemeralContainerStatuses: {type: array, items: {$ref: ContainerStatus}}
          qosClass: {type: string}
          resize: {type: string}
          resourceClaimStatuses: {type: array, items: {$ref: OpenObject}}
  Service:
    description: A named abstraction of software service consisting of local port that the proxy listens on, and the selector that determines which pods will answer requests sent through the proxy.
    type: object
    properties:
      spec:
        type: object
        properties:
          ports:
            description: The list of ports that are exposed by this service.
            type: array
            x-kubernetes-patch-merge-key: port
            x-kubernetes-patch-strategy: merge
            x-kubernetes-list-type: map
            x-kubernetes-list-map-keys: [port, protocol]
            items:
              $ref: ServicePort
          selector:
            $ref: StringMap
            description: Route service traffic to pods with label keys and values matching this selector.
          clusterIP: {type: string}
          clusterIPs: {type: array, items: {type: string}}
          type:
            description: ClusterIP, NodePort, LoadBalancer or ExternalName.
            type: string
          externalIPs: {type: array, items: {type: string}}
          sessionAffinity: {type: string}
          sessionAffinityConfig: {$ref: OpenObject}
          loadBalancerIP: {type: string}
          loadBalancerSourceRanges: {type: array, items: {type: string}}
          loadBalancerClass: {type: string}
          externalName: {type: string}
          externalTrafficPolicy: {type: string}
          internalTrafficPolicy: {type: string}
          healthCheckNodePort: {type: integer, format: int32}
          publishNotReadyAddresses: {type: boolean}
          ipFamilies: {type: array, items: {type: string}}
          ipFamilyPolicy: {type: string}
          allocateLoadBalancerNodePorts: {type: boolean}
          trafficDistribution: {type: string}
      status:
        type: object
        properties:
          loadBalancer:
            type: object
            properties:
              ingress:
                type: array
                items: {$ref: OpenObject}
          conditions:
            $ref: Conditions
  Endpoints:
    description: The set of endpoints that implement the actual service.
    type: object
    properties:
      subsets:
        type: array
        items:
          type: object
          properties:
            addresses:
              type: array
              items:
                type: object
                required: [ip]
                properties:
                  ip: {type: string}
                  hostname: {type: string}
                  nodeName: {type: string}
                  targetRef: {$ref: ObjectReference}
            notReadyAddresses:
              type: array
              items:
                type: object
                required: [ip]
                properties:
                  ip: {type: string}
                  hostname: {type: string}
                  nodeName: {type: string}
                  targetRef: {$ref: ObjectReference}
            ports:
              type: array
              items:
                type: object
                required: [port]
                properties:
                  name: {type: string}
                  port: {type: integer, format: int32}
                  protocol: {type: string}
                  appProtocol: {type: string}
  Secret:
    description: Holds secret data of a certain type.
    type: object
    properties:
      data:
        description: Secret data, base64-encoded values.
        type: object
        additionalProperties: {type: string, format: byte}
      stringData:
        description: Write-only convenience field for non-binary secret data, merged into data on write.
        $ref: StringMap
      type: {type: string}
      immutable: {type: boolean}
  ConfigMap:
    description: Holds configuration data for pods to consume.
    type: object
    properties:
      data:
        $ref: StringMap
      binaryData:
        type: object
        additionalProperties: {type: string, format: byte}
      immutable: {type: boolean}
  Event:
    description: A report of an event somewhere in the cluster.
    type: object
    properties:
      involvedObject: {$ref: ObjectReference}
      reason: {type: string}
      message: {type: string}
      source:
        type: object
        properties:
          component: {type: string}
          host: {type: string}
      firstTimestamp: {$ref: Time}
      lastTimestamp: {$ref: Time}
      eventTime: {type: string}
      count: {type: integer, format: int32}
      type: {type: string}
      action: {type: string}
      related: {$ref: ObjectReference}
      reportingComponent: {type: string}
      reportingInstance: {type: string}
      series: {$ref: OpenObject}
  ServiceAccount:
    description: Binds together a name, a principal that can be authenticated and authorized, and a set of secrets.
    type: object
    properties:
      secrets:
        type: array
        x-kubernetes-patch-merge-key: name
        x-kubernetes-patch-strategy: merge
        items: {$ref: ObjectReference}
      imagePullSecrets:
        type: array
        items: {$ref: LocalObjectReference}
      automountServiceAccountToken: {type: boolean}
  Deployment:
    description: Deployment enables declarative updates for Pods and ReplicaSets.
    type: object
    properties:
      spec:
        description: Specification of the desired behavior of the Deployment.
        type: object
        required: [selector, template]
        properties:
          replicas:
            description: Number of desired pods. Defaults to 1.
            type: integer
            format: int32
          selector:
            $ref: LabelSelector
            description: Label selector for pods; it must match the pod template's labels.
          template:
            $ref: PodTemplateSpec
            description: Template describes the pods that will be created.
          strategy:
            type: object
            properties:
              type:
                description: Recreate or RollingUpdate.
                type: string
              rollingUpdate:
                type: object
                properties:
                  maxUnavailable: {$ref: IntOrString}
                  maxSurge: {$ref: IntOrString}
            x-kubernetes-patch-strategy: retainKeys
          minReadySeconds: {type: integer, format: int32}
          revisionHistoryLimit: {type: integer, format: int32}
          paused: {type: boolean}
          progressDeadlineSeconds: {type: integer, format: int32}
      status:
        description: Most recently observed status of the Deployment.
        type: object
        properties:
          observedGeneration: {type: integer, format: int64}
          replicas: {type: integer, format: int32}
          updatedReplicas: {type: integer, format: int32}
          readyReplicas: {type: integer, format: int32}
          availableReplicas: {type: integer, format: int32}
          unavailableReplicas: {type: integer, format: int32}
          terminatingReplicas: {type: integer, format: int32}
          conditions:
            $ref: Conditions
          collisionCount: {type: integer, format: int32}
  Job:
    description: Job represents the configuration of a single job.
    type: object
    properties:
      spec:
        description: Specification of the desired behavior of a job.
        type: object
        required: [template]
        properties:
          parallelism: {type: integer, format: int32}
          completions: {type: integer, format: int32}
          activeDeadlineSeconds: {type: integer, format: int64}
          backoffLimit: {type: integer, format: int32}
          backoffLimitPerIndex: {type: integer, format: int32}
          maxFailedIndexes: {type: integer, format: int32}
          selector: {$ref: LabelSelector}
          manualSelector: {type: boolean}
          template: {$ref: PodTemplateSpec}
          ttlSecondsAfterFinished: {type: integer, format: int32}
          completionMode: {type: string}
          suspend: {type: boolean}
          podFailurePolicy: {$ref: OpenObject}
          successPolicy: {$ref: OpenObject}
          podReplacementPolicy: {type: string}
          managedBy: {type: string}
      status:
        type: object
        properties:
          conditions:
            $ref: Conditions
          startTime: {$ref: Time}
          completionTime: {$ref: Time}
          active: {type: integer, format: int32}
          succeeded: {type: integer, format: int32}
          failed: {type: integer, format: int32}
          terminating: {type: integer, format: int32}
          ready: {type: integer, format: int32}
          completedIndexes: {type: string}
          failedIndexes: {type: string}
          uncountedTerminatedPods: {$ref: OpenObject}
  Lease:
    description: Lease defines a lease concept.
    type: object
    properties:
      spec:
        type: object
        properties:
          holderIdentity: {type: string}
          leaseDurationSeconds: {type: integer, format: int32}
          acquireTime: {type: string}
          renewTime: {type: string}
          leaseTransitions: {type: integer, format: int32}
          strategy: {type: string}
          preferredHolder: {type: string}
  Role:
    description: Role is a namespaced, logical grouping of PolicyRules that can be referenced as a unit by a RoleBinding.
    type: object
    properties:
      rules:
        description: Rules holds all the PolicyRules for this Role.
        type: array
        x-kubernetes-list-type: atomic
        items: {$ref: PolicyRule}
  ClusterRole:
    description: ClusterRole is a cluster level, logical grouping of PolicyRules that can be referenced as a unit by a RoleBinding or ClusterRoleBinding.
    type: object
    properties:
      rules:
        type: array
        x-kubernetes-list-type: atomic
        items: {$ref: PolicyRule}
      aggregationRule:
        type: object
        properties:
          clusterRoleSelectors:
            type: array
            x-kubernetes-list-type: atomic
            items: {$ref: LabelSelector}
  RoleBinding:
    description: RoleBinding references a role, but does not contain it.
    type: object
    required: [roleRef]
    properties:
      subjects:
        type: array
        x-kubernetes-list-type: atomic
        items: {$ref: Subject}
      roleRef: {$ref: RoleRef}
  ClusterRoleBinding:
    description: ClusterRoleBinding references a ClusterRole, but not contain it.
    type: object
    required: [roleRef]
    properties:
      subjects:
        type: array
        x-kubernetes-list-type: atomic
        items: {$ref: Subject}
      roleRef: {$ref: RoleRef}
  CustomResourceDefinition:
    description: CustomResourceDefinition represents a resource that should be exposed on the API server.
    type: object
    properties:
      spec:
        type: object
        required: [group, names, scope, versions]
        properties:
          group: {type: string}
          names: {$ref: CustomResourceDefinitionNames}
          scope:
            description: Cluster or Namespaced.
            type: string
          versions:
            type: array
            x-kubernetes-list-type: atomic
            items: {$ref: CustomResourceDefinitionVersion}
          conversion: {$ref: OpenObject}
          preserveUnknownFields: {type: boolean}
      status:
        type: object
        properties:
          conditions:
            $ref: Conditions
          acceptedNames: {$ref: CustomResourceDefinitionNames}
          storedVersions: {type: array, items: {type: string}}
  NodeMetrics:
    description: NodeMetrics sets resource usage metrics of a node.
    type: object
    properties:
      timestamp:
        description: The following fields define time interval from which metrics were collected.
        $ref: Time
      window: {type: string}
      usage:
        description: The memory usage is the memory working set.
        $ref: ResourceList
  PodMetrics:
    description: PodMetrics sets resource usage metrics of a pod.
    type: object
    properties:
      timestamp: {$ref: Time}
      window: {type: string}
      containers:
        description: Metrics for all containers are collected within the same time window.
        type: array
        x-kubernetes-list-type: atomic
        items:
          type: object
          properties:
            name: {type: string}
            usage: {$ref: ResourceList}
)yaml";
  return kYaml;
}

}  // namespace mck8s::sim::internal
