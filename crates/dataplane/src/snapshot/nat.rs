// SPDX-License-Identifier: Apache-2.0
//! NAT rule-sets compiled to numeric matches: static (bidirectional prefix
//! mapping), destination (pool address and port) and source (interface,
//! pool with port allocation, off).
//!
//! Rule-sets are tried most specific context first (interface, then zone,
//! then routing-instance), rules within a set in order, as on Junos.

use std::sync::Arc;

use xpf_model::{
    AddressValue, DestinationNatAction, Model, NatContext, NatMatch, NatRule, PoolPort, RuleSet,
    SourceNatAction, StaticNatAction,
};

use super::CompileError;
use crate::addr;

/// Where a rule-set applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ctx {
    /// Routing instances: every packet (one routing instance for now).
    Any,
    /// Zone ids.
    Zones(Vec<u16>),
    /// Kernel ifindexes.
    Interfaces(Vec<u32>),
}

impl Ctx {
    pub(crate) fn matches(&self, zone: u16, ifindex: u32) -> bool {
        match self {
            Ctx::Any => true,
            Ctx::Zones(z) => z.contains(&zone),
            Ctx::Interfaces(i) => i.contains(&ifindex),
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Ctx::Interfaces(_) => 0,
            Ctx::Zones(_) => 1,
            Ctx::Any => 2,
        }
    }
}

/// A rule's match, numeric. Empty lists match anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Match {
    pub src: Vec<(bool, u128, u128)>,
    pub dst: Vec<(bool, u128, u128)>,
    pub sport: Vec<(u16, u16)>,
    pub dport: Vec<(u16, u16)>,
    pub protos: Vec<u8>,
}

/// The fields of a packet a NAT rule looks at.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NatKey {
    pub v6: bool,
    pub src: u128,
    pub dst: u128,
    pub proto: u8,
    pub sport: u16,
    pub dport: u16,
}

fn in_addrs(list: &[(bool, u128, u128)], v6: bool, a: u128) -> bool {
    list.is_empty()
        || list
            .iter()
            .any(|&(f, lo, hi)| f == v6 && lo <= a && a <= hi)
}

fn in_ports(list: &[(u16, u16)], p: u16) -> bool {
    list.is_empty() || list.iter().any(|&(lo, hi)| lo <= p && p <= hi)
}

impl Match {
    pub(crate) fn matches(&self, k: &NatKey) -> bool {
        in_addrs(&self.src, k.v6, k.src)
            && in_addrs(&self.dst, k.v6, k.dst)
            && (self.protos.is_empty() || self.protos.contains(&k.proto))
            && in_ports(&self.sport, k.sport)
            && in_ports(&self.dport, k.dport)
    }
}

/// The three NAT rule kinds, as `show security nat <kind>` names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NatKind {
    /// `security nat source`.
    Source,
    /// `security nat destination`.
    Destination,
    /// `security nat static`.
    Static,
}

impl NatKind {
    /// The configuration word: `source`, `destination`, `static`.
    pub fn name(self) -> &'static str {
        match self {
            NatKind::Source => "source",
            NatKind::Destination => "destination",
            NatKind::Static => "static",
        }
    }
}

/// One NAT rule in the flat list its counters are indexed by
/// ([`crate::Counters::nat_rules`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct NatRef {
    /// Source, destination or static.
    pub kind: NatKind,
    /// The rule-set's name.
    pub rule_set: Arc<str>,
    /// The rule's name.
    pub name: Arc<str>,
}

/// A static NAT rule: `ext` ↔ `int`, same length.
#[derive(Debug, Clone)]
pub(crate) struct StaticRule {
    pub name: Arc<str>,
    /// Index in [`NatTables::refs`].
    pub id: u32,
    pub from: Ctx,
    pub v6: bool,
    pub ext: u128,
    pub int: u128,
    pub len: u8,
}

impl StaticRule {
    /// The internal address of an external one, if it is in the rule.
    pub(crate) fn inbound(&self, v6: bool, dst: u128) -> Option<u128> {
        (v6 == self.v6 && addr::mask(dst, self.len, v6) == self.ext)
            .then(|| self.int | (dst & addr::host_mask(self.len, v6)))
    }

