// SPDX-License-Identifier: Apache-2.0
//! Session events of the eBPF dataplane for the RT_FLOW log: what the
//! program puts in its `xpf_dp_events` ring buffer (sessions made, closed
//! on expiry, denied under a logging policy) and the closes the loader
//! itself performs (sweep, clear), as [`EbpfEvent`]s, and those as the
//! pipeline's [`Record`]s, named from a [`Snapshot`] as the AF_XDP
//! workers name theirs.

use std::net::IpAddr;
use std::sync::Arc;

use xpf_dataplane::{FlowKey, Record, RecordKind, Snapshot, Xlate};

use crate::abi::{self, SessionEntry};
use crate::entries::{dnat_rule, flow_key, xlate, xlate_with};

/// Which event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// A session was made (`RT_FLOW_SESSION_CREATE`).
    Create,
    /// A session closed, with the pipeline's reason text (`idle Timeout`,
    /// `TCP FIN`, `TCP RST`, `clear`).
    Close(&'static str),
    /// A logging policy denied or rejected a first packet.
    Deny,
}

/// One session event, in the pipeline's terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EbpfEvent {
    /// What happened.
    pub kind: EventKind,
    /// The forward key: the original tuple.
    pub fwd: FlowKey,
    /// The forward direction's rewrite.
    pub xlate: Xlate,
    /// The policy (`None`: default-policy permit-all).
    pub policy_id: Option<u32>,
    /// Source (or static) NAT rule, as an index of [`Snapshot::nat_rules`].
    pub snat_rule: Option<u32>,
    /// Destination (or static) NAT rule, likewise.
    pub dnat_rule: Option<u32>,
    /// Where the forward direction arrives (its zone is the from-zone).
    pub ingress: u32,
    /// Where it leaves (its zone is the to-zone).
    pub egress: u32,
    /// When the session was made (CLOCK_MONOTONIC ns; 0 for a deny).
    pub created_ns: u64,
    /// When the event happened (CLOCK_MONOTONIC ns).
    pub at_ns: u64,
    /// Packets from the client and from the server (closes).
    pub packets: [u64; 2],
    /// Bytes from the client and from the server (closes).
    pub bytes: [u64; 2],
    /// The snapshot generation its session's policy id belongs to (0: the
    /// live one): ids move at a commit, so a session closing before its
    /// next packet revalidated it is named from the snapshot it knew.
    pub generation: u32,
}

/// The application that matched the session with forward key `f` under
/// policy `policy_id` of `snap` (`None` for default-permit sessions).
/// Policies match ICMP on its type/code word, which the key does not
/// keep: sessions of ICMP are echoes (pings), whose request made them.
pub fn application(snap: &Snapshot, policy_id: Option<u32>, f: &FlowKey) -> Arc<str> {
    let port = match f.proto {
        1 => 8 << 8,
        58 => 128 << 8,
        _ => f.dport,
    };
    policy_id.map_or_else(
        || Arc::from("None"),
        |id| snap.application(id, f.proto, f.sport, port),
    )
}

fn rule(id: u32) -> Option<u32> {
    (id != abi::NONE32).then_some(id)
}

impl EbpfEvent {
    /// An event from the ring buffer's bytes; `None` when they are not one
    /// (too short, unknown kind).
    pub(crate) fn from_ring(bytes: &[u8]) -> Option<EbpfEvent> {
        let e = abi::Event::from_bytes(bytes)?;
        let kind = match (e.kind, e.reason) {
            (abi::EV_INIT, _) => EventKind::Create,
            (abi::EV_DENY, _) => EventKind::Deny,
            (abi::EV_CLOSE, abi::CLOSE_TCP_FIN) => EventKind::Close("TCP FIN"),
            (abi::EV_CLOSE, abi::CLOSE_TCP_RST) => EventKind::Close("TCP RST"),
            (abi::EV_CLOSE, abi::CLOSE_POLICY) => EventKind::Close("policy delete"),
            (abi::EV_CLOSE, _) => EventKind::Close("idle Timeout"),
            _ => return None,
        };
        Some(EbpfEvent {
            kind,
            fwd: flow_key(&e.flow),
            xlate: xlate_with(e.xflags, &e.twin, (e.xsrc, e.xsport), (e.xdst, e.xdport)),
            policy_id: rule(e.policy_id),
            snat_rule: rule(e.snat_rule),
            dnat_rule: dnat_rule(e.xflags, e.dnat_rule),
            ingress: e.ingress_ifindex,
            egress: e.egress_ifindex,
            created_ns: e.created,
            at_ns: e.at,
            packets: e.packets,
            bytes: e.bytes,
            generation: e.generation,
        })
    }

