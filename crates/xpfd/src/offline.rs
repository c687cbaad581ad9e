// SPDX-License-Identifier: Apache-2.0
//! The offline configuration commands: `check`, `check --unsupported`, `convert`.

use std::path::Path;

use anyhow::Context;
use xpf_config::{parse_config, print_curly, print_set, unsupported, Config, Diagnostic};

fn load(path: &Path) -> anyhow::Result<Result<Config, Vec<Diagnostic>>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let name = path.display().to_string();
    Ok(parse_config(&text).map_err(|e| e.in_source(&name).0))
}

/// `xpfd check FILE...`: true when every file passes.
pub fn check(files: &[impl AsRef<Path>], node: Option<&str>) -> anyhow::Result<bool> {
    let mut ok = true;
    for f in files {
        let path = f.as_ref();
        let name = path.display().to_string();
        let problems = match load(path)? {
            Ok(cfg) => xpf_store::check_config(&cfg, node)
                .err()
                .map(|e| e.0)
                .unwrap_or_default(),
            Err(e) => e,
        };
        for d in &problems {
            println!("{}", d.clone().in_source(&name));
        }
        ok &= problems.is_empty();
    }
    if !ok {
        println!("error: configuration check-out failed");
    }
    Ok(ok)
}

/// `xpfd check --unsupported FILE...`: lists what xpf does not support yet.
pub fn report_unsupported(files: &[impl AsRef<Path>]) -> anyhow::Result<bool> {
    let mut ok = true;
    for f in files {
        let path = f.as_ref();
        match load(path)? {
            Ok(cfg) => {
                for d in unsupported(&cfg) {
                    let at = d
                        .span
                        .map(|s| format!("{}:{}", s.line, s.col))
                        .unwrap_or_default();
                    println!(
                        "{}:{at}: {} statement not supported by xpf",
                        path.display(),
                        d.edit_header()
                    );
                }
            }
            Err(e) => {
                ok = false;
                for d in e {
                    println!("{d}");
                }
            }
        }
    }
    Ok(ok)
}

/// `xpfd convert --to set|curly FILE`.
pub fn convert(file: &Path, to_set: bool) -> anyhow::Result<bool> {
    match load(file)? {
        Ok(cfg) => {
            print!(
                "{}",
                if to_set {
                    print_set(&cfg)
                } else {
                    print_curly(&cfg)
                }
            );
            Ok(true)
        }
        Err(e) => {
            for d in e {
                eprintln!("{d}");
            }
            Ok(false)
        }
    }
}
