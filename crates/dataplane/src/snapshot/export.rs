// SPDX-License-Identifier: Apache-2.0
//! A plain-data view of a [`Snapshot`] for dataplanes that are not this
//! crate's pipeline (the eBPF fallback fills its maps from it). Everything
//! here is what the pipeline consults, in numbers, with no lookup
//! structures: the consumer builds its own (LPM tries, arrays) and must
//! reach the same decisions; the differential test holds it to that.

use std::sync::Arc;

use xpf_model::PolicyAction;

use super::nat::{Ctx, PortMode};
pub use super::screen::ScreenProfile;
use super::Snapshot;
use super::Timeouts;

/// An inclusive range in one dimension (addresses as in [`crate::addr`],
/// services as `proto << 16 | port`, ICMP port = `type << 8 | code`).
pub type Range = (u128, u128);

/// One interface of the snapshot.
#[derive(Debug, Clone)]
pub struct Interface {
    /// Kernel ifindex.
    pub ifindex: u32,
    /// Zone id (index into [`Export::zones`]), if in a zone.
    pub zone: Option<u16>,
    /// `(v6, address, prefix length)`, in configuration order.
    pub addrs: Vec<(bool, u128, u8)>,
    /// host-inbound-traffic accepts everything.
    pub host_any: bool,
    /// host-inbound-traffic rules.
    pub host: Vec<HostRule>,
}

/// One host-inbound rule: `proto` with destination port (ICMP: type) in
/// `low..=high`, or the source port too when `either` (peering protocols).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostRule {
    /// IP protocol.
    pub proto: u8,
    /// Lowest port or type.
    pub low: u16,
    /// Highest port or type.
    pub high: u16,
    /// Also match the source port.
    pub either: bool,
}

/// The policies of one context in first-match order.
#[derive(Debug, Clone)]
pub struct PolicySet {
    /// `(from, to)` zone ids; `None` for the global list.
    pub zones: Option<(u16, u16)>,
    /// The policies, in order.
    pub rules: Vec<Policy>,
}

/// One policy, as numbers.
#[derive(Debug, Clone)]
pub struct Policy {
    /// Index in [`Snapshot::policies`] (hit counters key on it).
    pub id: u32,
    /// Its name: a session outlives a commit by it, not by its id.
    pub name: Arc<str>,
    /// Permit, deny or reject.
    pub action: PolicyAction,
    /// Source ranges `[v4, v6]`.
    pub src: [Vec<Range>; 2],
    /// Destination ranges `[v4, v6]`.
    pub dst: [Vec<Range>; 2],
    /// Service ranges.
    pub svc: Vec<Range>,
    /// Some application term restricts source ports.
    pub check_sport: bool,
    /// `inactivity-timeout` of each application term (seconds,
    /// `u32::MAX` for never), in term order.
    pub term_timeouts: Vec<Option<u32>>,
    /// Global policies: `from-zone` ids (empty: any).
    pub from_zones: Vec<u16>,
    /// Global policies: `to-zone` ids (empty: any).
    pub to_zones: Vec<u16>,
    /// `then log session-init`.
    pub log_init: bool,
    /// `then log session-close`.
    pub log_close: bool,
}

/// Where a NAT rule applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Context {
    /// Everywhere.
    Any,
    /// These zone ids.
    Zones(Vec<u16>),
    /// These ifindexes.
    Interfaces(Vec<u32>),
}

/// What a source NAT rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnatAction {
    /// `source-nat off`.
    Off,
    /// `source-nat interface` (ports [`crate::INTERFACE_NAT_PORTS`]).
    Interface,
    /// `source-nat pool`: index into [`Export::pools`].
    Pool(usize),
}

/// A source NAT rule, in evaluation order.
#[derive(Debug, Clone)]
pub struct SnatRule {
    /// Index in [`Snapshot::nat_rules`].
    pub id: u32,
    /// `from` context.
    pub from: Context,
    /// `to` context.
    pub to: Context,
    /// Source `(v6, low, high)` ranges (empty: any).
    pub src: Vec<(bool, u128, u128)>,
    /// Destination ranges (empty: any).
    pub dst: Vec<(bool, u128, u128)>,
    /// Source port ranges (empty: any).
    pub sport: Vec<(u16, u16)>,
    /// Destination port ranges (empty: any).
    pub dport: Vec<(u16, u16)>,
    /// Protocols (empty: any).
    pub protos: Vec<u8>,
    /// The action.
    pub action: SnatAction,
}

