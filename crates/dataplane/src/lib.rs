// SPDX-License-Identifier: Apache-2.0
//! The xpf packet pipeline: the behaviour every xpf dataplane implements.
//!
//! The AF_XDP workers run this code per queue; the eBPF fallback is
//! checked against it on a shared packet corpus.
//!
//! Main types:
//! - [`Snapshot`]: the committed configuration compiled for lookups
//!   (zones by ifindex, host-inbound rules, policies per zone pair in a
//!   first-match classifier, NAT, screens, timeouts). Immutable and
//!   versioned; a commit builds a new one and swaps it in.
//! - [`InterfaceTable`]: kernel ifindex ↔ Junos unit name, with addresses.
//! - [`Fib`]: where a destination is routed ([`StaticFib`] for tests).
//! - [`Worker`]: one worker's mutable state: [`Sessions`], [`Counters`],
//!   the session [`LogQueue`].
//! - [`process`]: one frame in, one [`Verdict`] out.
//!
//! Data flow: `Model` + `InterfaceTable` → [`Snapshot::compile`] →
//! [`process`]`(&snapshot, &mut worker, &fib, ingress, frame, len, now)` →
//! [`Verdict`] (`Forward`, `ToKernel`, `Drop(reason)`, `Reply(len)`), with
//! the frame rewritten in place.
//!
//! ```
//! use xpf_dataplane::{process, InterfaceTable, Snapshot, StaticFib, Verdict, Worker};
//!
//! let text = "
//! interfaces {
//!     ge-0/0/0 { unit 0 { family inet { address 10.0.1.1/24; } } }
//!     ge-0/0/1 { unit 0 { family inet { address 10.0.2.1/24; } } }
//! }
//! security {
//!     zones {
//!         security-zone trust { interfaces { ge-0/0/0.0; } }
//!         security-zone untrust { interfaces { ge-0/0/1.0; } }
//!     }
//!     policies {
//!         from-zone trust to-zone untrust {
//!             policy out { match { source-address any; destination-address any; application any; } then { permit; } }
//!         }
//!     }
//! }";
//! let cfg = xpf_config::parse_config(text).unwrap();
//! let model = xpf_model::build(&xpf_config::effective(&cfg, None)).unwrap();
//! let ifs = InterfaceTable::new()
//!     .with(2, "ge-0/0/0.0", &["10.0.1.1/24"])
//!     .with(3, "ge-0/0/1.0", &["10.0.2.1/24"]);
//! let snap = Snapshot::compile(&model, &ifs).unwrap();
//! let fib = StaticFib::connected(&ifs);
//! let mut worker = Worker::with_capacity(&snap, 1024);
//!
//! // An ARP request is the kernel's.
//! let mut arp = [0u8; 64];
//! arp[12..14].copy_from_slice(&[0x08, 0x06]);
//! arp[14..22].copy_from_slice(&[0, 1, 8, 0, 6, 4, 0, 1]);
//! assert_eq!(process(&snap, &mut worker, &fib, 2, &mut arp, 42, 0), Verdict::ToKernel);
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod addr;
mod bounded;
pub mod checksum;
mod counters;
pub mod engine;
mod fib;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod interfaces;
mod log;
pub mod parse;
mod pipeline;
mod session;
mod snapshot;
mod stage;
mod verdict;
pub mod view;
mod worker;

pub use counters::{Counters, InterfaceCounters};
pub use engine::{Engine, EngineKind, Refused};
pub use fib::{Fib, Route, StaticFib};
pub use interfaces::{InterfaceEntry, InterfaceTable};
pub use log::{rt_flow_line, rt_flow_structured, LogQueue, Record, RecordKind};
pub use pipeline::process;
pub use session::{
    Dir, FlowKey, Session, SessionCounters, SessionLimits, Sessions, TcpState, TcpTracker, Xlate,
};
pub use snapshot::export;
pub use snapshot::{
    CompileError, NatKind, NatRef, PolicyRef, Snapshot, Timeouts, DEFAULT_SESSION_CAPACITY,
    INTERFACE_NAT_PORTS,
};
pub use stage::nat::{NatCounters, NatRuleHits};
pub use verdict::{DropReason, Verdict};
pub use view::{SessionFilter, SessionView, Wing, FILTER_WORDS};
pub use worker::{Worker, LOG_QUEUE};
