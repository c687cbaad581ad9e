#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fetches trixie's mkosi (not on PyPI) into build/tools/mkosi without touching
# the host's apt configuration: a private apt root points at trixie, the .deb
# is downloaded and unpacked, and `image/mkosi` runs it with PYTHONPATH.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
apt_root="$root/build/apt-trixie"
dest="$root/build/tools/mkosi"
want="${XPF_MKOSI_VERSION:-25.3}"

if [ -f "$dest/.version" ] && [ "$(cat "$dest/.version")" = "$want" ]; then
    exit 0
fi

mkdir -p "$apt_root"/{etc/apt/sources.list.d,etc/apt/preferences.d,etc/apt/apt.conf.d,var/lib/apt/lists/partial,var/cache/apt/archives/partial,var/lib/dpkg}
touch "$apt_root/var/lib/dpkg/status"
cat >"$apt_root/etc/apt/sources.list.d/trixie.sources" <<SOURCES
Types: deb
URIs: http://deb.debian.org/debian
Suites: trixie
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
: >"$apt_root/etc/apt/sources.list"

apt_opts=(
    -o "Dir=$apt_root"
    -o "Dir::State::status=$apt_root/var/lib/dpkg/status"
    -o "Dir::Etc::trustedparts=/etc/apt/trusted.gpg.d"
    -o "Debug::NoLocking=1"
)
echo "image/tools.sh: fetching mkosi $want from Debian trixie"
apt-get "${apt_opts[@]}" -qq update
cd "$apt_root/var/cache/apt/archives"
rm -f mkosi_*.deb
apt-get "${apt_opts[@]}" -qq download "mkosi=$want*" || apt-get "${apt_opts[@]}" -qq download mkosi
rm -rf "$dest" && mkdir -p "$dest"
dpkg-deb -x mkosi_*.deb "$dest"
PYTHONPATH="$dest/usr/lib/python3/dist-packages" python3 -m mkosi --version
echo "$want" >"$dest/.version"
