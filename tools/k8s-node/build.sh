#!/usr/bin/env bash
# Builds the node-side Kubernetes binaries of the real test cluster (kubelet, kube-proxy,
# kube-controller-manager, kube-scheduler, kubectl) from their published Go modules and caches
# them under $HOME/.cache/k8s-node/<version>/bin. Prints that folder on stdout (logs go to
# stderr); a second run with the binaries in place only prints it.
#
# The recipe is tools/k8s-testbin/build.sh's (a throw-away wrapper module requiring
# k8s.io/kubernetes, every v0.0.0 staging module replaced by its published v0.<minor>.<patch>)
# and it shares that script's Go module and build caches. Nothing here is committed.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-1.37.2}"
OUT="${K8S_NODE_CACHE:-$HOME/.cache/k8s-node}/$K8S_VERSION/bin"
PKGS=(kubelet kube-proxy kube-controller-manager kube-scheduler kubectl)

missing=0
for p in "${PKGS[@]}"; do [[ -x "$OUT/$p" ]] || missing=1; done
if [[ $missing == 0 ]]; then echo "$OUT"; exit 0; fi

command -v go >/dev/null || { echo "k8s-node/build.sh: go is not installed (need Go >= 1.26 for Kubernetes $K8S_VERSION)" >&2; exit 1; }
minor_patch="${K8S_VERSION#1.}"
staging_version="v0.${minor_patch}"
work="$(mktemp -d "${TMPDIR:-/tmp}/k8s-node.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export GOFLAGS="-mod=mod -buildvcs=false"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export GOMODCACHE="${GOMODCACHE:-$HOME/.cache/k8s-testbin/gomod}"
export GOCACHE="${GOCACHE:-$HOME/.cache/k8s-testbin/gobuild}"

kube_mod="$(cd "$work" && go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
[[ -f "$kube_mod" ]] || { echo "k8s-node/build.sh: could not download k8s.io/kubernetes@v$K8S_VERSION" >&2; exit 1; }
go_directive="$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$kube_mod" | head -n1)"
{
  echo "module slbccm.local/k8s-node"; echo; echo "go $go_directive"; echo
  echo "require k8s.io/kubernetes v$K8S_VERSION"; echo; echo "replace ("
  sed -n 's/^[[:space:]]*\(k8s\.io\/[a-z0-9-]*\) v0\.0\.0$/\t\1 => \1 '"$staging_version"'/p' "$kube_mod"
  echo ")"
} >"$work/go.mod"
{
  echo '//go:build tools'; echo; echo 'package tools'; echo
  for p in "${PKGS[@]}"; do echo "import _ \"k8s.io/kubernetes/cmd/$p\""; done
} >"$work/tools.go"

echo "k8s-node/build.sh: resolving modules (staging at $staging_version)" >&2
(cd "$work" && go mod tidy -e >&2)
mkdir -p "$OUT.partial"
for p in "${PKGS[@]}"; do
  [[ -x "$OUT/$p" ]] && { cp "$OUT/$p" "$OUT.partial/$p"; continue; }
  start=$(date +%s)
  echo "k8s-node/build.sh: building $p v$K8S_VERSION" >&2
  (cd "$work" && go build -trimpath -ldflags "-s -w \
    -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION \
    -X k8s.io/component-base/version.gitMajor=1 \
    -X k8s.io/component-base/version.gitMinor=${minor_patch%%.*}" \
    -o "$OUT.partial/$p" "k8s.io/kubernetes/cmd/$p" >&2)
  echo "k8s-node/build.sh: built $p in $(( $(date +%s) - start )) s" >&2
done
rm -rf "$OUT"
mv "$OUT.partial" "$OUT"
echo "$OUT"
