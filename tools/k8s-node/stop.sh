#!/usr/bin/env bash
# Stops the cluster that start.sh started from this folder and removes everything it made:
# processes (by the PIDs in ./env, and containerd shims by their socket), pod containers and
# their network namespaces, mounts under this folder, the kubelet's cgroups, the two network
# namespaces (with every iptables rule and interface in them), the files the kubelet and CNI
# write outside this folder, and finally this folder (KEEP_NODE_DIR=1 keeps it, for the logs).
# Safe to run twice, and on a start that failed half-way.
D=$(cd "$(dirname "$0")" && pwd)
# shellcheck disable=SC1091
. "$D/env" 2>/dev/null
alive() { [[ -n ${1:-} ]] && kill -0 "$1" 2>/dev/null; }
stop_pids() { # TERM, wait up to 5 s, KILL
  local p
  for p in "$@"; do alive "$p" && kill "$p" 2>/dev/null; done
  for p in "$@"; do
    for _ in $(seq 1 50); do alive "$p" || break; sleep 0.1; done
    alive "$p" && kill -9 "$p" 2>/dev/null
  done
}

stop_pids "${API_SOCAT_HOST_PID:-}" "${API_SOCAT_NS_PID:-}" "${PROXY_PID:-}" "${KUBELET_PID:-}"
CT=(ctr --address "${CONTAINERD_ADDRESS:-$D/containerd/containerd.sock}" -n k8s.io)
netnses=() ids=""
if alive "${CONTAINERD_PID:-}"; then
  ids=$("${CT[@]}" containers ls -q 2>/dev/null)
  for c in $ids; do
    netnses+=($("${CT[@]}" containers info "$c" 2>/dev/null | grep -o '"/var/run/netns/cni-[^"]*"\|"/run/netns/cni-[^"]*"' | tr -d '"'))
    "${CT[@]}" tasks kill -s SIGKILL "$c" >/dev/null 2>&1
  done
  sleep 0.5
  for c in $ids; do
    "${CT[@]}" tasks rm -f "$c" >/dev/null 2>&1; "${CT[@]}" containers rm "$c" >/dev/null 2>&1
  done
fi
stop_pids "${CONTAINERD_PID:-}" "${KCM_PID:-}" "${SCHED_PID:-}"
stop_pids "${APISERVER_PID:-}"
stop_pids "${ETCD_PID:-}"
# containerd shims outlive containerd; ours carry "-address <our socket>"
if [[ -n ${CONTAINERD_ADDRESS:-} ]]; then
  for f in /proc/[0-9]*/cmdline; do
    if tr '\0' ' ' <"$f" 2>/dev/null | grep -q -- "-address $CONTAINERD_ADDRESS "; then
      p=${f#/proc/}; kill -9 "${p%/cmdline}" 2>/dev/null
    fi
  done
fi
# pod sandboxes' network namespaces (containerd names them cni-<uuid>)
for n in $(printf '%s\n' "${netnses[@]}" | sort -u); do
  [[ -e $n ]] && { umount "$n" 2>/dev/null; rm -f "$n"; }
done
# libcni's result cache and the kubelet's hard-coded paths (outside NODE_DIR)
for c in $ids; do rm -f /var/lib/cni/results/*-"$c"-*; done
rmdir /var/lib/cni/results /var/lib/cni 2>/dev/null
find /var/log/containers -maxdepth 1 -lname "$D/*" -delete 2>/dev/null
rm -f /var/lib/kubelet/device-plugins/kubelet.sock
rmdir /var/lib/kubelet/device-plugins /var/lib/kubelet /var/log/containers 2>/dev/null
findmnt -rn -o TARGET | grep "^$D/" | sort -r | while read -r m; do umount -l "$m"; done
for c in $(find /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/*/kubepods.slice /sys/fs/cgroup/kubepods -depth -type d 2>/dev/null); do
  rmdir "$c" 2>/dev/null
done
# whatever else still runs in the two namespaces (a local CLB or socat a killed test started)
for ns in ${NETNS:-} ${CLOUD_NETNS:-}; do
  for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
done
[[ -n ${NETNS:-} ]] && ip netns del "$NETNS" 2>/dev/null
[[ -n ${CLOUD_NETNS:-} ]] && ip netns del "$CLOUD_NETNS" 2>/dev/null
rmdir /run/containerd/s /run/containerd 2>/dev/null   # containerd 1.6's shim-socket folder, if empty
[[ ${KEEP_NODE_DIR:-0} == 1 ]] || rm -rf "$D"
exit 0
