#!/usr/bin/env bash
# Starts a real one-node Kubernetes cluster in a private network namespace, with a second
# namespace standing for the cloud next to it (where the tests run `slb-ccm local serve`).
# The verified recipe, with its three non-obvious fixes, is ../../../shared/spec/real-node.md.
#
#   node netns  $NETNS   etcd, kube-apiserver, kube-controller-manager, kube-scheduler,
#                        containerd (runc, CNI bridge cni0 = POD_CIDR), kubelet, kube-proxy
#                        (iptables); node0 = NODE_IP/24; routes: VIP_CIDR via CLOUD_IP, default
#                        dev node0 (so ClusterIPs route; what is not DNATed dies in the cloud)
#   cloud netns  $CLOUD_NETNS   cloud0 = CLOUD_IP/24; VIP_CIDR is local (`ip route add local`),
#                        so the local CLB can bind any VIP of its pool; POD_CIDR via NODE_IP
#
# Nothing leaves the two namespaces: they are connected only to each other. The API server is
# also served on the host's 127.0.0.1:$HOST_API_PORT (socat through a unix socket, which crosses
# network namespaces) with $NODE_DIR/host.kubeconfig.
#
# usage: NODE_DIR=<empty dir> HOST_API_PORT=<port> start.sh     (root)
# env: K8S_BIN_DIR (etcd, kube-apiserver), NODE_BIN_DIR (kubelet, kube-proxy,
#   kube-controller-manager, kube-scheduler, kubectl), IMAGES_DIR (*.tar OCI archives, the
#   pause image among them), PAUSE_IMAGE, CNI_BIN_DIR, NODE_NAME, NODE_IP, CLOUD_IP, POD_CIDR,
#   SERVICE_CIDR, VIP_CIDR, CLOUD_PROVIDER ("" or "external").
# $NODE_DIR/stop.sh is written first, and $NODE_DIR/env grows as processes start, so stop.sh
# undoes a start that failed half-way just as well as a full one.
set -euo pipefail

: "${NODE_DIR:?NODE_DIR must name an empty folder}" "${HOST_API_PORT:?HOST_API_PORT must be set}"
: "${K8S_BIN_DIR:?}" "${NODE_BIN_DIR:?}" "${IMAGES_DIR:?}"
PAUSE_IMAGE=${PAUSE_IMAGE:-localhost/pause:local}
CNI_BIN_DIR=${CNI_BIN_DIR:-/usr/lib/cni}
NODE_NAME=${NODE_NAME:-node-1}
NODE_IP=${NODE_IP:-10.250.0.1}
CLOUD_IP=${CLOUD_IP:-10.250.0.2}
POD_CIDR=${POD_CIDR:-10.244.0.0/24}
SERVICE_CIDR=${SERVICE_CIDR:-10.96.0.0/16}
VIP_CIDR=${VIP_CIDR:-10.251.0.0/24}
CLOUD_PROVIDER=${CLOUD_PROVIDER:-}
HERE=$(cd "$(dirname "$0")" && pwd)
D=$(cd "$NODE_DIR" && pwd)
P="$D/pki" C="$D/containerd"
T0=$(date +%s.%N)
ts() { awk -v a="$(date +%s.%N)" -v b="$T0" -v m="$*" 'BEGIN{printf "start.sh [%5.1fs] %s\n", a-b, m}' >&2; }
die() { echo "start.sh: $*" >&2; exit 1; }

[[ $(id -u) == 0 ]] || die "must run as root (network namespaces, cgroups, mounts)"
for b in "$K8S_BIN_DIR/etcd" "$K8S_BIN_DIR/kube-apiserver" "$NODE_BIN_DIR/kubelet" \
         "$NODE_BIN_DIR/kube-controller-manager" "$NODE_BIN_DIR/kube-scheduler" "$NODE_BIN_DIR/kube-proxy" \
         "$NODE_BIN_DIR/kubectl" "$CNI_BIN_DIR/bridge" "$CNI_BIN_DIR/host-local" "$CNI_BIN_DIR/loopback" \
         "$CNI_BIN_DIR/portmap"; do
  [[ -x $b ]] || die "missing $b (tools/k8s-node/build.sh builds the Kubernetes binaries; apt package containernetworking-plugins has the CNI plugins)"
done
for t in containerd ctr runc socat iptables conntrack nsenter ip openssl; do
  command -v "$t" >/dev/null || die "missing $t (apt packages: containerd runc iptables conntrack socat iproute2 openssl)"
