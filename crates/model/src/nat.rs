// SPDX-License-Identifier: Apache-2.0
//! `security nat`: source NAT (pools, interface NAT), destination NAT and
//! static (one-to-one) NAT, each as rule-sets bound to a traffic direction.
//!
//! Source and destination pools are separate namespaces; source pools may
//! not share addresses.

use xpf_config::{Statement, Word};

use crate::address_book::AddressValue;
use crate::applications::{PortRange, Protocol, ANY_APPLICATION};
use crate::check::{undefined, Checks, Path};
use crate::interfaces::normalize_unit;
use crate::prefix::{AddressRange, Prefix};
use crate::read::{args, child, flat, kids, values_of};
use crate::zones::BUILTIN_ZONES;
use crate::Model;

/// `security nat`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Nat {
    /// `source`.
    pub source: SourceNat,
    /// `destination`.
    pub destination: DestinationNat,
    /// `static`.
    pub static_nat: StaticNat,
    /// `proxy-arp`: IPv4 addresses answered for on an interface.
    pub proxy_arp: Vec<ProxyNeighbor>,
    /// `proxy-ndp`: IPv6 addresses answered for on an interface.
    pub proxy_ndp: Vec<ProxyNeighbor>,
}

/// One `proxy-arp` or `proxy-ndp` interface: the box answers address
/// resolution for translated addresses that are not its own.
#[derive(Debug, Clone, PartialEq)]
pub struct ProxyNeighbor {
    /// Interface and unit.
    pub interface: String,
    /// `address` entries.
    pub addresses: Vec<AddressRange>,
}

/// `security nat source`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceNat {
    /// `pool` entries.
    pub pools: Vec<SourcePool>,
    /// `rule-set` entries, in order.
    pub rule_sets: Vec<RuleSet<SourceNatAction>>,
}

/// One source NAT `pool`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourcePool {
    /// Pool name.
    pub name: String,
    /// `address` entries (a prefix, or `low to high`).
    pub addresses: Vec<AddressRange>,
    /// `port`: how source ports are translated.
    pub port: PoolPort,
}

/// Port translation of a source pool.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PoolPort {
    /// Ports are translated into the whole unprivileged range (default).
    #[default]
    Translate,
    /// `port no-translation`: ports are kept.
    NoTranslation,
    /// `port range low to high`.
    Range(PortRange),
}

/// `security nat destination`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DestinationNat {
    /// `pool` entries.
    pub pools: Vec<DestinationPool>,
    /// `rule-set` entries, in order.
    pub rule_sets: Vec<RuleSet<DestinationNatAction>>,
}

/// One destination NAT `pool`.
#[derive(Debug, Clone, PartialEq)]
pub struct DestinationPool {
    /// Pool name.
    pub name: String,
    /// `address`: where sessions are sent.
    pub address: AddressRange,
    /// `address ... port`: the new destination port.
    pub port: Option<u16>,
}

/// `security nat static`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StaticNat {
    /// `rule-set` entries, in order.
    pub rule_sets: Vec<RuleSet<StaticNatAction>>,
}

/// One `rule-set`: rules tried in order for traffic in one direction.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSet<A> {
    /// Rule-set name.
    pub name: String,
    /// `from`: where traffic comes from.
    pub from: NatContext,
    /// `to`: where traffic goes (source NAT only).
    pub to: Option<NatContext>,
    /// `rule` entries, in order.
    pub rules: Vec<NatRule<A>>,
}

/// A rule-set's `from` or `to`.
#[derive(Debug, Clone, PartialEq)]
pub enum NatContext {
    /// `zone` names.
    Zones(Vec<String>),
    /// `interface` names (`name.unit`).
    Interfaces(Vec<String>),
    /// `routing-instance` names.
    RoutingInstances(Vec<String>),
}

/// One NAT `rule`.
#[derive(Debug, Clone, PartialEq)]
pub struct NatRule<A> {
    /// Rule name.
    pub name: String,
    /// `match`.
    pub matching: NatMatch,
    /// `then`.
    pub then: A,
}

/// A NAT rule's `match`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NatMatch {
    /// `source-address` prefixes.
    pub source_addresses: Vec<Prefix>,
    /// `destination-address` prefixes.
    pub destination_addresses: Vec<Prefix>,
    /// `source-address-name`: address book names.
    pub source_address_names: Vec<String>,
    /// `destination-address-name`: address book names.
    pub destination_address_names: Vec<String>,
    /// `source-port` ranges.
    pub source_ports: Vec<PortRange>,
    /// `destination-port` ranges.
    pub destination_ports: Vec<PortRange>,
    /// `protocol` values.
    pub protocols: Vec<Protocol>,
    /// `application` names.
    pub applications: Vec<String>,
}

/// `then source-nat`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceNatAction {
    /// `off`: no translation.
    Off,
    /// `interface`: the egress interface's address.
    Interface,
    /// `pool`: a source pool.
    Pool(String),
}

