// SPDX-License-Identifier: Apache-2.0
//! Fuzz targets for everything the network or a user controls.
//!
//! Each [`Target`] is a function from bytes to nothing that panics when it
//! finds a bug, with seed inputs and, where it helps, a dictionary:
//!
//! | target | what it feeds | what it checks beyond "no panic" |
//! |---|---|---|
//! | `frame` | the frame parser (the pipeline's parse stage, every header parser) | offsets inside the frame |
//! | `pipeline` | `process()` on sequences of frames, against a snapshot with zones, policies, NAT and screens | checksums kept, replies well-formed, kernel frames untouched |
//! | `compile` | `Snapshot::compile` on models generated from a Junos grammar that pass `commit check` | a checked model compiles |
//! | `config` | the Junos parser and loader | refused loads change nothing; curly and set forms reload to the same tree |
//! | `manifest` | the signed-manifest reader | only the key's own signatures verify |
//!
//! The engine is AFL++ through `cargo-afl` (coverage-guided, on stable
//! Rust): `xpf-fuzz-afl <target>` is the instrumented binary, and
//! `xpf-fuzz run` builds it, runs each target for a set time and reports
//! executions, executions per second and crashes (docs/fuzzing.md).
//!
//! ```
//! let t = xpf_fuzz::target("frame").expect("a target");
//! for seed in (t.seeds)() {
//!     (t.run)(&seed);
//! }
//! ```
#![deny(missing_docs)]

pub mod packets;
pub mod targets;

/// One fuzz target.
pub struct Target {
    /// Its name on the command line.
    pub name: &'static str,
    /// What it feeds.
    pub about: &'static str,
    /// Runs one input; panics on a bug.
    pub run: fn(&[u8]),
    /// Seed inputs built in code (the repository ships them this way, so
    /// a clone without `../shared` still has seeds).
    pub seeds: fn() -> Vec<Vec<u8>>,
}

/// Every target, in the order `xpf-fuzz run` runs them.
pub const TARGETS: &[Target] = &[
    Target {
        name: "frame",
        about: "the frame parser on arbitrary bytes",
        run: targets::frame::run,
        seeds: targets::frame::seeds,
    },
    Target {
        name: "pipeline",
        about: "process() on sequences of frames against a representative snapshot",
        run: targets::pipeline::run,
        seeds: targets::pipeline::seeds,
    },
    Target {
        name: "compile",
        about: "Snapshot::compile on generated models that pass commit check",
        run: targets::compile::run,
        seeds: targets::compile::seeds,
    },
    Target {
        name: "config",
        about: "the Junos parser and loader, with the print/reload round trip",
        run: targets::config::run,
        seeds: targets::config::seeds,
    },
    Target {
        name: "manifest",
        about: "the signed-manifest reader on arbitrary and mutated valid files",
        run: targets::manifest::run,
        seeds: targets::manifest::seeds,
    },
];

/// The target of a name.
pub fn target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every target has seeds, and none of them crashes: `xpf-fuzz run`
    /// replays them first, but a broken seed should fail here already.
    #[test]
    fn every_seed_runs_cleanly() {
        for t in TARGETS {
            let seeds = (t.seeds)();
            assert!(!seeds.is_empty(), "{} has no seeds", t.name);
            for s in &seeds {
                (t.run)(s);
            }
            (t.run)(&[]);
        }
    }
}
