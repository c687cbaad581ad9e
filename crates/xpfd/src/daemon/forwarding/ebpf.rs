// SPDX-License-Identifier: Apache-2.0
//! The eBPF dataplane (`xpf-ebpf-loader`) as xpfd runs it: loaded and
//! filled from a snapshot before it is attached anywhere (so a refused
//! snapshot changes nothing), attached to the data interfaces, kept in step
//! with each commit, and detached so that the kernel never forwards in the
//! gap (see `kernel_forwarding`). When xpfd exits it is left attached
//! ([`Running::leave`]); the next xpfd's [`Running::attach_to`] takes over
//! its links in place and its pinned sessions (issue 6).

use std::collections::VecDeque;
use std::path::Path;
use std::sync::Arc;

use xpf_afxdp::ProgramFd;
use xpf_dataplane::engine::{Engine, EngineKind, Refused};
use xpf_dataplane::{Counters, InterfaceTable, Record, SessionFilter, SessionView, Snapshot};
use xpf_ebpf_loader::{AttachMode, EbpfDataplane, Options};

use super::ebpf_views;
use super::kernel_forwarding;
use super::neighbours::NextHops;
use super::DataInterface;

/// The counter slot of the program's `no-neighbour` drops.
fn no_neighbour_slot() -> Option<usize> {
    xpf_ebpf_loader::EBPF_ONLY_REASONS
        .iter()
        .find(|(_, name)| *name == "no-neighbour")
        .map(|(n, _)| *n as usize)
}