/// `then destination-nat`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DestinationNatAction {
    /// `off`: no translation.
    Off,
    /// `pool`: a destination pool.
    Pool(String),
}

/// `then static-nat`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StaticNatAction {
    /// `prefix`: the internal prefix.
    Prefix(Prefix),
    /// `prefix-name`: an address book entry holding the internal prefix.
    PrefixName(String),
}

impl Nat {
    /// The source pool with this name.
    pub fn source_pool(&self, name: &str) -> Option<&SourcePool> {
        self.source.pools.iter().find(|p| p.name == name)
    }

    /// The destination pool with this name.
    pub fn destination_pool(&self, name: &str) -> Option<&DestinationPool> {
        self.destination.pools.iter().find(|p| p.name == name)
    }
}

/// What a rule's `then` is read into, per NAT kind.
trait Action: Sized {
    /// The `then` keyword (`source-nat`, ...).
    const KEYWORD: &'static str;
    /// Reads the action from the words after the keyword.
    fn read(
        words: &[&Word],
        at: &Statement,
        path: &Path,
        nat: &Nat,
        model: &Model,
        ck: &mut Checks,
    ) -> Option<Self>;

    /// Checks the action against the rule's match (`rule` at `path`).
    fn check(
        &self,
        _rule: &Statement,
        _path: &Path,
        _m: &NatMatch,
        _model: &Model,
        _ck: &mut Checks,
    ) {
    }
}

impl Action for SourceNatAction {
    const KEYWORD: &'static str = "source-nat";
    fn read(
        words: &[&Word],
        at: &Statement,
        path: &Path,
        nat: &Nat,
        _: &Model,
        ck: &mut Checks,
    ) -> Option<Self> {
        match words.first().map(|w| w.text.as_str()) {
            Some("off") => Some(SourceNatAction::Off),
            Some("interface") => Some(SourceNatAction::Interface),
            Some("pool") => {
                let w = words.get(1)?;
                if nat.source_pool(&w.text).is_none() {
                    report_pool(ck, path, w);
                }
                Some(SourceNatAction::Pool(w.text.clone()))
            }
            _ => {
                ck.missing(path, at, "off', 'interface' or 'pool");
                None
            }
        }
    }
}

impl Action for DestinationNatAction {
    const KEYWORD: &'static str = "destination-nat";
    fn read(
        words: &[&Word],
        at: &Statement,
        path: &Path,
        nat: &Nat,
        _: &Model,
        ck: &mut Checks,
    ) -> Option<Self> {
        match words.first().map(|w| w.text.as_str()) {
            Some("off") => Some(DestinationNatAction::Off),
            Some("pool") => {
                let w = words.get(1)?;
                if nat.destination_pool(&w.text).is_none() {
                    report_pool(ck, path, w);
                }
                Some(DestinationNatAction::Pool(w.text.clone()))
            }
            _ => {
                ck.missing(path, at, "off' or 'pool");
                None
            }
        }
    }
}

impl Action for StaticNatAction {
    const KEYWORD: &'static str = "static-nat";
    fn read(
        words: &[&Word],
        at: &Statement,
        path: &Path,
        _: &Nat,
        model: &Model,
        ck: &mut Checks,
    ) -> Option<Self> {
        match (
            words.first().map(|w| w.text.as_str()),
            words.get(1).copied(),
        ) {
            (Some("prefix"), Some(w)) => match Prefix::parse(&w.text) {
                Some(p) => Some(StaticNatAction::Prefix(p)),
                None => {
                    word_error(
                        ck,
                        path,
                        "prefix",
                        w,
                        format!("invalid prefix: '{}'", w.text),
                    );
                    None
                }
            },
            (Some("prefix-name"), Some(w)) => {
                if !model.address_defined(&w.text) {
                    word_error(ck, path, "prefix-name", w, undefined("address", &w.text));
                }
                Some(StaticNatAction::PrefixName(w.text.clone()))
            }
            _ => {
                ck.missing(path, at, "prefix' or 'prefix-name");
                None
            }
        }
    }

