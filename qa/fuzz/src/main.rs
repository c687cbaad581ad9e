// SPDX-License-Identifier: Apache-2.0
//! `xpf-fuzz`: runs the fuzz targets under AFL++ and reports.
//!
//! ```text
//! xpf-fuzz run [TARGET...]        each target for XPF_FUZZ_SECONDS (default 300)
//! xpf-fuzz repro TARGET FILE...   one input, in this process, with the panic shown
//! xpf-fuzz seeds TARGET DIR       write a target's seeds
//! xpf-fuzz list                   the targets
//! ```
//!
//! `run` builds the instrumented harness (`cargo afl build`, into
//! `<target dir>/afl`), replays every seed first (a seed that crashes is a
//! crash, and AFL would refuse to start on it), then runs `afl-fuzz` on
//! each target for the set time. Crashing and hanging inputs are copied to
//! `<target dir>/fuzz/crashes/`, shown in hex and replayed in a child
//! process for their panic message; any makes the exit status 1. What
//! AFL found is kept in `<target dir>/fuzz/<target>/corpus` and seeds the
//! next run.

mod afl;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};

fn main() -> ExitCode {
    match cli() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xpf-fuzz: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn cli() -> anyhow::Result<ExitCode> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("run") => {
            let names = &args[1..];
            let targets: Vec<&xpf_fuzz::Target> = if names.is_empty() {
                xpf_fuzz::TARGETS.iter().collect()
            } else {
                names
                    .iter()
                    .map(|n| find(n))
                    .collect::<anyhow::Result<_>>()?
            };
            let seconds = match std::env::var("XPF_FUZZ_SECONDS") {
                Ok(s) => s
                    .parse::<u64>()
                    .with_context(|| format!("XPF_FUZZ_SECONDS={s:?}: expected seconds"))?,
                Err(_) => 300,
            };
            afl::run(&targets, seconds)
        }
        Some("repro") if args.len() >= 3 => {
            let t = find(&args[1])?;
            for f in &args[2..] {
                let data = std::fs::read(f).with_context(|| format!("reading {f}"))?;
                eprintln!("xpf-fuzz: {} on {f} ({} bytes)", t.name, data.len());
                (t.run)(&data);
            }
            eprintln!("xpf-fuzz: no crash");
            Ok(ExitCode::SUCCESS)
        }
        Some("seeds") if args.len() == 3 => {
            let t = find(&args[1])?;
            let dir = PathBuf::from(&args[2]);
            let n = afl::write_seeds(t, &dir)?;
            println!("{n} seeds in {}", dir.display());
            Ok(ExitCode::SUCCESS)
        }
        Some("list") => {
            for t in xpf_fuzz::TARGETS {
                println!("{:<10} {}", t.name, t.about);
            }
            Ok(ExitCode::SUCCESS)
        }
        _ => bail!(
            "usage: xpf-fuzz run [TARGET...] | repro TARGET FILE... | seeds TARGET DIR | list"
        ),
    }
}

fn find(name: &str) -> anyhow::Result<&'static xpf_fuzz::Target> {
    xpf_fuzz::target(name).with_context(|| {
        let names: Vec<&str> = xpf_fuzz::TARGETS.iter().map(|t| t.name).collect();
        format!("no target {name:?} (targets: {})", names.join(", "))
    })
}
