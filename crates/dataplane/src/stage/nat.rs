// SPDX-License-Identifier: Apache-2.0
//! Stage: the NAT decision for a new session. Static and destination NAT
//! run before the route lookup (the route and the policy see the
//! translated destination); source NAT runs after the policy, once the
//! egress zone and interface are known.

use super::parse::Packet;
use crate::session::{FlowKey, Sessions};
use crate::snapshot::nat::{NatKey, PortMode, SnatAction};
use crate::snapshot::Snapshot;
use crate::verdict::DropReason;
use std::sync::Arc;

/// A translation chosen for one side of the session.
#[derive(Debug, Clone)]
pub(crate) struct Translation {
    pub addr: u128,
    pub port: u16,
    pub rule: Arc<str>,
    /// The rule's index in [`Snapshot::nat_rules`].
    pub id: u32,
}

/// Translation hits of one NAT rule (`show security nat ... rule`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NatRuleHits {
    /// Sessions created with this rule's translation.
    pub successful: u64,
    /// Flows the rule matched that got no session: no free address or
    /// port, or no room in the session table.
    pub failed: u64,
}

impl NatRuleHits {
    /// Translation hits: successful and failed.
    pub fn total(&self) -> u64 {
        self.successful + self.failed
    }
}

/// NAT counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NatCounters {
    /// Sessions with a destination (or inbound static) translation.
    pub destination: u64,
    /// Sessions with a source (or outbound static) translation.
    pub source: u64,
}

fn key(pkt: &Packet) -> NatKey {
    NatKey {
        v6: pkt.v6,
        src: pkt.src,
        dst: pkt.dst,
        proto: pkt.proto,
        sport: pkt.sport,
        dport: pkt.dport,
    }
}

/// Ports only mean something for TCP, UDP and SCTP; ICMP echo keeps its id.
fn has_ports(proto: u8) -> bool {
    matches!(proto, 6 | 17 | 132)
}

/// Static (inbound) then destination NAT.
pub(crate) fn destination(
    snap: &Snapshot,
    pkt: &Packet,
    zone: u16,
    ifindex: u32,
) -> Option<Translation> {
    for s in &snap.nat.statics {
        if !s.from.matches(zone, ifindex) {
            continue;
        }
        if let Some(addr) = s.inbound(pkt.v6, pkt.dst) {
            return Some(Translation {
                addr,
                port: pkt.dport,
                rule: s.name.clone(),
                id: s.id,
            });
        }
    }
    let k = key(pkt);
    for r in &snap.nat.dnat {
        if r.from.matches(zone, ifindex) && r.matching.matches(&k) {
            let (v6, addr, port) = r.to?;
            if v6 != pkt.v6 {
                return None;
            }
            let port = match port {
                Some(p) if has_ports(pkt.proto) => p,
                _ => pkt.dport,
            };
            return Some(Translation {
                addr,
                port,
                rule: r.name.clone(),
                id: r.id,
            });
        }
    }
    None
}

