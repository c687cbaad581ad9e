// SPDX-License-Identifier: Apache-2.0
//! The AFL++ harness: `xpf-fuzz-afl <target>`, built by `cargo afl build`
//! (feature `afl`) and run by `xpf-fuzz run`. Outside AFL it runs the
//! target once on standard input.

fn main() {
    let name = std::env::args().nth(1).unwrap_or_default();
    let Some(t) = xpf_fuzz::target(&name) else {
        let names: Vec<&str> = xpf_fuzz::TARGETS.iter().map(|t| t.name).collect();
        eprintln!("usage: xpf-fuzz-afl <{}>", names.join("|"));
        std::process::exit(2);
    };
    // Whatever a target builds once (a snapshot, a key) is built here,
    // before AFL's fork server starts, not in every child.
    (t.run)(&[]);
    afl::fuzz(true, |data| (t.run)(data));
}
