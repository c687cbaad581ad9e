// SPDX-License-Identifier: Apache-2.0
//! `show security nat source|destination|static ...`: the configured rule
//! sets, rules and pools of the active model, in Junos' layouts, with the
//! dataplane's translation hits and current sessions when it runs ([`Live`];
//! without it the numbers read `N/A`, never a made-up zero).

use std::fmt::Write;

use xpf_dataplane::{NatKind, NatRef, NatRuleHits};
use xpf_model::{
    AddressRange, AddressValue, DestinationNatAction, Model, NatContext, NatMatch, NatRule,
    PoolPort, Prefix, RuleSet, SourceNatAction, StaticNatAction,
};

use super::proto_name;
use xpf_dataplane::SessionView;

/// What to show of one NAT kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NatView {
    /// `summary`.
    Summary,
    /// `pool <name>`; `None` is `pool all`.
    Pool(Option<String>),
    /// `rule <name>`; `None` is `rule all`.
    Rule(Option<String>),
}

impl NatView {
    /// Reads the words after `show security nat <kind>`.
    pub fn parse(words: &[&str]) -> Result<NatView, String> {
        let name = |w: Option<&&str>, what: &str| match w.copied() {
            None => Err(format!("{what} needs a name or 'all'")),
            Some("all") => Ok(None),
            Some(n) => Ok(Some(n.to_string())),
        };
        match words {
            ["summary"] => Ok(NatView::Summary),
            ["pool", rest @ ..] if rest.len() <= 1 => name(rest.first(), "pool").map(NatView::Pool),
            ["rule", rest @ ..] if rest.len() <= 1 => name(rest.first(), "rule").map(NatView::Rule),
            [] => Err("expecting summary, pool or rule".into()),
            _ => Err(format!("unexpected '{}'", words.join(" "))),
        }
    }
}

/// The dataplane's numbers: the running snapshot's rule list, the workers'
/// summed hits (indexed alike) and the current sessions.
#[derive(Debug, Clone, Copy)]
pub struct Live<'a> {
    /// `Snapshot::nat_rules` of the running snapshot.
    pub rules: &'a [NatRef],
    /// `Counters::nat_rules`, summed over the workers.
    pub hits: &'a [NatRuleHits],
    /// Every session.
    pub sessions: &'a [SessionView],
}

impl Live<'_> {
    fn hits(&self, kind: NatKind, set: &str, rule: &str) -> NatRuleHits {
        self.rules
            .iter()
            .position(|r| r.kind == kind && &*r.rule_set == set && &*r.name == rule)
            .and_then(|i| self.hits.get(i).copied())
            .unwrap_or_default()
    }

    /// Sessions translated by a rule. Sessions name their rules, not the
    /// kind: static NAT fills the source side, the destination side or both.
    fn sessions(&self, kind: NatKind, rule: &str) -> impl Iterator<Item = &SessionView> + '_ {
        let rule = rule.to_string();
        self.sessions.iter().filter(move |s| {
            let src = s.source_nat_rule.as_deref() == Some(rule.as_str());
            let dst = s.destination_nat_rule.as_deref() == Some(rule.as_str());
            match kind {
                NatKind::Source => src,
                NatKind::Destination => dst,
                NatKind::Static => src || dst,
            }
        })
    }
}

/// Renders one view of one kind; `Err` when a named pool or rule does not
/// exist, or the kind has no such view (static NAT has only rules).
pub fn render(
    model: &Model,
    kind: NatKind,
    view: &NatView,
    live: Option<&Live<'_>>,
) -> Result<String, String> {
    match (kind, view) {
        (NatKind::Source, NatView::Summary) => Ok(source_summary(model)),
        (NatKind::Source, NatView::Pool(only)) => source_pools(model, only.as_deref(), live),
        (NatKind::Source, NatView::Rule(only)) => rules(
            model,
            kind,
            &model.nat.source.rule_sets,
            only.as_deref(),
            live,
            source_action,
        ),
        (NatKind::Destination, NatView::Summary) => Ok(destination_summary(model)),
        (NatKind::Destination, NatView::Pool(only)) => {
            destination_pools(model, only.as_deref(), live)
        }
        (NatKind::Destination, NatView::Rule(only)) => rules(
            model,
            kind,
            &model.nat.destination.rule_sets,
            only.as_deref(),
            live,
            destination_action,
        ),
        (NatKind::Static, NatView::Rule(only)) => rules(
            model,
            kind,
            &model.nat.static_nat.rule_sets,
            only.as_deref(),
            live,
            static_action,
        ),
        (NatKind::Static, _) => {
            Err("static NAT has rules only: show security nat static rule <name|all>".into())
        }
    }
}

fn num(live: Option<&Live<'_>>, f: impl FnOnce(&Live<'_>) -> u64) -> String {
    live.map_or_else(|| "N/A".to_string(), |l| f(l).to_string())
}