    /// The close of the session whose forward entry is `f` (key `k`),
    /// reverse entry `r` (when still there), for `reason`, at `now`.
    pub(crate) fn closed(
        k: &abi::Flow,
        f: &SessionEntry,
        r: Option<&SessionEntry>,
        reason: &'static str,
        now: u64,
    ) -> EbpfEvent {
        EbpfEvent {
            kind: EventKind::Close(reason),
            fwd: flow_key(k),
            xlate: xlate(f),
            policy_id: rule(f.policy_id),
            snat_rule: rule(f.snat_rule),
            dnat_rule: dnat_rule(f.xflags, f.dnat_rule),
            ingress: f.ingress_ifindex,
            egress: f.egress_ifindex,
            created_ns: f.created,
            at_ns: now,
            packets: [f.packets, r.map_or(0, |r| r.packets)],
            bytes: [f.bytes, r.map_or(0, |r| r.bytes)],
            generation: f.generation as u32,
        }
    }

    /// Whether its ids are `snap`'s (the live snapshot names what carries
    /// no generation).
    pub fn named_by(&self, snap: &Snapshot) -> bool {
        self.generation == 0 || snap.generation() as u32 == self.generation
    }

    /// The event as the pipeline's log record, names from `snap`.
    pub fn record(&self, snap: &Snapshot) -> Record {
        let f = &self.fwd;
        let ip = |a: u128| {
            if f.v6 {
                IpAddr::from(a.to_be_bytes())
            } else {
                IpAddr::from((a as u32).to_be_bytes())
            }
        };
        let nat_src = self.xlate.src.unwrap_or((f.src, f.sport));
        let nat_dst = self.xlate.dst.unwrap_or((f.dst, f.dport));
        let nat_name = |id: Option<u32>| {
            id.and_then(|i| snap.nat_rules().get(i as usize))
                .map(|r| r.name.clone())
        };
        let zone = |i: u32| Arc::from(snap.zone_of(i).unwrap_or("N/A"));
        let policy = self
            .policy_id
            .and_then(|i| snap.policies().get(i as usize))
            .map_or_else(|| Arc::from("default-permit"), |p| p.name.clone());
        let service = application(snap, self.policy_id, f);
        let (kind, session_id) = match self.kind {
            EventKind::Create => (RecordKind::Create, session_id(f)),
            EventKind::Close(r) => (RecordKind::Close(r), session_id(f)),
            EventKind::Deny => (RecordKind::Deny, 0),
        };
        Record {
            kind,
            src: (ip(f.src), f.sport),
            dst: (ip(f.dst), f.dport),
            nat_src: (ip(nat_src.0), nat_src.1),
            nat_dst: (ip(nat_dst.0), nat_dst.1),
            service,
            src_nat_rule: nat_name(self.snat_rule),
            dst_nat_rule: nat_name(self.dnat_rule),
            protocol: f.proto,
            policy,
            from_zone: zone(self.ingress),
            to_zone: zone(self.egress),
            session_id,
            interface: snap
                .iface_name(self.ingress)
                .unwrap_or_else(|| Arc::from("N/A")),
            from_client: (self.packets[0], self.bytes[0]),
            from_server: (self.packets[1], self.bytes[1]),
            elapsed_s: self.at_ns.saturating_sub(self.created_ns) / 1_000_000_000,
        }
    }
}