/// Why the program did not attach to an interface.
#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    /// Loading or attaching the program.
    #[error(transparent)]
    Program(#[from] xpf_ebpf_loader::Error),
    /// The kernel's forwarding switch for the interface.
    #[error(transparent)]
    Sysctl(#[from] kernel_forwarding::SysctlError),
}

/// Why the eBPF dataplane did not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The program cannot express this configuration (source-port
    /// applications, …): the commit must not go through on it.
    #[error("the eBPF dataplane cannot run this configuration: {0}")]
    Refused(#[source] xpf_ebpf_loader::CompileError),
    /// The program cannot run here (no BPF, verifier, bpffs).
    #[error("the eBPF dataplane cannot run here: {0}")]
    Unavailable(#[source] xpf_ebpf_loader::Error),
    /// The kernel refuses a helper or map type it needs (the probe's words).
    #[error("the eBPF dataplane cannot run here: {0}")]
    Kernel(String),
}

impl From<xpf_ebpf_loader::Error> for StartError {
    fn from(e: xpf_ebpf_loader::Error) -> StartError {
        match e {
            xpf_ebpf_loader::Error::Compile(c) => StartError::Refused(c),
            other => StartError::Unavailable(other),
        }
    }
}

/// What happened on one data interface.
#[derive(Debug, Clone)]
pub struct Attachment {
    /// The interface.
    pub iface: DataInterface,
    /// How the program runs there, or why it does not (transit dropped).
    /// (The error as `show system dataplane` prints it: a status kept
    /// for display, not an error handled further.)
    pub result: Result<AttachMode, String>,
}

/// The running eBPF dataplane.
pub struct Running {
    dp: EbpfDataplane,
    /// `None`: `system dataplane-type ebpf`; otherwise why AF_XDP did not
    /// start, which made this the fallback.
    pub fallback: Option<String>,
    /// The data interfaces, attached or not.
    pub attachments: Vec<Attachment>,
    resolver: NextHops,
    /// `no-neighbour` drops already looked at.
    no_neighbour_seen: u64,
    /// Session events lost already reported.
    events_lost_seen: u64,
    /// The snapshots applied last, newest last: a session that closes
    /// before a packet revalidated it after a commit is named from the
    /// one it was made (or last revalidated) under.
    recent: VecDeque<Arc<Snapshot>>,
}

/// Snapshots [`Running`] keeps to name sessions by.
const RECENT_SNAPSHOTS: usize = 8;

impl Running {
    /// Loads the program, taking over the sessions an earlier xpfd pinned
    /// under `pin_dir`, and gives it `snapshot`; attached nowhere yet.
    pub fn prepare(
        snapshot: &Arc<Snapshot>,
        fallback: Option<String>,
        pin_dir: &Path,
    ) -> Result<Running, StartError> {
        if let Some(why) = super::kernel().refuses(xpf_ebpf_loader::kernel::Need::Ebpf) {
            return Err(StartError::Kernel(why));
        }
        // The default table size, not the snapshot's: the session map is
        // pinned, and a pin of another size could not be taken over.
        let mut dp = EbpfDataplane::load(&Options {
            pin_dir: Some(pin_dir.to_owned()),
            ..Options::default()
        })?;
        dp.apply(snapshot)?;
        match dp.sessions() {
            Ok(s) if !s.is_empty() => {
                tracing::info!(
                    sessions = s.len(),
                    "eBPF dataplane: took over the pinned sessions"
                )
            }
            _ => {}
        }
        Ok(Running {
            dp,
            fallback,
            attachments: Vec::new(),
            resolver: NextHops::default(),
            no_neighbour_seen: 0,
            events_lost_seen: 0,
            recent: VecDeque::from([snapshot.clone()]),
        })
    }

    /// Makes `snapshot` live (both config buffers keep packets on the old
    /// one or the new one, never a mix).
    pub fn apply(&mut self, snapshot: &Arc<Snapshot>) -> Result<(), StartError> {
        self.dp.apply(snapshot).map_err(StartError::from)?;
        if self.recent.len() == RECENT_SNAPSHOTS {
            self.recent.pop_front();
        }
        self.recent.push_back(snapshot.clone());
        Ok(())
    }

    /// Runs on exactly `wanted`: detaches from the others (kernel
    /// forwarding off first) and attaches to the new ones (kernel
    /// forwarding on after, which `bpf_fib_lookup` needs). Where an earlier
    /// xpfd left the program attached, the new one replaces it in place;
    /// where it left it on an interface not wanted now, it comes off.
    pub fn attach_to(&mut self, wanted: &[DataInterface]) {
        let (keep, gone): (Vec<Attachment>, Vec<Attachment>) =
            std::mem::take(&mut self.attachments)
                .into_iter()
                .partition(|a| wanted.contains(&a.iface));
        for a in gone {
            self.release(&a.iface);
        }
        self.attachments = keep;
        for w in wanted {
            if self
                .attachments
                .iter()
                .any(|a| &a.iface == w && a.result.is_ok())
            {
                continue;
            }
            self.attachments.retain(|a| &a.iface != w);
            let result = self.attach_one(w);
            match &result {
                Ok(mode) => {
                    tracing::info!(interface = %w.name, ?mode, "eBPF dataplane attached")
                }
                Err(e) => {
                    tracing::error!(interface = %w.name, "eBPF dataplane not running, transit traffic there is dropped: {e}");
                    self.release(w);
                }
            }
            self.attachments.push(Attachment {
                iface: w.clone(),
                result: result.map_err(|e| e.to_string()),
            });
        }
        for ifindex in self.dp.pinned_elsewhere() {
            release_leftover(ifindex, |i| self.dp.discard_pinned_link(i));
        }
    }

    fn attach_one(&mut self, w: &DataInterface) -> Result<AttachMode, AttachError> {
        let mode = match self.dp.attach(w.ifindex) {
            Err(e @ xpf_ebpf_loader::Error::Adopt { .. }) => {
                tracing::warn!(interface = %w.name, "{e}; attaching afresh");
                // Removing the pin takes the old program off: the kernel
                // must not forward in the gap.
                kernel_forwarding::set_ipv4(&w.name, false)?;
                self.dp.discard_pinned_link(w.ifindex)?;
                self.dp.attach(w.ifindex)
            }
            other => other,
        }?;
        kernel_forwarding::set_ipv4(&w.name, true)?;
        kernel_forwarding::set_ipv6(&w.name, true)?;
        Ok(mode)
    }

    /// Fails closed on `iface`, then takes the program off it.
    fn release(&mut self, iface: &DataInterface) {
        kernel_forwarding::close_all([&iface.name]);
        if let Err(e) = self.dp.detach(iface.ifindex) {
            tracing::warn!(interface = %iface.name, "detaching the eBPF dataplane: {e}");
        }
    }

    /// When packets were dropped for want of a next hop since the last
    /// call, asks the kernel to resolve the next hops sessions lack.
    pub fn resolve_neighbours(&mut self) {
        let Ok(c) = self.dp.counters() else { return };
        let n = no_neighbour_slot()
            .and_then(|i| c.drops.get(i).copied())
            .unwrap_or(0);
        if n == self.no_neighbour_seen {
            return;
        }
        self.no_neighbour_seen = n;
        match self.dp.sessions() {
            Ok(list) => {
                let asked = self.resolver.ask_for(&list);
                tracing::debug!(asked, "asked the kernel to resolve next hops");
            }
            Err(e) => tracing::warn!("reading eBPF sessions: {e}"),
        }
    }

    /// The session log records since the last call (the program's
    /// events and the closes of sessions removed here, named from `snap`),
    /// and how many were lost since then, as the AF_XDP workers' queue
    /// gives them.
    pub fn take_flow_log(&mut self, snap: &Snapshot) -> (Vec<Record>, u64) {
        let records = self
            .dp
            .events()
            .iter()
            .map(|e| {
                let named = self.recent.iter().rev().find(|s| e.named_by(s));
                e.record(named.map_or(snap, |s| &**s))
            })
            .collect();
        let lost = match self.dp.events_lost() {
            Ok(n) => {
                let d = n.saturating_sub(self.events_lost_seen);
                self.events_lost_seen = n;
                d
            }
            Err(e) => {
                tracing::warn!("reading eBPF event counters: {e}");
                0
            }
        };
        (records, lost)
    }

    /// Removes the sessions that idled out (logging the closes their
    /// policies ask for); the program itself removes one only when its
    /// next packet comes.
    pub fn sweep(&mut self) {
        if let Err(e) = self.dp.sweep() {
            tracing::warn!("sweeping eBPF sessions: {e}");
        }
    }

    /// The generation of the snapshot it runs.
    pub fn generation(&self) -> u64 {
        self.dp.generation()
    }

    /// Its sessions matching `filter`, by id, named from `snap`.
    pub fn sessions(&self, filter: &SessionFilter, snap: &Snapshot) -> Vec<SessionView> {
        let list = self.dp.sessions().unwrap_or_else(|e| {
            tracing::warn!("reading eBPF sessions: {e}");
            Vec::new()
        });
        let mut out: Vec<SessionView> = list
            .iter()
            .map(|s| ebpf_views::session_view(s, snap))
            .filter(|v| ebpf_views::matches(filter, v))
            .collect();
        out.sort_by_key(|s| s.id);
        out
    }

    /// Removes its sessions matching `filter`; how many went.
    pub fn clear(&mut self, filter: &SessionFilter, snap: &Snapshot) -> usize {
        let Ok(list) = self.dp.sessions() else {
            return 0;
        };
        list.iter()
            .filter(|s| ebpf_views::matches(filter, &ebpf_views::session_view(s, snap)))
            .filter(|s| self.dp.remove_session(&s.fwd).unwrap_or(false))
            .count()
    }

    /// Its counters, in the pipeline's shape.
    pub fn counters(&self) -> Counters {
        let live = self.dp.sessions().map_or(0, |s| s.len() as u64);
        match self.dp.counters() {
            Ok(c) => ebpf_views::counters(&c, live),
            Err(e) => {
                tracing::warn!("reading eBPF counters: {e}");
                Counters::default()
            }
        }
    }

    /// Shares the box with AF_XDP, which serves `afxdp` (ifindexes) and
    /// takes the flows between them back through `shim` (the per-interface
    /// fallback, `ebpf/dataplane/handoff.h`).
    pub fn share_with_afxdp(
        &mut self,
        afxdp: &[u32],
        shim: Option<&ProgramFd>,
    ) -> Result<(), xpf_ebpf_loader::Error> {
        self.dp.share_with_afxdp(afxdp, shim)
    }

    /// Its XDP program, for the AF_XDP shim to hand transit to.
    pub fn program(&mut self) -> Result<ProgramFd, xpf_ebpf_loader::Error> {
        self.dp.program_fd()
    }

    /// Fails closed everywhere it ran, then detaches: a deliberate stop.
    pub fn stop(mut self) {
        let ifaces: Vec<DataInterface> = self.attachments.iter().map(|a| a.iface.clone()).collect();
        for i in &ifaces {
            self.release(i);
        }
        for ifindex in self.dp.pinned_elsewhere() {
            release_leftover(ifindex, |i| self.dp.discard_pinned_link(i));
        }
    }

    /// xpfd exits: the program stays attached through its pinned links,
    /// forwarding with its maps, and the kernel's forwarding switches stay
    /// as they are, until the next xpfd takes it over.
    pub fn leave(self) {
        let on: Vec<&str> = self
            .attachments
            .iter()
            .filter(|a| a.result.is_ok())
            .map(|a| a.iface.name.as_str())
            .collect();
        tracing::info!(interfaces = ?on, "eBPF dataplane left forwarding for the next xpfd to take over");
    }
}

/// Takes off the eBPF program an earlier xpfd left attached through the
/// links pinned under `pin_dir`, failing closed first.
pub fn release_leftovers(pin_dir: &Path) {
    for ifindex in xpf_ebpf_loader::pinned_links(pin_dir) {
        release_leftover(ifindex, |i| xpf_ebpf_loader::unpin_link(pin_dir, i));
    }
}

fn release_leftover(ifindex: u32, unpin: impl FnOnce(u32) -> Result<(), xpf_ebpf_loader::Error>) {
    // An interface that is gone has nothing left to forward.
    if let Ok(name) = nix::net::if_::if_indextoname(ifindex) {
        let name = name.to_string_lossy().into_owned();
        kernel_forwarding::close_all([&name]);
        tracing::info!(interface = %name, "taking off the eBPF dataplane an earlier xpfd left attached");
    }
    if let Err(e) = unpin(ifindex) {
        tracing::error!(ifindex, "removing the eBPF dataplane's pinned link: {e}");
    }
}

impl Engine for Running {
    fn kind(&self) -> EngineKind {
        EngineKind::Ebpf
    }

    fn apply(
        &mut self,
        snapshot: &Arc<Snapshot>,
        _interfaces: &InterfaceTable,
    ) -> Result<(), Refused> {
        Running::apply(self, snapshot).map_err(|e| Refused(Box::new(e)))
    }

    fn sessions(&self, filter: &SessionFilter, snap: &Snapshot) -> Vec<SessionView> {
        Running::sessions(self, filter, snap)
    }

    fn clear(&mut self, filter: &SessionFilter, snap: &Snapshot) -> usize {
        Running::clear(self, filter, snap)
    }

    fn counters(&self) -> Counters {
        Running::counters(self)
    }
}