    /// The external address of an internal one (the reverse direction).
    pub(crate) fn outbound(&self, v6: bool, src: u128) -> Option<u128> {
        (v6 == self.v6 && addr::mask(src, self.len, v6) == self.int)
            .then(|| self.ext | (src & addr::host_mask(self.len, v6)))
    }
}

/// A destination NAT rule; `to` None is `destination-nat off`.
#[derive(Debug, Clone)]
pub(crate) struct DnatRule {
    pub name: Arc<str>,
    /// Index in [`NatTables::refs`].
    pub id: u32,
    pub from: Ctx,
    pub matching: Match,
    pub to: Option<(bool, u128, Option<u16>)>,
}

/// What a source NAT rule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SnatAction {
    Off,
    Interface,
    Pool(usize),
}

/// A source NAT rule.
#[derive(Debug, Clone)]
pub(crate) struct SnatRule {
    pub name: Arc<str>,
    /// Index in [`NatTables::refs`].
    pub id: u32,
    pub from: Ctx,
    pub to: Ctx,
    pub matching: Match,
    pub action: SnatAction,
}

/// How a pool translates ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PortMode {
    Translate(u16, u16),
    Keep,
}

/// A source pool.
#[derive(Debug, Clone)]
pub(crate) struct SnatPool {
    pub addrs: Vec<(bool, u128, u128)>,
    pub ports: PortMode,
}

/// Every NAT rule of the snapshot.
#[derive(Debug, Clone, Default)]
pub(crate) struct NatTables {
    pub statics: Vec<StaticRule>,
    pub dnat: Vec<DnatRule>,
    pub snat: Vec<SnatRule>,
    pub pools: Vec<SnatPool>,
    /// Every rule, in the order compiled; rules carry their index here.
    pub refs: Vec<NatRef>,
}

impl NatTables {
    /// Appends a rule to [`NatTables::refs`]; its id.
    fn add_ref(&mut self, kind: NatKind, rule_set: &str, name: &str) -> u32 {
        self.refs.push(NatRef {
            kind,
            rule_set: rule_set.into(),
            name: name.into(),
        });
        (self.refs.len() - 1) as u32
    }
}

/// The port range interface NAT and `port` default translate into.
pub(crate) const DEFAULT_PORTS: PortMode = PortMode::Translate(1024, 65535);

/// The ports interface source NAT translates to: outside the kernel's
/// ephemeral range, so the XDP shim can tell replies to a NAT session from
/// traffic for the box's own sockets (`XPF_NAT_PORT_LO..=HI` in the shim).
pub const INTERFACE_NAT_PORTS: (u16, u16) = (61000, 65535);

pub(crate) struct Resolve<'a> {
    pub model: &'a Model,
    pub zone_id: &'a dyn Fn(&str) -> Option<u16>,
    pub ifindex: &'a dyn Fn(&str) -> Option<u32>,
}