/// A session id for an eBPF session: the program numbers none, so it is
/// derived from the forward key (FNV-1a), stable while the session lives,
/// which is what `session-identifier`, `clear` and the log's session id
/// need.
pub fn session_id(k: &FlowKey) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    // IPv4 hashes its 4 bytes, so ids stay what they were before IPv6.
    let (src, dst) = (k.src.to_be_bytes(), k.dst.to_be_bytes());
    let n = if k.v6 { 0 } else { 12 };
    let bytes = [
        &src[n..],
        &dst[n..],
        &k.sport.to_be_bytes()[..],
        &k.dport.to_be_bytes()[..],
        &[k.proto][..],
    ];
    for b in bytes.iter().flat_map(|b| b.iter()) {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    // Junos prints ids as plain decimals; keep them readable.
    h % 1_000_000_000 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ring_bytes_read_as_the_c_layout() {
        let mut b = vec![0u8; abi::EVENT_SIZE];
        b[0] = abi::EV_CLOSE;
        b[1] = abi::CLOSE_TCP_FIN;
        b[2] = abi::X_SRC;
        b[4..8].copy_from_slice(&7u32.to_ne_bytes());
        b[8..12].copy_from_slice(&3u32.to_ne_bytes());
        b[12..16].copy_from_slice(&abi::NONE32.to_ne_bytes());
        b[16..20].copy_from_slice(&10u32.to_ne_bytes());
        b[20..24].copy_from_slice(&11u32.to_ne_bytes());
        b[24..28].copy_from_slice(&0xcb00_7101u32.to_ne_bytes());
        b[32..34].copy_from_slice(&1025u16.to_ne_bytes());
        b[40..48].copy_from_slice(&1_000_000_000u64.to_ne_bytes());
        b[48..56].copy_from_slice(&8_000_000_000u64.to_ne_bytes());
        b[56..64].copy_from_slice(&5u64.to_ne_bytes());
        b[64..72].copy_from_slice(&4u64.to_ne_bytes());
        b[88..92].copy_from_slice(&0x0a00_0102u32.to_ne_bytes());
        b[92..96].copy_from_slice(&0x0a00_0202u32.to_ne_bytes());
        b[96..98].copy_from_slice(&40000u16.to_ne_bytes());
        b[98..100].copy_from_slice(&80u16.to_ne_bytes());
        b[100] = 6;
        let e = EbpfEvent::from_ring(&b).expect("an event");
        assert_eq!(e.kind, EventKind::Close("TCP FIN"));
        assert_eq!(e.policy_id, Some(7));
        assert_eq!((e.snat_rule, e.dnat_rule), (Some(3), None));
        assert_eq!((e.ingress, e.egress), (10, 11));
        assert_eq!(e.xlate.src, Some((0xcb00_7101, 1025)));
        assert_eq!(e.xlate.dst, None);
        assert_eq!((e.packets, e.at_ns - e.created_ns), ([5, 4], 7_000_000_000));
        assert_eq!(
            (e.fwd.src, e.fwd.dst, e.fwd.sport, e.fwd.dport, e.fwd.proto),
            (0x0a00_0102, 0x0a00_0202, 40000, 80, 6)
        );
        assert!(EbpfEvent::from_ring(&b[..100]).is_none());
        // A record of an older program, without the twin, still reads.
        assert!(EbpfEvent::from_ring(&b[..abi::EVENT_SIZE_V4]).is_some());
    }

    #[test]
    fn ipv6_events_take_their_rewrite_from_the_twin() {
        let mut b = vec![0u8; abi::EVENT_SIZE];
        b[0] = abi::EV_INIT;
        b[2] = abi::X_SRC;
        b[32..34].copy_from_slice(&61000u16.to_ne_bytes());
        let client: u128 = 0x2001_0db8_0001_0000_0000_0000_0000_0050;
        let server: u128 = 0x2001_0db8_00ee_0000_0000_0000_0000_0080;
        let public: u128 = 0x2001_0db8_00ff_0000_0000_0000_0000_0001;
        // The forward key, then the twin (server -> public address).
        b[101] = 1;
        b[104..120].copy_from_slice(&client.to_be_bytes());
        b[120..136].copy_from_slice(&server.to_be_bytes());
        b[149] = 1;
        b[152..168].copy_from_slice(&server.to_be_bytes());
        b[168..184].copy_from_slice(&public.to_be_bytes());
        let e = EbpfEvent::from_ring(&b).expect("an event");
        assert_eq!((e.fwd.src, e.fwd.dst), (client, server));
        assert_eq!(e.xlate.src, Some((public, 61000)));
        assert_eq!(e.xlate.dst, None);
    }
}
