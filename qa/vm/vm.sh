#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Boots the built appliance image in QEMU with the serial console on this
# terminal:
#   fxp0      management NIC, user networking; SSH on 127.0.0.1:$XPF_VM_SSH_PORT (2222)
#   ge-0/0/0  tap into namespace xpfvm-client (10.99.1.2/24, gateway 10.99.1.1)
#   ge-0/0/1  tap into namespace xpfvm-server (10.99.2.2/24, gateway 10.99.2.1)
# UEFI (OVMF) under TCG; KVM where it can run UEFI (XPF_VM_ACCEL=kvm).
#
#   vm.sh up      boot (the console is this terminal; Ctrl-A X quits QEMU)
#   vm.sh down    stop QEMU and remove the namespaces
#   vm.sh power-cut  kill QEMU outright (the disk stays as it was left)
# XPF_VM_IMAGE boots another image than build/xpf.raw; XPF_VM_KEEP_DISK=1
# boots the previous run's disk as it was left (after a power cut). Extra
# QEMU arguments come from $XPF_VM_QEMU_ARGS (e.g. a credential), and
# XPF_VM_SERIAL=unix:PATH,server,nowait puts the console on a socket instead.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
state="$root/build/vm"
ssh_port="${XPF_VM_SSH_PORT:-2222}"
accel="${XPF_VM_ACCEL:-tcg}"

down() {
    pkill ${1:-} -f "qemu-system-x86_64 .*ifname=xpfvm0" 2>/dev/null || true
    rm -f "$state/qemu.pid"
    for ns in xpfvm-client xpfvm-server; do ip netns del "$ns" 2>/dev/null || true; done
    for tap in xpfvm0 xpfvm1; do ip link del "$tap" 2>/dev/null || true; done
}

# QEMU and OVMF come from the image build's trixie tools tree (the host's
# bookworm QEMU is older and may clash with backports): `mkosi sandbox`
# runs a command with the tools tree's /usr.
tools="$root/build/image/tools"
sandbox() {
    (cd "$root/image" && PYTHONPATH="$root/build/tools/mkosi/usr/lib/python3/dist-packages" \
        exec python3 -m mkosi --output-directory="$root/build/image" sandbox "$@")
}

# Moves a tap into its namespace once QEMU holds it (carrier comes up),
# then addresses the namespace's end.
attach() {
    local tap=$1 ns=$2 addr=$3 gw=$4
    for _ in $(seq 600); do
        [ "$(cat "/sys/class/net/$tap/carrier" 2>/dev/null)" = 1 ] && break
        sleep 0.1
    done
    ip link set "$tap" netns "$ns"
    ip -n "$ns" link set lo up
    ip -n "$ns" link set "$tap" up
    # Checksums filled in here, not left to the guest: AF_XDP forwards
    # frames as they are.
    ip netns exec "$ns" ethtool -K "$tap" tx off >/dev/null 2>&1 || true
    ip -n "$ns" addr add "$addr" dev "$tap"
    ip -n "$ns" route add default via "$gw"
}

# Whether a tracked source the image is built from (crates, the eBPF C,
# the image and rootfs trees) changed after `$1` was written.
stale() {
    local newest
    newest=$(cd "$root" && git ls-files -z crates ebpf image rootfs Cargo.lock 2>/dev/null |
        xargs -0 -r stat -c %Y 2>/dev/null | sort -n | tail -n 1)
    [ -n "$newest" ] && [ "$newest" -gt "$(stat -L -c %Y "$1")" ]
}

up() {
    image="${XPF_VM_IMAGE:-$root/build/xpf.raw}"
    [ -e "$image" ] && [ -d "$tools/usr/share/OVMF" ] || "$root/image/build.sh"
    # An image built before the sources last changed does not run them:
    # rebuild it (XPF_VM_STALE=keep boots it anyway, and says so).
    if [ -z "${XPF_VM_IMAGE:-}" ] && stale "$image"; then
        if [ "${XPF_VM_STALE:-}" = keep ]; then
            echo "vm: $image is older than its sources (XPF_VM_STALE=keep): booting it anyway" >&2
        else
            echo "vm: $image is older than its sources: rebuilding (XPF_VM_STALE=keep boots it as it is)" >&2
            "$root/image/build.sh"
        fi
    fi
    down
    mkdir -p "$state"
    code=/usr/share/OVMF/OVMF_CODE_4M.fd
    if [ -z "${XPF_VM_KEEP_DISK:-}" ] || [ ! -e "$state/disk.raw" ]; then
        # A sparse copy of the built image, larger, so the image stays
        # pristine and /var has room to grow on first boot.
        cp --sparse=always "$(readlink -f "$image")" "$state/disk.raw"
        truncate -s 8G "$state/disk.raw"
        cp "$tools/usr/share/OVMF/OVMF_VARS_4M.fd" "$state/vars.fd"
    fi
    for ns in xpfvm-client xpfvm-server; do ip netns add "$ns"; done
    for tap in xpfvm0 xpfvm1; do
        ip tuntap add dev "$tap" mode tap
        ip link set "$tap" up
    done
    attach xpfvm0 xpfvm-client 10.99.1.2/24 10.99.1.1 &
    attach xpfvm1 xpfvm-server 10.99.2.2/24 10.99.2.1 &
    case "$accel" in
    kvm) machine=(-machine q35,accel=kvm -cpu host) ;;
    *) machine=(-machine q35,accel=tcg -cpu max) ;;
    esac
    # The command goes to the sandbox as a script: mkosi's own option
    # parsing would take QEMU's dash arguments for its own.
    cat >"$state/qemu.sh" <<QEMU
exec qemu-system-x86_64 ${machine[*]} -smp 2 -m 2048 \\
    -drive if=pflash,format=raw,readonly=on,file=$code \\
    -drive if=pflash,format=raw,file=$state/vars.fd \\
    -drive if=virtio,format=raw,file=$state/disk.raw \\
    -netdev user,id=mgmt,hostfwd=tcp:127.0.0.1:$ssh_port-10.0.2.15:22 \\
    -device virtio-net-pci,netdev=mgmt,addr=0x3 \\
    -netdev tap,id=d0,ifname=xpfvm0,script=no,downscript=no \\
    -device virtio-net-pci,netdev=d0,addr=0x4 \\
    -netdev tap,id=d1,ifname=xpfvm1,script=no,downscript=no \\
    -device virtio-net-pci,netdev=d1,addr=0x5 \\
    -display none -serial ${XPF_VM_SERIAL:-mon:stdio} ${XPF_VM_QEMU_ARGS:-}
QEMU
    sandbox sh "$state/qemu.sh"
}

case "${1:-}" in
up) up ;;
down) down ;;
# Pulls the plug: QEMU dies at once, whatever the guest had not written.
power-cut) down -KILL ;;
# Exit status 0 when the image FILE is older than its sources (tests).
stale) stale "${2:?usage: $0 stale FILE}" ;;
*)
    echo "usage: $0 up|down|power-cut|stale FILE" >&2
    exit 2
    ;;
esac
