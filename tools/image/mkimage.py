#!/usr/bin/env python3
"""Writes a one-layer OCI image archive (an OCI layout in a tar, as `ctr images import`,
`skopeo copy oci-archive:` and `podman load` read it) from local files, without a daemon.

    mkimage.py --name localhost/slb-ccm:dev --out slb-ccm.tar \
        --binary target/release/slb-ccm:/usr/local/bin/slb-ccm \
        --entrypoint /usr/local/bin/slb-ccm --user 65532:65532

A dynamically linked --binary brings the shared libraries `ldd` names (glibc, libgcc_s, the
loader) at their own paths, which is what a distroless "cc" base image holds. The image gets
an /etc/passwd and /etc/group with root and nonroot (65532), an empty /tmp, and nothing else:
no shell, no package manager. The archive is byte-for-byte reproducible (mtime 0, sorted
entries, gzip without a timestamp), so the same inputs give the same image digest.
"""
import argparse, gzip, hashlib, io, json, os, subprocess, sys, tarfile

PASSWD = b"root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n"
GROUP = b"root:x:0:\nnonroot:x:65532:\n"


def shared_libraries(binary):
    """Absolute paths of the shared libraries a dynamic ELF binary loads (empty if static)."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True)
    if out.returncode != 0 or "not a dynamic executable" in out.stdout + out.stderr:
        return []
    libs = []
    for line in out.stdout.splitlines():
        parts = line.split()
        if "=>" in parts:
            target = parts[parts.index("=>") + 1]
            if target == "not":
                sys.exit(f"mkimage.py: {binary} needs {parts[0]}, which is not installed")
            if target.startswith("/"):
                libs.append(target)
        elif parts and parts[0].startswith("/"):
            libs.append(parts[0])  # the loader
    return libs


def entry(path, data, mode, uid=0, gid=0):
    return {"path": path.lstrip("/"), "data": data, "mode": mode, "uid": uid, "gid": gid}


def layer_tar(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        dirs = set()
        for e in entries:
            parent = os.path.dirname(e["path"])
            while parent and parent not in dirs:
                dirs.add(parent)
                parent = os.path.dirname(parent)
        for d in sorted(dirs):
            ti = tarfile.TarInfo(d); ti.type = tarfile.DIRTYPE; ti.mode = 0o755; ti.mtime = 0
            t.addfile(ti)
        for e in sorted(entries, key=lambda e: e["path"]):
            ti = tarfile.TarInfo(e["path"]); ti.mtime = 0; ti.mode = e["mode"]
            ti.uid, ti.gid = e["uid"], e["gid"]
            if e["data"] is None:
                ti.type = tarfile.DIRTYPE
                t.addfile(ti)
            else:
                ti.size = len(e["data"])
                t.addfile(ti, io.BytesIO(e["data"]))
    return buf.getvalue()


def digest(blob):
    return "sha256:" + hashlib.sha256(blob).hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--name", required=True, help="image reference, e.g. localhost/slb-ccm:dev")
    ap.add_argument("--out", required=True, help="the OCI archive to write")
    ap.add_argument("--binary", action="append", default=[], metavar="SRC:DEST",
                    help="an executable and its path in the image (its shared libraries come along)")
    ap.add_argument("--entrypoint", required=True)
    ap.add_argument("--user", default="65532:65532", help="uid:gid the container runs as")
    ap.add_argument("--env", action="append", default=[], metavar="K=V")
    a = ap.parse_args()

    entries = [entry("/etc/passwd", PASSWD, 0o644), entry("/etc/group", GROUP, 0o644),
               entry("/tmp", None, 0o1777), entry("/home/nonroot", None, 0o700, 65532, 65532)]
    seen = set()
    for spec in a.binary:
        src, _, dest = spec.partition(":")
        if not dest.startswith("/"):
            sys.exit(f"mkimage.py: --binary {spec}: give SRC:/absolute/dest")
        with open(src, "rb") as f:
            entries.append(entry(dest, f.read(), 0o755))
        for lib in shared_libraries(src):
            real = os.path.realpath(lib)
            if lib not in seen:
                seen.add(lib)
                with open(real, "rb") as f:
                    entries.append(entry(lib, f.read(), 0o755))
    layer = layer_tar(entries)
    layer_gz = gzip.compress(layer, compresslevel=6, mtime=0)
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Entrypoint": [a.entrypoint], "User": a.user, "WorkingDir": "/",
                   "Env": ["PATH=/usr/local/bin:/usr/bin:/bin"] + a.env},
        "rootfs": {"type": "layers", "diff_ids": [digest(layer)]},
        "history": [{"created_by": "tools/image/mkimage.py"}],
    }, sort_keys=True).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest(layer_gz), "size": len(layer_gz)}],
    }, sort_keys=True).encode()
    index = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest(manifest),
                       "size": len(manifest), "platform": {"architecture": "amd64", "os": "linux"},
                       "annotations": {"io.containerd.image.name": a.name,
                                       "org.opencontainers.image.ref.name": a.name.rsplit(":", 1)[-1]}}],
    }, sort_keys=True).encode()
    files = [entry("oci-layout", b'{"imageLayoutVersion":"1.0.0"}', 0o644), entry("index.json", index, 0o644)]
    for blob in (config, layer_gz, manifest):
        files.append(entry("blobs/sha256/" + digest(blob)[7:], blob, 0o644))
    tmp = a.out + ".partial"
    with open(tmp, "wb") as f:
        f.write(layer_tar(files))
    os.replace(tmp, a.out)
    print(f"{a.out} {a.name} {digest(manifest)} layer {len(layer_gz)} bytes")


if __name__ == "__main__":
    main()
