// SPDX-License-Identifier: Apache-2.0
//! [`Owner`]: reads the namespace's links ([`Owner::snapshot`]), makes them match a
//! [`Desired`] ([`Owner::apply`]) and puts a snapshot back ([`Owner::restore`]).
//!
//! Apply and restore share one reconciler that works in three phases, each against a fresh
//! dump of the kernel's state:
//!
//! 1. structure: delete xpf-created VLANs that are no longer wanted (or have the wrong
//!    parent or id), then create the missing VLANs (down, marked with
//!    [`XPF_LINK_GROUP`]);
//! 2. links: MTU, alias, mark and admin state of each wanted link, parents before VLANs;
//!    then, with `down_unmanaged`, set down every other link but `lo`;
//! 3. addresses: remove the unwanted ones (never IPv6 link-local), dump again (removing an
//!    IPv4 primary address can take its secondaries along), add the missing ones.
//!
//! Addresses come last because setting a link down makes the kernel drop its IPv6
//! addresses. Each phase only issues a request when the kernel's value differs, so applying
//! the same state twice issues none the second time.

use std::collections::HashSet;
use std::fmt;

use rtnetlink::Handle;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;

use crate::desired::{Desired, IfAddr, LinkKind};
use crate::error::{both_names, ApplyError, NetlinkError, Op, RestoreError};
use crate::names::MAX_LINUX_NAME;
use crate::state::{LinkState, Snapshot, XPF_LINK_GROUP};
use crate::sys;

/// Longest alias the kernel takes (`IFALIASZ` is 256 including the NUL).
const MAX_ALIAS: usize = 255;

/// One change made to the kernel's state, as reported by [`Owner::apply`] and
/// [`Owner::restore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Created a VLAN link (marked as xpf's).
    CreateVlan {
        /// Linux name.
        name: String,
        /// Parent's Linux name.
        parent: String,
        /// VLAN id.
        id: u16,
    },
    /// Deleted an xpf-created VLAN link.
    DeleteVlan {
        /// Linux name.
        name: String,
    },
    /// Changed the MTU.
    SetMtu {
        /// Linux name.
        name: String,
        /// MTU before.
        from: u32,
        /// MTU after.
        to: u32,
    },
    /// Changed the alias (Junos description).
    SetAlias {
        /// Linux name.
        name: String,
        /// Alias before.
        from: Option<String>,
        /// Alias after.
        to: Option<String>,
    },
    /// Changed the device group: to [`XPF_LINK_GROUP`] when xpf adopts an existing VLAN.
    SetGroup {
        /// Linux name.
        name: String,
        /// Group before.
        from: u32,
        /// Group after.
        to: u32,
    },
    /// Set the link administratively up.
    SetUp {
        /// Linux name.
        name: String,
    },
    /// Set the link administratively down.
    SetDown {
        /// Linux name.
        name: String,
    },
    /// Added an address.
    AddAddress {
        /// Linux name.
        name: String,
        /// The address.
        addr: IfAddr,
    },
    /// Removed an address.
    RemoveAddress {
        /// Linux name.
        name: String,
        /// The address.
        addr: IfAddr,
    },
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let opt = |a: &Option<String>| {
            a.as_deref()
                .map_or("(none)".to_string(), |s| format!("{s:?}"))
        };
        match self {
            Action::CreateVlan { name, parent, id } => {
                write!(
                    f,
                    "create {} as VLAN {id} on {}",
                    both_names(name),
                    both_names(parent)
                )
            }
            Action::DeleteVlan { name } => write!(f, "delete VLAN {}", both_names(name)),
            Action::SetMtu { name, from, to } => {
                write!(f, "{}: MTU {from} -> {to}", both_names(name))
            }
            Action::SetAlias { name, from, to } => {
                write!(
                    f,
                    "{}: description {} -> {}",
                    both_names(name),
                    opt(from),
                    opt(to)
                )
            }
            Action::SetGroup { name, from, to } if *to == XPF_LINK_GROUP => {
                write!(
                    f,
                    "{}: adopt (device group {from} -> {to})",
                    both_names(name)
                )
            }
            Action::SetGroup { name, from, to } => {
                write!(f, "{}: device group {from} -> {to}", both_names(name))
            }
            Action::SetUp { name } => write!(f, "{}: up", both_names(name)),
            Action::SetDown { name } => write!(f, "{}: down", both_names(name)),
            Action::AddAddress { name, addr } => write!(f, "{}: add {addr}", both_names(name)),
            Action::RemoveAddress { name, addr } => {
                write!(f, "{}: remove {addr}", both_names(name))
            }
        }
    }
}