fn context(label: &str, c: &NatContext) -> String {
    let (what, names) = match c {
        NatContext::Zones(z) => ("zone", z),
        NatContext::Interfaces(i) => ("interface", i),
        NatContext::RoutingInstances(r) => ("routing instance", r),
    };
    format!("{:<27}: {}", format!("{label} {what}"), names.join(", "))
}

/// The evaluation position of each rule: rule-sets by context (interface,
/// zone, routing instance), then configuration order, as the dataplane
/// compiles them.
fn positions<A>(sets: &[RuleSet<A>], kind: NatKind) -> Vec<(usize, usize)> {
    let rank = |c: &NatContext| match c {
        NatContext::Interfaces(_) => 0,
        NatContext::Zones(_) => 1,
        NatContext::RoutingInstances(_) => 2,
    };
    let mut order: Vec<(u8, u8, usize, usize)> = Vec::new();
    for (si, set) in sets.iter().enumerate() {
        let to = match (kind, &set.to) {
            (NatKind::Source, Some(t)) => rank(t),
            _ => 2,
        };
        for ri in 0..set.rules.len() {
            order.push((rank(&set.from), to, si, ri));
        }
    }
    order.sort_by_key(|o| (o.0, o.1));
    order.into_iter().map(|o| (o.2, o.3)).collect()
}

fn range_line(out: &mut String, label: &str, lo: &str, hi: &str) {
    let _ = writeln!(out, "    {label:<25}: {lo:<15} - {hi}");
}

fn addresses(out: &mut String, model: &Model, label: &str, prefixes: &[Prefix], names: &[String]) {
    let mut first = true;
    let mut line = |out: &mut String, lo: String, hi: String| {
        range_line(out, if first { label } else { "" }, &lo, &hi);
        first = false;
    };
    for p in prefixes {
        let r = p.range();
        line(out, r.low.to_string(), r.high.to_string());
    }
    for n in names {
        let values = model.expand_address_anywhere(n).unwrap_or_default();
        if values.is_empty() {
            line(out, n.clone(), n.clone());
        }
        for v in values {
            match v {
                AddressValue::Prefix(p) => {
                    let r = p.range();
                    line(out, r.low.to_string(), r.high.to_string());
                }
                AddressValue::Range(r) => line(out, r.low.to_string(), r.high.to_string()),
                AddressValue::DnsName(d) | AddressValue::Wildcard(d) => line(out, d.clone(), d),
            }
        }
    }
}

fn matching(out: &mut String, model: &Model, m: &NatMatch) {
    addresses(
        out,
        model,
        "Source addresses",
        &m.source_addresses,
        &m.source_address_names,
    );
    addresses(
        out,
        model,
        "Destination addresses",
        &m.destination_addresses,
        &m.destination_address_names,
    );
    for p in &m.source_ports {
        range_line(out, "Source port", &p.low.to_string(), &p.high.to_string());
    }
    for p in &m.destination_ports {
        range_line(
            out,
            "Destination port",
            &p.low.to_string(),
            &p.high.to_string(),
        );
    }
    if !m.protocols.is_empty() {
        let names: Vec<String> = m.protocols.iter().map(|p| proto_name(p.number())).collect();
        let _ = writeln!(out, "    {:<25}: {}", "IP protocol", names.join(", "));
    }
    if !m.applications.is_empty() {
        let _ = writeln!(
            out,
            "    {:<25}: {}",
            "Application",
            m.applications.join(", ")
        );
    }
}

fn source_action(_: &Model, out: &mut String, a: &SourceNatAction) {
    let what = match a {
        SourceNatAction::Off => "off",
        SourceNatAction::Interface => "interface",
        SourceNatAction::Pool(p) => p,
    };
    let _ = writeln!(out, "  {:<27}: {what}", "Action");
}

fn destination_action(_: &Model, out: &mut String, a: &DestinationNatAction) {
    let what = match a {
        DestinationNatAction::Off => "off",
        DestinationNatAction::Pool(p) => p,
    };
    let _ = writeln!(out, "  {:<27}: {what}", "Action");
}

fn static_action(model: &Model, out: &mut String, a: &StaticNatAction) {
    let host = match a {
        StaticNatAction::Prefix(p) => Some(*p),
        StaticNatAction::PrefixName(n) => model.expand_address_anywhere(n).and_then(|v| {
            v.iter().find_map(|v| match v {
                AddressValue::Prefix(p) => Some(*p),
                _ => None,
            })
        }),
    };
    match host {
        Some(p) => {
            let _ = writeln!(out, "  {:<27}: {}", "Host addresses", p.network());
        }
        None => {
            let _ = writeln!(out, "  {:<27}: N/A", "Host addresses");
        }
    }
    let _ = writeln!(out, "  {:<27}: N/A", "Host routing-instance");
}