impl Resolve<'_> {
    fn ctx(&self, c: &NatContext) -> Ctx {
        match c {
            NatContext::Zones(z) => {
                Ctx::Zones(z.iter().filter_map(|n| (self.zone_id)(n)).collect())
            }
            NatContext::Interfaces(i) => {
                Ctx::Interfaces(i.iter().filter_map(|n| (self.ifindex)(n)).collect())
            }
            NatContext::RoutingInstances(_) => Ctx::Any,
        }
    }

    fn names(&self, names: &[String], rule: &str) -> Result<Vec<(bool, u128, u128)>, CompileError> {
        let mut out = Vec::new();
        for n in names {
            let values = self.model.expand_address_anywhere(n).ok_or_else(|| {
                CompileError::UndefinedAddress {
                    context: format!("nat rule {rule}"),
                    name: n.clone(),
                }
            })?;
            out.extend(values.iter().filter_map(value_range));
        }
        Ok(out)
    }

    fn matching(&self, m: &NatMatch, rule: &str) -> Result<Match, CompileError> {
        let mut src: Vec<_> = m.source_addresses.iter().map(addr::prefix_range).collect();
        src.extend(self.names(&m.source_address_names, rule)?);
        let mut dst: Vec<_> = m
            .destination_addresses
            .iter()
            .map(addr::prefix_range)
            .collect();
        dst.extend(self.names(&m.destination_address_names, rule)?);
        let mut protos: Vec<u8> = m.protocols.iter().map(|p| p.number()).collect();
        let mut dport: Vec<(u16, u16)> = m
            .destination_ports
            .iter()
            .map(|p| (p.low, p.high))
            .collect();
        for app in &m.applications {
            if app == "any" {
                continue;
            }
            for a in self.model.expand_application(app).unwrap_or_default() {
                for t in &a.terms {
                    if let Some(p) = t.protocol {
                        protos.push(p.number());
                    }
                    if let Some(d) = t.destination_port {
                        dport.push((d.low, d.high));
                    }
                }
            }
        }
        protos.sort_unstable();
        protos.dedup();
        Ok(Match {
            src,
            dst,
            sport: m.source_ports.iter().map(|p| (p.low, p.high)).collect(),
            dport,
            protos,
        })
    }
}

/// The numeric range of an address-book value (DNS names and wildcards
/// have none yet).
pub(crate) fn value_range(v: &AddressValue) -> Option<(bool, u128, u128)> {
    match v {
        AddressValue::Prefix(p) => Some(addr::prefix_range(p)),
        AddressValue::Range(r) => Some(addr::range_of(r)),
        AddressValue::DnsName(_) | AddressValue::Wildcard(_) => None,
    }
}

fn ordered<A>(sets: &[RuleSet<A>]) -> Vec<&RuleSet<A>> {
    let rank = |c: &NatContext| match c {
        NatContext::Interfaces(_) => 0,
        NatContext::Zones(_) => 1,
        NatContext::RoutingInstances(_) => 2,
    };
    let mut v: Vec<&RuleSet<A>> = sets.iter().collect();
    v.sort_by_key(|s| rank(&s.from));
    v
}

fn rules_of<A>(set: &RuleSet<A>) -> impl Iterator<Item = &NatRule<A>> {
    set.rules.iter()
}

