// SPDX-License-Identifier: Apache-2.0
//! `GET /metrics`: what xpfd knows today, in the OpenMetrics text format.
//!
//! Every scrape reads the supervisor's state afresh into a new registry:
//! the numbers live in the configuration database, the session table and
//! the kernel, not in counters of our own that could drift from them.
//!
//! Only real numbers are exported. The dataplane's (sessions, policy and
//! NAT rule hits, drops by reason) are there while it runs, summed over
//! its workers, and absent otherwise, not zero (a zero would read as "no
//! traffic", which is a claim); `xpf_dataplane_running` says which.

use std::time::UNIX_EPOCH;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::{Registry, Unit};

use super::supervisor::Supervisor;

/// The content type of [`render`]'s output.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

type Labels = Vec<(String, String)>;

/// The four kernel counters exported per interface: file in
/// `/sys/class/net/<dev>/statistics/`, metric name, help.
const STATS: [(&str, &str, &str); 4] = [
    (
        "rx_packets",
        "interface_receive_packets",
        "Packets received, from the kernel's interface statistics",
    ),
    (
        "rx_bytes",
        "interface_receive_bytes",
        "Bytes received, from the kernel's interface statistics",
    ),
    (
        "tx_packets",
        "interface_transmit_packets",
        "Packets sent, from the kernel's interface statistics",
    ),
    (
        "tx_bytes",
        "interface_transmit_bytes",
        "Bytes sent, from the kernel's interface statistics",
    ),
];

/// Linux's name for an interface `show interfaces` calls `junos`.
fn linux_name(junos: &str) -> String {
    if junos == "lo0" {
        return "lo".into();
    }
    // Names that are not Junos names (eth0) are Linux names already.
    xpf_netlink::linux_name(junos).unwrap_or_else(|_| junos.to_string())
}