fn prefix_counts<A>(sets: &[RuleSet<A>], only: Option<&str>) -> (usize, usize) {
    let (mut v4, mut v6) = (0, 0);
    for r in sets
        .iter()
        .flat_map(|s| &s.rules)
        .filter(|r| only.is_none_or(|o| o == r.name))
    {
        for p in r
            .matching
            .source_addresses
            .iter()
            .chain(&r.matching.destination_addresses)
        {
            if p.is_ipv4() {
                v4 += 1;
            } else {
                v6 += 1;
            }
        }
    }
    (v4, v6)
}

#[allow(clippy::too_many_arguments)]
fn rules<A>(
    model: &Model,
    kind: NatKind,
    sets: &[RuleSet<A>],
    only: Option<&str>,
    live: Option<&Live<'_>>,
    action: fn(&Model, &mut String, &A),
) -> Result<String, String> {
    let all: Vec<(&RuleSet<A>, &NatRule<A>)> = sets
        .iter()
        .flat_map(|s| s.rules.iter().map(move |r| (s, r)))
        .collect();
    let shown = all
        .iter()
        .filter(|(_, r)| only.is_none_or(|o| o == r.name))
        .count();
    if shown == 0 {
        if let Some(o) = only {
            return Err(format!("{} NAT rule '{o}' is not configured", kind.name()));
        }
    }
    let positions = positions(sets, kind);
    let mut out = String::new();
    let label = match kind {
        NatKind::Source => "source NAT rule",
        NatKind::Destination => "Destination NAT rule",
        NatKind::Static => "Static NAT rule",
    };
    if only.is_none() {
        let total = match kind {
            NatKind::Source => "Total rules",
            NatKind::Destination => "Total destination-nat rules",
            NatKind::Static => "Total static-nat rules",
        };
        let (v4, v6) = prefix_counts(sets, None);
        let _ = writeln!(out, "{total}: {shown}");
        let _ = writeln!(out, "Total referenced IPv4/IPv6 ip-prefixes: {v4}/{v6}");
    }
    let mut id = 0;
    for (si, set) in sets.iter().enumerate() {
        for (ri, rule) in set.rules.iter().enumerate() {
            id += 1;
            if only.is_some_and(|o| o != rule.name) {
                continue;
            }
            let position = positions
                .iter()
                .position(|p| *p == (si, ri))
                .map_or(0, |p| p + 1);
            let head = format!("{label}: {}", rule.name);
            let _ = writeln!(out, "\n{head:<40} Rule-set: {}", set.name);
            let _ = writeln!(out, "  {:<27}: {id}", "Rule-Id");
            let _ = writeln!(out, "  {:<27}: {position}", "Rule position");
            let _ = writeln!(out, "  {}", context("From", &set.from));
            if let Some(to) = &set.to {
                let _ = writeln!(out, "  {}", context("To", to));
            }
            match kind {
                NatKind::Static => {
                    let dst = rule.matching.destination_addresses.first();
                    let _ = writeln!(
                        out,
                        "  {:<27}: {}",
                        "Destination addresses",
                        dst.map_or_else(
                            || rule.matching.destination_address_names.join(", "),
                            |p| p.network().to_string()
                        )
                    );
                    action(model, &mut out, &rule.then);
                    if let Some(p) = dst {
                        let _ = writeln!(out, "  {:<27}: {}", "Netmask", p.len);
                    }
                }
                _ => {
                    if kind == NatKind::Source {
                        let _ = writeln!(out, "  Match");
                    }
                    matching(&mut out, model, &rule.matching);
                    action(model, &mut out, &rule.then);
                }
            }
            let hits = live.map(|l| l.hits(kind, &set.name, &rule.name));
            let _ = writeln!(
                out,
                "  {:<27}: {}",
                "Translation hits",
                num(live, |_| hits.map_or(0, |h| h.total()))
            );
            let _ = writeln!(
                out,
                "    {:<25}: {}",
                "Successful sessions",
                num(live, |_| hits.map_or(0, |h| h.successful))
            );
            if kind != NatKind::Static {
                let _ = writeln!(
                    out,
                    "    {:<25}: {}",
                    "Failed sessions",
                    num(live, |_| hits.map_or(0, |h| h.failed))
                );
            }
            let _ = writeln!(
                out,
                "  {:<27}: {}",
                "Number of sessions",
                num(live, |l| l.sessions(kind, &rule.name).count() as u64)
            );
        }
    }
    Ok(out)
}

/// Addresses in a range (saturating for IPv6).
fn span(r: &AddressRange) -> u128 {
    addr_bits(r.high)
        .saturating_sub(addr_bits(r.low))
        .saturating_add(1)
}

/// The translated source of each live session that source rules `users`
/// made: where its answers go, the responder wing's destination.
fn translated_sources<'l>(
    live: &'l Live<'_>,
    users: &'l [(&str, &str)],
) -> impl Iterator<Item = std::net::IpAddr> + 'l {
    users
        .iter()
        .flat_map(|(_, rule)| live.sessions(NatKind::Source, rule))
        .map(|s| s.outbound.dst.0)
}

