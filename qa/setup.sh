#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Installs what building and testing xpf needs on a Debian machine. Idempotent:
# every step checks first, so `just run` and `just test` can call it each time.
set -euo pipefail

say() { printf 'setup: %s\n' "$*" >&2; }

export PATH="$HOME/.cargo/bin:$PATH"
if ! command -v cargo >/dev/null; then
    say "cargo is missing: install Rust (rustup, stable 1.95 or newer) first"
    exit 1
fi

# Debian packages: iproute2 for the lab; protobuf-compiler for the gRPC code;
# ping/traceroute for the CLI; OpenSSH for the SSH test; clang-19 and
# libbpf-dev (bpf_helpers.h) build the XDP shim in ebpf/; ethtool turns off
# veth TX checksum offload in the AF_XDP tests; fdisk (sfdisk) for xpf-installer;
# iperf3 for the benchmark's TCP figures. The image's tools (mkosi's
# trixie tools tree) include the QEMU and OVMF that boot it: image/build.sh
# and qa/vm/vm.sh fetch and use those, not the host's.
apt_packages=(iproute2 protobuf-compiler iputils-ping traceroute openssh-server openssh-client clang-19 libbpf-dev ethtool nftables curl fdisk iperf3)
missing=()
for p in "${apt_packages[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    # noninteractive: iperf3 asks whether to run a daemon (the default: no).
    $SUDO apt-get update -qq && $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}"
    # openssh-server is here for the SSH lab test, which runs its own sshd in
    # a namespace: do not leave a new SSH server listening on this machine.
    if [[ " ${missing[*]} " == *" openssh-server "* ]] && [ -d /run/systemd/system ]; then
        say "openssh-server installed for the tests: disabling its host service"
        $SUDO systemctl disable --now ssh.service >/dev/null 2>&1 || true
    fi
fi

if command -v rustup >/dev/null; then
    for c in rustfmt clippy; do
        rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c"
    done
fi

if ! cargo nextest --version >/dev/null 2>&1; then
    say "installing cargo-nextest"
    cargo install --locked cargo-nextest
fi

# cargo-afl: the fuzz targets' engine (docs/fuzzing.md). Installing it
# builds AFL++ from the crate (make and a C compiler, ~1 minute).
if ! cargo afl --version >/dev/null 2>&1; then
    say "installing cargo-afl"
    cargo install --locked cargo-afl
fi
# AFL++'s runtime is built per rustc version, so again after a toolchain
# update; when it is there already, cargo-afl says so and exits non-zero.
if ! afl_out=$(cargo afl config --build 2>&1) && ! grep -q 'already built' <<<"$afl_out"; then
    printf '%s\n' "$afl_out" >&2
    say "cargo afl config --build failed"
    exit 1
fi
