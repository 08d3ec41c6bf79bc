#!/usr/bin/env bash
# Runs every test of the workspace, with the real Kubernetes control plane available.
#
# 1. Builds kube-apiserver and etcd from their Go modules (cached under
#    $HOME/.cache/k8s-testbin/<version>; instant when cached). If that fails, this script fails:
#    tests that need the API server never silently skip.
# 2. Runs `cargo test --workspace --locked` with SLB_TESTKIT_BIN_DIR pointing at them.
# Extra arguments go to cargo test (e.g. `./scripts/test.sh -p slb-model`).
set -euo pipefail
cd "$(dirname "$0")/.."

start=$(date +%s)
if ! bin_dir="$(./tools/k8s-testbin/build.sh)"; then
  echo "scripts/test.sh: building the test control plane failed (log above)." >&2
  echo "  Needs Go >= 1.26 and the Go module proxy; see tools/k8s-testbin/build.sh." >&2
  exit 1
fi
export SLB_TESTKIT_BIN_DIR="$bin_dir"
echo "scripts/test.sh: control plane from $bin_dir ($(( $(date +%s) - start )) s)" >&2

cargo test --workspace --locked "$@"
echo "scripts/test.sh: all tests passed in $(( $(date +%s) - start )) s" >&2