fn in_range(r: &AddressRange, a: std::net::IpAddr) -> bool {
    match (r.low, r.high, a) {
        (std::net::IpAddr::V4(l), std::net::IpAddr::V4(h), std::net::IpAddr::V4(a)) => {
            l <= a && a <= h
        }
        (std::net::IpAddr::V6(l), std::net::IpAddr::V6(h), std::net::IpAddr::V6(a)) => {
            l <= a && a <= h
        }
        _ => false,
    }
}

/// Source rules (set, rule) that translate into pool `name`.
fn users_of_pool<'m>(model: &'m Model, name: &str) -> Vec<(&'m str, &'m str)> {
    model
        .nat
        .source
        .rule_sets
        .iter()
        .flat_map(|s| s.rules.iter().map(move |r| (s, r)))
        .filter(|(_, r)| matches!(&r.then, SourceNatAction::Pool(p) if p == name))
        .map(|(s, r)| (s.name.as_str(), r.name.as_str()))
        .collect()
}

/// The items `only` names (all of them without it), with their indexes;
/// naming one that is not configured is an error that says `what` it is.
fn named<'a, T>(
    items: &'a [T],
    name: fn(&T) -> &String,
    only: Option<&str>,
    what: &str,
) -> Result<Vec<(usize, &'a T)>, String> {
    let picked: Vec<(usize, &T)> = items
        .iter()
        .enumerate()
        .filter(|(_, t)| only.is_none_or(|o| o == name(t)))
        .collect();
    match only {
        Some(o) if picked.is_empty() => Err(format!("{what} '{o}' is not configured")),
        _ => Ok(picked),
    }
}

fn ports_text(p: &PoolPort) -> (String, bool) {
    match p {
        PoolPort::Translate => ("[1024, 65535]".into(), true),
        PoolPort::NoTranslation => ("no translation".into(), false),
        PoolPort::Range(r) => (format!("[{}, {}]", r.low, r.high), true),
    }
}

fn source_pools(
    model: &Model,
    only: Option<&str>,
    live: Option<&Live<'_>>,
) -> Result<String, String> {
    let pools = named(
        &model.nat.source.pools,
        |p| &p.name,
        only,
        "source NAT pool",
    )?;
    let mut out = String::new();
    if only.is_none() {
        let _ = writeln!(out, "Total pools: {}", pools.len());
    }
    for (i, p) in pools {
        let users = users_of_pool(model, &p.name);
        let (port, pat) = ports_text(&p.port);
        let total: u128 = p.addresses.iter().map(span).fold(0, u128::saturating_add);
        let hits = num(live, |l| {
            users
                .iter()
                .map(|(s, r)| l.hits(NatKind::Source, s, r).total())
                .sum()
        });
        let _ = writeln!(out, "\n{:<27}: {}", "Pool name", p.name);
        let _ = writeln!(out, "{:<27}: {}", "Pool id", i + 4);
        let _ = writeln!(out, "{:<27}: default", "Routing instance");
        let _ = writeln!(out, "{:<27}: 0.0.0.0", "Host address base");
        let _ = writeln!(out, "{:<27}: {port}", "Port");
        let _ = writeln!(out, "{:<27}: {}", "port overloading", u8::from(pat));
        let _ = writeln!(out, "{:<27}: {total}", "Total addresses");
        let _ = writeln!(out, "{:<27}: {hits}", "Translation hits");
        let _ = writeln!(
            out,
            "{:<36} {:<14} Twin Ports",
            "Address range", "Single Ports"
        );
        let mut used_total = 0u64;
        for r in &p.addresses {
            let used = live.map(|l| {
                translated_sources(l, &users)
                    .filter(|a| in_range(r, *a))
                    .count() as u64
            });
            used_total += used.unwrap_or(0);
            let range = format!("{} - {}", r.low, r.high);
            let used = used.map_or_else(|| "N/A".to_string(), |u| u.to_string());
            let _ = writeln!(out, "  {range:<34} {used:>12} {:>12}", 0);
        }
        let used = num(live, |_| used_total);
        let _ = writeln!(out, "{:<27}: {used:>21} {:>12}", "Total used ports", 0);
    }
    Ok(out)
}

/// Addresses a resource-usage view lists in order before it lists only
/// the ones in use: an IPv6 pool can hold 2^64 of them.
const USAGE_ROWS: u128 = 1024;