/// What [`Owner::apply`] or [`Owner::restore`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplyReport {
    /// The changes, in the order they were made.
    pub actions: Vec<Action>,
}

impl ApplyReport {
    /// Nothing was changed: the kernel already matched.
    pub fn is_unchanged(&self) -> bool {
        self.actions.is_empty()
    }
}

impl fmt::Display for ApplyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.actions.is_empty() {
            return f.write_str("no changes");
        }
        for (i, a) in self.actions.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{a}")?;
        }
        Ok(())
    }
}

/// Owns the links of the network namespace it was created in: one rtnetlink connection,
/// driven by a task on the current tokio runtime (aborted when the `Owner` is dropped).
///
/// [`Owner::apply`] and [`Owner::restore`] are serialised by an internal lock.
#[derive(Debug)]
pub struct Owner {
    handle: Handle,
    connection: JoinHandle<()>,
    lock: Mutex<()>,
    /// Held for each dump: the kernel refuses (EBUSY) a second dump on a
    /// socket while one is running, and callers share this `Owner`.
    dumps: Mutex<()>,
}

impl Owner {
    /// The netlink handle, for this crate's other request kinds.
    pub(crate) fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Waits for the socket to be free of other dumps.
    pub(crate) async fn dumping(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.dumps.lock().await
    }
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.connection.abort();
    }
}

/// One wanted link for the reconciler; `None` fields are left as the kernel has them.
#[derive(Debug, Clone)]
struct Target {
    name: String,
    vlan: Option<(String, u16)>,
    mtu: Option<u32>,
    up: Option<bool>,
    alias: Option<Option<String>>,
    group: Option<u32>,
    addresses: Option<Vec<IfAddr>>,
}

impl Owner {
    /// Opens a netlink connection in the calling thread's network namespace and spawns its
    /// task on the current tokio runtime.
    pub fn new() -> Result<Self, NetlinkError> {
        let rt = tokio::runtime::Handle::try_current()
            .map_err(|_| NetlinkError::NoRuntime { op: Op::Connect })?;
        let (conn, handle, _unsolicited) =
            rtnetlink::new_connection().map_err(|source| NetlinkError::Socket {
                op: Op::Connect,
                source,
            })?;
        let connection = rt.spawn(conn);
        Ok(Owner {
            handle,
            connection,
            lock: Mutex::new(()),
            dumps: Mutex::new(()),
        })
    }

    /// Every link of the namespace with its kind, MTU, admin state, alias, group and
    /// addresses.
    pub async fn snapshot(&self) -> Result<Snapshot, NetlinkError> {
        sys::snapshot(&self.handle, &self.dumps).await
    }

    /// Makes the namespace's links match `desired`.
    ///
    /// Everything that can be checked beforehand is checked before the first change (a
    /// missing physical interface, a missing VLAN parent, a name used twice, a foreign link
    /// in the way of a VLAN, an MTU out of the device's range, an alias too long): those
    /// errors leave the namespace untouched. A kernel refusal after that is
    /// [`ApplyError::Failed`], listing what was already changed; restore the snapshot taken
    /// before to undo it.
    pub async fn apply(&self, desired: &Desired) -> Result<ApplyReport, ApplyError> {
        let _guard = self.lock.lock().await;
        let snap = self.snapshot().await?;
        let targets = targets_from_desired(desired, &snap)?;
        let mut run = Run::new(&self.handle, &self.dumps, false);
        match run.reconcile(snap, &targets, desired.down_unmanaged).await {
            Ok(()) => Ok(ApplyReport { actions: run.done }),
            Err(source) => Err(ApplyError::Failed {
                done: run.done,
                source: Box::new(source),
            }),
        }
    }

