// SPDX-License-Identifier: Apache-2.0
//! The mutable state of one pipeline worker (one per queue): its session
//! table, counters, log queue, screen rates and fragment mappings. Nothing is shared between
//! workers, so the packet path takes no locks.

use std::collections::HashMap;

use crate::counters::{Counters, InterfaceCounters};
use crate::log::{LogQueue, Record, RecordKind};
use crate::session::{Session, SessionLimits, Sessions};
use crate::snapshot::{NatRef, PolicyRef, Snapshot};
use crate::stage::fragment::Fragments;
use crate::stage::nat::NatRuleHits;
use crate::stage::screen::ScreenState;

/// Records a worker's log queue holds before dropping.
pub const LOG_QUEUE: usize = 4096;

/// One worker's state. See the module docs.
#[derive(Debug)]
pub struct Worker {
    /// The session table.
    pub sessions: Sessions,
    pub(crate) counters: Counters,
    /// Session log records waiting for the daemon.
    pub logs: LogQueue,
    pub(crate) screens: ScreenState,
    pub(crate) fragments: Fragments,
    generation: u64,
    policies: Vec<PolicyRef>,
    nat_rules: Vec<NatRef>,
}

impl Worker {
    /// A worker for a snapshot, its session table sized by the snapshot.
    pub fn new(snap: &Snapshot) -> Worker {
        Worker::with_capacity(snap, snap.session_capacity())
    }

    /// A worker with an explicit session capacity.
    pub fn with_capacity(snap: &Snapshot, sessions: usize) -> Worker {
        let mut w = Worker {
            sessions: Sessions::with_capacity(sessions),
            counters: Counters::default(),
            logs: LogQueue::with_capacity(LOG_QUEUE),
            screens: ScreenState::default(),
            fragments: Fragments::default(),
            generation: 0,
            policies: Vec::new(),
            nat_rules: Vec::new(),
        };
        w.adopt(snap);
        w
    }

    /// Counts `limit-session` with `limits`, shared with the other
    /// workers of the dataplane: Junos limits an address's sessions
    /// box-wide, not per queue. Before the worker's first packet.
    pub fn share_session_limits(&mut self, limits: &SessionLimits) {
        self.sessions.share_limits(limits);
    }

    /// Moves per-snapshot state to a new snapshot: policy and NAT rule hit
    /// counters follow their rule by name; interface and zone arrays are resized.
    /// The only allocation a swap costs, once per worker. The pipeline
    /// adopts on its own; a driver calls this after a swap so counters read
    /// before the next packet are indexed by the new snapshot already.
    pub fn adopt(&mut self, snap: &Snapshot) {
        if self.generation == snap.generation() {
            return;
        }
        // By name, through an index: a linear search per policy made every
        // commit of a 10,000-policy configuration stall each worker.
        let old: HashMap<&PolicyRef, u64> = self
            .policies
            .iter()
            .zip(&self.counters.policy_hits)
            .map(|(p, h)| (p, *h))
            .collect();
        let hits: Vec<u64> = snap
            .policies()
            .iter()
            .map(|p| old.get(p).copied().unwrap_or(0))
            .collect();
        self.counters.policy_hits = hits;
        let old: HashMap<&NatRef, NatRuleHits> = self
            .nat_rules
            .iter()
            .zip(&self.counters.nat_rules)
            .map(|(r, h)| (r, *h))
            .collect();
        let nat: Vec<NatRuleHits> = snap
            .nat_rules()
            .iter()
            .map(|r| old.get(r).copied().unwrap_or_default())
            .collect();
        self.counters.nat_rules = nat;
        self.nat_rules = snap.nat_rules().to_vec();
        self.counters.interfaces.resize(
            snap.ifaces.len().max(self.counters.interfaces.len()),
            InterfaceCounters::default(),
        );
        if snap
            .zones
            .iter()
            .filter_map(|z| z.screen.as_ref())
            .any(|p| p.has_session_limits())
        {
            self.sessions.enable_limits();
        }
        self.screens.prepare(
            snap.zones.len(),
            snap.zones.iter().filter_map(|z| z.screen.as_ref()),
        );
        self.policies = snap.policies().to_vec();
        self.generation = snap.generation();
    }

    /// A copy of the counters, with the session, screen and log numbers
    /// filled in.
    pub fn counters(&self) -> Counters {
        let mut c = self.counters.clone();
        c.sessions = self.sessions.counters;
        c.screen_alarms = self.screens.alarms;
        c.state_evictions = self.screens.evictions() + self.fragments.evictions();
        c.log_dropped = self.logs.dropped;
        c
    }

    /// Expires a bounded number of idle sessions (call once per batch).
    pub fn sweep(&mut self, snap: &Snapshot, now: u64) -> usize {
        let logs = &mut self.logs;
        self.sessions.sweep(now, |s| {
            if s.log_close {
                logs.push(record(snap, &s, RecordKind::Close(expiry_reason(&s)), now));
            }
        })
    }

    /// Removes the sessions `pred` selects (`clear security flow session`).
    pub fn clear(
        &mut self,
        snap: &Snapshot,
        now: u64,
        pred: impl FnMut(&Session) -> bool,
    ) -> usize {
        let logs = &mut self.logs;
        self.sessions.clear(pred, |s| {
            if s.log_close {
                logs.push(record(snap, &s, RecordKind::Close("clear"), now));
            }
        })
    }

    /// Removes one session, logging its close.
    pub(crate) fn close(&mut self, snap: &Snapshot, slot: u32, reason: &'static str, now: u64) {
        if let Some(s) = self.sessions.remove(slot) {
            if s.log_close {
                self.logs
                    .push(record(snap, &s, RecordKind::Close(reason), now));
            }
        }
    }
}

/// Why an expired session closed, as RT_FLOW says it: a TCP session that
/// ended with FINs or a RST waited out its short closing timeout.
pub(crate) fn expiry_reason(s: &Session) -> &'static str {
    match s.tcp.map(|t| t.state()) {
        Some(crate::session::TcpState::TimeWait) => "TCP FIN",
        Some(crate::session::TcpState::Closed) => "TCP RST",
        _ => "idle Timeout",
    }
}

/// The log record of a session event.
pub(crate) fn record(snap: &Snapshot, s: &Session, kind: RecordKind, now: u64) -> Record {
    let ip = |a: u128| crate::addr::join(a, s.fwd.v6);
    let f = &s.fwd;
    let x = &s.xlate[0];
    let nat_src = x.src.unwrap_or((f.src, f.sport));
    let nat_dst = x.dst.unwrap_or((f.dst, f.dport));
    Record {
        kind,
        src: (ip(f.src), f.sport),
        dst: (ip(f.dst), f.dport),
        nat_src: (ip(nat_src.0), nat_src.1),
        nat_dst: (ip(nat_dst.0), nat_dst.1),
        service: s.application.clone(),
        src_nat_rule: s.snat_rule.clone(),
        dst_nat_rule: s.dnat_rule.clone(),
        protocol: f.proto,
        policy: s.policy.clone(),
        from_zone: s.from_zone.clone(),
        to_zone: s.to_zone.clone(),
        session_id: s.id,
        interface: snap
            .iface(s.ingress_ifindex)
            .map_or_else(|| "N/A".into(), |i| i.name.clone()),
        from_client: (s.packets[0], s.bytes[0]),
        from_server: (s.packets[1], s.bytes[1]),
        elapsed_s: now.saturating_sub(s.created) / 1_000_000_000,
    }
}
