#!/usr/bin/env bash
# Controller benchmarks.
#
# Without arguments (issue 7): 1,000 LoadBalancer Services over 100 nodes, reconciled by the
# controller in process against a real kube-apiserver and the local CLB over signed HTTP, with
# the client limited to SLB_BENCH_RATE calls/s per action. Prints time to converge, cloud calls
# by action, the calls of one node joining and of a controller restart, and peak RSS.
# Sizes: SLB_BENCH_SERVICES, SLB_BENCH_NODES, SLB_BENCH_RATE.
#
# --side-by-side (issue 15): the slb-ccm binary and, when GO_CCM_BIN names a built reference
# CCM (see README "Benchmarks"), the reference, each as its own process with a fresh
# kube-apiserver and local CLB, without and with the local CLB's flow control (its
# `documented` preset per action and account: writes 90 per 60 s, reads 3,000 per 60 s).
# 200 Services x 20 nodes; --large: 1,000 x 100; other sizes
# with SLB_BENCH_SERVICES and SLB_BENCH_NODES (5,000 x 200 fits: the bench's API server hands
# out NodePorts from 20000-32767). The Services are created 32 at a time while the controller
# starts, and a watch sees their IPs. Prints one table: seconds to all IPs, calls by action,
# steady state, node join, restart, peak RSS, CPU.
# Also: SLB_BENCH_STEADY_SECS (30), SLB_BENCH_TIMEOUT_SECS (900), SLB_BENCH_PROFILES
# (none,realistic), GO_CCM_KUBE_QPS (1000).
set -euo pipefail
cd "$(dirname "$0")/.."
SLB_TESTKIT_BIN_DIR="$(./tools/k8s-testbin/build.sh)"
export SLB_TESTKIT_BIN_DIR

side_by_side=0
for arg in "$@"; do
    case "$arg" in
    --side-by-side) side_by_side=1 ;;
    --large)
        export SLB_BENCH_SERVICES="${SLB_BENCH_SERVICES:-1000}"
        export SLB_BENCH_NODES="${SLB_BENCH_NODES:-100}"
        ;;
    *)
        echo "usage: $0 [--side-by-side [--large]]" >&2
        exit 2
        ;;
    esac
done

if [ "$side_by_side" = 0 ]; then
    exec cargo bench -p slb-controller --bench controller
fi

target="${CARGO_TARGET_DIR:-target}"
cargo build --release -p slb-ccm
export SLB_CCM_BIN="${SLB_CCM_BIN:-$(realpath "$target/release/slb-ccm")}"
if [ -n "${GO_CCM_BIN:-}" ] && [ ! -x "$GO_CCM_BIN" ]; then
    echo "GO_CCM_BIN=$GO_CCM_BIN is not an executable" >&2
    exit 2
fi
exec cargo bench -p slb-controller --bench side_by_side
