// SPDX-License-Identifier: Apache-2.0
//! Errors: [`NetlinkError`] for one failed kernel operation, [`ApplyError`] for a desired
//! state that cannot be (or was not fully) applied, [`RestoreError`] for a best-effort
//! restore that left something behind.

use std::fmt;
use std::io;

use thiserror::Error;

use crate::apply::Action;
use crate::names::junos_name;

/// A netlink operation, named in errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Opening a netlink socket.
    Connect,
    /// Subscribing to change notifications.
    Subscribe,
    /// Dumping links (`ip link show`).
    DumpLinks,
    /// Dumping addresses (`ip addr show`).
    DumpAddresses,
    /// Creating a VLAN link.
    CreateVlan,
    /// Deleting a link.
    DeleteLink,
    /// Setting the MTU.
    SetMtu,
    /// Setting or clearing the alias.
    SetAlias,
    /// Setting the device group (xpf's mark, see [`crate::XPF_LINK_GROUP`]).
    SetGroup,
    /// Setting the link administratively up.
    SetUp,
    /// Setting the link administratively down.
    SetDown,
    /// Adding an address.
    AddAddress,
    /// Removing an address.
    RemoveAddress,
    /// Dumping routes (`ip route show`).
    DumpRoutes,
    /// Adding a route.
    AddRoute,
    /// Deleting a route.
    DeleteRoute,
    /// Dumping neighbours (`ip neigh show`).
    DumpNeighbours,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Op::Connect => "open netlink socket",
            Op::Subscribe => "subscribe to link/address changes",
            Op::DumpLinks => "list links",
            Op::DumpAddresses => "list addresses",
            Op::CreateVlan => "create VLAN",
            Op::DeleteLink => "delete link",
            Op::SetMtu => "set MTU of",
            Op::SetAlias => "set alias of",
            Op::SetGroup => "set device group of",
            Op::SetUp => "set up",
            Op::SetDown => "set down",
            Op::AddAddress => "add address",
            Op::RemoveAddress => "remove address",
            Op::DumpRoutes => "dump routes",
            Op::DumpNeighbours => "dump neighbours",
            Op::AddRoute => "add route",
            Op::DeleteRoute => "delete route",
        })
    }
}

/// One netlink operation that failed.
#[derive(Debug, Error)]
pub enum NetlinkError {
    /// There is no tokio runtime to run the netlink connection on.
    #[error("{op}: no tokio runtime on this thread")]
    NoRuntime {
        /// What was being set up.
        op: Op,
    },
    /// A socket-level failure (opening, binding, subscribing).
    #[error("{op}: {source}")]
    Socket {
        /// What was being done.
        op: Op,
        /// The system error.
        #[source]
        source: io::Error,
    },
    /// The kernel refused or the request could not be sent.
    #[error("{op} {target}: {}", describe(.errno, .source))]
    Kernel {
        /// What was being done.
        op: Op,
        /// What it was done to: `ge-0/0/1 (ge-0-0-1)` (Junos and Linux name, or one name when
        /// they are the same), or `ADDR on` such a name.
        target: String,
        /// The errno the kernel answered with, when it answered with one.
        errno: Option<i32>,
        /// The rtnetlink error.
        #[source]
        source: rtnetlink::Error,
    },
}

impl NetlinkError {
    pub(crate) fn kernel(op: Op, target: impl Into<String>, source: rtnetlink::Error) -> Self {
        let errno = match &source {
            rtnetlink::Error::NetlinkError(msg) => msg.code.map(|c| -c.get()),
            _ => None,
        };
        NetlinkError::Kernel {
            op,
            target: target.into(),
            errno,
            source,
        }
    }

    /// The errno of a kernel refusal (`libc` constants, positive: 17 is `EEXIST`).
    pub fn errno(&self) -> Option<i32> {
        match self {
            NetlinkError::Kernel { errno, .. } => *errno,
            NetlinkError::Socket { source, .. } => source.raw_os_error(),
            NetlinkError::NoRuntime { .. } => None,
        }
    }
}

fn describe(errno: &Option<i32>, source: &rtnetlink::Error) -> String {
    match errno {
        Some(e) => io::Error::from_raw_os_error(*e).to_string(),
        None => source.to_string(),
    }
}

/// `ge-0/0/5 (ge-0-0-5)`, or just `eth1` when both names are the same.
pub(crate) fn both_names(linux: &str) -> String {
    let junos = junos_name(linux);
    if junos == linux {
        linux.to_string()
    } else {
        format!("{junos} ({linux})")
    }
}

/// Why a desired state was not applied. Every variant but [`ApplyError::Failed`] is found
/// before anything is changed.
#[derive(Debug, Error)]
pub enum ApplyError {
    /// A physical interface the configuration names does not exist.
    #[error("interface {} does not exist", both_names(.name))]
    Missing {
        /// Its Linux name.
        name: String,
    },
    /// The parent of a desired VLAN does not exist (or is an xpf VLAN about to be deleted).
    #[error("interface {}: parent interface {} does not exist", both_names(.name), both_names(.parent))]
    MissingParent {
        /// The VLAN's Linux name.
        name: String,
        /// The parent's Linux name.
        parent: String,
    },
    /// The same Linux name appears twice in the desired state.
    #[error("interface {} is configured twice", both_names(.name))]
    Duplicate {
        /// The Linux name.
        name: String,
    },
    /// A desired link that cannot be right whatever the kernel holds.
    #[error("interface {}: {why}", both_names(.name))]
    Invalid {
        /// The Linux name.
        name: String,
        /// What is wrong.
        why: String,
    },
    /// A link with the name of a desired VLAN exists, is not that VLAN, and xpf did not
    /// create it, so xpf will not delete it.
    #[error("interface {}: {found} exists and xpf did not create it, so it will not replace it", both_names(.name))]
    Conflict {
        /// The Linux name.
        name: String,
        /// What is there (`a veth`, `VLAN 20 on eth0`).
        found: String,
    },
    /// Reading the current state failed before anything was changed.
    #[error(transparent)]
    Netlink(#[from] NetlinkError),
    /// Something failed once changing had begun (a kernel refusal, or a link that vanished
    /// meanwhile), after `done` had been carried out: the namespace may be half-applied,
    /// restore the snapshot taken before.
    #[error("{source} (after {} change(s) were made)", done.len())]
    Failed {
        /// What was changed before the failure, in order.
        done: Vec<Action>,
        /// The failure.
        #[source]
        source: Box<ApplyError>,
    },
}

/// A best-effort restore that could not put everything back.
#[derive(Debug, Error)]
#[error(
    "restore incomplete: {} problem(s), first: {}",
    failures.len(),
    failures.first().map(ToString::to_string).unwrap_or_default()
)]
pub struct RestoreError {
    /// What was changed, in order.
    pub done: Vec<Action>,
    /// What could not be restored.
    pub failures: Vec<ApplyError>,
}