done
for c in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
  [[ ! -d $c ]] || die "$c exists: another kubelet runs on this machine (or one was not cleaned up; its folder's stop.sh removes it)"
done

id=$(basename "$D" | tr -dc 'a-zA-Z0-9' | tail -c 8)
NETNS="k8snode-$id" CLOUD_NETNS="k8scloud-$id"
mkdir -p "$P" "$D/etcd" "$D/cni/net.d" "$D/cni/ipam" "$C" "$D/kubelet" "$D/pod-logs"
cp "$HERE/stop.sh" "$D/stop.sh"
cat >"$D/env" <<ENV
NODE_DIR=$D
NETNS=$NETNS
CLOUD_NETNS=$CLOUD_NETNS
NODE_NAME=$NODE_NAME
NODE_IP=$NODE_IP
CLOUD_IP=$CLOUD_IP
POD_CIDR=$POD_CIDR
SERVICE_CIDR=$SERVICE_CIDR
VIP_CIDR=$VIP_CIDR
KUBECTL=$NODE_BIN_DIR/kubectl
CONTAINERD_ADDRESS=$C/containerd.sock
ENV
record() { echo "$1=$2" >>"$D/env"; }   # NAME value: for stop.sh and the test harness
trap 'echo "start.sh: failed at line $LINENO; $D/stop.sh undoes what was started" >&2' ERR

# --- network namespaces -----------------------------------------------------------------------
ip netns add "$NETNS"; record NETNS_CREATED 1
ip netns add "$CLOUD_NETNS"
# nsenter, not `ip netns exec`: the latter also unshares the mount namespace and remounts /sys,
# which hides /sys/fs/cgroup/* from the kubelet ("failed to find cgroup mounts").
NS=(nsenter --net="/run/netns/$NETNS") CS=(nsenter --net="/run/netns/$CLOUD_NETNS")
"${NS[@]}" ip link set lo up
"${NS[@]}" ip link add node0 type veth peer name cloud0
"${NS[@]}" ip link set cloud0 netns "$CLOUD_NETNS"
"${NS[@]}" ip addr add "$NODE_IP/24" dev node0
"${NS[@]}" ip link set node0 up
"${NS[@]}" ip route add default dev node0
"${NS[@]}" ip route add "$VIP_CIDR" via "$CLOUD_IP"
"${NS[@]}" sysctl -qw net.ipv4.ip_forward=1
"${NS[@]}" sysctl -qw net.bridge.bridge-nf-call-iptables=1 2>/dev/null || true
"${CS[@]}" ip link set lo up
"${CS[@]}" ip addr add "$CLOUD_IP/24" dev cloud0
"${CS[@]}" ip link set cloud0 up
"${CS[@]}" ip route add local "$VIP_CIDR" dev lo
"${CS[@]}" ip route add "$POD_CIDR" via "$NODE_IP"
ts "network namespaces $NETNS (node) and $CLOUD_NETNS (cloud)"

# --- PKI ------------------------------------------------------------------------------------------
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=slb-testkit-node-ca" \
  -keyout "$P/ca.key" -out "$P/ca.crt" 2>/dev/null
sign() { # name subject ext-lines...
  local n=$1 subj=$2; shift 2
  printf '%s\n' "$@" >"$P/$n.ext"
  openssl req -newkey rsa:2048 -nodes -subj "$subj" -keyout "$P/$n.key" -out "$P/$n.csr" 2>/dev/null
  openssl x509 -req -in "$P/$n.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" -CAcreateserial \
    -days 2 -extfile "$P/$n.ext" -out "$P/$n.crt" 2>/dev/null
}
SERVICE_IP=$(python3 -c 'import ipaddress,sys; print(ipaddress.ip_network(sys.argv[1])[1])' "$SERVICE_CIDR")
sign apiserver "/CN=kube-apiserver" \
  "subjectAltName=IP:127.0.0.1,IP:$NODE_IP,IP:$SERVICE_IP,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc" \
  "extendedKeyUsage=serverAuth"
sign admin "/O=system:masters/CN=slb-testkit-admin" "extendedKeyUsage=clientAuth"
sign kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" "extendedKeyUsage=clientAuth"
sign proxy "/CN=system:kube-proxy" "extendedKeyUsage=clientAuth"
sign apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" "extendedKeyUsage=clientAuth"
openssl genrsa -out "$P/sa.key" 2048 2>/dev/null
openssl rsa -in "$P/sa.key" -pubout -out "$P/sa.pub" 2>/dev/null
ts "pki"

