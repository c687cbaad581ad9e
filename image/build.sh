#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Builds the appliance image into build/: xpf_<version>.raw plus the split
# root, verity and UKI files an update ships. Reuses the tools tree, the
# package cache and the incremental cache between builds.
#
#   image/build.sh [VERSION]     (default: the workspace version + commit time)
#
# The release public key in image/keys/release.pub is built into the image;
# when there is none, a development pair is made there (see README: hold a
# real release key offline and put only its .pub here).
set -euo pipefail
if [ -n "${1:-}" ]; then XPF_IMAGE_VERSION=$1; fi

root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
start=$(date +%s)

version="${XPF_IMAGE_VERSION:-$(cargo metadata --no-deps --format-version 1 \
    | python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"]=="xpfd"))')}"
if [ -z "${XPF_IMAGE_VERSION:-}" ] && git rev-parse --git-dir >/dev/null 2>&1; then
    # A build of uncommitted or later work must not share a release's version.
    version="$version.$(git log -1 --format=%ct)"
fi

./image/tools.sh
mkosi=(env PYTHONPATH="$root/build/tools/mkosi/usr/lib/python3/dist-packages" python3 -m mkosi)

echo "image: building the xpf binaries (release)"
cargo build --release -p xpfd -p xpf-cli -p xpf-update-server -p xpf-installer
if [ ! -f image/keys/release.pub ]; then
    echo "image: no image/keys/release.pub: making a development release key"
    target/release/update-server keygen --dir image/keys
fi
staging="$root/build/staging"
rm -rf "$staging"
install -D -m 0755 target/release/xpfd "$staging/usr/bin/xpfd"
install -D -m 0755 target/release/cli "$staging/usr/bin/cli"
install -D -m 0644 README.md "$staging/usr/share/doc/xpf/README.md"
install -D -m 0644 image/keys/release.pub "$staging/usr/share/xpf/keys/release.pub"
install -D -m 0640 frr-overlay/daemons "$staging/etc/frr/daemons"
install -D -m 0640 frr-overlay/frr.conf "$staging/etc/frr/frr.conf"
# Test images only: XPF_IMAGE_FAULT=xpfd-fails builds a version whose xpfd
# never starts, for the update tests' bad-version rollback.
if [ "${XPF_IMAGE_FAULT:-}" = xpfd-fails ]; then
    echo "image: XPF_IMAGE_FAULT=xpfd-fails: this image's xpfd will not start"
    install -D -m 0644 /dev/stdin "$staging/usr/lib/systemd/system/xpfd.service.d/zz-fault.conf" <<'FAULT'
[Service]
ExecStartPre=/bin/false
FAULT
fi
# /var's initial contents: the writable /etc's overlay directories.
install -d -m 0755 "$staging/var/lib/overlay/etc/upper" "$staging/var/lib/overlay/etc/work"

out="$root/build/image"
rm -rf "$out" && mkdir -p "$out"
echo "image: mkosi build of xpf $version"
(cd image && "${mkosi[@]}" --image-version="$version" --output-directory="$out" -f build)

# Publish under stable names (mkosi -f would leave stale split files).
cp --sparse=always "$out/xpf_$version.raw" "build/xpf_$version.raw"
ln -sfn "xpf_$version.raw" build/xpf.raw
echo "$version" >build/VERSION
end=$(date +%s)
size=$(stat -c %s "build/xpf_$version.raw")
alloc=$(du -B1 "build/xpf_$version.raw" | cut -f1)
echo "image: build/xpf_$version.raw: $((size / 1048576)) MiB sparse, $((alloc / 1048576)) MiB allocated, built in $((end - start)) s"
ls -l "$out" | sed 's/^/image:   /'