    /// The dataplane translates the first destination prefix to the
    /// internal one, so both must be prefixes of one family: found by
    /// `xpf-fuzz compile`, a rule mapping `::/128` to `10.0.0.0/32` passed
    /// `commit check` and then failed the commit.
    fn check(&self, rule: &Statement, path: &Path, m: &NatMatch, model: &Model, ck: &mut Checks) {
        let first_prefix = |name: &str| {
            model
                .expand_address_anywhere(name)?
                .into_iter()
                .find_map(|v| match v {
                    AddressValue::Prefix(p) => Some(p),
                    _ => None,
                })
        };
        let external = match (
            m.destination_addresses.first(),
            m.destination_address_names.first(),
        ) {
            (Some(p), _) => Some(*p),
            (None, Some(n)) => {
                let p = first_prefix(n);
                if p.is_none() && model.address_defined(n) {
                    ck.error(
                        path,
                        rule,
                        format!("destination-address-name '{n}' holds no address prefix for static NAT to translate"),
                    );
                }
                p
            }
            (None, None) => None,
        };
        let internal = match self {
            StaticNatAction::Prefix(p) => Some(*p),
            StaticNatAction::PrefixName(n) => {
                let p = first_prefix(n);
                if p.is_none() && model.address_defined(n) {
                    ck.error(
                        path,
                        rule,
                        format!("prefix-name '{n}' holds no address prefix"),
                    );
                }
                p
            }
        };
        if let (Some(e), Some(i)) = (external, internal) {
            if e.addr.is_ipv6() != i.addr.is_ipv6() {
                ck.error(
                    path,
                    rule,
                    format!("static-nat prefix {i} and destination-address {e} are of different address families"),
                );
            }
        }
    }
}

/// An error about `keyword value`, shown as that statement.
fn word_error(ck: &mut Checks, path: &Path, keyword: &str, w: &Word, message: String) {
    ck.push(path, Some(w.span), format!("{keyword} {}", w.text), message);
}

fn report_pool(ck: &mut Checks, path: &Path, w: &Word) {
    word_error(ck, path, "pool", w, undefined("pool", &w.text));
}

/// Reads `security nat` (`st`).
pub(crate) fn build(st: &Statement, model: &Model, ck: &mut Checks) -> Nat {
    let path = Path::of(&["security", "nat"]);
    let mut nat = Nat::default();
    if let Some(src) = child(st, "source") {
        let sp = path.join(src);
        nat.source.pools = kids(src, "pool")
            .filter_map(|p| source_pool(p, &sp.join(p), model, ck))
            .collect();
        check_overlaps(src, &sp, &nat.source.pools, ck);
        nat.source.rule_sets = rule_sets(src, &sp, true, &nat, model, ck);
    }
    if let Some(dst) = child(st, "destination") {
        let dp = path.join(dst);
        nat.destination.pools = kids(dst, "pool")
            .filter_map(|p| destination_pool(p, &dp, ck))
            .collect();
        nat.destination.rule_sets = rule_sets(dst, &dp, false, &nat, model, ck);
    }
    if let Some(stat) = child(st, "static") {
        let tp = path.join(stat);
        nat.static_nat.rule_sets = rule_sets(stat, &tp, false, &nat, model, ck);
    }
    for (kw, v6) in [("proxy-arp", false), ("proxy-ndp", true)] {
        let Some(p) = child(st, kw) else { continue };
        let list = proxies(p, &path.join(p), v6, model, ck);
        if v6 {
            nat.proxy_ndp = list;
        } else {
            nat.proxy_arp = list;
        }
    }
    nat
}

/// Reads the `interface` entries of `proxy-arp` / `proxy-ndp`.
fn proxies(
    st: &Statement,
    path: &Path,
    v6: bool,
    model: &Model,
    ck: &mut Checks,
) -> Vec<ProxyNeighbor> {
    let mut out = Vec::new();
    for i in kids(st, "interface") {
        let Some(w) = i.words.get(1) else { continue };
        let unit = normalize_unit(&w.text);
        if model.unit(&unit).is_none() {
            ck.error_word(path, i, w, undefined("interface", &unit));
        }
        let ip = path.join(i);
        let mut addresses = Vec::new();
        for a in kids(i, "address") {
            let words: Vec<&Word> = flat(a).into_iter().skip(1).collect();
            for r in pool_addresses(&words, a, &ip, ck).0 {
                if r.low.is_ipv4() == v6 {
                    let family = if v6 { "IPv6" } else { "IPv4" };
                    ck.error(&ip, a, format!("{} is not an {family} address", r.low));
                } else {
                    addresses.push(r);
                }
            }
        }
        out.push(ProxyNeighbor {
            interface: unit,
            addresses,
        });
    }
    out
}

/// Reads pool address words: `p1 [to p2]` entries, stopping at `port`.
/// Returns the ranges and the word after `port`, if any.
fn pool_addresses<'a>(
    words: &[&'a Word],
    at: &Statement,
    path: &Path,
    ck: &mut Checks,
) -> (Vec<AddressRange>, Option<&'a Word>) {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(w) = words.get(i) {
        if w.text == "port" {
            return (out, words.get(i + 1).copied());
        }
        let Some(low) = Prefix::parse(&w.text) else {
            ck.error_word(path, at, w, format!("invalid prefix: '{}'", w.text));
            return (out, None);
        };
        if words.get(i + 1).is_some_and(|t| t.text == "to") {
            let Some(hw) = words.get(i + 2) else {
                ck.missing(path, at, "to");
                return (out, None);
            };
            let range =
                Prefix::parse(&hw.text).and_then(|high| AddressRange::new(low.addr, high.addr));
            match range {
                Some(r) => out.push(r),
                None => ck.error_word(
                    path,
                    at,
                    hw,
                    format!("invalid address range: {} to {}", w.text, hw.text),
                ),
            }
            i += 3;
        } else {
            out.push(low.range());
            i += 1;
        }
    }
    (out, None)
}

