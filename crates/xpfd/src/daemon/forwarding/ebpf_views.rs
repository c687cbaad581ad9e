// SPDX-License-Identifier: Apache-2.0
//! The eBPF dataplane's sessions and counters in the AF_XDP engine's terms
//! (`SessionView`, `Counters`), so every view (CLI, gRPC, REST, /metrics)
//! renders one layout whichever dataplane runs. What the program does not
//! keep is left empty, never made up: per-interface counters. The
//! application is the permitting policy's term that matches the key, as
//! the session log names it.

use std::net::IpAddr;

use xpf_dataplane::{Counters, DropReason, FlowKey, Snapshot};
use xpf_dataplane::{SessionFilter, SessionView, Wing};
use xpf_ebpf_loader::{EbpfCounters, EbpfSession};

/// A session id for an eBPF session: the program numbers none, so it is
/// derived from the forward key, as the session log's ids are
/// ([`xpf_ebpf_loader::session_id`]).
pub fn session_id(s: &EbpfSession) -> u64 {
    xpf_ebpf_loader::session_id(&s.fwd)
}

/// One direction of `s`: its key, ingress and counters.
fn wing(s: &EbpfSession, key: &FlowKey, dir: usize) -> Wing {
    Wing {
        src: (addr(key.src, key.v6), key.sport),
        dst: (addr(key.dst, key.v6), key.dport),
        ifindex: s.ingress[dir],
        packets: s.packets[dir],
        bytes: s.bytes[dir],
    }
}

fn addr(a: u128, v6: bool) -> IpAddr {
    if v6 {
        IpAddr::from(a.to_be_bytes())
    } else {
        IpAddr::from((a as u32).to_be_bytes())
    }
}

/// One session as the views show it, names taken from `snap`.
pub fn session_view(s: &EbpfSession, snap: &Snapshot) -> SessionView {
    let policy = s
        .policy_id
        .and_then(|i| snap.policies().get(i as usize))
        .map_or_else(|| "default-permit".to_string(), |p| p.name.to_string());
    let zone = |i: u32| snap.zone_of(i).unwrap_or("Null").to_string();
    SessionView {
        id: session_id(s),
        worker: 0,
        policy,
        policy_id: s.policy_id,
        timeout_s: s.timeout.as_secs().min(u64::from(u32::MAX)),
        remaining_s: s.idle_left.as_secs(),
        proto: s.fwd.proto,
        application: xpf_ebpf_loader::application(snap, s.policy_id, &s.fwd).to_string(),
        zones: (zone(s.ingress[0]), zone(s.egress[0])),
        inbound: wing(s, &s.fwd, 0),
        outbound: wing(s, &s.rev, 1),
        age_s: s.age.as_secs(),
        source_nat_rule: s
            .snat_rule
            .and_then(|i| snap.nat_rules().get(i as usize))
            .map(|r| r.name.to_string()),
        destination_nat_rule: s
            .dnat_rule
            .and_then(|i| snap.nat_rules().get(i as usize))
            .map(|r| r.name.to_string()),
    }
}

/// `SessionFilter::matches` for a view (it takes the pipeline's sessions).
pub fn matches(f: &SessionFilter, v: &SessionView) -> bool {
    f.source.is_none_or(|p| p.contains(v.inbound.src.0))
        && f.destination.is_none_or(|p| p.contains(v.inbound.dst.0))
        && f.source_port.is_none_or(|p| p == v.inbound.src.1)
        && f.destination_port.is_none_or(|p| p == v.inbound.dst.1)
        && f.protocol.is_none_or(|p| p == v.proto)
        && f.application.as_deref().is_none_or(|a| a == v.application)
        && f.interface
            .is_none_or(|i| i == v.inbound.ifindex || i == v.outbound.ifindex)
        && f.id.is_none_or(|i| i == v.id)
}