    /// Best-effort return to `snapshot`: deletes xpf-created VLANs the snapshot does not
    /// have, recreates VLANs it has that are gone, and puts back MTU, alias, group, admin
    /// state and addresses of every link it lists. Links created since by others are left
    /// alone. It carries on past failures and lists them all in the error.
    pub async fn restore(&self, snapshot: &Snapshot) -> Result<ApplyReport, RestoreError> {
        let _guard = self.lock.lock().await;
        let targets = targets_from_snapshot(snapshot);
        let mut run = Run::new(&self.handle, &self.dumps, true);
        let current = match self.snapshot().await {
            Ok(s) => s,
            Err(e) => {
                return Err(RestoreError {
                    done: Vec::new(),
                    failures: vec![e.into()],
                })
            }
        };
        if let Err(e) = run.reconcile(current, &targets, false).await {
            run.failures.push(e);
        }
        if run.failures.is_empty() {
            Ok(ApplyReport { actions: run.done })
        } else {
            Err(RestoreError {
                done: run.done,
                failures: run.failures,
            })
        }
    }
}

fn invalid(name: &str, why: impl Into<String>) -> ApplyError {
    ApplyError::Invalid {
        name: name.to_string(),
        why: why.into(),
    }
}

/// Checks `desired` against the kernel's state and turns it into reconciler targets.
fn targets_from_desired(desired: &Desired, snap: &Snapshot) -> Result<Vec<Target>, ApplyError> {
    let named: HashSet<&str> = desired.links.iter().map(|l| l.name.as_str()).collect();
    // An xpf VLAN the configuration no longer names is about to be deleted.
    let will_exist = |name: &str| {
        snap.link(name)
            .is_some_and(|l| !l.is_xpf_vlan() || named.contains(name))
    };
    let mut seen = HashSet::new();
    let mut targets = Vec::with_capacity(desired.links.len());
    for d in &desired.links {
        let name = d.name.as_str();
        check_linux_name(name)?;
        if !seen.insert(name) {
            return Err(ApplyError::Duplicate {
                name: name.to_string(),
            });
        }
        let alias = d.alias.clone().filter(|a| !a.is_empty());
        if let Some(a) = &alias {
            if a.len() > MAX_ALIAS {
                return Err(invalid(
                    name,
                    format!(
                        "description is {} bytes, Linux keeps at most {MAX_ALIAS}",
                        a.len()
                    ),
                ));
            }
            if a.contains('\0') {
                return Err(invalid(name, "description contains a NUL byte"));
            }
        }
        if let Some(bad) = d.addresses.iter().find(|a| !a.is_valid()) {
            return Err(invalid(
                name,
                format!("address {bad}: prefix length too long"),
            ));
        }
        let current = snap.link(name);
        let vlan = match &d.kind {
            LinkKind::Physical => {
                let Some(cur) = current else {
                    return Err(ApplyError::Missing {
                        name: name.to_string(),
                    });
                };
                if let Some(mtu) = d.mtu {
                    check_mtu_range(name, mtu, cur)?;
                }
                None
            }
            LinkKind::Vlan { parent, id } => {
                if !(1..=4094).contains(id) {
                    return Err(invalid(name, format!("VLAN id {id} is outside 1..=4094")));
                }
                if parent == name {
                    return Err(invalid(name, "a VLAN cannot be its own parent"));
                }
                if !will_exist(parent) {
                    return Err(ApplyError::MissingParent {
                        name: name.to_string(),
                        parent: parent.clone(),
                    });
                }
                if let Some(cur) = current {
                    if cur.vlan() != Some((parent.as_str(), *id)) && !cur.is_xpf_vlan() {
                        return Err(ApplyError::Conflict {
                            name: name.to_string(),
                            found: cur.describe(),
                        });
                    }
                }
                if let Some(mtu) = d.mtu {
                    let parent_mtu = desired
                        .links
                        .iter()
                        .find(|l| &l.name == parent)
                        .and_then(|l| l.mtu)
                        .or_else(|| snap.link(parent).map(|l| l.mtu));
                    if let Some(pm) = parent_mtu.filter(|pm| mtu > *pm) {
                        return Err(invalid(
                            name,
                            format!(
                                "MTU {mtu} is above the MTU {pm} of its parent {}",
                                both_names(parent)
                            ),
                        ));
                    }
                }
                Some((parent.clone(), *id))
            }
        };
        let mut addresses = d.addresses.clone();
        addresses.sort();
        addresses.dedup();
        targets.push(Target {
            name: name.to_string(),
            group: vlan.as_ref().map(|_| XPF_LINK_GROUP),
            vlan,
            mtu: d.mtu,
            up: Some(d.up),
            alias: Some(alias),
            addresses: Some(addresses),
        });
    }
    Ok(targets)
}

