// SPDX-License-Identifier: Apache-2.0
//! The xpf packet pipeline.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod addr;
pub mod checksum;
mod fib;
mod interfaces;
pub mod parse;
mod snapshot;
mod verdict;

pub use fib::{Fib, Route, StaticFib};
pub use interfaces::{InterfaceEntry, InterfaceTable};
pub use snapshot::{CompileError, PolicyRef, Snapshot, Timeouts, DEFAULT_SESSION_CAPACITY};
pub use verdict::{DropReason, Verdict};