/// The program's counters as `Counters`. `live` is the number of sessions
/// in its table: it keeps no "closed" counter, and created − live is what
/// closed means (expired, cleared or evicted).
pub fn counters(c: &EbpfCounters, live: u64) -> Counters {
    let mut out = Counters::default();
    for (slot, n) in out.drops.iter_mut().zip(&c.drops) {
        *slot = *n;
    }
    out.policy_hits = c.policy_hits.clone();
    out.nat_rules = c.nat_rules.clone();
    out.forwarded = c.forwarded;
    out.to_kernel = c.to_kernel;
    out.replies = c.replies;
    out.sessions.created = c.sessions_created;
    out.sessions.closed = c.sessions_created.saturating_sub(live);
    out.sessions.hits = c.session_hits;
    out.sessions.misses = c.session_misses;
    out.sessions.table_full = out.dropped(DropReason::SessionTableFull);
    out.nat.destination = c.nat_destination;
    out.nat.source = c.nat_source;
    out.log_dropped = c.events_lost;
    out.screen_alarms = c.screen_alarms;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;
    use xpf_dataplane::{FlowKey, Xlate};

    fn session(sport: u16) -> EbpfSession {
        let key = |src: u32, dst: u32, sport, dport| FlowKey {
            src: u128::from(src),
            dst: u128::from(dst),
            sport,
            dport,
            proto: 17,
            v6: false,
            instance: 0,
        };
        EbpfSession {
            fwd: key(0x0a5b_0102, 0x0a5b_0202, sport, 7005),
            rev: key(0x0a5b_0202, 0x0a5b_0201, 7005, 61000),
            xlate: [Xlate::default(), Xlate::default()],
            egress: [3, 2],
            policy_id: None,
            packets: [1, 0],
            bytes: [42, 0],
            generation: 1,
            ingress: [2, 3],
            snat_rule: None,
            dnat_rule: None,
            resolved: [true, true],
            age: Duration::from_secs(2),
            idle_left: Duration::from_secs(58),
            timeout: Duration::from_secs(60),
            tcp: None,
        }
    }

    #[test]
    fn ids_are_stable_and_distinct() {
        assert_eq!(session_id(&session(40000)), session_id(&session(40000)));
        assert_ne!(session_id(&session(40000)), session_id(&session(40001)));
        assert!(session_id(&session(1)) > 0);
    }

    #[test]
    fn filters_match_the_initiator_wing() {
        let snap = Snapshot::compile(
            &xpf_model::Model::default(),
            &xpf_dataplane::InterfaceTable::new(),
        )
        .unwrap();
        let v = session_view(&session(40000), &snap);
        assert_eq!(v.inbound.src, ("10.91.1.2".parse().unwrap(), 40000));
        assert_eq!(v.outbound.dst, ("10.91.2.1".parse().unwrap(), 61000));
        assert_eq!((v.remaining_s, v.timeout_s, v.age_s), (58, 60, 2));
        assert_eq!(v.policy, "default-permit");
        let f = |w: &str, val: &str| {
            let mut f = SessionFilter::default();
            f.set(w, val, &|_| Some(3)).unwrap();
            matches(&f, &v)
        };
        assert!(f("destination-port", "7005"));
        assert!(!f("destination-port", "7006"));
        assert!(f("source-prefix", "10.91.1.0/24"));
        assert!(!f("source-prefix", "10.91.2.0/24"));
        assert!(f("protocol", "udp"));
        assert!(!f("protocol", "tcp"));
        assert!(f("interface", "ge-0/0/1"));
        assert!(f("session-identifier", &v.id.to_string()));
        assert!(!f("session-identifier", &(v.id + 1).to_string()));
    }

    /// A session permitted by a policy names the application term that
    /// matched its key, as the AF_XDP sessions and the session log do.
    #[test]
    fn the_application_is_the_matching_term() {
        let text = "security { policies { from-zone a to-zone b { policy p { match { source-address any; destination-address any; application [ junos-ntp junos-dns-udp ]; } then { permit; } } } } zones { security-zone a; security-zone b; } }";
        let cfg = xpf_config::parse_config(text).expect("parses");
        let model = xpf_model::build(&xpf_config::effective(&cfg, None)).expect("builds");
        let snap =
            Snapshot::compile(&model, &xpf_dataplane::InterfaceTable::new()).expect("compiles");
        let mut s = session(40000);
        s.fwd.dport = 53;
        s.policy_id = Some(0);
        assert_eq!(session_view(&s, &snap).application, "junos-dns-udp");
        s.policy_id = None;
        assert_eq!(session_view(&s, &snap).application, "None");
    }

    #[test]
    fn closed_is_created_minus_live() {
        let c = EbpfCounters {
            drops: vec![0; 64],
            sessions_created: 10,
            forwarded: 7,
            policy_hits: vec![3],
            nat_rules: vec![xpf_dataplane::NatRuleHits {
                successful: 5,
                failed: 1,
            }],
            nat_destination: 2,
            screen_alarms: 4,
            ..EbpfCounters::default()
        };
        let out = counters(&c, 4);
        // `show security nat ... rule` reads these.
        assert_eq!(out.nat_rules, c.nat_rules);
        assert_eq!(out.nat.destination, 2);
        assert_eq!((out.sessions.created, out.sessions.closed), (10, 6));
        assert_eq!(out.forwarded, 7);
        assert_eq!(out.policy_hits, vec![3]);
        assert_eq!(out.screen_alarms, 4);
    }
}