fn check_linux_name(name: &str) -> Result<(), ApplyError> {
    let why = if name.is_empty() {
        "empty name"
    } else if name.len() > MAX_LINUX_NAME {
        "name longer than 15 bytes"
    } else if name == "." || name == ".." {
        "`.` and `..` are not names"
    } else if name
        .chars()
        .any(|c| c == '/' || c == ':' || c == '\0' || c.is_whitespace())
    {
        "`/`, `:`, NUL and whitespace are not allowed in Linux names (use linux_name())"
    } else {
        return Ok(());
    };
    Err(invalid(name, why))
}

fn check_mtu_range(name: &str, mtu: u32, cur: &LinkState) -> Result<(), ApplyError> {
    let low = cur.min_mtu.filter(|m| mtu < *m);
    let high = cur.max_mtu.filter(|m| *m > 0 && mtu > *m);
    if low.is_some() || high.is_some() {
        let range = format!(
            "{}..={}",
            cur.min_mtu.map_or("?".to_string(), |m| m.to_string()),
            cur.max_mtu.map_or("?".to_string(), |m| m.to_string())
        );
        return Err(invalid(
            name,
            format!("MTU {mtu} is outside the device's range {range}"),
        ));
    }
    Ok(())
}

/// Reconciler targets that put every link of `snap` back as it was.
fn targets_from_snapshot(snap: &Snapshot) -> Vec<Target> {
    snap.links
        .iter()
        .map(|l| Target {
            name: l.name.clone(),
            vlan: l.vlan().map(|(p, id)| (p.to_string(), id)),
            mtu: Some(l.mtu),
            up: Some(l.up),
            alias: Some(l.alias.clone()),
            group: Some(l.group),
            addresses: Some(
                l.addresses
                    .iter()
                    .copied()
                    .filter(|a| !a.is_ipv6_link_local())
                    .collect(),
            ),
        })
        .collect()
}

/// One planned kernel request: the [`Action`] it carries out and the index of the link it
/// acts on (for [`Action::CreateVlan`], the parent's index).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Step {
    action: Action,
    index: u32,
}

/// What a phase plans: the requests, and the problems found (only possible when a link
/// changed between validation and this phase, or in a restore).
type Plan = (Vec<Step>, Vec<ApplyError>);

/// Phase 1: delete the xpf VLANs no target wants (or wants with another parent or id),
/// create the VLANs that are missing.
fn plan_structure(snap: &Snapshot, targets: &[Target]) -> Plan {
    let (mut steps, mut problems) = (Vec::new(), Vec::new());
    let target = |name: &str| targets.iter().find(|t| t.name == name);
    let mut deleted = HashSet::new();
    for l in snap.links.iter().filter(|l| l.is_xpf_vlan()) {
        let stale = match target(&l.name) {
            None => true,
            Some(Target {
                vlan: Some((p, id)),
                ..
            }) => l.vlan() != Some((p.as_str(), *id)),
            Some(_) => false,
        };
        if stale {
            steps.push(Step {
                action: Action::DeleteVlan {
                    name: l.name.clone(),
                },
                index: l.index,
            });
            deleted.insert(l.name.as_str());
        }
    }
    let exists = |name: &str| {
        snap.link(name)
            .filter(|l| !deleted.contains(l.name.as_str()))
    };
    for t in targets {
        let Some((parent, id)) = &t.vlan else {
            continue;
        };
        if let Some(cur) = exists(&t.name) {
            if cur.vlan() != Some((parent.as_str(), *id)) {
                problems.push(ApplyError::Conflict {
                    name: t.name.clone(),
                    found: cur.describe(),
                });
            }
            continue;
        }
        match exists(parent) {
            Some(p) => steps.push(Step {
                action: Action::CreateVlan {
                    name: t.name.clone(),
                    parent: parent.clone(),
                    id: *id,
                },
                index: p.index,
            }),
            None => problems.push(ApplyError::MissingParent {
                name: t.name.clone(),
                parent: parent.clone(),
            }),
        }
    }
    (steps, problems)
}

