#!/usr/bin/env bash
# Configures and builds mck8s into build/ (Ninja, ccache). Extra arguments
# are passed to the build tool, e.g. a target name.
set -euo pipefail
root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${MCK8S_BUILD_DIR:-${root_dir}/build}"
jobs="${MCK8S_JOBS:-$(nproc)}"
# Paths relative to the checkout in ccache's keys, so a fresh clone (CI)
# reuses what an earlier checkout on this machine compiled.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-${root_dir}}"
export CCACHE_NOHASHDIR="${CCACHE_NOHASHDIR:-1}"
if [[ ! -f "${build_dir}/build.ninja" ]]; then
  cmake -S "${root_dir}" -B "${build_dir}" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
cmake --build "${build_dir}" -j "${jobs}" -- "$@"
