#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The network-namespace lab: client -- xpfd -- server.
#
#   lab.sh up [BINDIR]   create the namespaces and start xpfd (idempotent)
#   lab.sh cli           the Junos CLI against the lab's xpfd
#   lab.sh down          stop xpfd and remove everything
#
# Namespaces xpf-client, xpf-fw, xpf-server; xpfd's state lives in
# /run/xpf-lab (gone at reboot), its log in /run/xpf-lab/xpfd.log.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
run=/run/xpf-lab
bin=${2:-$here/../../target/release}

up() {
    [ "$(id -u)" -eq 0 ] || { echo "lab: needs root (network namespaces)" >&2; exit 1; }
    if [ -S "$run/xpfd.sock" ] && ip netns list | grep -q '^xpf-fw'; then
        return
    fi
    down quiet
    mkdir -p "$run"
    for ns in xpf-client xpf-fw xpf-server; do ip netns add "$ns"; done
    ip -n xpf-fw link add ge-0-0-0 type veth peer name eth0 netns xpf-client
    ip -n xpf-fw link add ge-0-0-1 type veth peer name eth0 netns xpf-server
    for side in client:10.0.1.2:10.0.1.1:2001:db8:1::2:2001:db8:1::1 server:10.0.2.2:10.0.2.1:2001:db8:2::2:2001:db8:2::1; do
        IFS=: read -r name v4 gw4 rest <<<"$side"
        ns=xpf-$name
        ip -n "$ns" link set lo up
        ip -n "$ns" link set eth0 up
        # veth hands XDP half-computed checksums otherwise (real NICs do not).
        ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null 2>&1 || true
        # The eBPF dataplane redirects into these veths: that needs NAPI on
        # the receiving peer, which GRO turns on.
        ip netns exec "$ns" ethtool -K eth0 gro on >/dev/null 2>&1 || true
        ip -n "$ns" addr add "$v4/24" dev eth0
        ip -n "$ns" route add default via "$gw4"
    done
    ip -n xpf-client addr add 2001:db8:1::2/64 dev eth0 nodad
    ip -n xpf-client -6 route add default via 2001:db8:1::1
    ip -n xpf-server addr add 2001:db8:2::2/64 dev eth0 nodad
    ip -n xpf-server -6 route add default via 2001:db8:2::1
    ip netns exec xpf-fw "$bin/xpfd" run --state-dir "$run/state" --socket "$run/xpfd.sock" --dataplane "${XPF_DATAPLANE:-afxdp}" \
        --config "$here/lab.conf" >"$run/xpfd.log" 2>&1 &
    echo $! >"$run/xpfd.pid"
    for _ in $(seq 50); do
        [ -S "$run/xpfd.sock" ] && break
        sleep 0.1
    done
    [ -S "$run/xpfd.sock" ] || { echo "lab: xpfd did not start; see $run/xpfd.log" >&2; cat "$run/xpfd.log" >&2; exit 1; }
    echo "lab: xpfd runs in namespace xpf-fw (log: $run/xpfd.log); client 10.0.1.2, server 10.0.2.2"
}

down() {
    if [ -f "$run/xpfd.pid" ]; then
        kill "$(cat "$run/xpfd.pid")" 2>/dev/null || true
        rm -f "$run/xpfd.pid"
    fi
    for ns in xpf-client xpf-fw xpf-server; do ip netns del "$ns" 2>/dev/null || true; done
    rm -rf "$run"
    [ "${1:-}" = quiet ] || echo "lab: down"
}

case "${1:-}" in
    up) up ;;
    cli) XPF_SOCKET="$run/xpfd.sock" exec "$bin/cli" ;;
    down) down ;;
    *) echo "usage: lab.sh up|cli|down [BINDIR]" >&2; exit 2 ;;
esac
