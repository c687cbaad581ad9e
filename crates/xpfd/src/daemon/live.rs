// SPDX-License-Identifier: Apache-2.0
//! The dataplane's live tables for the APIs: sessions by filter and the
//! summed counters, read once here so gRPC and REST answer alike.

use xpf_dataplane::{Counters, DropReason, Snapshot};
use xpf_dataplane::{SessionFilter, SessionView};

use super::supervisor::Supervisor;

/// Why a live view has nothing to show.
#[derive(Debug)]
pub enum LiveError {
    /// A filter value is wrong (the text says which and why).
    Filter(String),
    /// No dataplane runs (the text says why).
    NotRunning(String),
}

impl std::fmt::Display for LiveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LiveError::Filter(e) => f.write_str(e),
            LiveError::NotRunning(why) => {
                write!(f, "not available: the dataplane is not running ({why})")
            }
        }
    }
}

fn running(sup: &Supervisor) -> Result<(), LiveError> {
    sup.forwarding.running().map_err(LiveError::NotRunning)
}

/// Sessions matching filters given as (filter word, value) pairs; empty
/// values are left out. Each session comes with a function naming
/// interfaces by kernel ifindex.
pub async fn sessions(
    sup: &Supervisor,
    filters: &[(&str, String)],
) -> Result<(Vec<SessionView>, impl Fn(u32) -> String, usize), LiveError> {
    running(sup)?;
    let table = sup.interfaces.table().await;
    let mut filter = SessionFilter::default();
    for (word, value) in filters.iter().filter(|(_, v)| !v.is_empty()) {
        filter
            .set(word, value, &|n| table.by_name(n).map(|e| e.ifindex))
            .map_err(LiveError::Filter)?;
    }
    let snap = sup.snapshot.read().await.clone();
    let list = sup.forwarding.sessions(&filter, snap.as_deref());
    let max = snap.as_ref().map_or(0, |s| s.session_capacity());
    let name = move |i: u32| {
        table
            .by_ifindex(i)
            .map_or_else(|| i.to_string(), |e| e.name.clone())
    };
    Ok((list, name, max))
}

/// The running snapshot and the workers' counters, summed.
pub async fn counters(sup: &Supervisor) -> Result<(std::sync::Arc<Snapshot>, Counters), LiveError> {
    running(sup)?;
    let snap = sup
        .snapshot
        .read()
        .await
        .clone()
        .ok_or_else(|| LiveError::NotRunning("no configuration applied".into()))?;
    Ok((snap, sup.forwarding.counters()))
}

/// Drop reasons with at least one drop: (name, number, packets). The
/// eBPF dataplane's own reasons (no-neighbour, …) count in the slots above
/// the pipeline's.
pub fn drops(c: &Counters) -> Vec<(&'static str, u16, u64)> {
    let pipeline = DropReason::ALL
        .iter()
        .map(|r| (r.name(), *r as u16, c.dropped(*r)));
    let ebpf = xpf_ebpf_loader::EBPF_ONLY_REASONS.iter().map(|&(n, name)| {
        let packets = c.drops.get(n as usize).copied().unwrap_or(0);
        (name, n as u16, packets)
    });
    pipeline.chain(ebpf).filter(|d| d.2 > 0).collect()
}