pub(crate) fn compile(r: &Resolve<'_>) -> Result<NatTables, CompileError> {
    let nat = &r.model.nat;
    let mut t = NatTables::default();
    for p in &nat.source.pools {
        t.pools.push(SnatPool {
            addrs: p.addresses.iter().map(addr::range_of).collect(),
            ports: match p.port {
                PoolPort::Translate => DEFAULT_PORTS,
                PoolPort::NoTranslation => PortMode::Keep,
                PoolPort::Range(pr) => PortMode::Translate(pr.low, pr.high),
            },
        });
    }
    for set in ordered(&nat.static_nat.rule_sets) {
        let from = r.ctx(&set.from);
        for rule in rules_of(set) {
            let ext = rule
                .matching
                .destination_addresses
                .first()
                .copied()
                .or_else(|| {
                    let n = rule.matching.destination_address_names.first()?;
                    r.model
                        .expand_address_anywhere(n)?
                        .iter()
                        .find_map(|v| match v {
                            AddressValue::Prefix(p) => Some(*p),
                            _ => None,
                        })
                })
                .ok_or_else(|| CompileError::Nat {
                    rule: rule.name.clone(),
                    message: "static NAT needs a destination-address prefix".into(),
                })?;
            let int = match &rule.then {
                StaticNatAction::Prefix(p) => *p,
                StaticNatAction::PrefixName(n) => r
                    .model
                    .expand_address_anywhere(n)
                    .and_then(|v| {
                        v.iter().find_map(|v| match v {
                            AddressValue::Prefix(p) => Some(*p),
                            _ => None,
                        })
                    })
                    .ok_or_else(|| CompileError::UndefinedAddress {
                        context: format!("static nat rule {}", rule.name),
                        name: n.clone(),
                    })?,
            };
            let (v6, ext_low, _) = addr::prefix_range(&ext);
            let len = ext.len;
            if int.addr.is_ipv6() != v6 {
                return Err(CompileError::Nat {
                    rule: rule.name.clone(),
                    message: "static NAT prefixes of different families".into(),
                });
            }
            let (_, int_low, _) = addr::prefix_range(&xpf_model::Prefix { len, ..int });
            let id = t.add_ref(NatKind::Static, &set.name, &rule.name);
            t.statics.push(StaticRule {
                name: rule.name.as_str().into(),
                id,
                from: from.clone(),
                v6,
                ext: ext_low,
                int: int_low,
                len,
            });
        }
    }
    for set in ordered(&nat.destination.rule_sets) {
        let from = r.ctx(&set.from);
        for rule in rules_of(set) {
            let to = match &rule.then {
                DestinationNatAction::Off => None,
                DestinationNatAction::Pool(name) => {
                    let p = nat
                        .destination_pool(name)
                        .ok_or_else(|| CompileError::Nat {
                            rule: rule.name.clone(),
                            message: format!("pool '{name}' is not defined"),
                        })?;
                    // A pool range maps to its first address: sessions keep
                    // one server, and Junos spreads only with load-balancing
                    // options we do not support yet.
                    let (v6, low, _) = addr::range_of(&p.address);
                    Some((v6, low, p.port))
                }
            };
            let id = t.add_ref(NatKind::Destination, &set.name, &rule.name);
            t.dnat.push(DnatRule {
                name: rule.name.as_str().into(),
                id,
                from: from.clone(),
                matching: r.matching(&rule.matching, &rule.name)?,
                to,
            });
        }
    }
    for set in ordered(&nat.source.rule_sets) {
        let from = r.ctx(&set.from);
        let to = set.to.as_ref().map_or(Ctx::Any, |c| r.ctx(c));
        for rule in rules_of(set) {
            let action = match &rule.then {
                SourceNatAction::Off => SnatAction::Off,
                SourceNatAction::Interface => SnatAction::Interface,
                SourceNatAction::Pool(name) => SnatAction::Pool(
                    nat.source
                        .pools
                        .iter()
                        .position(|p| &p.name == name)
                        .ok_or_else(|| CompileError::Nat {
                            rule: rule.name.clone(),
                            message: format!("pool '{name}' is not defined"),
                        })?,
                ),
            };
            let id = t.add_ref(NatKind::Source, &set.name, &rule.name);
            t.snat.push(SnatRule {
                name: rule.name.as_str().into(),
                id,
                from: from.clone(),
                to: to.clone(),
                matching: r.matching(&rule.matching, &rule.name)?,
                action,
            });
        }
    }
    // Stable: rule order inside a context class is configuration order.
    t.snat.sort_by_key(|s| (s.from.rank(), s.to.rank()));
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_mapping_both_ways() {
        let s = StaticRule {
            name: "s".into(),
            id: 0,
            from: Ctx::Any,
            v6: false,
            ext: 0xcb00_7100,
            int: 0x0a00_0200,
            len: 24,
        };
        assert_eq!(s.inbound(false, 0xcb00_7105), Some(0x0a00_0205));
        assert_eq!(s.outbound(false, 0x0a00_0205), Some(0xcb00_7105));
        assert_eq!(s.inbound(false, 0xcb00_7205), None);
        assert_eq!(s.inbound(true, 0xcb00_7105), None);
    }

    #[test]
    fn match_fields() {
        let m = Match {
            src: vec![(false, 10, 20)],
            dport: vec![(80, 80)],
            protos: vec![6],
            ..Match::default()
        };
        let k = NatKey {
            v6: false,
            src: 15,
            dst: 99,
            proto: 6,
            sport: 1,
            dport: 80,
        };
        assert!(m.matches(&k));
        assert!(!m.matches(&NatKey { dport: 81, ..k }));
        assert!(!m.matches(&NatKey { v6: true, ..k }));
        assert!(Ctx::Zones(vec![1]).matches(1, 9) && !Ctx::Interfaces(vec![2]).matches(1, 9));
    }
}
