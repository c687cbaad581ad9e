// SPDX-License-Identifier: Apache-2.0
//! xpfd, the xpf supervisor, as a library; `main.rs` only parses flags.
//!
//! Where to start reading:
//! - [`daemon::run`]: start-up, the servers, the event loop.
//! - `daemon::supervisor`: the commit transaction (check, apply the
//!   interfaces, accounts, sshd and the engines, record; undo on error).
//! - `daemon::forwarding`: which engine runs where (AF_XDP, eBPF, both),
//!   chosen from the configuration and what the kernel allows.
//! - `daemon::show`: every operational command's text, rendered in one place.
//! - `daemon::grpc`, `daemon::rest`, `daemon::metrics`: the APIs.
//! - [`offline`]: `xpfd check` and `xpfd convert`.
#![deny(missing_docs)]

pub mod daemon;
pub mod offline;
