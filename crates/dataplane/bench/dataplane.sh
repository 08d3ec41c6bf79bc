#!/usr/bin/env bash
# Loopback benchmark: direct vs HAProxy (TCP mode, default and splice-auto) vs slb-dataplane.
# Installs HAProxy from Debian if missing, builds the bench binary in release mode and runs
# it once (about a minute). The load generator is the Rust bench binary itself
# (benches/dataplane.rs), so no separate load tool is needed. Traffic stays on 127.0.0.0/8.
set -euo pipefail
cd "$(dirname "$0")/../../.."

if ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y haproxy || { apt-get update && apt-get install -y haproxy; }
  else
    sudo apt-get install -y haproxy || { sudo apt-get update && sudo apt-get install -y haproxy; }
  fi
fi
haproxy -v 2>/dev/null | head -1 || /usr/sbin/haproxy -v | head -1

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
cargo bench -p slb-dataplane --bench dataplane -- "$@"