/// Words of every `address` statement of a pool, keyword dropped.
fn address_words(pool: &Statement) -> Vec<Vec<&Word>> {
    kids(pool, "address")
        .map(|a| flat(a).into_iter().skip(1).collect())
        .collect()
}

fn source_pool(st: &Statement, path: &Path, model: &Model, ck: &mut Checks) -> Option<SourcePool> {
    let name = st.words.get(1)?.text.clone();
    let mut addresses = Vec::new();
    for (a, words) in kids(st, "address").zip(address_words(st)) {
        addresses.extend(pool_addresses(&words, a, path, ck).0);
    }
    // `address-name`: pool addresses taken from an address book entry.
    for an in kids(st, "address-name") {
        for w in args(an) {
            let Some(values) = model.expand_address_anywhere(&w.text) else {
                ck.error_word(path, an, w, undefined("address", &w.text));
                continue;
            };
            for v in values {
                match v {
                    AddressValue::Prefix(p) => addresses.push(p.range()),
                    AddressValue::Range(r) => addresses.push(r),
                    AddressValue::DnsName(_) | AddressValue::Wildcard(_) => ck.error_word(
                        path,
                        an,
                        w,
                        format!("address '{}' is not a prefix or range", w.text),
                    ),
                }
            }
        }
    }
    if kids(st, "address").next().is_none() && kids(st, "address-name").next().is_none() {
        ck.missing(&path_parent(path), st, "address");
    }
    let port = match child(st, "port") {
        None => PoolPort::Translate,
        Some(p) => {
            let words: Vec<&Word> = flat(p);
            let text: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
            if text.contains(&"no-translation") {
                PoolPort::NoTranslation
            } else if let Some(i) = text.iter().position(|t| *t == "range") {
                let low = words.get(i + 1).filter(|w| w.text != "to");
                let high = text
                    .iter()
                    .position(|t| *t == "to")
                    .and_then(|j| words.get(j + 1))
                    .or(low);
                let parsed = low
                    .zip(high)
                    .and_then(|(l, h)| {
                        Some((l.text.parse::<u16>().ok()?, h.text.parse::<u16>().ok()?))
                    })
                    .filter(|(l, h)| l <= h);
                match parsed {
                    Some((low, high)) => PoolPort::Range(PortRange { low, high }),
                    None => {
                        ck.error(path, p, "invalid port range");
                        PoolPort::Translate
                    }
                }
            } else {
                PoolPort::Translate
            }
        }
    };
    Some(SourcePool {
        name,
        addresses,
        port,
    })
}

/// The parent of a path (the path of the statement itself).
fn path_parent(path: &Path) -> Path {
    let steps = path.steps();
    let upto: Vec<&str> = steps
        .iter()
        .take(steps.len().saturating_sub(1))
        .map(String::as_str)
        .collect();
    Path::of(&upto)
}

fn destination_pool(st: &Statement, path: &Path, ck: &mut Checks) -> Option<DestinationPool> {
    let name = st.words.get(1)?.text.clone();
    let pp = path.join(st);
    let Some(a) = child(st, "address") else {
        ck.missing(path, st, "address");
        return None;
    };
    let words: Vec<&Word> = flat(a).into_iter().skip(1).collect();
    let (ranges, port_word) = pool_addresses(&words, a, &pp, ck);
    let port = match port_word {
        Some(w) => match xpf_config::schema::port_number(&w.text) {
            Some(p) => Some(p),
            None => {
                ck.error_word(&pp, a, w, format!("invalid port: '{}'", w.text));
                None
            }
        },
        None => None,
    };
    let address = ranges.into_iter().next()?;
    Some(DestinationPool {
        name,
        address,
        port,
    })
}

/// Refuses source pools sharing addresses, at the later pool.
fn check_overlaps(src: &Statement, path: &Path, pools: &[SourcePool], ck: &mut Checks) {
    for (i, later) in pools.iter().enumerate() {
        let Some(earlier) = pools[..i].iter().find(|e| {
            e.addresses
                .iter()
                .any(|a| later.addresses.iter().any(|b| a.overlaps(b)))
        }) else {
            continue;
        };
        if let Some(st) =
            kids(src, "pool").find(|p| p.words.get(1).is_some_and(|w| w.text == later.name))
        {
            ck.error(
                path,
                st,
                format!(
                    "pool '{}' address range overlaps pool '{}'",
                    later.name, earlier.name
                ),
            );
        }
    }
}

