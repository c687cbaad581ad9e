// SPDX-License-Identifier: Apache-2.0
//! Compiles the forwarding benchmark's XDP programs (`bpf/bench_xdp.c`:
//! generator, sink, redirect) with clang into OUT_DIR.

use std::path::{Path, PathBuf};
use std::process::Command;

const CLANGS: &[&str] = &["clang-19", "clang-18", "clang-17", "clang-16", "clang"];

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let src = manifest.join("bpf/bench_xdp.c");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("bench_xdp.o");
    println!("cargo:rerun-if-changed={}", src.display());
    println!("cargo:rerun-if-env-changed=XPF_CLANG");
    let clang = std::env::var("XPF_CLANG")
        .ok()
        .into_iter()
        .chain(CLANGS.iter().map(|s| s.to_string()))
        .find(|c| {
            Command::new(c)
                .arg("--version")
                .output()
                .map(|o| o.status.success())
                .unwrap_or(false)
        })
        .unwrap_or_else(|| {
            panic!("xpf-bench: no clang (install clang-19 and libbpf-dev: qa/setup.sh)")
        });
    let mut cmd = Command::new(&clang);
    cmd.args(["-target", "bpf", "-O2", "-g", "-Wall", "-Werror"]);
    let multiarch = Path::new("/usr/include/x86_64-linux-gnu");
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("x86_64") && multiarch.exists() {
        cmd.arg("-I").arg(multiarch);
    } else if Path::new("/usr/include/aarch64-linux-gnu").exists() {
        cmd.arg("-I").arg("/usr/include/aarch64-linux-gnu");
    }
    let status = cmd
        .arg("-c")
        .arg(&src)
        .arg("-o")
        .arg(&out)
        .status()
        .unwrap_or_else(|e| panic!("xpf-bench: running {clang}: {e}"));
    assert!(
        status.success(),
        "xpf-bench: {clang} failed on bpf/bench_xdp.c"
    );
}