fn read_counter(dev: &str, file: &str) -> Option<u64> {
    // The name came from the kernel, but keep it from walking the tree.
    if dev.contains('/') || dev.starts_with('.') {
        return None;
    }
    std::fs::read_to_string(format!("/sys/class/net/{dev}/statistics/{file}"))
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// The metrics as OpenMetrics text (ending in `# EOF`).
pub async fn render(sup: &Supervisor) -> anyhow::Result<String> {
    let mut reg = Registry::with_prefix("xpf");

    reg.register(
        "build",
        "The running xpfd",
        Info::new(vec![(
            "version".to_string(),
            env!("CARGO_PKG_VERSION").to_string(),
        )]),
    );
    let started = sup
        .started
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    reg.register_with_unit(
        "start_time",
        "When xpfd started, in unix seconds",
        Unit::Seconds,
        ConstGauge::new(started),
    );

    let history = sup
        .db
        .lock()
        .await
        .history()
        .map_err(|e| anyhow::anyhow!("reading the commit history: {e}"))?;
    reg.register(
        "commits",
        "Commits recorded by the configuration database since it was created",
        ConstCounter::new(history.first().map(|r| r.seq).unwrap_or(0)),
    );
    if let Some(last) = history.first() {
        reg.register_with_unit(
            "last_commit_timestamp",
            "When the active configuration was committed, in unix seconds",
            Unit::Seconds,
            ConstGauge::new(last.time as f64),
        );
    }

    let open = sup
        .sessions
        .lock()
        .map(|s| s.count())
        .map_err(|_| anyhow::anyhow!("session table poisoned"))?;
    reg.register(
        "configure_sessions",
        "Configuration-mode sessions open (CLI, gRPC and REST)",
        ConstGauge::new(open as i64),
    );

    let up = Family::<Labels, Gauge>::default();
    let counters: Vec<Family<Labels, Counter>> = STATS.iter().map(|_| Family::default()).collect();
    for link in sup.interfaces.state().await {
        let labels = vec![("interface".to_string(), link.junos_name.clone())];
        up.get_or_create(&labels).set(i64::from(link.link_up));
        let dev = linux_name(&link.junos_name);
        for ((file, _, _), family) in STATS.iter().zip(&counters) {
            if let Some(v) = read_counter(&dev, file) {
                family.get_or_create(&labels).inc_by(v);
            }
        }
    }
    reg.register(
        "interface_up",
        "1 when the interface is up, 0 when down",
        up,
    );
    for ((_, name, help), family) in STATS.iter().zip(counters) {
        reg.register(*name, *help, family);
    }

    dataplane(sup, &mut reg).await;

    let mut out = String::new();
    encode(&mut out, &reg).map_err(|e| anyhow::anyhow!("encoding metrics: {e}"))?;
    Ok(out)
}

/// The dataplane's counters, summed over the workers, while it runs.
async fn dataplane(sup: &Supervisor, reg: &mut Registry) {
    let running = sup.forwarding.is_running();
    reg.register(
        "dataplane_running",
        "1 while a dataplane (AF_XDP or eBPF) forwards; its metrics are absent otherwise",
        ConstGauge::new(i64::from(running)),
    );
    let Some(snap) = sup.snapshot.read().await.clone().filter(|_| running) else {
        return;
    };
    let c = sup.forwarding.counters();
    let active = c.sessions.created.saturating_sub(c.sessions.closed);
    reg.register(
        "sessions_active",
        "Sessions in the session tables",
        ConstGauge::new(i64::try_from(active).unwrap_or(i64::MAX)),
    );
    reg.register(
        "sessions_created",
        "Sessions created",
        ConstCounter::new(c.sessions.created),
    );
    reg.register(
        "sessions_closed",
        "Sessions closed: expired, reset or cleared",
        ConstCounter::new(c.sessions.closed),
    );
    reg.register(
        "packets_forwarded",
        "Packets the pipeline forwarded",
        ConstCounter::new(c.forwarded),
    );

    let policy = Family::<Labels, Counter>::default();
    for (p, hits) in snap.policies().iter().zip(&c.policy_hits) {
        let labels = vec![
            ("from_zone".to_string(), p.from_zone.to_string()),
            ("to_zone".to_string(), p.to_zone.to_string()),
            ("policy".to_string(), p.name.to_string()),
        ];
        policy.get_or_create(&labels).inc_by(*hits);
    }
    reg.register(
        "policy_hits",
        "First packets of flows that matched the policy",
        policy,
    );

    let drops = Family::<Labels, Counter>::default();
    for (name, _, n) in super::live::drops(&c) {
        drops
            .get_or_create(&vec![("reason".to_string(), name.to_string())])
            .inc_by(n);
    }
    reg.register(
        "drops",
        "Packets dropped by the pipeline, by reason (reasons never seen are left out)",
        drops,
    );

    let (hits, failed) = (
        Family::<Labels, Counter>::default(),
        Family::<Labels, Counter>::default(),
    );
    for (r, h) in snap.nat_rules().iter().zip(&c.nat_rules) {
        let labels = vec![
            ("type".to_string(), r.kind.name().to_string()),
            ("rule_set".to_string(), r.rule_set.to_string()),
            ("rule".to_string(), r.name.to_string()),
        ];
        hits.get_or_create(&labels).inc_by(h.total());
        failed.get_or_create(&labels).inc_by(h.failed);
    }
    reg.register(
        "nat_rule_hits",
        "Translations a NAT rule was asked for (successful and failed)",
        hits,
    );
    reg.register(
        "nat_rule_failures",
        "Translations a NAT rule could not make (no address or port, table full)",
        failed,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_and_junos_names_map_to_linux() {
        assert_eq!(linux_name("lo0"), "lo");
        assert_eq!(linux_name("ge-0/0/1"), "ge-0-0-1");
        assert_eq!(linux_name("eth0"), "eth0");
        assert_eq!(read_counter("../../etc", "passwd"), None);
    }
}