fn rule_sets<A: Action>(
    st: &Statement,
    path: &Path,
    needs_to: bool,
    nat: &Nat,
    model: &Model,
    ck: &mut Checks,
) -> Vec<RuleSet<A>> {
    let mut out = Vec::new();
    for rs in kids(st, "rule-set") {
        let Some(name) = rs.words.get(1).map(|w| w.text.clone()) else {
            continue;
        };
        let rp = path.join(rs);
        let from = match child(rs, "from") {
            Some(f) => context(f, &rp, model, ck),
            None => {
                ck.missing(path, rs, "from");
                NatContext::Zones(Vec::new())
            }
        };
        let to = match child(rs, "to") {
            Some(t) => Some(context(t, &rp, model, ck)),
            None => {
                if needs_to {
                    ck.missing(path, rs, "to");
                }
                None
            }
        };
        let rules = kids(rs, "rule")
            .filter_map(|r| rule::<A>(r, &rp, nat, model, ck))
            .collect();
        out.push(RuleSet {
            name,
            from,
            to,
            rules,
        });
    }
    out
}

/// Reads and checks a rule-set's `from` or `to`.
fn context(st: &Statement, path: &Path, model: &Model, ck: &mut Checks) -> NatContext {
    let cp = path.join(st);
    let holder = |kw: &str| child(st, kw).unwrap_or(st);
    let zones = values_of(st, "zone");
    if !zones.is_empty() {
        for w in &zones {
            if !BUILTIN_ZONES.contains(&w.text.as_str()) && model.zone(&w.text).is_none() {
                report(
                    ck,
                    &cp,
                    path,
                    st,
                    holder("zone"),
                    w,
                    undefined("zone", &w.text),
                );
            }
        }
        return NatContext::Zones(zones.iter().map(|w| w.text.clone()).collect());
    }
    let ifs = values_of(st, "interface");
    if !ifs.is_empty() {
        let mut names = Vec::new();
        for w in &ifs {
            let unit = normalize_unit(&w.text);
            if model.unit(&unit).is_none() {
                report(
                    ck,
                    &cp,
                    path,
                    st,
                    holder("interface"),
                    w,
                    undefined("interface", &unit),
                );
            }
            names.push(unit);
        }
        return NatContext::Interfaces(names);
    }
    let ris = values_of(st, "routing-instance");
    for w in &ris {
        if w.text != "default" && !model.routing.instances.contains(&w.text) {
            report(
                ck,
                &cp,
                path,
                st,
                holder("routing-instance"),
                w,
                undefined("routing-instance", &w.text),
            );
        }
    }
    NatContext::RoutingInstances(ris.iter().map(|w| w.text.clone()).collect())
}

/// Reports about a word of `h`, which is either `st` itself (words inline,
/// path `parent`) or a child of it (path `own`).
fn report(
    ck: &mut Checks,
    own: &Path,
    parent: &Path,
    st: &Statement,
    h: &Statement,
    w: &Word,
    message: String,
) {
    let p = if std::ptr::eq(h, st) { parent } else { own };
    ck.error_word(p, h, w, message);
}

fn rule<A: Action>(
    st: &Statement,
    path: &Path,
    nat: &Nat,
    model: &Model,
    ck: &mut Checks,
) -> Option<NatRule<A>> {
    let name = st.words.get(1)?.text.clone();
    let rp = path.join(st);
    let matching = match child(st, "match") {
        Some(m) => {
            let needs_destination = A::KEYWORD != SourceNatAction::KEYWORD;
            matching(m, &rp, needs_destination, model, ck)
        }
        None => {
            ck.missing(path, st, "match");
            NatMatch::default()
        }
    };
    let Some(then) = child(st, "then") else {
        ck.missing(path, st, "then");
        return None;
    };
    let tp = rp.join(then);
    let Some(action) = child(then, A::KEYWORD) else {
        ck.missing(&rp, then, A::KEYWORD);
        return None;
    };
    let words: Vec<&Word> = flat(action).into_iter().skip(1).collect();
    let then = A::read(&words, action, &tp.join(action), nat, model, ck)?;
    then.check(st, path, &matching, model, ck);
    Some(NatRule {
        name,
        matching,
        then,
    })
}