/// The new source for a session, if any: static NAT's reverse mapping,
/// else the first matching source rule. `dst`/`dport` are post-DNAT. A
/// failure names the rule that matched, for its counters.
#[allow(clippy::too_many_arguments)]
pub(crate) fn source(
    snap: &Snapshot,
    sessions: &Sessions,
    pkt: &Packet,
    dst: u128,
    dport: u16,
    from: (u16, u32),
    to: (u16, u32),
) -> Result<Option<Translation>, (DropReason, u32)> {
    for s in &snap.nat.statics {
        if let Some(addr) = s.outbound(pkt.v6, pkt.src) {
            return Ok(Some(Translation {
                addr,
                port: pkt.sport,
                rule: s.name.clone(),
                id: s.id,
            }));
        }
    }
    let k = NatKey {
        dst,
        dport,
        ..key(pkt)
    };
    let Some(rule) = snap.nat.snat.iter().find(|r| {
        r.from.matches(from.0, from.1) && r.to.matches(to.0, to.1) && r.matching.matches(&k)
    }) else {
        return Ok(None);
    };
    let failed = |r: DropReason| (r, rule.id);
    let (addrs, ports): (&[(bool, u128, u128)], PortMode) = match rule.action {
        SnatAction::Off => return Ok(None),
        SnatAction::Interface => {
            let a = snap
                .iface(to.1)
                .and_then(|i| i.first_addr(pkt.v6))
                .ok_or(failed(DropReason::NatNoAddress))?;
            let (lo, hi) = crate::INTERFACE_NAT_PORTS;
            return allocate(
                sessions,
                pkt,
                dst,
                dport,
                &[(pkt.v6, a, a)],
                PortMode::Translate(lo, hi),
            )
            .map(|(addr, port)| {
                Some(Translation {
                    addr,
                    port,
                    rule: rule.name.clone(),
                    id: rule.id,
                })
            })
            .map_err(failed);
        }
        SnatAction::Pool(i) => {
            let pool = snap
                .nat
                .pools
                .get(i)
                .ok_or(failed(DropReason::NatNoAddress))?;
            (&pool.addrs, pool.ports)
        }
    };
    allocate(sessions, pkt, dst, dport, addrs, ports)
        .map(|(addr, port)| {
            Some(Translation {
                addr,
                port,
                rule: rule.name.clone(),
                id: rule.id,
            })
        })
        .map_err(failed)
}

/// Probes tried before a pool counts as exhausted for a flow.
const PROBES: u32 = 256;

/// Picks an address and port whose reverse key is free: the answer from
/// `dst:dport` must find this session and no other. The address is chosen
/// by hashing the source (a host keeps one public address); the port
/// starts at a hash of the flow and probes linearly.
fn allocate(
    sessions: &Sessions,
    pkt: &Packet,
    dst: u128,
    dport: u16,
    addrs: &[(bool, u128, u128)],
    ports: PortMode,
) -> Result<(u128, u16), DropReason> {
    let count = addrs.iter().filter(|a| a.0 == pkt.v6).count();
    if count == 0 {
        return Err(DropReason::NatNoAddress);
    }
    let h = mix(pkt.src as u64 ^ (pkt.src >> 64) as u64);
    let Some(&(_, lo, hi)) = addrs
        .iter()
        .filter(|a| a.0 == pkt.v6)
        .nth((h % count as u64) as usize)
    else {
        return Err(DropReason::NatNoAddress);
    };
    let span = hi - lo + 1;
    let addr = lo + (u128::from(h) % span);
    let taken = |port: u16| {
        sessions.contains(&FlowKey {
            src: dst,
            dst: addr,
            sport: dport,
            dport: port,
            proto: pkt.proto,
            v6: pkt.v6,
            instance: 0,
        })
    };
    let is_echo = pkt.icmp.is_some_and(|i| i.echo);
    let (plo, phi) = match ports {
        PortMode::Keep => {
            return if taken(pkt.sport) {
                Err(DropReason::NatExhausted)
            } else {
                Ok((addr, pkt.sport))
            };
        }
        PortMode::Translate(lo, hi) => (lo, hi),
    };
    if !has_ports(pkt.proto) && !is_echo {
        return Ok((addr, pkt.sport));
    }
    let range = u32::from(phi - plo) + 1;
    let start = (mix(h ^ u64::from(pkt.sport) << 32 ^ dst as u64) % u64::from(range)) as u32;
    for i in 0..PROBES.min(range) {
        let port = plo + ((start + i) % range) as u16;
        // The reverse key of an echo session carries the id twice.
        let free = if is_echo {
            !sessions.contains(&FlowKey {
                src: dst,
                dst: addr,
                sport: port,
                dport: port,
                proto: pkt.proto,
                v6: pkt.v6,
                instance: 0,
            })
        } else {
            !taken(port)
        };
        if free {
            return Ok((addr, port));
        }
    }
    Err(DropReason::NatExhausted)
}

fn mix(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x
}
