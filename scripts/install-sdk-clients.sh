#!/usr/bin/env bash
# Installs Alibaba's official SDKs the SDK test clients use (crates/cli/tests/sdk_clients.rs),
# at pinned versions, into a cache outside the repository; prints the cache folder on stdout
# (logs go to stderr). A second run with everything in place only checks and prints.
#
#   <cache>/sdk-venv            a Python venv with tests/sdk/python/requirements.txt (the classic
#                               aliyunsdkcore SDK and the Tea SDK, every package pinned)
#   <cache>/sdk-go/sdk-client   tests/sdk/go built against github.com/aliyun/alibaba-cloud-sdk-go
#                               at the version its go.mod/go.sum pin (from the Go module proxy)
#
# <cache> is $SLB_SDK_CLIENTS_DIR, default $HOME/.cache/slb-ccm. Go's module and build caches
# are tools/k8s-testbin's ($HOME/.cache/k8s-testbin/gomod and gobuild). Each part keeps a copy
# of the inputs it was made from (sdk-venv/requirements.txt, sdk-go/src/) and is made again
# only when they differ from the repository's; the tests compare the same copies.
set -euo pipefail
cd "$(dirname "$0")/.."

CACHE="${SLB_SDK_CLIENTS_DIR:-$HOME/.cache/slb-ccm}"
VENV="$CACHE/sdk-venv"
GO_OUT="$CACHE/sdk-go/sdk-client"
REQUIREMENTS=tests/sdk/python/requirements.txt
log() { echo "install-sdk-clients.sh: $*" >&2; }

IMPORTS='import aliyunsdkcore, aliyunsdkslb, alibabacloud_slb20140515, alibabacloud_tea_openapi, cryptography'

install_python() {
  if cmp -s "$REQUIREMENTS" "$VENV/requirements.txt" && "$VENV/bin/python" -c "$IMPORTS" 2>/dev/null; then
    return 0
  fi
  local python="${PYTHON:-python3}"
  command -v "$python" >/dev/null || { log "$python is missing (apt-get install python3 python3-venv)"; exit 1; }
  log "creating $VENV from $REQUIREMENTS"
  rm -rf "$VENV"
  "$python" -m venv "$VENV" || { log "'$python -m venv' failed (apt-get install python3-venv)"; exit 1; }
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --no-deps -r "$REQUIREMENTS" >&2
  "$VENV/bin/python" -c "$IMPORTS" || { log "the venv cannot import the SDKs"; exit 1; }
  cp "$REQUIREMENTS" "$VENV/requirements.txt"
}

install_go() {
  local src="$CACHE/sdk-go/src"
  if [[ -x $GO_OUT ]] && diff -rq tests/sdk/go "$src" >/dev/null 2>&1; then
    return 0
  fi
  command -v go >/dev/null || [[ ! -x /usr/local/go/bin/go ]] || export PATH="/usr/local/go/bin:$PATH"
  command -v go >/dev/null || { log "go is missing (see .ci/run)"; exit 1; }
  log "building $GO_OUT (github.com/aliyun/alibaba-cloud-sdk-go as tests/sdk/go/go.mod pins it)"
  mkdir -p "$(dirname "$GO_OUT")"
  (
    cd tests/sdk/go
    export GOFLAGS="-mod=readonly -buildvcs=false" GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
    export GOMODCACHE="${GOMODCACHE:-$HOME/.cache/k8s-testbin/gomod}"
    export GOCACHE="${GOCACHE:-$HOME/.cache/k8s-testbin/gobuild}"
    go build -o "$GO_OUT.tmp" . >&2
  )
  mv "$GO_OUT.tmp" "$GO_OUT"
  rm -rf "$src"
  cp -r tests/sdk/go "$src"
}

mkdir -p "$CACHE"
install_python
install_go
echo "$CACHE"
