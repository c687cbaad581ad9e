// SPDX-License-Identifier: Apache-2.0
//! xpf's owner of the Linux interfaces of its network namespace.
//!
//! `xpfd` owns every interface of the namespace it runs in. This crate is the only part of
//! xpf that changes them: it turns Junos interface names into Linux ones, reads what the
//! kernel holds, makes it match what the configuration wants, puts it back when a commit
//! fails half way, and tells the daemon when something else changed an interface.
//!
//! # Types
//!
//! - [`linux_name`], [`junos_name`], [`unit_linux_name`] ([`names`]): the documented,
//!   reversible mapping `ge-0/0/1.10` ↔ `ge-0-0-1.10`; [`NameError`].
//! - [`Desired`], [`DesiredLink`], [`LinkKind`], [`IfAddr`] ([`desired`]): plain data the
//!   daemon fills from its typed configuration.
//! - [`Owner`]: one rtnetlink connection; [`Owner::snapshot`] → [`Snapshot`] of
//!   [`LinkState`]s, [`Owner::apply`] → [`ApplyReport`] of [`Action`]s,
//!   [`Owner::restore`] back to a [`Snapshot`].
//! - [`watch()`] → [`Watcher`], a stream of [`Change`]s from a second, multicast socket.
//! - Errors: [`NetlinkError`] (one failed kernel operation, with its errno),
//!   [`ApplyError`], [`RestoreError`], [`IfAddrError`].
//!
//! xpf-created VLAN links carry the device group [`XPF_LINK_GROUP`]; only such VLANs are
//! ever deleted, so VLANs made by anything else are never removed.
//!
//! # Data flow
//!
//! ```text
//! typed config ──linux_name()──▶ Desired ──Owner::apply()──▶ kernel (rtnetlink)
//!                                   ▲          │ error              │
//!                     Owner::snapshot() ──▶ Owner::restore()        │ notifications
//!                                   │                               ▼
//!                      daemon re-applies ◀── debounce ◀── watch(): Change stream
//! ```
//!
//! A commit: take a [`Snapshot`], [`Owner::apply`] the new [`Desired`]; on an error,
//! [`Owner::restore`] the snapshot. Both connections live in the network namespace of the
//! thread that creates them and run as tasks on the current tokio runtime.
//!
//! # Example
//!
//! ```no_run
//! use futures::StreamExt;
//! use xpf_netlink::{linux_name, watch, Desired, DesiredLink, Owner};
//!
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let owner = Owner::new()?;
//! let uplink = linux_name("ge-0/0/0")?;
//! let desired = Desired {
//!     links: vec![
//!         DesiredLink::physical(&uplink)
//!             .with_mtu(1400)
//!             .with_alias("uplink")
//!             .with_address("192.0.2.1/24".parse()?),
//!         DesiredLink::vlan(linux_name("ge-0/0/0.10")?, &uplink, 10)
//!             .with_address("198.51.100.1/24".parse()?),
//!     ],
//!     down_unmanaged: true,
//! };
//! let before = owner.snapshot().await?;
//! match owner.apply(&desired).await {
//!     Ok(report) => println!("{report}"),
//!     Err(e) => {
//!         eprintln!("commit failed: {e}");
//!         owner.restore(&before).await?;
//!     }
//! }
//! let mut changes = watch()?;
//! while let Some(change) = changes.next().await {
//!     // debounce, then apply `desired` again
//!     let _ = change;
//! }
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

pub mod apply;
pub mod desired;
pub mod error;
pub mod names;
pub mod neighbours;
pub mod routes;
pub mod state;
mod sys;
pub mod watch;

pub use apply::{Action, ApplyReport, Owner};
pub use desired::{Desired, DesiredLink, IfAddr, IfAddrError, LinkKind};
pub use error::{ApplyError, NetlinkError, Op, RestoreError};
pub use names::{junos_name, linux_name, unit_linux_name, NameError, MAX_LINUX_NAME};
pub use neighbours::Neighbour;
pub use routes::{
    DesiredRoute, RouteKind, RouteReport, RouteState, RouteTarget, XPF_ROUTE_PROTOCOL,
};
pub use state::{LinkState, ObservedKind, Snapshot, XPF_LINK_GROUP};
pub use watch::{watch, Change, Watcher};