/// Phase 2: MTU, alias, group and admin state of every target (parents before VLANs), then
/// with `down_unmanaged` every other link but `lo` and the parents of target VLANs.
fn plan_links(snap: &Snapshot, targets: &[Target], down_unmanaged: bool) -> Plan {
    let (mut steps, mut problems) = (Vec::new(), Vec::new());
    let ordered = targets
        .iter()
        .filter(|t| t.vlan.is_none())
        .chain(targets.iter().filter(|t| t.vlan.is_some()));
    for t in ordered {
        let Some(cur) = snap.link(&t.name) else {
            problems.push(ApplyError::Missing {
                name: t.name.clone(),
            });
            continue;
        };
        let name = t.name.clone();
        let mut step = |action| {
            steps.push(Step {
                action,
                index: cur.index,
            })
        };
        if let Some(to) = t.mtu.filter(|m| *m != cur.mtu) {
            step(Action::SetMtu {
                name: name.clone(),
                from: cur.mtu,
                to,
            });
        }
        if let Some(to) = t.alias.as_ref().filter(|a| **a != cur.alias) {
            step(Action::SetAlias {
                name: name.clone(),
                from: cur.alias.clone(),
                to: to.clone(),
            });
        }
        if let Some(to) = t.group.filter(|g| *g != cur.group) {
            step(Action::SetGroup {
                name: name.clone(),
                from: cur.group,
                to,
            });
        }
        match t.up {
            Some(true) if !cur.up => step(Action::SetUp { name }),
            Some(false) if cur.up => step(Action::SetDown { name }),
            _ => {}
        }
    }
    if down_unmanaged {
        let keep: HashSet<&str> = targets
            .iter()
            .flat_map(|t| {
                std::iter::once(t.name.as_str()).chain(t.vlan.as_ref().map(|(p, _)| p.as_str()))
            })
            .chain(std::iter::once("lo"))
            .collect();
        for l in snap
            .links
            .iter()
            .filter(|l| l.up && !keep.contains(l.name.as_str()))
        {
            steps.push(Step {
                action: Action::SetDown {
                    name: l.name.clone(),
                },
                index: l.index,
            });
        }
    }
    (steps, problems)
}

/// Phase 3a: the addresses targets carry but do not want (IPv6 link-local ones are kept).
fn plan_removals(snap: &Snapshot, targets: &[Target]) -> Vec<Step> {
    let mut steps = Vec::new();
    for t in targets {
        let (Some(want), Some(cur)) = (&t.addresses, snap.link(&t.name)) else {
            continue;
        };
        for addr in cur
            .addresses
            .iter()
            .filter(|a| !a.is_ipv6_link_local() && !want.contains(a))
        {
            steps.push(Step {
                action: Action::RemoveAddress {
                    name: t.name.clone(),
                    addr: *addr,
                },
                index: cur.index,
            });
        }
    }
    steps
}

/// Phase 3b: the addresses targets want and lack.
fn plan_additions(snap: &Snapshot, targets: &[Target]) -> Vec<Step> {
    let mut steps = Vec::new();
    for t in targets {
        let (Some(want), Some(cur)) = (&t.addresses, snap.link(&t.name)) else {
            continue;
        };
        for addr in want.iter().filter(|a| !cur.addresses.contains(a)) {
            steps.push(Step {
                action: Action::AddAddress {
                    name: t.name.clone(),
                    addr: *addr,
                },
                index: cur.index,
            });
        }
    }
    steps
}

/// One apply or restore run: what it did and, in best-effort mode, what failed.
struct Run<'a> {
    h: &'a Handle,
    dumps: &'a Mutex<()>,
    best_effort: bool,
    done: Vec<Action>,
    failures: Vec<ApplyError>,
}

impl<'a> Run<'a> {
    fn new(h: &'a Handle, dumps: &'a Mutex<()>, best_effort: bool) -> Self {
        Run {
            h,
            dumps,
            best_effort,
            done: Vec::new(),
            failures: Vec::new(),
        }
    }

