// SPDX-License-Identifier: Apache-2.0
//! `xpf-bench config`: parse, check and commit a generated large
//! configuration and report the times (goal: under 1 s together on the
//! 2-core reference machine). Figures only; nothing here passes or fails.

mod config;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let which = std::env::args().nth(1).unwrap_or_else(|| "config".into());
    match which.as_str() {
        "config" => config::run(),
        other => anyhow::bail!("unknown benchmark '{other}' (known: config)"),
    }
}
