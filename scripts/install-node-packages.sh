#!/usr/bin/env bash
# Installs the Debian packages a real one-node test cluster needs, when any is missing:
# containerd + runc (the container runtime), containernetworking-plugins (bridge, host-local,
# loopback, portmap), iptables + conntrack (kube-proxy), socat (the API server and the local
# CLB reached from the host through unix sockets), iproute2 (network namespaces), openssl.
set -euo pipefail
missing=()
for pair in containerd:containerd ctr:containerd runc:runc iptables:iptables conntrack:conntrack \
            socat:socat ip:iproute2 openssl:openssl nsenter:util-linux; do
  command -v "${pair%%:*}" >/dev/null || missing+=("${pair#*:}")
done
[[ -x /usr/lib/cni/bridge ]] || missing+=(containernetworking-plugins)
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "install-node-packages.sh: installing ${missing[*]}" >&2
  if [[ $(id -u) != 0 ]]; then
    echo "install-node-packages.sh: not root; install them with: apt-get install ${missing[*]}" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi
