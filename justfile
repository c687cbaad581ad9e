# SPDX-License-Identifier: Apache-2.0
# Every entry point a person types. `just --list` shows them.

set shell := ["bash", "-euo", "pipefail", "-c"]
export PATH := env_var('HOME') + "/.cargo/bin:" + env_var('PATH')

# Show the recipes.
default:
    @just --list

# Install what building and testing needs (apt packages, rustup components, tools).
setup:
    ./qa/setup.sh

# Boot the appliance image in QEMU (built first if there is none) with its
# serial console here: log in as root. SSH on 127.0.0.1:2222; data NICs in
# namespaces xpfvm-client and xpfvm-server. Ctrl-A X quits.
run: setup
    ./qa/vm/vm.sh up

# Stop the VM and remove its namespaces.
vm-down:
    ./qa/vm/vm.sh down

# Build the appliance image into build/ (xpf_<version>.raw and the split
# root, verity and UKI files an update ships).
image version="": setup
    ./image/build.sh {{version}}

# Signed updates end to end in QEMU: builds two image versions, serves the
# newer with update-server, and prints PASS/FAIL per scenario.
test-ota: setup
    cargo nextest run -p xpf-vm --test ota --no-capture --test-threads 1 2>&1 | grep -E '^(PASS|FAIL|ota:|published)|Summary'

# Start the lab (client -- xpfd -- server namespaces, no VM) and open the CLI in it.
lab: setup
    cargo build --release -p xpfd -p xpf-cli
    ./qa/lab/lab.sh up
    ./qa/lab/lab.sh cli

# Stop the lab and remove its namespaces.
lab-down:
    ./qa/lab/lab.sh down

# Format check, lints, every test (lab tests need root: they say "skipped: <why>" otherwise).
test: setup
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
    cargo build --workspace --bins
    cargo test --workspace --doc
    rm -f target/skipped.log target/nextest.log
    XPF_SKIP_LOG="$PWD/target/skipped.log" cargo nextest run --workspace --exclude xpf-vm --no-fail-fast 2>&1 | tee target/nextest.log
    # The VM tests build the image and boot it under QEMU: alone, so their
    # CPU use cannot disturb the tests above.
    XPF_SKIP_LOG="$PWD/target/skipped.log" cargo nextest run -p xpf-vm --no-fail-fast --no-capture --test-threads 1 2>&1 | tee -a target/nextest.log
    @if [ -s target/skipped.log ]; then echo "== tests that did not run here =="; sort -u target/skipped.log; fi
    @grep -E '^ *Summary' target/nextest.log | tail -n 2

# Parse, check and commit a generated 10,000-policy, 50,000-address configuration.
bench-config:
    cargo run --release -p xpf-bench -- config

# ns per packet through the Rust pipeline: a session hit, and a miss against 10,000 policies.
bench-pipeline:
    cargo run --release -p xpf-dataplane --example pipeline_bench

# Forwarding through the firewall namespace, 64-byte UDP, 1000 flows and 1:
# Linux, Linux + nftables, xpf AF_XDP, bare XDP redirect, xpf eBPF (root; ../shared/BENCHMARK.md).
# XPF_BENCH_RUNS (default 5) and XPF_BENCH_MODES (e.g. "a,c") narrow it.
# The generator is probed (XDP live frames, else AF_PACKET); XPF_BENCH_GEN=live|packet|packet-direct forces one.
bench-forwarding:
    cargo build --release -p xpfd
    cargo run --release -p xpf-bench -- forwarding

# Under AFL++ (docs/fuzzing.md); the targets: frame pipeline compile config manifest.
# Fuzz each target, or those named, for XPF_FUZZ_SECONDS (default 300): executions, exec/s, crashes.
fuzz *targets: setup
    cargo run -q -p xpf-fuzz -- run {{targets}}

# Every benchmark.
bench: bench-config bench-pipeline bench-forwarding
