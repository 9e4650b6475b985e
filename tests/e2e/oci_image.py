#!/usr/bin/env python3
"""Root file systems and OCI images for tests/e2e/oci.sh, built offline.

  oci_image.py busybox DIR          busybox-static and its applets (sh, ls, cat...)
  oci_image.py python DIR           the host's python3 with the shared libraries and
                                    the standard-library modules that `import json,
                                    hashlib` needs (a few MB, not the whole stdlib)
  oci_image.py image ROOTFS NAME OUT.tar [CMD...]
                                    an OCI image layout (one uncompressed layer, its
                                    config, manifest and index.json, sha256 digests)
                                    named docker.io/library/NAME:latest, as a tar for
                                    `ctr image import`
"""
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile

APPLETS = ["sh", "ls", "cat", "echo", "sleep", "ps", "mkdir", "true", "false", "id",
           "hostname", "env", "pwd", "test", "kill", "grep", "wc", "head", "printf",
           "stat", "touch", "rm", "uname", "tty", "stty", "mount", "readlink", "unshare"]


def busybox(root):
    os.makedirs(os.path.join(root, "bin"), exist_ok=True)
    for d in ("etc", "tmp", "proc", "sys", "dev", "root"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    os.chmod(os.path.join(root, "tmp"), 0o1777)
    shutil.copy2("/bin/busybox", os.path.join(root, "bin", "busybox"))
    for a in APPLETS:
        p = os.path.join(root, "bin", a)
        if not os.path.lexists(p):
            os.symlink("busybox", p)
    with open(os.path.join(root, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n")
    with open(os.path.join(root, "etc", "group"), "w") as f:
        f.write("root:x:0:\nnogroup:x:65534:\n")


def copy_file(src, root):
    """Copy host file src (following symlinks in its path) to the same path under root."""
    real = os.path.realpath(src)
    for path in {src, real}:
        dst = root + path
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        if os.path.lexists(dst):
            continue
        if path == src and src != real and os.path.islink(src):
            os.symlink(os.readlink(src), dst)
        else:
            shutil.copy2(real, dst)


def python(root):
    busybox(root)
    # A merged-/usr host (/lib -> usr/lib): the same links in the image.
    for d in ("lib", "lib64", "lib32", "libx32", "sbin"):
        if os.path.islink("/" + d) and not os.path.lexists(os.path.join(root, d)):
            os.makedirs(os.path.join(root, "usr", os.readlink("/" + d).split("/")[-1]),
                        exist_ok=True)
            os.symlink(os.readlink("/" + d), os.path.join(root, d))
    exe = os.path.realpath("/usr/bin/python3")
    code = ("import sys, json, hashlib, os\n"
            "print('\\n'.join(m.__file__ for m in list(sys.modules.values())"
            " if getattr(m, '__file__', None)))")
    files = subprocess.check_output([exe, "-S", "-c", code], text=True).split()
    files += subprocess.check_output([exe, "-c", code], text=True).split()
    libs = subprocess.check_output(["ldd", exe], text=True)
    for so in subprocess.check_output(["sh", "-c", "ldd " + " ".join(
            f for f in set(files) if f.endswith(".so")) + " 2>/dev/null || true"], text=True).split():
        if so.startswith("/"):
            libs += " " + so
    for word in libs.split():
        if word.startswith("/") and os.path.exists(word):
            copy_file(word, root)
    copy_file("/usr/bin/python3", root)
    copy_file(exe, root)
    for f in set(files):
        copy_file(f, root)
    # os.py and site need these directories to exist to find the prefix.
    ver = "python%d.%d" % sys.version_info[:2]
    os.makedirs(os.path.join(root, "usr/lib", ver, "lib-dynload"), exist_ok=True)
    copy_file("/usr/lib/%s/os.py" % ver, root)


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layer_tar(rootfs):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for dirpath, dirnames, filenames in os.walk(rootfs):
            dirnames.sort()
            for name in sorted(dirnames) + sorted(filenames):
                full = os.path.join(dirpath, name)
                arc = os.path.relpath(full, rootfs)
                info = t.gettarinfo(full, arc)
                info.uid = info.gid = 0
                info.uname = info.gname = "root"
                info.mtime = 0
                if info.isreg():
                    with open(full, "rb") as f:
                        t.addfile(info, f)
                else:
                    t.addfile(info)
    return buf.getvalue()


def image(rootfs, name, out, cmd):
    layer = layer_tar(rootfs)
    config = json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
                   "Cmd": cmd or ["/bin/sh"], "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": [sha256(layer)]},
        "history": [{"created_by": "tests/e2e/oci_image.py"}],
    }, sort_keys=True).encode()
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                   "digest": sha256(config), "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                    "digest": sha256(layer), "size": len(layer)}],
    }, sort_keys=True).encode()
    ref = "docker.io/library/%s:latest" % name
    index = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "digest": sha256(manifest), "size": len(manifest),
                       "platform": {"architecture": "amd64", "os": "linux"},
                       "annotations": {"io.containerd.image.name": ref,
                                       "org.opencontainers.image.ref.name": "latest"}}],
    }, sort_keys=True).encode()
    files = [("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'), ("index.json", index)]
    for blob in (layer, config, manifest):
        files.append(("blobs/sha256/" + sha256(blob)[7:], blob))
    with tarfile.open(out, "w") as t:
        for d in ("blobs", "blobs/sha256"):
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o755
            t.addfile(info)
        for arc, data in files:
            info = tarfile.TarInfo(arc)
            info.size = len(data)
            info.mode = 0o644
            t.addfile(info, io.BytesIO(data))


def main(argv):
    if len(argv) >= 3 and argv[1] == "busybox":
        busybox(argv[2])
    elif len(argv) >= 3 and argv[1] == "python":
        python(argv[2])
    elif len(argv) >= 5 and argv[1] == "image":
        image(argv[2], argv[3], argv[4], argv[5:])
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
