// SPDX-License-Identifier: Apache-2.0
//! The eBPF fallback dataplane's userspace half (issue 6): builds
//! `ebpf/xpf_xdp_dataplane.c` (build.rs), loads it with aya, fills its
//! maps from the same [`xpf_dataplane::Snapshot`] the Rust pipeline runs
//! on, swaps configurations whole (two config buffers and a generation),
//! attaches it, and reads sessions and counters back.
//!
//! Main types: [`EbpfDataplane`] (load, [`EbpfDataplane::apply`],
//! [`EbpfDataplane::attach`], [`EbpfDataplane::test_run`],
//! [`EbpfDataplane::sessions`], [`EbpfDataplane::counters`],
//! [`EbpfDataplane::events`], [`EbpfDataplane::sweep`]), [`EbpfEvent`]
//! (a session event, [`EbpfEvent::record`] its RT_FLOW record) and
//! [`CompileError`] for configurations the program does not implement.
//!
//! Data flow: `Snapshot` → `Snapshot::export` → `compile` (map contents
//! for the idle buffer) → map writes → one write of `xpf_dp_active`.
//!
//! With a pin dir, the attachment and the session table outlive the
//! process: a later load takes both over, swapping its program in place
//! (hitless restart; see `program.rs` for the pin layout). Only
//! [`EbpfDataplane::detach`] or [`unpin_link`] takes the program off.
//!
//! The program is held to the pipeline's behaviour by
//! `tests/differential.rs`, which runs corpus frames through both.
//!
//! ```no_run
//! use xpf_ebpf_loader::{EbpfDataplane, Options};
//! # fn demo(snap: &xpf_dataplane::Snapshot) -> Result<(), xpf_ebpf_loader::Error> {
//! let mut dp = EbpfDataplane::load(&Options::default())?; // pins under /sys/fs/bpf/xpf
//! dp.apply(snap)?;
//! dp.attach(2)?;
//! println!("{} sessions", dp.sessions()?.len());
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod abi;
#[cfg(test)]
mod btf_check;
mod compile;
mod entries;
mod error;
mod events;
pub mod kernel;
mod layout;
mod pins;
mod program;
mod sys;

pub use compile::{host_admission, CompileError, HostEntry};
pub use error::Error;
pub use events::{application, session_id, EbpfEvent, EventKind};
pub use layout::{AttachMode, Options, PIN_DIR, PROGRAM};
pub use pins::{ensure_bpffs, pinned_links, unpin_link};
pub use program::{EbpfCounters, EbpfDataplane, EbpfSession, LimitCount, Outcome, TestRun};

/// Drop reasons only the eBPF program has (numbers above the pipeline's),
/// as `(number, name)`; `ebpf/dataplane/drop_reasons.h` defines them.
pub const EBPF_ONLY_REASONS: &[(u32, &str)] = &[
    (56, "unsupported"),
    (57, "no-neighbour"),
    (58, "redirect-failed"),
    (59, "no-config"),
    (60, "handback-failed"),
];

#[cfg(test)]
mod tests {
    use xpf_dataplane::DropReason;

    /// drop_reasons.h and the Rust enum are one list, both ways.
    #[test]
    fn drop_reason_numbers_match_the_c_header() {
        let h = include_str!("../../../ebpf/dataplane/drop_reasons.h");
        let mut seen = 0;
        let mut in_header = Vec::new();
        for line in h.lines() {
            let mut w = line.split_whitespace();
            if w.next() != Some("#define") {
                continue;
            }
            let (Some(name), Some(num)) = (w.next(), w.next()) else {
                continue;
            };
            let Some(name) = name.strip_prefix("XPF_DROP_") else {
                continue;
            };
            let num: u32 = num.parse().expect("a number");
            in_header.push(num);
            let kebab = name.to_ascii_lowercase().replace('_', "-");
            if let Some(r) = DropReason::ALL.iter().find(|r| **r as u32 == num) {
                assert_eq!(r.name(), kebab, "reason {num}");
            } else {
                let known = super::EBPF_ONLY_REASONS
                    .iter()
                    .any(|&(n, s)| n == num && s == kebab);
                assert!(
                    known,
                    "{kebab} = {num} is neither a DropReason nor in EBPF_ONLY_REASONS"
                );
                assert!(
                    DropReason::ALL.iter().all(|r| (*r as u32) < num),
                    "eBPF-only numbers sit above the pipeline's"
                );
            }
            seen += 1;
        }
        assert!(seen > 10);
        for r in DropReason::ALL {
            assert!(
                in_header.contains(&(*r as u32)),
                "{} = {} is missing from drop_reasons.h",
                r.name(),
                *r as u32
            );
        }
    }
}
