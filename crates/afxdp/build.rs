// SPDX-License-Identifier: Apache-2.0
//! Compiles the XDP shim (`ebpf/xpf_xdp_shim.c`) with clang into OUT_DIR;
//! `src/shim.rs` embeds the object. Without clang the build fails and says
//! which package to install: a dataplane without its XDP program is useless,
//! and a stub would only move the failure to run time.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Newest first: any of these emits BTF that aya 0.14 loads.
const CLANGS: &[&str] = &["clang-19", "clang-18", "clang-17", "clang-16", "clang"];

fn main() {
    let manifest = PathBuf::from(env("CARGO_MANIFEST_DIR"));
    let ebpf = manifest.join("../../ebpf");
    let out = PathBuf::from(env("OUT_DIR")).join("xpf_xdp_shim.o");

    println!("cargo:rerun-if-env-changed=XPF_CLANG");
    for dir in ["", "include", "lib"] {
        // Rerun when any source or header changes (directory mtimes catch new files).
        let d = ebpf.join(dir);
        println!("cargo:rerun-if-changed={}", d.display());
        if let Ok(entries) = std::fs::read_dir(&d) {
            for e in entries.flatten() {
                println!("cargo:rerun-if-changed={}", e.path().display());
            }
        }
    }

    let clang = find_clang().unwrap_or_else(|| {
        panic!(
            "xpf-afxdp: no clang found (tried $XPF_CLANG, {}). Install clang-19 or clang-16 \
             and libbpf-dev (qa/setup.sh does), or set XPF_CLANG to a clang binary.",
            CLANGS.join(", ")
        )
    });

    let mut cmd = Command::new(&clang);
    cmd.args(["-target", "bpf", "-O2", "-g", "-Wall", "-Werror"])
        .arg("-I")
        .arg(ebpf.join("include"))
        .arg("-I")
        .arg(&ebpf);
    // <linux/types.h> includes <asm/types.h>, which Debian keeps in the
    // multiarch directory of the build host.
    if let Some(dir) = multiarch_include() {
        cmd.arg("-I").arg(dir);
    }
    cmd.arg("-c")
        .arg(ebpf.join("xpf_xdp_shim.c"))
        .arg("-o")
        .arg(&out);
    let status = cmd
        .status()
        .unwrap_or_else(|e| panic!("xpf-afxdp: running {clang}: {e}"));
    if !status.success() {
        panic!("xpf-afxdp: {clang} failed to compile ebpf/xpf_xdp_shim.c ({status}); is libbpf-dev installed?");
    }
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("cargo sets {name}"))
}

fn find_clang() -> Option<String> {
    let candidates = std::env::var("XPF_CLANG")
        .ok()
        .into_iter()
        .chain(CLANGS.iter().map(|s| s.to_string()));
    for c in candidates {
        let ok = Command::new(&c)
            .arg("--version")
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if ok {
            return Some(c);
        }
    }
    None
}

fn multiarch_include() -> Option<PathBuf> {
    let arch = std::env::var("CARGO_CFG_TARGET_ARCH").ok()?;
    let triple = match arch.as_str() {
        "x86_64" => "x86_64-linux-gnu",
        "aarch64" => "aarch64-linux-gnu",
        "riscv64" => "riscv64-linux-gnu",
        _ => return None,
    };
    let p = Path::new("/usr/include").join(triple);
    p.exists().then_some(p)
}