# --- etcd + kube-apiserver ------------------------------------------------------------------------
"${NS[@]}" "$K8S_BIN_DIR/etcd" --name=node --data-dir="$D/etcd" \
  --listen-client-urls=http://127.0.0.1:2379 --advertise-client-urls=http://127.0.0.1:2379 \
  --listen-peer-urls=http://127.0.0.1:2380 --initial-advertise-peer-urls=http://127.0.0.1:2380 \
  --initial-cluster=node=http://127.0.0.1:2380 --unsafe-no-fsync=true --log-level=warn \
  >"$D/etcd.log" 2>&1 &
record ETCD_PID $!
# ServiceAccount admission is on (unlike the apiserver-only testkit): pods such as slb-ccm's
# get their projected token and talk to the API server as in any cluster.
"${NS[@]}" "$K8S_BIN_DIR/kube-apiserver" --etcd-servers=http://127.0.0.1:2379 \
  --bind-address=0.0.0.0 --advertise-address="$NODE_IP" --secure-port=6443 \
  --tls-cert-file="$P/apiserver.crt" --tls-private-key-file="$P/apiserver.key" --client-ca-file="$P/ca.crt" \
  --kubelet-client-certificate="$P/apiserver-kubelet-client.crt" --kubelet-client-key="$P/apiserver-kubelet-client.key" \
  --service-account-key-file="$P/sa.pub" --service-account-signing-key-file="$P/sa.key" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-cluster-ip-range="$SERVICE_CIDR" --authorization-mode=Node,RBAC --kubelet-preferred-address-types=InternalIP \
  --enable-admission-plugins=NodeRestriction --allow-privileged=true --profiling=false \
  >"$D/kube-apiserver.log" 2>&1 &
record APISERVER_PID $!
kubeconfig() { # file user cert server
  cat >"$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: node
  cluster: {server: "$4", certificate-authority: "$P/ca.crt"}
users:
- name: $2
  user: {client-certificate: "$P/$3.crt", client-key: "$P/$3.key"}
contexts:
- name: node
  context: {cluster: node, user: $2}
current-context: node
KC
}
kubeconfig "$D/admin.kubeconfig" admin admin https://127.0.0.1:6443
kubeconfig "$D/host.kubeconfig" admin admin "https://127.0.0.1:$HOST_API_PORT"
kubeconfig "$D/kubelet.kubeconfig" "system:node:$NODE_NAME" kubelet https://127.0.0.1:6443
kubeconfig "$D/proxy.kubeconfig" system:kube-proxy proxy https://127.0.0.1:6443
K=("${NS[@]}" "$NODE_BIN_DIR/kubectl" --kubeconfig "$D/admin.kubeconfig")
for _ in $(seq 1 600); do
  "${K[@]}" get --raw /readyz >/dev/null 2>&1 && break
  kill -0 "$(sed -n 's/^APISERVER_PID=//p' "$D/env")" 2>/dev/null || { tail -30 "$D/kube-apiserver.log" >&2; die "kube-apiserver exited"; }
  sleep 0.2
done
"${K[@]}" get --raw /readyz >/dev/null || die "kube-apiserver not ready after 120 s (log: $D/kube-apiserver.log)"
ts "kube-apiserver ready"

# The API on the host's loopback: a unix socket crosses network namespaces.
"${NS[@]}" socat UNIX-LISTEN:"$D/api.sock",fork,unlink-early TCP:127.0.0.1:6443 >/dev/null 2>&1 &
record API_SOCAT_NS_PID $!
socat TCP-LISTEN:"$HOST_API_PORT",bind=127.0.0.1,fork,reuseaddr UNIX-CONNECT:"$D/api.sock" >/dev/null 2>&1 &
record API_SOCAT_HOST_PID $!

# --- kube-controller-manager, kube-scheduler -----------------------------------------------------
"${NS[@]}" "$NODE_BIN_DIR/kube-controller-manager" --kubeconfig="$D/admin.kubeconfig" \
  --authentication-kubeconfig="$D/admin.kubeconfig" --authorization-kubeconfig="$D/admin.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port=10257 --leader-elect=false \
  --service-account-private-key-file="$P/sa.key" --root-ca-file="$P/ca.crt" \
  --flex-volume-plugin-dir="$D/kcm-flex" --use-service-account-credentials=false \
  --service-cluster-ip-range="$SERVICE_CIDR" ${CLOUD_PROVIDER:+--cloud-provider="$CLOUD_PROVIDER"} \
  >"$D/kube-controller-manager.log" 2>&1 &