fn matching(
    st: &Statement,
    path: &Path,
    needs_destination: bool,
    model: &Model,
    ck: &mut Checks,
) -> NatMatch {
    let mp = path.join(st);
    let mut m = NatMatch::default();
    let prefixes = |ck: &mut Checks, kw: &str| -> Vec<Prefix> {
        kids(st, kw)
            .flat_map(|s| args(s).into_iter().map(move |w| (s, w)))
            .filter_map(|(s, w)| {
                let p = Prefix::parse(&w.text);
                if p.is_none() {
                    ck.error_word(&mp, s, w, format!("invalid prefix: '{}'", w.text));
                }
                p
            })
            .collect()
    };
    m.source_addresses = prefixes(ck, "source-address");
    m.destination_addresses = prefixes(ck, "destination-address");
    let names = |ck: &mut Checks, kw: &str| -> Vec<String> {
        kids(st, kw)
            .flat_map(|s| args(s).into_iter().map(move |w| (s, w)))
            .map(|(s, w)| {
                if !model.address_defined(&w.text) {
                    ck.error_word(&mp, s, w, undefined("address", &w.text));
                }
                w.text.clone()
            })
            .collect()
    };
    m.source_address_names = names(ck, "source-address-name");
    m.destination_address_names = names(ck, "destination-address-name");
    m.source_ports = ports(st, "source-port", &mp, ck);
    m.destination_ports = ports(st, "destination-port", &mp, ck);
    for s in kids(st, "protocol") {
        for w in args(s) {
            match Protocol::parse(&w.text) {
                Some(p) => m.protocols.push(p),
                None => ck.error_word(&mp, s, w, format!("invalid protocol: '{}'", w.text)),
            }
        }
    }
    for s in kids(st, "application") {
        for w in args(s) {
            if w.text != ANY_APPLICATION && model.application(&w.text).is_none() {
                ck.error_word(&mp, s, w, undefined("application", &w.text));
            }
            m.applications.push(w.text.clone());
        }
    }
    if needs_destination
        && m.destination_addresses.is_empty()
        && m.destination_address_names.is_empty()
    {
        ck.missing(path, st, "destination-address");
    }
    m
}