    /// A strict run stops at the first problem; a best-effort one notes it and goes on.
    fn problem(&mut self, e: ApplyError) -> Result<(), ApplyError> {
        if self.best_effort {
            tracing::warn!(error = %e, "restore: carrying on");
            self.failures.push(e);
            Ok(())
        } else {
            Err(e)
        }
    }

    async fn run(&mut self, (steps, problems): Plan) -> Result<(), ApplyError> {
        for p in problems {
            self.problem(p)?;
        }
        for step in steps {
            self.execute(step).await?;
        }
        Ok(())
    }

    /// Sends the request of one step; records its action when the kernel accepts it.
    async fn execute(&mut self, Step { action, index }: Step) -> Result<(), ApplyError> {
        let h = self.h;
        let result = match &action {
            Action::CreateVlan { name, id, .. } => {
                sys::create_vlan(h, name, index, *id, XPF_LINK_GROUP).await
            }
            Action::DeleteVlan { name } => sys::delete_link(h, index, name).await,
            Action::SetMtu { name, to, .. } => sys::set_mtu(h, index, name, *to).await,
            Action::SetAlias { name, to, .. } => {
                sys::set_alias(h, index, name, to.as_deref()).await
            }
            Action::SetGroup { name, to, .. } => sys::set_group(h, index, name, *to).await,
            Action::SetUp { name } => sys::set_up(h, index, name, true).await,
            Action::SetDown { name } => sys::set_up(h, index, name, false).await,
            Action::AddAddress { name, addr } => sys::add_address(h, index, name, *addr).await,
            Action::RemoveAddress { name, addr } => {
                sys::remove_address(h, index, name, *addr).await
            }
        };
        match result {
            Ok(()) => {
                tracing::info!(%action, "interface change");
                self.done.push(action);
                Ok(())
            }
            // Gone already: an IPv4 secondary removed along with its primary.
            Err(e)
                if matches!(action, Action::RemoveAddress { .. })
                    && e.errno() == Some(sys::EADDRNOTAVAIL) =>
            {
                Ok(())
            }
            Err(e) => self.problem(e.into()),
        }
    }

