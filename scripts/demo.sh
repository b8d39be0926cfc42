#!/usr/bin/env bash
# The demo: sets up the machine, builds mck8s, starts the FogGuru fleet in
# the simulator (a management cluster and six members), starts the five
# services against it, applies the talk's manifests with the real kubectl,
# and prints where every replica went, including an overflow offloaded to
# the nearest clusters by round-trip time. Everything it starts, it stops.
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
# Starts service $1 with extra flags; records its gRPC and probe ports.
declare -A grpc_port probe_port
start_service() {
  local service="$1"
  shift
  "${bin}/mck8s-${service}" --kubeconfig "${KUBECONFIG}" \
    --metrics-bind-address 127.0.0.1:0 --health-probe-bind-address 127.0.0.1:0 \
    --grpc-bind-address 127.0.0.1:0 "$@" 2>"${work}/${service}.log" &
  pids+=($!)
  local line
  line="$(wait_for_line "${work}/${service}.log" '"msg":"started"')"
  grpc_port[${service}]="$(sed -E 's/.*"grpc_port":([0-9]+).*/\1/' <<<"${line}")"
  probe_port[${service}]="$(sed -E 's/.*"health_probe_port":([0-9]+).*/\1/' <<<"${line}")"
}
# Waits (bounded) until service $1 reports ready.
wait_ready() {
  local deadline=$((SECONDS + 60))
  until curl -sf "http://127.0.0.1:${probe_port[$1]}/readyz" >/dev/null; do
    if ((SECONDS >= deadline)); then
      echo "$1 did not become ready:" >&2
      curl -s "http://127.0.0.1:${probe_port[$1]}/readyz?verbose" >&2 || true
      tail -5 "${work}/$1.log" >&2
      return 1
    fi
    sleep 0.2
  done
}
start_service metrics-gateway --collection-interval 1s
wait_ready metrics-gateway
feed="127.0.0.1:${grpc_port[metrics-gateway]}"
start_service scheduler --cluster-state-address "${feed}"
wait_ready scheduler
scheduler="127.0.0.1:${grpc_port[scheduler]}"
for service in mchpa descheduler provisioner; do
  start_service "${service}" --cluster-state-address "${feed}" --scheduler-address "${scheduler}"
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
for name in $(kubectl_ get mcd -o name); do
  kubectl_ wait "${name}" --for=condition=Propagated --timeout=60s >/dev/null
done
kubectl_ wait mcj/pi --for=condition=Complete --timeout=120s >/dev/null

say "Where every replica went (mck8sctl get mcd)"
"${bin}/mck8sctl" get mcd --kubeconfig "${KUBECONFIG}"

say "Overflow: 24 one-CPU replicas asked of nantes, offloaded by round-trip time"
echo "nantes takes what its nodes hold; the rest goes to rennes (2.16 ms from nantes),"
echo "then grenoble (16.38 ms), lille (22.21 ms), ... fog first, the cloud (nancy) last."
kubectl_ get mcd crunch -o jsonpath='{range .status.placement[*]}{.cluster}{"\t"}{.replicas}{"\t"}{.reason}{"\n"}{end}' |
  awk -F'\t' '{printf "  %-11s %3s replicas  (%s)\n", $1, $2, $3}'

say "Why: the worst-fit example placed again, as a dry run on today's fleet (mck8sctl explain)"
"${bin}/mck8sctl" explain -f "${root_dir}/examples/mcd-worst-fit.yaml" \
  --scheduler-address "${scheduler}"

say "The Deployments the scheduler wrote into the member clusters"
for cluster in rennes nantes lille grenoble luxembourg nancy; do
  printf '%-11s ' "${cluster}"
  kubectl_ --context "${cluster}" get deployments -A --no-headers \
    -o custom-columns=NAME:.metadata.name,READY:.status.readyReplicas,WANT:.spec.replicas |
    awk '{printf "%s %s/%s  ", $1, ($2 == "<none>" ? 0 : $2), $3} END {if (NR == 0) printf "-"; printf "\n"}'
done

say "The MultiClusterJob ran in its clusters and completed"
kubectl_ get mcj pi -o jsonpath='{.status.conditions[?(@.type=="Complete")].message}{"\n"}'

say "An invalid MultiClusterDeployment is refused with the field named"
sed 's/numberOfLocations: 2/numberOfLocations: 0/; s/name: hello/name: hello-invalid/' \
  "${root_dir}/examples/mcd-hello.yaml" >"${work}/invalid.yaml"
kubectl_ apply -f "${work}/invalid.yaml" 2>&1 || true

say "Done"