/// A source NAT pool.
#[derive(Debug, Clone)]
pub struct Pool {
    /// `(v6, low, high)` address ranges.
    pub addrs: Vec<(bool, u128, u128)>,
    /// Port range to translate into; `None` keeps the source port.
    pub ports: Option<(u16, u16)>,
}

/// A static NAT rule: `ext/len` ↔ `int/len`, host bits kept.
#[derive(Debug, Clone)]
pub struct StaticRule {
    /// Index in [`Snapshot::nat_rules`].
    pub id: u32,
    /// Where inbound translation applies (outbound applies everywhere).
    pub from: Context,
    /// An IPv6 mapping.
    pub v6: bool,
    /// The external prefix's first address.
    pub ext: u128,
    /// The internal prefix's first address.
    pub int: u128,
    /// The prefixes' length.
    pub len: u8,
}

/// A destination NAT rule, in evaluation order.
#[derive(Debug, Clone)]
pub struct DnatRule {
    /// Index in [`Snapshot::nat_rules`].
    pub id: u32,
    /// `from` context.
    pub from: Context,
    /// Source `(v6, low, high)` ranges (empty: any).
    pub src: Vec<(bool, u128, u128)>,
    /// Destination ranges (empty: any).
    pub dst: Vec<(bool, u128, u128)>,
    /// Source port ranges (empty: any).
    pub sport: Vec<(u16, u16)>,
    /// Destination port ranges (empty: any).
    pub dport: Vec<(u16, u16)>,
    /// Protocols (empty: any).
    pub protos: Vec<u8>,
    /// The pool's `(v6, address, port)`; `None` is `destination-nat off`.
    pub to: Option<(bool, u128, Option<u16>)>,
}

/// One zone's screen (`ids-option`): the pipeline's own profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screen {
    /// Zone id (index into [`Export::zones`]).
    pub zone: u16,
    /// The checks, as the pipeline runs them (windows in ns).
    pub profile: ScreenProfile,
}

/// The whole snapshot, as plain data. See the module docs.
#[derive(Debug, Clone)]
pub struct Export {
    /// [`Snapshot::generation`].
    pub generation: u64,
    /// Zone names by id.
    pub zones: Vec<String>,
    /// The screens of the zones that have one, by zone id.
    pub screens: Vec<Screen>,
    /// Interfaces, by ifindex order.
    pub interfaces: Vec<Interface>,
    /// Zone-pair policy sets, then the global set (last, `zones: None`).
    pub policy_sets: Vec<PolicySet>,
    /// `default-policy permit-all`.
    pub default_permit: bool,
    /// Source NAT rules in evaluation order.
    pub snat: Vec<SnatRule>,
    /// Source NAT pools.
    pub pools: Vec<Pool>,
    /// Static NAT rules in evaluation order.
    pub statics: Vec<StaticRule>,
    /// Destination NAT rules in evaluation order.
    pub dnat: Vec<DnatRule>,
    /// Session timeouts.
    pub timeouts: Timeouts,
    /// `tcp-mss all-tcp`.
    pub mss: Option<u16>,
    /// `tcp-session`: SYN check on.
    pub syn_check: bool,
    /// No `allow-dns-reply`: unsolicited DNS responses are dropped.
    pub dns_reply_check: bool,
    /// `tcp-session`: sequence check on.
    pub sequence_check: bool,
    /// `tcp-session`: RST invalidates the session.
    pub rst_invalidate: bool,
}

fn ctx(c: &Ctx) -> Context {
    match c {
        Ctx::Any => Context::Any,
        Ctx::Zones(z) => Context::Zones(z.clone()),
        Ctx::Interfaces(i) => Context::Interfaces(i.clone()),
    }
}