/// `show security nat resource-usage source-pool <name>|all`: each pool
/// address with the ports its sessions hold, of those the pool offers.
pub fn resource_usage(
    model: &Model,
    only: Option<&str>,
    live: Option<&Live<'_>>,
) -> Result<String, String> {
    let pools = named(
        &model.nat.source.pools,
        |p| &p.name,
        only,
        "source NAT pool",
    )?;
    let mut out = String::new();
    for (_, p) in pools {
        let users = users_of_pool(model, &p.name);
        let (label, per_address) = match &p.port {
            PoolPort::Translate => ("Single Ports", 65535 - 1024 + 1),
            PoolPort::Range(r) => ("Single Ports", u64::from(r.high.saturating_sub(r.low)) + 1),
            // Without port translation an address serves one host.
            PoolPort::NoTranslation => ("No-PAT", 1),
        };
        // Ports held per translated address.
        let mut held: std::collections::BTreeMap<std::net::IpAddr, u64> = Default::default();
        for a in live.into_iter().flat_map(|l| translated_sources(l, &users)) {
            if p.addresses.iter().any(|r| in_range(r, a)) {
                *held.entry(a).or_default() += 1;
            }
        }
        let total: u128 = p.addresses.iter().map(span).fold(0, u128::saturating_add);
        let _ = writeln!(out, "Pool name: {}", p.name);
        let _ = writeln!(out, "Total address: {total}");
        let _ = writeln!(
            out,
            "  {:<40} {:<12} {:<13} {:>8} {:>8} {:>8} {:>6}",
            "Address", "Factor-index", "Port-range", "Used", "Avail", "Total", "Usage"
        );
        let row = |out: &mut String, a: std::net::IpAddr| {
            let used = live.map(|_| held.get(&a).copied().unwrap_or(0));
            let (used_s, avail_s, usage_s) = match used {
                Some(u) => {
                    let u = if p.port == PoolPort::NoTranslation {
                        u.min(1)
                    } else {
                        u
                    };
                    (
                        u.to_string(),
                        per_address.saturating_sub(u).to_string(),
                        format!("{}%", u * 100 / per_address),
                    )
                }
                None => ("N/A".into(), "N/A".into(), "N/A".into()),
            };
            let _ = writeln!(
                out,
                "  {a:<40} {:<12} {label:<13} {used_s:>8} {avail_s:>8} {per_address:>8} {usage_s:>6}",
                0
            );
        };
        // The first USAGE_ROWS addresses in order, then the rest in use.
        let mut shown = 0u128;
        let mut listed = std::collections::BTreeSet::new();
        'ranges: for r in &p.addresses {
            let low = addr_bits(r.low);
            for i in 0..span(r) {
                if shown == USAGE_ROWS {
                    break 'ranges;
                }
                let a = addr_of(r.low, low + i);
                row(&mut out, a);
                listed.insert(a);
                shown += 1;
            }
        }
        let rest: Vec<_> = held
            .keys()
            .filter(|a| !listed.contains(*a))
            .copied()
            .collect();
        for a in rest {
            row(&mut out, a);
            shown += 1;
        }
        if total > shown {
            let _ = writeln!(out, "  ({} more addresses, none in use)", total - shown);
        }
        out.push('\n');
    }
    Ok(out)
}

fn addr_bits(a: std::net::IpAddr) -> u128 {
    match a {
        std::net::IpAddr::V4(v) => u128::from(u32::from(v)),
        std::net::IpAddr::V6(v) => u128::from(v),
    }
}

/// The address of `bits` in the family of `like`.
fn addr_of(like: std::net::IpAddr, bits: u128) -> std::net::IpAddr {
    match like {
        std::net::IpAddr::V4(_) => std::net::Ipv4Addr::from(bits as u32).into(),
        std::net::IpAddr::V6(_) => std::net::Ipv6Addr::from(bits).into(),
    }
}

fn source_summary(model: &Model) -> String {
    let src = &model.nat.source;
    let mut out = String::new();
    let usage: u128 = src
        .pools
        .iter()
        .map(|p| {
            let ports = match p.port {
                PoolPort::Translate => 65535 - 1024 + 1,
                PoolPort::NoTranslation => 0,
                PoolPort::Range(r) => u128::from(r.high - r.low) + 1,
            };
            p.addresses
                .iter()
                .map(span)
                .fold(0u128, u128::saturating_add)
                .saturating_mul(ports)
        })
        .fold(0, u128::saturating_add);
    let _ = writeln!(
        out,
        "Total port number usage for port translation pool: {usage}"
    );
    let _ = writeln!(out, "Total pools: {}", src.pools.len());
    let _ = writeln!(
        out,
        "{:<20} {:<32} {:<12} {:<4} Total",
        "Pool", "Address", "Routing", "PAT"
    );
    let _ = writeln!(
        out,
        "{:<20} {:<32} {:<12} {:<4} Address",
        "Name", "Range", "Instance", ""
    );
    for p in &src.pools {
        let (_, pat) = ports_text(&p.port);
        let total: u128 = p.addresses.iter().map(span).fold(0, u128::saturating_add);
        for (k, r) in p.addresses.iter().enumerate() {
            let name = if k == 0 { p.name.as_str() } else { "" };
            let range = format!("{}-{}", r.low, r.high);
            let (pat, total) = if k == 0 {
                (if pat { "yes" } else { "no" }, total.to_string())
            } else {
                ("", String::new())
            };
            let _ = writeln!(
                out,
                "{name:<20} {range:<32} {:<12} {pat:<4} {total}",
                if k == 0 { "default" } else { "" }
            );
        }
    }
    let rules: Vec<_> = src
        .rule_sets
        .iter()
        .flat_map(|s| s.rules.iter().map(move |r| (s, r)))
        .collect();
    let _ = writeln!(out, "\nTotal rules: {}", rules.len());
    let _ = writeln!(
        out,
        "{:<18} {:<14} {:<17} {:<20} Action",
        "Rule name", "Rule set", "From", "To"
    );
    for (s, r) in rules {
        let names = |c: &NatContext| match c {
            NatContext::Zones(n) | NatContext::Interfaces(n) | NatContext::RoutingInstances(n) => {
                n.join(",")
            }
        };
        let to = s.to.as_ref().map(names).unwrap_or_default();
        let mut act = String::new();
        source_action(model, &mut act, &r.then);
        let act = act.split(": ").nth(1).unwrap_or("").trim().to_string();
        let _ = writeln!(
            out,
            "{:<18} {:<14} {:<17} {:<20} {act}",
            r.name,
            s.name,
            names(&s.from),
            to
        );
    }
    out
}

