#!/usr/bin/env bash
# The demo: sets up the machine, builds mck8s, starts the FogGuru fleet in
# the simulator (a management cluster and six members), starts the five
# services against it, applies the talk's manifests with the real kubectl,
# and prints what the fleet looks like. Everything it starts, it stops.
set -euo pipefail
root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${MCK8S_BUILD_DIR:-${root_dir}/build}"
"${root_dir}/scripts/setup.sh"
"${root_dir}/scripts/build.sh" mck8s-sim mck8sctl mck8s-scheduler mck8s-metrics-gateway \
  mck8s-mchpa mck8s-descheduler mck8s-provisioner

bin="${build_dir}/bin"
export PATH="${root_dir}/.tools/bin:${PATH}"
work="$(mktemp -d /tmp/mck8s-demo.XXXXXX)"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "${pid}" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "${work}"
}
trap cleanup EXIT

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# Waits (bounded) until FILE has a line matching PATTERN; prints the line.
wait_for_line() {
  local file="$1" pattern="$2" deadline=$((SECONDS + 60))
  while ((SECONDS < deadline)); do
    if grep -m1 -E "${pattern}" "${file}" 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "timed out waiting for '${pattern}' in ${file}:" >&2
  cat "${file}" >&2
  return 1
}

say "Starting the FogGuru fleet (sim/testbeds/fogguru.yaml)"
"${bin}/mck8s-sim" --testbed "${root_dir}/sim/testbeds/fogguru.yaml" \
  --listen 127.0.0.1:0 --kubeconfig-out "${work}/kubeconfig" \
  >"${work}/sim.out" 2>"${work}/sim.err" &
pids+=($!)
wait_for_line "${work}/sim.out" '^listening on '
export KUBECONFIG="${work}/kubeconfig"
kubectl_() { kubectl --cache-dir "${work}/kube-cache" "$@"; }

say "Member clusters registered in the management cluster"
kubectl_ get memberclusters
for cluster in rennes nantes lille grenoble luxembourg nancy; do
  printf '%-11s ' "${cluster}"
  kubectl_ --context "${cluster}" get nodes --no-headers \
    -o custom-columns=NAME:.metadata.name,CPU:.status.allocatable.cpu,MEM:.status.allocatable.memory |
    awk '{n++; cpu[$2 " CPU / " $3]++} END {printf "%d nodes:", n; for (k in cpu) printf " %dx(%s)", cpu[k], k; printf "\n"}'
done

say "Starting the five services against the management cluster"
declare -A grpc_port
for service in metrics-gateway scheduler mchpa descheduler provisioner; do
  "${bin}/mck8s-${service}" --kubeconfig "${KUBECONFIG}" \
    --metrics-bind-address 127.0.0.1:0 --health-probe-bind-address 127.0.0.1:0 \
    --grpc-bind-address 127.0.0.1:0 2>"${work}/${service}.log" &
  pids+=($!)
  line="$(wait_for_line "${work}/${service}.log" '"msg":"started"')"
  grpc_port[${service}]="$(sed -E 's/.*"grpc_port":([0-9]+).*/\1/' <<<"${line}")"
done
for service in metrics-gateway scheduler mchpa descheduler provisioner; do
  printf '%-16s gRPC 127.0.0.1:%-6s health: %s\n' "${service}" "${grpc_port[${service}]}" \
    "$("${bin}/mck8sctl" health "127.0.0.1:${grpc_port[${service}]}" || true)"
done

say "Applying the talk's manifests and the examples with kubectl"
for file in mcd-hello.yaml mchpa-hello.yaml mcs-hello.yaml mcj-pi.yaml mcd-worst-fit.yaml \
            mcd-best-fit.yaml mcd-affinity.yaml mcd-affinity-overflow.yaml \
            cloudprovisioner-cp1.yaml; do
  kubectl_ apply -f "${root_dir}/examples/${file}"
done
kubectl_ get mcd

say "An invalid MultiClusterDeployment is refused with the field named"
sed 's/numberOfLocations: 2/numberOfLocations: 0/; s/name: hello/name: hello-invalid/' \
  "${root_dir}/examples/mcd-hello.yaml" >"${work}/invalid.yaml"
kubectl_ apply -f "${work}/invalid.yaml" 2>&1 || true

say "Member clusters bind what fits: 30 pods of 1 CPU in nantes (5 workers x 2 CPU)"
cat >"${work}/burst.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: cpu-hog, namespace: default}
spec:
  replicas: 30
  selector: {matchLabels: {app: cpu-hog}}
  template:
    metadata: {labels: {app: cpu-hog}}
    spec:
      containers:
      - name: hog
        image: registry.example/hog:1
        resources: {requests: {cpu: "1", memory: 256Mi}}
YAML
kubectl_ --context nantes apply -f "${work}/burst.yaml"
kubectl_ --context nantes wait deployment/cpu-hog --for=jsonpath='{.status.replicas}'=30 --timeout=60s >/dev/null
kubectl_ --context nantes get pods --no-headers -o custom-columns=PHASE:.status.phase |
  sort | uniq -c | awk '{printf "  %s pods %s\n", $1, $2}'

say "Done"
echo "The scheduler's placement of these MultiClusterDeployments across the fleet"
echo "(policies, offload by RTT, burst to nancy) is the next part to land."