    async fn reconcile(
        &mut self,
        snap: Snapshot,
        targets: &[Target],
        down_unmanaged: bool,
    ) -> Result<(), ApplyError> {
        self.run(plan_structure(&snap, targets)).await?;
        let snap = sys::snapshot(self.h, self.dumps).await?;
        self.run(plan_links(&snap, targets, down_unmanaged)).await?;
        let snap = sys::snapshot(self.h, self.dumps).await?;
        let removals = plan_removals(&snap, targets);
        let snap = if removals.is_empty() {
            snap
        } else {
            self.run((removals, Vec::new())).await?;
            // Removing an IPv4 primary can take its secondaries along: look again.
            sys::snapshot(self.h, self.dumps).await?
        };
        self.run((plan_additions(&snap, targets), Vec::new())).await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::desired::DesiredLink;
    use crate::state::ObservedKind;

    fn other(index: u32, name: &str) -> LinkState {
        LinkState {
            index,
            name: name.into(),
            kind: ObservedKind::Other {
                info_kind: Some("veth".into()),
            },
            mtu: 1500,
            min_mtu: Some(68),
            max_mtu: Some(65535),
            up: true,
            alias: None,
            group: 0,
            addresses: Vec::new(),
        }
    }

    fn vlan(index: u32, name: &str, parent: (u32, &str), id: u16, group: u32) -> LinkState {
        let kind = ObservedKind::Vlan {
            parent_index: parent.0,
            parent: Some(parent.1.into()),
            id,
        };
        LinkState {
            kind,
            group,
            ..other(index, name)
        }
    }

    /// lo, ge-0-0-0 (2), its xpf VLAN .10 (3), a foreign VLAN .20 (4), an xpf VLAN .30 (5).
    fn kernel() -> Snapshot {
        let p = (2, "ge-0-0-0");
        Snapshot {
            links: vec![
                LinkState {
                    kind: ObservedKind::Other { info_kind: None },
                    ..other(1, "lo")
                },
                other(2, "ge-0-0-0"),
                vlan(3, "ge-0-0-0.10", p, 10, XPF_LINK_GROUP),
                vlan(4, "ge-0-0-0.20", p, 20, 0),
                vlan(5, "ge-0-0-0.30", p, 30, XPF_LINK_GROUP),
            ],
        }
    }

    fn desired(links: Vec<DesiredLink>) -> Desired {
        Desired {
            links,
            down_unmanaged: false,
        }
    }

    fn actions(plan: &Plan) -> Vec<Action> {
        assert!(plan.1.is_empty(), "unexpected problems: {:?}", plan.1);
        plan.0.iter().map(|s| s.action.clone()).collect()
    }

    #[test]
    fn missing_physical_interface_is_named_both_ways() {
        let d = desired(vec![
            DesiredLink::physical("ge-0-0-0"),
            DesiredLink::physical("ge-0-0-5"),
        ]);
        let err = targets_from_desired(&d, &kernel()).unwrap_err();
        assert!(matches!(&err, ApplyError::Missing { name } if name == "ge-0-0-5"));
        assert_eq!(
            err.to_string(),
            "interface ge-0/0/5 (ge-0-0-5) does not exist"
        );
    }

    #[test]
    fn only_xpf_vlans_are_deleted_and_changed_ones_are_recreated() {
        let snap = kernel();
        let d = desired(vec![
            DesiredLink::physical("ge-0-0-0"),
            DesiredLink::vlan("ge-0-0-0.30", "ge-0-0-0", 31),
            DesiredLink::vlan("ge-0-0-0.40", "ge-0-0-0", 40),
        ]);
        let targets = targets_from_desired(&d, &snap).unwrap();
        let plan = plan_structure(&snap, &targets);
        assert_eq!(
            actions(&plan),
            vec![
                Action::DeleteVlan {
                    name: "ge-0-0-0.10".into()
                },
                Action::DeleteVlan {
                    name: "ge-0-0-0.30".into()
                },
                Action::CreateVlan {
                    name: "ge-0-0-0.30".into(),
                    parent: "ge-0-0-0".into(),
                    id: 31
                },
                Action::CreateVlan {
                    name: "ge-0-0-0.40".into(),
                    parent: "ge-0-0-0".into(),
                    id: 40
                },
            ]
        );
        // Deletions by the VLAN's own index, creations by the parent's.
        assert_eq!(
            plan.0.iter().map(|s| s.index).collect::<Vec<_>>(),
            vec![3, 5, 2, 2]
        );
    }

    #[test]
    fn a_foreign_link_in_the_way_of_a_vlan_is_a_conflict() {
        let d = desired(vec![DesiredLink::vlan("ge-0-0-0.20", "ge-0-0-0", 21)]);
        let err = targets_from_desired(&d, &kernel()).unwrap_err();
        assert!(
            matches!(&err, ApplyError::Conflict { name, .. } if name == "ge-0-0-0.20"),
            "{err}"
        );
        assert!(err.to_string().contains("VLAN 20 on ge-0-0-0"), "{err}");
    }

    #[test]
    fn a_matching_foreign_vlan_is_adopted() {
        let snap = kernel();
        let d = desired(vec![DesiredLink::vlan("ge-0-0-0.20", "ge-0-0-0", 20)]);
        let targets = targets_from_desired(&d, &snap).unwrap();
        let structure = plan_structure(&snap, &targets);
        // .10 and .30 are xpf's and not wanted; .20 stays and is not recreated.
        assert_eq!(
            actions(&structure),
            vec![
                Action::DeleteVlan {
                    name: "ge-0-0-0.10".into()
                },
                Action::DeleteVlan {
                    name: "ge-0-0-0.30".into()
                },
            ]
        );
        assert_eq!(
            actions(&plan_links(&snap, &targets, false)),
            vec![Action::SetGroup {
                name: "ge-0-0-0.20".into(),
                from: 0,
                to: XPF_LINK_GROUP
            }]
        );
    }

    #[test]
    fn vlan_parent_must_exist_and_stay() {
        let snap = kernel();
        let d = desired(vec![DesiredLink::vlan("ge-0-0-9.1", "ge-0-0-9", 1)]);
        assert!(matches!(
            targets_from_desired(&d, &snap),
            Err(ApplyError::MissingParent { parent, .. }) if parent == "ge-0-0-9"
        ));
        // An xpf VLAN the config no longer names is about to go: no parent.
        let d = desired(vec![DesiredLink::vlan("q.5", "ge-0-0-0.10", 5)]);
        assert!(matches!(
            targets_from_desired(&d, &snap),
            Err(ApplyError::MissingParent { .. })
        ));
        let d = desired(vec![DesiredLink::vlan("ge-0-0-0.5000", "ge-0-0-0", 5000)]);
        assert!(matches!(
            targets_from_desired(&d, &snap),
            Err(ApplyError::Invalid { .. })
        ));
    }

    #[test]
    fn mtu_alias_name_and_duplicate_checks() {
        let snap = kernel();
        let bad = [
            vec![DesiredLink::physical("ge-0-0-0").with_mtu(70000)],
            vec![
                DesiredLink::physical("ge-0-0-0").with_mtu(1400),
                DesiredLink::vlan("ge-0-0-0.40", "ge-0-0-0", 40).with_mtu(1500),
            ],
            vec![DesiredLink::physical("ge-0-0-0").with_alias("x".repeat(256))],
            vec![DesiredLink::physical("ge-0/0/0")],
        ];
        for links in bad {
            let err = targets_from_desired(&desired(links.clone()), &snap).unwrap_err();
            assert!(
                matches!(err, ApplyError::Invalid { .. }),
                "{links:?}: {err}"
            );
        }
        let d = desired(vec![
            DesiredLink::physical("ge-0-0-0"),
            DesiredLink::physical("ge-0-0-0"),
        ]);
        assert!(matches!(
            targets_from_desired(&d, &snap),
            Err(ApplyError::Duplicate { .. })
        ));
    }

    #[test]
    fn down_unmanaged_spares_lo_and_vlan_parents() {
        let snap = kernel();
        let d = desired(vec![DesiredLink::vlan("ge-0-0-0.10", "ge-0-0-0", 10)]);
        let targets = targets_from_desired(&d, &snap).unwrap();
        let downs = actions(&plan_links(&snap, &targets, true));
        // ge-0-0-0 is the parent, lo is lo; the others are downed (.30 is about to be
        // deleted, downing it first is harmless).
        assert_eq!(
            downs,
            vec![
                Action::SetDown {
                    name: "ge-0-0-0.20".into()
                },
                Action::SetDown {
                    name: "ge-0-0-0.30".into()
                },
            ]
        );
    }

    #[test]
    fn addresses_are_exact_but_ipv6_link_local_is_kept() {
        let mut snap = kernel();
        let a = |s: &str| s.parse::<IfAddr>().unwrap();
        snap.links[1].addresses = vec![a("10.0.0.1/24"), a("10.0.0.9/24"), a("fe80::1/64")];
        let d = desired(vec![DesiredLink::physical("ge-0-0-0")
            .with_address(a("10.0.0.1/24"))
            .with_address(a("2001:db8::1/64"))]);
        let targets = targets_from_desired(&d, &snap).unwrap();
        let acts = |steps: Vec<Step>| steps.into_iter().map(|s| s.action).collect::<Vec<_>>();
        assert_eq!(
            acts(plan_removals(&snap, &targets)),
            vec![Action::RemoveAddress {
                name: "ge-0-0-0".into(),
                addr: a("10.0.0.9/24")
            }]
        );
        assert_eq!(
            acts(plan_additions(&snap, &targets)),
            vec![Action::AddAddress {
                name: "ge-0-0-0".into(),
                addr: a("2001:db8::1/64")
            }]
        );
    }

    #[test]
    fn a_snapshot_as_targets_changes_nothing() {
        let mut snap = kernel();
        snap.links[1].addresses = vec![
            "fe80::1/64".parse().unwrap(),
            "10.0.0.1/24".parse().unwrap(),
        ];
        snap.links[1].alias = Some("uplink".into());
        let targets = targets_from_snapshot(&snap);
        assert_eq!(
            targets[1].addresses.as_deref(),
            Some(&["10.0.0.1/24".parse().unwrap()][..])
        );
        assert!(plan_structure(&snap, &targets).0.is_empty());
        assert!(plan_links(&snap, &targets, false).0.is_empty());
        assert!(plan_removals(&snap, &targets).is_empty());
        assert!(plan_additions(&snap, &targets).is_empty());
    }
}
