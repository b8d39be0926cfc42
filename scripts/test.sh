#!/usr/bin/env bash
# Sets up the machine, builds everything and runs every test suite under
# ctest. `scripts/test.sh -L unit` runs only the quick unit loop; any
# argument is passed to ctest.
set -euo pipefail
root_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${MCK8S_BUILD_DIR:-${root_dir}/build}"
"${root_dir}/scripts/setup.sh"
"${root_dir}/scripts/build.sh"
export PATH="${root_dir}/.tools/bin:${PATH}"
cd "${build_dir}"
ctest --output-on-failure --timeout 600 -j "${MCK8S_TEST_JOBS:-2}" "$@"
