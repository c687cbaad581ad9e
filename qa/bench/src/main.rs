// SPDX-License-Identifier: Apache-2.0
//! `xpf-bench config`: parse, check and commit a generated large
//! configuration and report the times (goal: under 1 s together on the
//! 2-core reference machine). `xpf-bench forwarding`: packets per second
//! and ns/packet through Linux, nftables, xpf, bare XDP and bare AF_XDP (see
//! `forwarding.rs`). Figures only; nothing here passes or fails.

mod afxdp;
mod config;
mod forwarding;
mod gen;
mod txring;
mod xdp;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let which = args.get(1).cloned().unwrap_or_else(|| "config".into());
    match which.as_str() {
        "config" => config::run(),
        "forwarding" => forwarding::run(),
        // Helpers the forwarding benchmark runs inside its namespaces.
        "xdp-gen" => xdp::gen(&args[2..]),
        "xdp-gen-probe" => xdp::probe(&args[2..]),
        "packet-gen" => gen::packet(&args[2..]),
        "xdp-attach" => xdp::attach(&args[2..]),
        "afxdp-forward" => afxdp::forward(&args[2..]),
        other => anyhow::bail!("unknown benchmark '{other}' (known: config, forwarding)"),
    }
}
