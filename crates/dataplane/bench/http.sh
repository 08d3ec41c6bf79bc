#!/usr/bin/env bash
# Loopback HTTP benchmark: slb-dataplane's http/https listeners vs HAProxy (HTTP mode) and
# nginx (reverse proxy). Installs HAProxy and nginx-light from Debian if missing, builds the
# bench binary in release mode and runs it once (about a minute). The load generator is the
# bench binary itself (benches/http.rs). Traffic stays on 127.0.0.0/8.
set -euo pipefail
cd "$(dirname "$0")/../../.."

install() {
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y "$@" || { apt-get update && apt-get install -y "$@"; }
  else
    sudo apt-get install -y "$@" || { sudo apt-get update && sudo apt-get install -y "$@"; }
  fi
}
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || install haproxy
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || install nginx-light || true
haproxy -v 2>/dev/null | head -1 || /usr/sbin/haproxy -v | head -1
/usr/sbin/nginx -v 2>&1 || true

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
cargo bench -p slb-dataplane --bench http -- "$@"
