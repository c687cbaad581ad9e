// SPDX-License-Identifier: Apache-2.0
//! The engine contract (issue 15): what xpfd asks of a forwarding engine,
//! whichever it is. The AF_XDP engine (the pipeline in userspace workers)
//! and the eBPF engine (the pipeline as an XDP program) both implement
//! [`Engine`]; where they share the box, xpfd asks each and joins the
//! answers, and `show` renders [`SessionView`]s the same whoever made them.
//!
//! Still to come (the chassis cluster needs them): exporting and importing
//! sessions with their NAT state and timers, and per-interface status.

use std::sync::Arc;

use crate::{Counters, InterfaceTable, SessionFilter, SessionView, Snapshot};

/// Which engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    /// The pipeline on AF_XDP sockets.
    Afxdp,
    /// The pipeline as an XDP program.
    Ebpf,
}

/// Why an engine refused a snapshot; it then runs the one it had.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Refused(pub Box<dyn std::error::Error + Send + Sync>);

/// A forwarding engine, as xpfd drives it.
pub trait Engine {
    /// Which engine this is.
    fn kind(&self) -> EngineKind;

    /// Makes `snapshot` live, whole or not at all; `interfaces` is the
    /// kernel's interface table it was compiled against.
    fn apply(
        &mut self,
        snapshot: &Arc<Snapshot>,
        interfaces: &InterfaceTable,
    ) -> Result<(), Refused>;

    /// The sessions matching `filter`, by id; `snap` (the live snapshot)
    /// names what an engine keeps as numbers (policies, zones, NAT rules).
    fn sessions(&self, filter: &SessionFilter, snap: &Snapshot) -> Vec<SessionView>;

    /// Removes the sessions matching `filter`; how many went.
    fn clear(&mut self, filter: &SessionFilter, snap: &Snapshot) -> usize;

    /// Its counters: sessions, policy and NAT rule hits, drops by reason.
    fn counters(&self) -> Counters;
}

/// The sessions of several engines sharing the box, in one list by id.
pub fn sessions_of<'a>(
    engines: impl IntoIterator<Item = &'a dyn Engine>,
    filter: &SessionFilter,
    snap: &Snapshot,
) -> Vec<SessionView> {
    let mut all: Vec<SessionView> = engines
        .into_iter()
        .flat_map(|e| e.sessions(filter, snap))
        .collect();
    all.sort_by_key(|s| s.id);
    all
}

/// The counters of several engines sharing the box, summed.
pub fn counters_of<'a>(engines: impl IntoIterator<Item = &'a dyn Engine>) -> Counters {
    let mut sum = Counters::default();
    for e in engines {
        sum.add(&e.counters());
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::Wing;

    /// An engine holding fixed sessions, as a test double of either.
    struct Fixed(EngineKind, Vec<u64>);

    fn view(id: u64) -> SessionView {
        let wing = Wing {
            src: ([10, 0, 0, 1].into(), 1000),
            dst: ([10, 0, 0, 2].into(), 80),
            ifindex: 2,
            packets: 1,
            bytes: 60,
        };
        SessionView {
            id,
            worker: 0,
            policy: "p".into(),
            policy_id: None,
            timeout_s: 1800,
            remaining_s: 1800,
            proto: 6,
            application: "junos-http".into(),
            zones: ("trust".into(), "untrust".into()),
            inbound: wing.clone(),
            outbound: wing,
            age_s: 0,
            source_nat_rule: None,
            destination_nat_rule: None,
        }
    }

    impl Engine for Fixed {
        fn kind(&self) -> EngineKind {
            self.0
        }
        fn apply(&mut self, _: &Arc<Snapshot>, _: &InterfaceTable) -> Result<(), Refused> {
            Ok(())
        }
        fn sessions(&self, filter: &SessionFilter, _: &Snapshot) -> Vec<SessionView> {
            self.1
                .iter()
                .filter(|id| filter.id.is_none_or(|f| f == **id))
                .map(|&id| view(id))
                .collect()
        }
        fn clear(&mut self, _: &SessionFilter, _: &Snapshot) -> usize {
            std::mem::take(&mut self.1).len()
        }
        fn counters(&self) -> Counters {
            Counters::default()
        }
    }

    /// Two engines sharing the box answer as one, sorted by session id.
    #[test]
    fn engines_sharing_the_box_answer_as_one() {
        let snap = Snapshot::compile(&xpf_model::Model::default(), &InterfaceTable::new())
            .expect("an empty model compiles");
        let afxdp = Fixed(EngineKind::Afxdp, vec![5, 1]);
        let ebpf = Fixed(EngineKind::Ebpf, vec![3]);
        let both: [&dyn Engine; 2] = [&afxdp, &ebpf];
        let ids: Vec<u64> = sessions_of(both, &SessionFilter::default(), &snap)
            .iter()
            .map(|s| s.id)
            .collect();
        assert_eq!(ids, [1, 3, 5]);
        let only = SessionFilter {
            id: Some(3),
            ..SessionFilter::default()
        };
        assert_eq!(sessions_of(both, &only, &snap).len(), 1);
        assert_eq!(
            both.map(|e| e.kind()),
            [EngineKind::Afxdp, EngineKind::Ebpf]
        );
    }
}