fn destination_summary(model: &Model) -> String {
    let dst = &model.nat.destination;
    let mut out = format!("Total pools: {}\n", dst.pools.len());
    let _ = writeln!(
        out,
        "{:<15} {:<29} {:<12} {:<6} Total",
        "Pool name", "Address Range", "Routing", "Port"
    );
    let _ = writeln!(
        out,
        "{:<15} {:<29} {:<12} {:<6} Address",
        "", "", "Instance", ""
    );
    for p in &dst.pools {
        let range = format!("{:<15} - {}", p.address.low, p.address.high);
        let port = p.port.map_or_else(|| "0".to_string(), |p| p.to_string());
        let _ = writeln!(
            out,
            "{:<15} {range:<29} {:<12} {port:<6} {}",
            p.name,
            "default",
            span(&p.address)
        );
    }
    let rules: Vec<_> = dst
        .rule_sets
        .iter()
        .flat_map(|s| s.rules.iter().map(move |r| (s, r)))
        .collect();
    let _ = writeln!(out, "\nTotal rules: {}", rules.len());
    let _ = writeln!(
        out,
        "{:<20} {:<14} {:<33} Action",
        "Rule name", "Rule set", "From"
    );
    for (s, r) in rules {
        let from = match &s.from {
            NatContext::Zones(n) | NatContext::Interfaces(n) | NatContext::RoutingInstances(n) => {
                n.join(",")
            }
        };
        let act = match &r.then {
            DestinationNatAction::Off => "off",
            DestinationNatAction::Pool(p) => p.as_str(),
        };
        let _ = writeln!(out, "{:<20} {:<14} {from:<33} {act}", r.name, s.name);
    }
    out
}

