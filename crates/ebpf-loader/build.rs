// SPDX-License-Identifier: Apache-2.0
//! Builds `ebpf/xpf_xdp_dataplane.c` (and the `ebpf/dataplane/` stage
//! headers) into `$OUT_DIR/xpf_xdp_dataplane.o` with clang
//! (`-target bpf -O2 -g -Wall -Werror`); `src/program.rs` embeds it.
//! No clang is a build error naming what to install: the fallback
//! dataplane without its program would only fail later, at run time.

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    let root =
        PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets it")).join("../../ebpf");
    let object =
        PathBuf::from(env::var("OUT_DIR").expect("cargo sets it")).join("xpf_xdp_dataplane.o");
    println!("cargo:rerun-if-env-changed=XPF_CLANG");
    for sub in ["xpf_xdp_dataplane.c", "include", "dataplane"] {
        let p = root.join(sub);
        println!("cargo:rerun-if-changed={}", p.display());
        for entry in std::fs::read_dir(&p).into_iter().flatten().flatten() {
            println!("cargo:rerun-if-changed={}", entry.path().display());
        }
    }

    let wanted = env::var("XPF_CLANG").ok();
    let clang = wanted
        .iter()
        .map(String::as_str)
        .chain(["clang-19", "clang-18", "clang-17", "clang-16", "clang"])
        .find(|c| Command::new(c).arg("--version").output().is_ok_and(|o| o.status.success()))
        .unwrap_or_else(|| {
            panic!("xpf-ebpf-loader needs clang (16 or newer) and libbpf-dev to build its XDP program; set XPF_CLANG to pick one")
        })
        .to_owned();

    // Debian keeps <asm/types.h> under the host's multiarch include dir.
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    let multiarch = PathBuf::from(format!("/usr/include/{arch}-linux-gnu"));
    let mut cmd = Command::new(&clang);
    cmd.args(["-target", "bpf", "-O2", "-g", "-Wall", "-Werror"])
        .arg(format!("-I{}", root.join("include").display()))
        .arg(format!("-I{}", root.display()));
    if multiarch.is_dir() {
        cmd.arg(format!("-I{}", multiarch.display()));
    }
    cmd.arg("-c")
        .arg(root.join("xpf_xdp_dataplane.c"))
        .arg("-o")
        .arg(&object);
    match cmd.status() {
        Ok(s) if s.success() => {}
        Ok(s) => panic!("{clang} could not compile ebpf/xpf_xdp_dataplane.c ({s})"),
        Err(e) => panic!("running {clang}: {e}"),
    }
}