record KCM_PID $!
cat >"$D/kube-scheduler.yaml" <<Y
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
clientConnection: {kubeconfig: "$D/admin.kubeconfig"}
leaderElection: {leaderElect: false}
Y
"${NS[@]}" "$NODE_BIN_DIR/kube-scheduler" --config="$D/kube-scheduler.yaml" \
  --authentication-kubeconfig="$D/admin.kubeconfig" --authorization-kubeconfig="$D/admin.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port=10259 >"$D/kube-scheduler.log" 2>&1 &
record SCHED_PID $!

# --- containerd -------------------------------------------------------------------------------------
cat >"$D/cni/net.d/10-bridge.conflist" <<J
{ "cniVersion": "1.0.0", "name": "slb-testkit",
  "plugins": [
    {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
     "ipam": {"type": "host-local", "dataDir": "$D/cni/ipam",
              "ranges": [[{"subnet": "$POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}]}},
    {"type": "portmap", "capabilities": {"portMappings": true}} ] }
J
cat >"$C/config.toml" <<T
version = 2
root = "$C/root"
state = "$C/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
                    "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper"]
[grpc]
  address = "$C/containerd.sock"
[ttrpc]
  address = "$C/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$C/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # root here lacks CAP_SYS_RESOURCE, so runc cannot lower oom_score_adj (pause asks -998):
  # "can't get final child's PID from pipe". Clamp to containerd's own value.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$(command -v runc)"
        Root = "$C/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$CNI_BIN_DIR"
    conf_dir = "$D/cni/net.d"
T
"${NS[@]}" containerd --config "$C/config.toml" >"$D/containerd.log" 2>&1 &
record CONTAINERD_PID $!
CT=(ctr --address "$C/containerd.sock" -n k8s.io)
for _ in $(seq 1 100); do "${CT[@]}" version >/dev/null 2>&1 && break; sleep 0.1; done
"${CT[@]}" version >/dev/null || die "containerd did not start (log: $D/containerd.log)"
for img in "$IMAGES_DIR"/*.tar; do
  "${CT[@]}" images import "$img" >/dev/null || die "importing $img failed"
done
ts "containerd ready, images: $("${CT[@]}" images ls -q | tr '\n' ' ')"

# --- kubelet, kube-proxy ----------------------------------------------------------------------------
cat >"$D/kubelet.yaml" <<Y
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
containerRuntimeEndpoint: unix://$C/containerd.sock
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "$P/ca.crt"}
authorization: {mode: Webhook}
address: $NODE_IP
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
clusterDomain: cluster.local
failSwapOn: false
podLogsDir: "$D/pod-logs"
serializeImagePulls: false
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
Y
"${NS[@]}" "$NODE_BIN_DIR/kubelet" --config="$D/kubelet.yaml" --kubeconfig="$D/kubelet.kubeconfig" \
  --root-dir="$D/kubelet" --cert-dir="$D/kubelet/pki" --volume-plugin-dir="$D/kubelet/volume-plugins" \
  --node-ip="$NODE_IP" --hostname-override="$NODE_NAME" ${CLOUD_PROVIDER:+--cloud-provider="$CLOUD_PROVIDER"} --v=2 \
  >"$D/kubelet.log" 2>&1 &
record KUBELET_PID $!
cat >"$D/kube-proxy.yaml" <<Y
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clientConnection: {kubeconfig: "$D/proxy.kubeconfig"}
hostnameOverride: $NODE_NAME
clusterCIDR: "$POD_CIDR"
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
conntrack: {maxPerCore: 0}
Y
"${NS[@]}" "$NODE_BIN_DIR/kube-proxy" --config="$D/kube-proxy.yaml" --v=2 >"$D/kube-proxy.log" 2>&1 &
record PROXY_PID $!

for _ in $(seq 1 240); do
  st=$("${K[@]}" get node "$NODE_NAME" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null || true)
  [[ $st == True ]] && break
  kill -0 "$(sed -n 's/^KUBELET_PID=//p' "$D/env")" 2>/dev/null || { tail -40 "$D/kubelet.log" >&2; die "kubelet exited"; }
  sleep 0.5
done
[[ $st == True ]] || { tail -40 "$D/kubelet.log" >&2; die "node $NODE_NAME not Ready after 120 s"; }
ts "node $NODE_NAME Ready"
record STATUS ready