fn destination_pools(
    model: &Model,
    only: Option<&str>,
    live: Option<&Live<'_>>,
) -> Result<String, String> {
    let pools = named(
        &model.nat.destination.pools,
        |p| &p.name,
        only,
        "destination NAT pool",
    )?;
    let mut out = String::new();
    if only.is_none() {
        let _ = writeln!(out, "Total destination-nat pools: {}", pools.len());
    }
    for (i, p) in pools {
        let users: Vec<(&str, &str)> = model
            .nat
            .destination
            .rule_sets
            .iter()
            .flat_map(|s| s.rules.iter().map(move |r| (s, r)))
            .filter(|(_, r)| matches!(&r.then, DestinationNatAction::Pool(n) if *n == p.name))
            .map(|(s, r)| (s.name.as_str(), r.name.as_str()))
            .collect();
        let hits = num(live, |l| {
            users
                .iter()
                .map(|(s, r)| l.hits(NatKind::Destination, s, r).total())
                .sum()
        });
        let _ = writeln!(out, "\n{:<16}: {}", "Pool name", p.name);
        let _ = writeln!(out, "{:<16}: {}", "Pool id", i + 1);
        let _ = writeln!(out, "{:<16}: {}", "Total address", span(&p.address));
        let _ = writeln!(out, "{:<16}: {hits}", "Translation hits");
        let _ = writeln!(out, "{:<36} Port", "Address range");
        let range = format!("{} - {}", p.address.low, p.address.high);
        let port = p.port.map_or_else(|| "0".to_string(), |p| p.to_string());
        let _ = writeln!(out, "  {range:<34} {port}");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONF: &str = "
interfaces {
    ge-0/0/0 { unit 0 { family inet { address 10.0.1.1/24; } } }
    ge-0/0/1 { unit 0 { family inet { address 203.0.113.1/24; } } }
    ge-0/0/2 { unit 0 { family inet { address 10.0.2.1/24; } } }
}
security {
    address-book { global { address web-server 203.0.113.100/32; } }
    nat {
        source {
            pool out-pool { address { 198.51.100.10/32 to 198.51.100.11/32; } port range 20000 to 20009; }
            rule-set out {
                from zone trust;
                to zone untrust;
                rule via-pool { match { source-address 10.0.1.128/25; destination-port 443; } then { source-nat pool out-pool; } }
                rule masquerade { match { source-address 0.0.0.0/0; } then { source-nat interface; } }
            }
        }
        destination {
            pool web-pool { address 10.0.2.10/32 port 8080; }
            rule-set in {
                from zone untrust;
                rule publish-web { match { destination-address-name web-server; destination-port 80; } then { destination-nat pool web-pool; } }
            }
        }
        static {
            rule-set st {
                from interface ge-0/0/1.0;
                rule s1 { match { destination-address 203.0.113.200/32; } then { static-nat prefix 10.0.2.20/32; } }
            }
        }
    }
    zones {
        security-zone trust { interfaces { ge-0/0/0.0; } }
        security-zone untrust { interfaces { ge-0/0/1.0; } }
        security-zone dmz { interfaces { ge-0/0/2.0; } }
    }
}";

    fn model() -> Model {
        let cfg = xpf_config::parse_config(CONF).unwrap();
        xpf_model::build(&xpf_config::effective(&cfg, None)).unwrap()
    }

    fn session(id: u64, snat: Option<&str>, translated: &str) -> SessionView {
        use xpf_dataplane::Wing;
        let wing = |s: &str, d: &str| Wing {
            src: (s.parse().unwrap(), 40000),
            dst: (d.parse().unwrap(), 443),
            ifindex: 2,
            packets: 1,
            bytes: 60,
        };
        SessionView {
            id,
            worker: 0,
            policy: "p".into(),
            policy_id: Some(0),
            timeout_s: 1800,
            remaining_s: 1800,
            proto: 6,
            application: "junos-https".into(),
            zones: ("trust".into(), "untrust".into()),
            inbound: wing("10.0.1.200", "198.51.100.80"),
            outbound: wing("198.51.100.80", translated),
            age_s: 1,
            source_nat_rule: snat.map(str::to_string),
            destination_nat_rule: None,
        }
    }

    fn refs() -> Vec<NatRef> {
        let r = |kind, set: &str, name: &str| NatRef {
            kind,
            rule_set: set.into(),
            name: name.into(),
        };
        vec![
            r(NatKind::Static, "st", "s1"),
            r(NatKind::Destination, "in", "publish-web"),
            r(NatKind::Source, "out", "via-pool"),
            r(NatKind::Source, "out", "masquerade"),
        ]
    }

    fn show(kind: NatKind, words: &[&str], live: Option<&Live<'_>>) -> String {
        render(&model(), kind, &NatView::parse(words).unwrap(), live).unwrap()
    }

    #[test]
    fn views_parse() {
        assert_eq!(NatView::parse(&["rule", "all"]), Ok(NatView::Rule(None)));
        assert_eq!(
            NatView::parse(&["pool", "p"]),
            Ok(NatView::Pool(Some("p".into())))
        );
        assert!(NatView::parse(&["rule"])
            .unwrap_err()
            .contains("needs a name"));
        assert!(NatView::parse(&[]).is_err());
        assert!(NatView::parse(&["summary", "x"]).is_err());
        let m = model();
        let err = render(
            &m,
            NatKind::Source,
            &NatView::Rule(Some("nope".into())),
            None,
        );
        assert_eq!(err, Err("source NAT rule 'nope' is not configured".into()));
        assert!(render(&m, NatKind::Static, &NatView::Summary, None).is_err());
    }

    #[test]
    fn source_rules_with_and_without_the_dataplane() {
        let hits = [
            NatRuleHits::default(),
            NatRuleHits::default(),
            NatRuleHits {
                successful: 5,
                failed: 1,
            },
            NatRuleHits::default(),
        ];
        let refs = refs();
        let sessions = [
            session(1, Some("via-pool"), "198.51.100.10"),
            session(2, Some("via-pool"), "198.51.100.11"),
            session(3, Some("masquerade"), "203.0.113.1"),
        ];
        let live = Live {
            rules: &refs,
            hits: &hits,
            sessions: &sessions,
        };
        assert_eq!(
            show(NatKind::Source, &["rule", "via-pool"], Some(&live)),
            "
source NAT rule: via-pool                Rule-set: out
  Rule-Id                    : 1
  Rule position              : 1
  From zone                  : trust
  To zone                    : untrust
  Match
    Source addresses         : 10.0.1.128      - 10.0.1.255
    Destination port         : 443             - 443
  Action                     : out-pool
  Translation hits           : 6
    Successful sessions      : 5
    Failed sessions          : 1
  Number of sessions         : 2
"
        );
        let all = show(NatKind::Source, &["rule", "all"], None);
        assert!(
            all.starts_with(
                "Total rules: 2\nTotal referenced IPv4/IPv6 ip-prefixes: 2/0\n\nsource NAT rule: via-pool "
            ),
            "{all}"
        );
        assert!(
            all.ends_with(
                "  Action                     : interface
  Translation hits           : N/A
    Successful sessions      : N/A
    Failed sessions          : N/A
  Number of sessions         : N/A
"
            ),
            "{all}"
        );

        assert_eq!(
            show(NatKind::Source, &["pool", "out-pool"], Some(&live)),
            "
Pool name                  : out-pool
Pool id                    : 4
Routing instance           : default
Host address base          : 0.0.0.0
Port                       : [20000, 20009]
port overloading           : 1
Total addresses            : 2
Translation hits           : 6
Address range                        Single Ports   Twin Ports
  198.51.100.10 - 198.51.100.11                 2            0
Total used ports           :                     2            0
"
        );
    }

    #[test]
    fn resource_usage_counts_ports_per_pool_address() {
        let refs = refs();
        let hits = [NatRuleHits::default(); 3];
        let sessions = [
            session(1, Some("via-pool"), "198.51.100.10"),
            session(2, Some("via-pool"), "198.51.100.10"),
            session(3, Some("via-pool"), "198.51.100.11"),
            session(4, Some("masquerade"), "203.0.113.1"),
        ];
        let live = Live {
            rules: &refs,
            hits: &hits,
            sessions: &sessions,
        };
        let m = model();
        assert_eq!(
            resource_usage(&m, Some("out-pool"), Some(&live)).unwrap(),
            "Pool name: out-pool
Total address: 2
  Address                                  Factor-index Port-range        Used    Avail    Total  Usage
  198.51.100.10                            0            Single Ports         2        8       10    20%
  198.51.100.11                            0            Single Ports         1        9       10    10%

"
        );
        let idle = resource_usage(&m, None, None).unwrap();
        assert!(
            idle.contains("  198.51.100.11                            0            Single Ports       N/A      N/A       10    N/A\n"),
            "{idle}"
        );
        assert_eq!(
            resource_usage(&m, Some("nope"), None),
            Err("source NAT pool 'nope' is not configured".into())
        );
    }

    #[test]
    fn summaries() {
        assert_eq!(
            show(NatKind::Source, &["summary"], None),
            "Total port number usage for port translation pool: 20
Total pools: 1
Pool                 Address                          Routing      PAT  Total
Name                 Range                            Instance          Address
out-pool             198.51.100.10-198.51.100.11      default      yes  2

Total rules: 2
Rule name          Rule set       From              To                   Action
via-pool           out            trust             untrust              out-pool
masquerade         out            trust             untrust              interface
"
        );
        assert_eq!(
            show(NatKind::Destination, &["summary"], None),
            "Total pools: 1
Pool name       Address Range                 Routing      Port   Total
                                              Instance            Address
web-pool        10.0.2.10       - 10.0.2.10   default      8080   1

Total rules: 1
Rule name            Rule set       From                              Action
publish-web          in             untrust                           web-pool
"
        );
    }

    #[test]
    fn destination_and_static() {
        let hits = [
            NatRuleHits {
                successful: 2,
                failed: 0,
            },
            NatRuleHits {
                successful: 3,
                failed: 0,
            },
        ];
        let refs = refs();
        let live = Live {
            rules: &refs,
            hits: &hits,
            sessions: &[],
        };
        assert_eq!(
            show(NatKind::Destination, &["rule", "all"], Some(&live)),
            "Total destination-nat rules: 1
Total referenced IPv4/IPv6 ip-prefixes: 0/0

Destination NAT rule: publish-web        Rule-set: in
  Rule-Id                    : 1
  Rule position              : 1
  From zone                  : untrust
    Destination addresses    : 203.0.113.100   - 203.0.113.100
    Destination port         : 80              - 80
  Action                     : web-pool
  Translation hits           : 3
    Successful sessions      : 3
    Failed sessions          : 0
  Number of sessions         : 0
"
        );
        assert_eq!(
            show(NatKind::Destination, &["pool", "all"], Some(&live)),
            "Total destination-nat pools: 1

Pool name       : web-pool
Pool id         : 1
Total address   : 1
Translation hits: 3
Address range                        Port
  10.0.2.10 - 10.0.2.10              8080
"
        );
        assert_eq!(
            show(NatKind::Static, &["rule", "s1"], Some(&live)),
            "
Static NAT rule: s1                      Rule-set: st
  Rule-Id                    : 1
  Rule position              : 1
  From interface             : ge-0/0/1.0
  Destination addresses      : 203.0.113.200
  Host addresses             : 10.0.2.20
  Host routing-instance      : N/A
  Netmask                    : 32
  Translation hits           : 2
    Successful sessions      : 2
  Number of sessions         : 0
"
        );
    }
}
