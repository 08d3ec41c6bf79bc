#!/usr/bin/env bash
# The controller benchmark (issue 7): 1,000 LoadBalancer Services over 100 nodes, reconciled by
# the real controller against a real kube-apiserver and the local CLB over signed HTTP, with the
# client limited to 20 calls/s per action like Alibaba's throttling. Prints time to converge,
# cloud calls by action, the calls of one node joining, the calls of a controller restart, and
# peak RSS.
# Sizes: SLB_BENCH_SERVICES, SLB_BENCH_NODES, SLB_BENCH_RATE.
set -euo pipefail
cd "$(dirname "$0")/.."
SLB_TESTKIT_BIN_DIR="$(./tools/k8s-testbin/build.sh)"
export SLB_TESTKIT_BIN_DIR
cargo bench -p slb-controller --bench controller