fn set(zones: Option<(u16, u16)>, s: &super::policy::PolicySet) -> PolicySet {
    PolicySet {
        zones,
        rules: s
            .rules
            .iter()
            .zip(&s.specs)
            .map(|(r, spec)| Policy {
                id: r.id,
                name: r.name.clone(),
                action: r.action,
                src: spec.src.clone(),
                dst: spec.dst.clone(),
                svc: spec.svc.clone(),
                check_sport: r.check_sport,
                term_timeouts: r.terms.iter().map(|t| t.timeout_s).collect(),
                from_zones: r.from_zones.clone(),
                to_zones: r.to_zones.clone(),
                log_init: r.log_init,
                log_close: r.log_close,
            })
            .collect(),
    }
}

impl Snapshot {
    /// The snapshot as plain data, for other dataplanes. Zone-pair sets
    /// come in policy-id order, so hit counters line up with
    /// [`Snapshot::policies`].
    pub fn export(&self) -> Export {
        let mut pairs: Vec<_> = self.pairs.iter().collect();
        pairs.sort_by_key(|(_, s)| s.rules.first().map_or(u32::MAX, |r| r.id));
        let mut policy_sets: Vec<PolicySet> = pairs
            .into_iter()
            .map(|(&(f, t), s)| set(Some((f, t)), s))
            .collect();
        policy_sets.push(set(None, &self.global));
        Export {
            generation: self.generation,
            zones: self.zones.iter().map(|z| z.name.to_string()).collect(),
            screens: self
                .zones
                .iter()
                .enumerate()
                .filter_map(|(i, z)| {
                    let p = z.screen.as_ref()?;
                    Some(Screen {
                        zone: i as u16,
                        profile: p.clone(),
                    })
                })
                .collect(),
            interfaces: self
                .ifaces
                .iter()
                .enumerate()
                .filter_map(|(i, f)| {
                    let f = f.as_ref()?;
                    Some(Interface {
                        ifindex: i as u32,
                        zone: f.zone,
                        addrs: f.addrs.clone(),
                        host_any: f.host.any,
                        host: f
                            .host
                            .rules
                            .iter()
                            .map(|r| HostRule {
                                proto: r.proto,
                                low: r.low,
                                high: r.high,
                                either: r.either,
                            })
                            .collect(),
                    })
                })
                .collect(),
            policy_sets,
            default_permit: self.default_permit,
            snat: self
                .nat
                .snat
                .iter()
                .map(|r| SnatRule {
                    id: r.id,
                    from: ctx(&r.from),
                    to: ctx(&r.to),
                    src: r.matching.src.clone(),
                    dst: r.matching.dst.clone(),
                    sport: r.matching.sport.clone(),
                    dport: r.matching.dport.clone(),
                    protos: r.matching.protos.clone(),
                    action: match r.action {
                        super::nat::SnatAction::Off => SnatAction::Off,
                        super::nat::SnatAction::Interface => SnatAction::Interface,
                        super::nat::SnatAction::Pool(i) => SnatAction::Pool(i),
                    },
                })
                .collect(),
            pools: self
                .nat
                .pools
                .iter()
                .map(|p| Pool {
                    addrs: p.addrs.clone(),
                    ports: match p.ports {
                        PortMode::Translate(lo, hi) => Some((lo, hi)),
                        PortMode::Keep => None,
                    },
                })
                .collect(),
            statics: self
                .nat
                .statics
                .iter()
                .map(|r| StaticRule {
                    id: r.id,
                    from: ctx(&r.from),
                    v6: r.v6,
                    ext: r.ext,
                    int: r.int,
                    len: r.len,
                })
                .collect(),
            dnat: self
                .nat
                .dnat
                .iter()
                .map(|r| DnatRule {
                    id: r.id,
                    from: ctx(&r.from),
                    src: r.matching.src.clone(),
                    dst: r.matching.dst.clone(),
                    sport: r.matching.sport.clone(),
                    dport: r.matching.dport.clone(),
                    protos: r.matching.protos.clone(),
                    to: r.to,
                })
                .collect(),
            timeouts: self.timeouts,
            mss: self.mss,
            syn_check: self.tcp.syn_check,
            dns_reply_check: self.tcp.dns_reply_check,
            sequence_check: self.tcp.sequence_check,
            rst_invalidate: self.tcp.rst_invalidate,
        }
    }
}