/// `destination-port 80`, `destination-port 80 to 90`,
/// `destination-port { 80; 1000 to 2000; }`.
fn ports(st: &Statement, kw: &str, path: &Path, ck: &mut Checks) -> Vec<PortRange> {
    let mut out = Vec::new();
    for s in kids(st, kw) {
        let words: Vec<&Word> = flat(s).into_iter().skip(1).collect();
        let mut i = 0;
        while let Some(w) = words.get(i) {
            let low = xpf_config::schema::port_number(&w.text);
            let (high, step) = match words.get(i + 1) {
                Some(t) if t.text == "to" => (
                    words
                        .get(i + 2)
                        .and_then(|h| xpf_config::schema::port_number(&h.text)),
                    3,
                ),
                _ => (low, 1),
            };
            match low.zip(high).filter(|(l, h)| l <= h) {
                Some((low, high)) => out.push(PortRange { low, high }),
                None => match PortRange::parse(&w.text) {
                    Some(r) if step == 1 => out.push(r),
                    _ => ck.error_word(path, s, w, format!("invalid port: '{}'", w.text)),
                },
            }
            i += step;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{build_text, errors_of};

    const BASE: &str = r#"
interfaces {
    ge-0/0/0 { unit 0 { family inet { address 203.0.113.2/24; } } }
    ge-0/0/1 { unit 0 { family inet { address 10.0.0.1/24; } } }
}
security {
    address-book { global { address web-server 10.0.0.80/32; } }
    zones {
        security-zone trust { interfaces { ge-0/0/1.0; } }
        security-zone untrust { interfaces { ge-0/0/0.0; } }
    }
}
"#;

    const NAT: &str = r#"
security {
    nat {
        source {
            pool out-pool {
                address { 203.0.113.10/32 to 203.0.113.20/32; 198.51.100.0/30; }
                port { range 2000 to 3000; }
            }
            pool keep-ports { address { 203.0.113.30/32; } port { no-translation; } }
            rule-set trust-to-untrust {
                from zone trust;
                to zone untrust;
                rule r1 {
                    match { source-address 10.0.0.0/24; destination-address 0.0.0.0/0; protocol tcp; destination-port 80; }
                    then { source-nat { pool { out-pool; } } }
                }
                rule r2 {
                    match { source-address-name web-server; }
                    then { source-nat { interface; } }
                }
            }
        }
        destination {
            pool web { address 10.0.0.80/32 port 8080; }
            rule-set inbound {
                from interface ge-0/0/0.0;
                rule to-web {
                    match { destination-address 203.0.113.2/32; destination-port 80; }
                    then { destination-nat { pool { web; } } }
                }
            }
        }
        proxy-arp {
            interface ge-0/0/0.0 { address { 203.0.113.10/32 to 203.0.113.20/32; } }
        }
        static {
            rule-set one-to-one {
                from zone untrust;
                rule s1 {
                    match { destination-address 203.0.113.50/32; }
                    then { static-nat { prefix { 10.0.0.50/32; } } }
                }
                rule s2 {
                    match { destination-address 203.0.113.51/32; }
                    then { static-nat { prefix-name web-server; } }
                }
            }
        }
    }
}
"#;

    fn ip(t: &str) -> std::net::IpAddr {
        t.parse().unwrap_or_else(|_| panic!("bad address {t}"))
    }

    #[test]
    fn nat_is_typed() {
        let m = build_text(&format!("{BASE}{NAT}"));
        let s = &m.nat.source;
        let pool = &s.pools[0];
        assert_eq!(pool.addresses.len(), 2);
        assert_eq!(pool.addresses[0].low, ip("203.0.113.10"));
        assert_eq!(pool.addresses[0].high, ip("203.0.113.20"));
        assert_eq!(pool.addresses[1].high, ip("198.51.100.3"));
        assert_eq!(
            pool.port,
            PoolPort::Range(PortRange {
                low: 2000,
                high: 3000
            })
        );
        assert_eq!(s.pools[1].port, PoolPort::NoTranslation);
        let rs = &s.rule_sets[0];
        assert_eq!(rs.from, NatContext::Zones(vec!["trust".into()]));
        assert_eq!(rs.to, Some(NatContext::Zones(vec!["untrust".into()])));
        let r1 = &rs.rules[0];
        assert_eq!(r1.matching.source_addresses[0].to_string(), "10.0.0.0/24");
        assert_eq!(r1.matching.protocols, [Protocol::Tcp]);
        assert_eq!(
            r1.matching.destination_ports,
            [PortRange { low: 80, high: 80 }]
        );
        assert_eq!(r1.then, SourceNatAction::Pool("out-pool".into()));
        assert_eq!(rs.rules[1].then, SourceNatAction::Interface);
        assert_eq!(rs.rules[1].matching.source_address_names, ["web-server"]);
        let d = &m.nat.destination;
        assert_eq!(d.pools[0].address.low, ip("10.0.0.80"));
        assert_eq!(d.pools[0].port, Some(8080));
        assert_eq!(
            d.rule_sets[0].from,
            NatContext::Interfaces(vec!["ge-0/0/0.0".into()])
        );
        assert_eq!(
            d.rule_sets[0].rules[0].then,
            DestinationNatAction::Pool("web".into())
        );
        let st = &m.nat.static_nat.rule_sets[0];
        assert_eq!(
            st.rules[0].then,
            StaticNatAction::Prefix(Prefix::parse("10.0.0.50/32").expect("prefix"))
        );
        assert_eq!(
            st.rules[1].then,
            StaticNatAction::PrefixName("web-server".into())
        );
        assert_eq!(m.nat.proxy_arp[0].interface, "ge-0/0/0.0");
        assert_eq!(m.nat.proxy_arp[0].addresses[0].high, ip("203.0.113.20"));
    }

    #[test]
    fn proxy_arp_needs_a_configured_v4_interface() {
        let text = format!(
            "{BASE}security {{ nat {{ proxy-arp {{\n interface ge-0/0/5.0 {{ address {{ 203.0.113.9/32; }} }}\n interface ge-0/0/0.0 {{ address {{ 2001:db8::9/128; }} }}\n}} }} }}\n"
        );
        let e = errors_of(&text);
        let msgs: Vec<&str> = e.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "interface 'ge-0/0/5.0' is not defined",
                "2001:db8::9 is not an IPv4 address"
            ]
        );
        assert_eq!(e[0].path, ["security", "nat", "proxy-arp"]);
        assert_eq!(e[0].statement.as_deref(), Some("interface ge-0/0/5.0"));
    }

    #[test]
    fn pools_and_zones_must_exist() {
        let text = format!(
            "{BASE}security {{\n nat {{\n  source {{\n   rule-set rs {{\n    from zone trust;\n    to zone mars;\n    rule r {{\n     match {{ source-address 10.0.0.0/8; }}\n     then {{ source-nat {{ pool {{ no-such-pool; }} }} }}\n    }}\n   }}\n  }}\n  destination {{\n   rule-set d {{\n    from zone untrust;\n    rule r {{ match {{ destination-address 203.0.113.2/32; }} then {{ destination-nat {{ pool {{ out-pool; }} }} }} }}\n   }}\n  }}\n }}\n}}\n"
        );
        let e = errors_of(&text);
        let msgs: Vec<&str> = e.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "zone 'mars' is not defined",
                "pool 'no-such-pool' is not defined",
                "pool 'out-pool' is not defined"
            ]
        );
        let base = BASE.lines().count() as u32;
        assert_eq!(
            e[0].path,
            ["security", "nat", "source", "rule-set rs", "to"]
        );
        assert_eq!(e[0].statement.as_deref(), Some("zone mars"));
        assert_eq!(e[0].span.map(|s| s.line), Some(base + 6));
        assert_eq!(
            e[1].path,
            [
                "security",
                "nat",
                "source",
                "rule-set rs",
                "rule r",
                "then",
                "source-nat"
            ]
        );
        assert_eq!(e[1].statement.as_deref(), Some("pool no-such-pool"));
        assert_eq!(e[1].span.map(|s| s.line), Some(base + 9));
    }

    #[test]
    fn pool_addresses_may_come_from_the_address_book() {
        let text = format!(
            "{BASE}security {{ address-book {{ global {{ address nat-range {{ range-address 203.0.113.100 to 203.0.113.110; }} address by-name {{ dns-name nat.example.net; }} }} }}
            nat {{ source {{
                pool book {{ address-name nat-range; }}
                pool bad {{ address-name by-name; }}
                pool none {{ address-name ghost; }}
            }} }} }}"
        );
        let e = errors_of(&text);
        let msgs: Vec<&str> = e.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "address 'by-name' is not a prefix or range",
                "address 'ghost' is not defined"
            ]
        );
        assert_eq!(e[0].path, ["security", "nat", "source", "pool bad"]);
        assert_eq!(e[0].statement.as_deref(), Some("address-name by-name"));
        let ok = build_text(&text.replace(
            "pool bad { address-name by-name; }\n                pool none { address-name ghost; }",
            "",
        ));
        let pool = ok.nat.source_pool("book").expect("pool");
        assert_eq!(pool.addresses[0].high, ip("203.0.113.110"));
    }

    #[test]
    fn source_pools_must_not_overlap() {
        let text = format!(
            "{BASE}security {{ nat {{ source {{\n pool a {{ address {{ 203.0.113.0/28; }} }}\n pool b {{ address {{ 203.0.113.10/32 to 203.0.113.40/32; }} }}\n pool c {{ address {{ 203.0.113.64/26; }} }}\n}} destination {{ pool a {{ address 10.0.0.80/32; }} }} }} }}\n"
        );
        let e = errors_of(&text);
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].message, "pool 'b' address range overlaps pool 'a'");
        assert_eq!(e[0].statement.as_deref(), Some("pool b"));
        assert_eq!(e[0].path, ["security", "nat", "source"]);
    }

    #[test]
    fn rules_need_match_and_then() {
        let text = format!(
            "{BASE}security {{ nat {{ static {{ rule-set s {{ from zone untrust;\n rule no-match {{ then {{ static-nat {{ prefix 10.0.0.5/32; }} }} }}\n rule no-then {{ match {{ destination-address 203.0.113.9/32; }} }}\n}} }} source {{ rule-set x {{ rule y {{ match {{ source-address 10.0.0.0/8; }} then {{ source-nat {{ off; }} }} }} }} }} }} }}\n"
        );
        let e = errors_of(&text);
        let got: Vec<(&str, &str)> = e
            .iter()
            .map(|d| (d.statement.as_deref().unwrap_or(""), d.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("rule-set x", "Missing mandatory statement: 'from'"),
                ("rule-set x", "Missing mandatory statement: 'to'"),
                ("rule no-match", "Missing mandatory statement: 'match'"),
                ("rule no-then", "Missing mandatory statement: 'then'"),
            ]
        );
    }

    /// `xpf-fuzz compile`: a static rule translating `::/128` to
    /// `10.0.0.0/32` passed `commit check`, and the commit then failed in
    /// the dataplane ("static NAT prefixes of different families"). Check
    /// now refuses what the dataplane cannot translate.
    #[test]
    fn fuzz_compile_static_nat_needs_prefixes_of_one_family() {
        let rule = |m: &str, then: &str| {
            format!(
                "{BASE}security {{ address-book {{ global {{ address range range-address 10.0.0.1 to 10.0.0.9; address v6 2001:db8::5/128; }} }}\n nat {{ static {{ rule-set st {{ from zone untrust;\n rule r0 {{ match {{ {m} }} then {{ static-nat {{ {then} }} }} }}\n}} }} }} }}\n"
            )
        };
        let message = |text: String| {
            let e = errors_of(&text);
            assert_eq!(e.len(), 1, "{e:?}");
            assert_eq!(e[0].statement.as_deref(), Some("rule r0"));
            e[0].message.clone()
        };
        assert_eq!(
            message(rule("destination-address ::/128;", "prefix 10.0.0.0/32;")),
            "static-nat prefix 10.0.0.0/32 and destination-address ::/128 are of different address families"
        );
        assert_eq!(
            message(rule("destination-address 203.0.113.9/32;", "prefix-name v6;")),
            "static-nat prefix 2001:db8::5/128 and destination-address 203.0.113.9/32 are of different address families"
        );
        assert_eq!(
            message(rule(
                "destination-address-name range;",
                "prefix 10.0.0.5/32;"
            )),
            "destination-address-name 'range' holds no address prefix for static NAT to translate"
        );
        assert_eq!(
            message(rule(
                "destination-address 203.0.113.9/32;",
                "prefix-name range;"
            )),
            "prefix-name 'range' holds no address prefix"
        );
        build_text(&rule(
            "destination-address 203.0.113.9/32;",
            "prefix 10.0.0.9/32;",
        ));
    }
}
