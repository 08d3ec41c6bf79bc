#!/usr/bin/env bash
# Runs every test of the workspace, with the real Kubernetes components available.
#
# 1. Installs the Debian packages the real-cluster tests need when missing (containerd, runc,
#    CNI plugins, iptables, conntrack, socat, iproute2, openssl).
# 2. Builds kube-apiserver and etcd (tools/k8s-testbin/build.sh) and kubelet, kube-proxy,
#    kube-controller-manager, kube-scheduler and kubectl (tools/k8s-node/build.sh) from their Go
#    modules, cached under $HOME/.cache; instant when cached. If a build fails, this script
#    fails: tests that need them never silently skip.
# 3. Installs Alibaba's official SDKs (classic and Tea Python SDKs in a venv, the Go SDK's test
#    client built) at their pinned versions for crates/cli/tests/sdk_clients.rs
#    (scripts/install-sdk-clients.sh, cached under $HOME/.cache/slb-ccm; instant when cached).
# 4. Runs `cargo test --workspace --locked` with SLB_TESTKIT_BIN_DIR,
#    SLB_TESTKIT_NODE_BIN_DIR and SLB_SDK_CLIENTS_DIR pointing at them, then prints the
#    real-cluster test's figures.
# Extra arguments go to cargo test (e.g. `./scripts/test.sh -p slb-model`).
set -euo pipefail
cd "$(dirname "$0")/.."

start=$(date +%s)
./scripts/install-node-packages.sh
if ! bin_dir="$(./tools/k8s-testbin/build.sh)"; then
  echo "scripts/test.sh: building the test control plane failed (log above)." >&2
  echo "  Needs Go >= 1.26 and the Go module proxy; see tools/k8s-testbin/build.sh." >&2
  exit 1
fi
if ! node_bin_dir="$(./tools/k8s-node/build.sh)"; then
  echo "scripts/test.sh: building the node binaries failed (log above); see tools/k8s-node/build.sh." >&2
  exit 1
fi
if ! sdk_dir="$(./scripts/install-sdk-clients.sh)"; then
  echo "scripts/test.sh: installing the SDK test clients failed (log above); see scripts/install-sdk-clients.sh." >&2
  exit 1
fi
export SLB_TESTKIT_BIN_DIR="$bin_dir" SLB_TESTKIT_NODE_BIN_DIR="$node_bin_dir" SLB_SDK_CLIENTS_DIR="$sdk_dir"
echo "scripts/test.sh: Kubernetes binaries from $bin_dir and $node_bin_dir ($(( $(date +%s) - start )) s)" >&2

cargo test --workspace --locked "$@"
target="${CARGO_TARGET_DIR:-target}"
for report in "$target"/tmp/real-cluster-report-*.txt; do
  if [[ -f $report ]] && [[ $(stat -c %Y "$report") -ge $start ]]; then
    echo "scripts/test.sh: figures of a real-cluster test ($report):" >&2
    sed 's/^/  /' "$report" >&2
  fi
done
echo "scripts/test.sh: all tests passed in $(( $(date +%s) - start )) s" >&2
