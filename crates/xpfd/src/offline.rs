// SPDX-License-Identifier: Apache-2.0
//! The offline configuration commands: `check`, `check --unsupported`, `convert`.

use std::path::Path;

use anyhow::Context;
use xpf_config::{
    no_effect, parse_config, parse_config_lenient, print_curly, print_set, unsupported, Config,
    Diagnostic, Errors,
};

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
        // What loads is checked even when some statements do not, so one
        // pass names every problem of the file.
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let (cfg, Errors(mut problems)) = parse_config_lenient(&text);
        if let Err(Errors(e)) = xpf_store::check_config(&cfg, node) {
            problems.extend(e);
        }
        let problems = Errors(problems).sorted().0;
        let warnings = xpf_store::warnings_of(&cfg, node);
        for d in problems.iter().chain(&warnings) {
            println!("{}", d.clone().in_source(&name));
        }
        ok &= problems.is_empty();
    }
    if !ok {
        println!("error: configuration check-out failed");
    }
    Ok(ok)
}

/// `xpfd check --unsupported FILE...`: lists both kinds of statement xpf
/// does not run: those commit refuses and those it accepts with no effect.
pub fn report_unsupported(files: &[impl AsRef<Path>]) -> anyhow::Result<bool> {
    let mut ok = true;
    for f in files {
        let path = f.as_ref();
        match load(path)? {
            Ok(cfg) => {
                let mut found = unsupported(&cfg);
                found.extend(no_effect(&cfg));
                found.sort_by_key(|d| d.span.map(|s| (s.line, s.col)));
                for d in found {
                    let at = d
                        .span
                        .map(|s| format!("{}:{}", s.line, s.col))
                        .unwrap_or_default();
                    println!("{}:{at}: {} {}", path.display(), d.edit_header(), d.message);
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
