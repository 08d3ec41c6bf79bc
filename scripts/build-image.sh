#!/usr/bin/env bash
# Builds slb-ccm's container image as an OCI archive, without Docker or any daemon.
#
#   scripts/build-image.sh                       # cargo build --release, then the image
#   scripts/build-image.sh --binary PATH         # package an already built slb-ccm (the tests do)
#   scripts/build-image.sh --name REF --out FILE # defaults: localhost/slb-ccm:<version>, $TARGET/image/slb-ccm.oci.tar
#
# The image is what the Dockerfile builds: the stripped binary at /usr/local/bin/slb-ccm, the
# shared libraries it links (glibc, libgcc_s, the loader), /etc/passwd with nonroot, user
# 65532, entrypoint slb-ccm, no shell. Load it with `ctr -n k8s.io images import FILE`,
# `podman load -i FILE` or `skopeo copy oci-archive:FILE docker://REGISTRY/slb-ccm:TAG`.
# Prints the archive's path on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n1)
binary="" name="localhost/slb-ccm:$version" out="$target/image/slb-ccm.oci.tar"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --binary) binary="$2"; shift 2 ;;
    --name) name="$2"; shift 2 ;;
    --out) out="$2"; shift 2 ;;
    *) echo "build-image.sh: unknown argument $1 (see the header of this script)" >&2; exit 2 ;;
  esac
done
if [[ -z $binary ]]; then
  cargo build --release --locked -p slb-ccm >&2
  binary="$target/release/slb-ccm"
fi
[[ -x $binary ]] || { echo "build-image.sh: $binary is not an executable" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
stage=$(mktemp -d); trap 'rm -rf "$stage"' EXIT
cp "$binary" "$stage/slb-ccm"
strip "$stage/slb-ccm"
python3 tools/image/mkimage.py --name "$name" --out "$out" \
  --binary "$stage/slb-ccm:/usr/local/bin/slb-ccm" --entrypoint /usr/local/bin/slb-ccm --user 65532:65532 >&2
echo "$out"
