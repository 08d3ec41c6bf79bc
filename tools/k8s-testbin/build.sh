#!/usr/bin/env bash
# Builds kube-apiserver and etcd for the controller tests from their published Go modules and
# caches them under $HOME/.cache/k8s-testbin/<version>. Prints that folder on stdout (logs go
# to stderr). A second run with the binaries in place only prints the folder.
#
# How: a throw-away wrapper module requires k8s.io/kubernetes at K8S_VERSION; every k8s.io/*
# staging module that Kubernetes' go.mod lists at v0.0.0 is replaced by its published
# v0.<minor>.<patch>; etcd is built from go.etcd.io/etcd/server/v3 at the version Kubernetes
# pins, through a three-line main that calls etcdmain.Main. Nothing here is committed.
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-1.37.2}"
CACHE_ROOT="${K8S_TESTBIN_CACHE:-$HOME/.cache/k8s-testbin}"
OUT="$CACHE_ROOT/$K8S_VERSION"

if [[ -x "$OUT/kube-apiserver" && -x "$OUT/etcd" ]]; then
  echo "$OUT"
  exit 0
fi

command -v go >/dev/null || { echo "build.sh: go is not installed (need Go >= 1.26 for Kubernetes $K8S_VERSION)" >&2; exit 1; }

minor_patch="${K8S_VERSION#1.}"          # 37.2
staging_version="v0.${minor_patch}"      # v0.37.2
work="$(mktemp -d "${TMPDIR:-/tmp}/k8s-testbin.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export GOFLAGS="-mod=mod -buildvcs=false"
export GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
export GOMODCACHE="${GOMODCACHE:-$HOME/.cache/k8s-testbin/gomod}"
export GOCACHE="${GOCACHE:-$HOME/.cache/k8s-testbin/gobuild}"

echo "build.sh: fetching k8s.io/kubernetes v$K8S_VERSION's go.mod" >&2
kube_mod="$(cd "$work" && go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
[[ -f "$kube_mod" ]] || { echo "build.sh: could not download k8s.io/kubernetes@v$K8S_VERSION" >&2; exit 1; }

go_directive="$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$kube_mod" | head -n1)"
etcd_version="$(sed -n 's/^[[:space:]]*go\.etcd\.io\/etcd\/server\/v3 \(v[^ ]*\).*/\1/p' "$kube_mod" | head -n1)"
[[ -n "$etcd_version" ]] || { echo "build.sh: k8s.io/kubernetes v$K8S_VERSION does not pin go.etcd.io/etcd/server/v3" >&2; exit 1; }

mkdir -p "$work/apiserver" "$work/etcd"

# --- kube-apiserver -------------------------------------------------------------------------
{
  echo "module slbccm.local/k8s-testbin/apiserver"
  echo
  echo "go $go_directive"
  echo
  echo "require k8s.io/kubernetes v$K8S_VERSION"
  echo
  echo "replace ("
  sed -n 's/^[[:space:]]*\(k8s\.io\/[a-z0-9-]*\) v0\.0\.0$/\t\1 => \1 '"$staging_version"'/p' "$kube_mod"
  echo ")"
} >"$work/apiserver/go.mod"
cat >"$work/apiserver/tools.go" <<'GO'
//go:build tools

package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
GO

echo "build.sh: resolving kube-apiserver's modules (staging at $staging_version)" >&2
(cd "$work/apiserver" && go mod tidy -e >&2)
mkdir -p "$OUT.partial"
echo "build.sh: building kube-apiserver v$K8S_VERSION (several minutes when cold)" >&2
(cd "$work/apiserver" && go build -trimpath -ldflags "-s -w \
  -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION \
  -X k8s.io/component-base/version.gitMajor=1 \
  -X k8s.io/component-base/version.gitMinor=${minor_patch%%.*}" \
  -o "$OUT.partial/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver >&2)

# --- etcd -----------------------------------------------------------------------------------
cat >"$work/etcd/go.mod" <<GOMOD
module slbccm.local/k8s-testbin/etcd

go $go_directive

require go.etcd.io/etcd/server/v3 $etcd_version
GOMOD
cat >"$work/etcd/main.go" <<'GO'
// etcd for slb-ccm's tests: the upstream server's own entry point.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
echo "build.sh: building etcd $etcd_version" >&2
(cd "$work/etcd" && go mod tidy >&2 && go build -trimpath -ldflags "-s -w" -o "$OUT.partial/etcd" . >&2)

rm -rf "$OUT"
mv "$OUT.partial" "$OUT"
echo "$K8S_VERSION" >"$OUT/VERSION"
echo "$OUT"
