// SPDX-License-Identifier: Apache-2.0
//! `routing-options`: static routes of `inet.0` and `rib inet6.0`, and the
//! names of `routing-instances`.

use std::net::IpAddr;

use xpf_config::{Statement, Word};

use crate::check::{missing_message, undefined, Checks, Path};
use crate::interfaces::normalize_unit;
use crate::prefix::Prefix;
use crate::read::{args, child, kids, number, number_of};
use crate::Model;

/// Routing configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Routing {
    /// Static routes of both families, in configuration order (IPv4 first).
    pub static_routes: Vec<StaticRoute>,
    /// `routing-instances` names (their contents are not modelled yet).
    pub instances: Vec<String>,
}

/// One static `route`.
#[derive(Debug, Clone, PartialEq)]
pub struct StaticRoute {
    /// Destination prefix.
    pub prefix: Prefix,
    /// `next-hop` addresses.
    pub next_hops: Vec<IpAddr>,
    /// `next-hop` interfaces (`st0.0`), for point-to-point links.
    pub next_hop_interfaces: Vec<String>,
    /// `qualified-next-hop` entries (floating next hops).
    pub qualified_next_hops: Vec<QualifiedNextHop>,
    /// `discard` or `reject`.
    pub blackhole: Option<Blackhole>,
    /// `preference` (administrative distance; Junos default 5).
    pub preference: Option<u32>,
    /// `metric`.
    pub metric: Option<u32>,
}

/// Where a next hop points.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Gateway {
    /// A neighbour's address.
    Address(IpAddr),
    /// A point-to-point logical interface (`st0.1`).
    Interface(String),
}

/// One `qualified-next-hop`.
#[derive(Debug, Clone, PartialEq)]
pub struct QualifiedNextHop {
    /// The next hop.
    pub gateway: Gateway,
    /// Its own `preference`.
    pub preference: Option<u32>,
    /// Its own `metric`.
    pub metric: Option<u32>,
}

/// A route that drops traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blackhole {
    /// `discard`: drop silently.
    Discard,
    /// `reject`: drop and send ICMP unreachable.
    Reject,
}

/// Keywords of a route's attributes when written on one line.
const ROUTE_KEYWORDS: &[&str] = &[
    "next-hop",
    "qualified-next-hop",
    "preference",
    "metric",
    "discard",
    "reject",
];

/// Reads `routing-options` (`st`) and `routing-instances` (`instances`).
pub(crate) fn build(
    st: Option<&Statement>,
    instances: Option<&Statement>,
    model: &Model,
    ck: &mut Checks,
) -> Routing {
    let mut routing = Routing {
        instances: instances
            .map(|i| i.kids().iter().map(|c| c.keyword().to_string()).collect())
            .unwrap_or_default(),
        ..Routing::default()
    };
    let Some(st) = st else { return routing };
    let path = Path::of(&["routing-options"]);
    if let Some(s) = child(st, "static") {
        let sp = path.join(s);
        for r in kids(s, "route") {
            if let Some(route) = route(r, &sp, false, model, ck) {
                routing.static_routes.push(route);
            }
        }
    }
    for rib in kids(st, "rib") {
        let v6 = match rib.words.get(1).map(|w| w.text.as_str()) {
            Some("inet6.0") => true,
            Some("inet.0") => false,
            _ => continue,
        };
        let rp = path.join(rib);
        if let Some(s) = child(rib, "static") {
            let sp = rp.join(s);
            for r in kids(s, "route") {
                if let Some(route) = route(r, &sp, v6, model, ck) {
                    routing.static_routes.push(route);
                }
            }
        }
    }
    routing
}

fn route(
    st: &Statement,
    path: &Path,
    v6: bool,
    model: &Model,
    ck: &mut Checks,
) -> Option<StaticRoute> {
    let pw = st.words.get(1)?;
    let Some(prefix) = Prefix::parse(&pw.text) else {
        ck.error_word(path, st, pw, format!("invalid prefix: '{}'", pw.text));
        return None;
    };
    if prefix.is_ipv4() == v6 {
        let msg = if v6 {
            format!("route {prefix} is not an IPv6 prefix: IPv4 routes belong in inet.0")
        } else {
            format!("route {prefix} is not an IPv4 prefix: IPv6 routes belong under rib inet6.0")
        };
        ck.error_word(path, st, pw, msg);
        return None;
    }
    // Junos refuses a destination with host bits set: the route would
    // not cover what it seems to.
    if prefix.network() != prefix.addr {
        ck.error_word(
            path,
            st,
            pw,
            format!(
                "route {prefix} has host bits set: the destination is {}/{}",
                prefix.network(),
                prefix.len
            ),
        );
        return None;
    }
    let rp = path.join(st);
    let mut r = StaticRoute {
        prefix,
        next_hops: Vec::new(),
        next_hop_interfaces: Vec::new(),
        qualified_next_hops: Vec::new(),
        blackhole: None,
        preference: None,
        metric: None,
    };
    // Attributes written inline: `route 0.0.0.0/0 next-hop 192.0.2.1;`.
    let inline: Vec<&Word> = st
        .words
        .iter()
        .skip(2)
        .chain(st.list.iter().flatten())
        .collect();
    let mut i = 0;
    while let Some(kw) = inline.get(i) {
        i += 1;
        let mut values = Vec::new();
        while let Some(v) = inline
            .get(i)
            .filter(|v| !ROUTE_KEYWORDS.contains(&v.text.as_str()))
        {
            values.push(*v);
            i += 1;
        }
        attribute(&mut r, &kw.text, &values, st, path, model, ck);
    }
    // Attributes as children: `route 10.0.0.0/8 { next-hop [ a b ]; }`.
    for c in st.kids() {
        match c.keyword() {
            "qualified-next-hop" => {
                let Some(w) = c.words.get(1) else { continue };
                let Some(gateway) = gateway(&r, w, c, &rp, model, ck) else {
                    continue;
                };
                let qp = rp.join(c);
                r.qualified_next_hops.push(QualifiedNextHop {
                    gateway,
                    preference: number_of(ck, &qp, c, "preference"),
                    metric: number_of(ck, &qp, c, "metric"),
                });
            }
            kw => {
                let values = args(c);
                attribute(&mut r, kw, &values, c, &rp, model, ck);
            }
        }
    }
    let forwarding = ["next-hop", "qualified-next-hop", "discard", "reject"];
    let has_forwarding = forwarding.iter().any(|kw| {
        inline.iter().any(|w| w.text == *kw) || st.kids().iter().any(|c| c.keyword() == *kw)
    });
    if !has_forwarding {
        ck.error(
            path,
            st,
            missing_message("next-hop', 'qualified-next-hop', 'discard' or 'reject"),
        );
    }
    Some(r)
}

/// Applies one attribute of a route; `at` is the statement holding it and
/// `path` that statement's parent.
fn attribute(
    r: &mut StaticRoute,
    kw: &str,
    values: &[&Word],
    at: &Statement,
    path: &Path,
    model: &Model,
    ck: &mut Checks,
) {
    match kw {
        "next-hop" => {
            for w in values {
                match gateway(r, w, at, path, model, ck) {
                    Some(Gateway::Address(a)) => r.next_hops.push(a),
                    Some(Gateway::Interface(unit)) => r.next_hop_interfaces.push(unit),
                    None => {}
                }
            }
        }
        "qualified-next-hop" => {
            if let Some(w) = values.first() {
                if let Some(gateway) = gateway(r, w, at, path, model, ck) {
                    r.qualified_next_hops.push(QualifiedNextHop {
                        gateway,
                        preference: None,
                        metric: None,
                    });
                }
            }
        }
        "preference" | "metric" => {
            if let Some(n) = values.first().and_then(|w| number(ck, path, at, w)) {
                if kw == "preference" {
                    r.preference = Some(n);
                } else {
                    r.metric = Some(n);
                }
            }
        }
        "discard" => r.blackhole = Some(Blackhole::Discard),
        "reject" => r.blackhole = Some(Blackhole::Reject),
        _ => {}
    }
}

/// A next hop: an address of the route's family or a configured logical
/// interface (`st0.1`), or an error.
fn gateway(
    r: &StaticRoute,
    w: &Word,
    at: &Statement,
    path: &Path,
    model: &Model,
    ck: &mut Checks,
) -> Option<Gateway> {
    if w.text.parse::<IpAddr>().is_ok() {
        return next_hop_address(r, w, at, path, ck).map(Gateway::Address);
    }
    let unit = normalize_unit(&w.text);
    if model.unit(&unit).is_none() {
        ck.error_word(path, at, w, undefined("interface", &unit));
    }
    Some(Gateway::Interface(unit))
}

/// A next-hop address of the route's family, or an error.
fn next_hop_address(
    r: &StaticRoute,
    w: &Word,
    at: &Statement,
    path: &Path,
    ck: &mut Checks,
) -> Option<IpAddr> {
    let Ok(a) = w.text.parse::<IpAddr>() else {
        ck.error_word(path, at, w, format!("invalid IP address: '{}'", w.text));
        return None;
    };
    if a.is_ipv4() != r.prefix.is_ipv4() {
        ck.error_word(
            path,
            at,
            w,
            format!(
                "next-hop '{}' does not match the address family of route {}",
                w.text, r.prefix
            ),
        );
        return None;
    }
    Some(a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{build_text, errors_of};

    #[test]
    fn static_routes_are_typed() {
        let m = build_text(
            r#"interfaces { st0 { unit 0; } }
            routing-options {
                static {
                    route 0.0.0.0/0 next-hop 203.0.113.1;
                    route 10.0.0.0/8 { next-hop [ 10.1.1.1 10.1.1.2 ]; preference 10; metric 5; }
                    route 192.0.2.0/24 discard;
                    route 198.51.100.0/24 { qualified-next-hop 10.1.1.3 { preference 20; metric 7; } }
                    route 172.16.0.0/12 next-hop st0.0;
                }
                rib inet6.0 { static { route ::/0 next-hop 2001:db8::1; } }
            }
            routing-instances { vr1 { instance-type virtual-router; } }"#,
        );
        let r = &m.routing.static_routes;
        assert_eq!(r.len(), 6);
        assert_eq!(r[0].prefix.to_string(), "0.0.0.0/0");
        assert_eq!(
            r[0].next_hops,
            ["203.0.113.1".parse::<IpAddr>().expect("ip")]
        );
        assert_eq!(r[1].next_hops.len(), 2);
        assert_eq!((r[1].preference, r[1].metric), (Some(10), Some(5)));
        assert_eq!(r[2].blackhole, Some(Blackhole::Discard));
        assert_eq!(
            r[3].qualified_next_hops,
            [QualifiedNextHop {
                gateway: Gateway::Address("10.1.1.3".parse().expect("ip")),
                preference: Some(20),
                metric: Some(7)
            }]
        );
        assert_eq!(r[4].next_hop_interfaces, ["st0.0"]);
        assert_eq!(r[5].prefix.to_string(), "::/0");
        assert!(!r[5].prefix.is_ipv4());
        assert_eq!(m.routing.instances, ["vr1"]);
    }

    #[test]
    fn a_destination_with_host_bits_is_refused() {
        for (route, network) in [
            ("10.1.1.1/24", "10.1.1.0/24"),
            ("2001:db8::1/64", "2001:db8::/64"),
        ] {
            let rib = if route.contains(':') {
                "rib inet6.0 { static {"
            } else {
                "static {"
            };
            let close = if route.contains(':') { "} }" } else { "}" };
            let e = errors_of(&format!(
                "routing-options {{ {rib} route {route} discard; {close} }}"
            ));
            assert_eq!(
                e[0].message,
                format!("route {route} has host bits set: the destination is {network}")
            );
        }
    }

    #[test]
    fn interface_next_hops_are_typed() {
        let m = build_text(
            "interfaces { st0 { unit 1; } }\nrouting-options { static { route 10.2.0.0/16 qualified-next-hop st0.1; } }",
        );
        assert_eq!(
            m.routing.static_routes[0].qualified_next_hops[0].gateway,
            Gateway::Interface("st0.1".into())
        );
    }

    #[test]
    fn next_hops_match_the_route_family() {
        let e = errors_of(
            "routing-options {\n static {\n  route 10.0.0.0/8 next-hop 2001:db8::1;\n }\n rib inet6.0 {\n  static {\n   route 2001:db8:1::/48 { next-hop 192.0.2.1; }\n  }\n }\n}\n",
        );
        let msgs: Vec<&str> = e.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "next-hop '2001:db8::1' does not match the address family of route 10.0.0.0/8",
                "next-hop '192.0.2.1' does not match the address family of route 2001:db8:1::/48",
            ]
        );
        assert_eq!(e[0].path, ["routing-options", "static", "route 10.0.0.0/8"]);
        assert_eq!(e[0].statement.as_deref(), Some("next-hop 2001:db8::1"));
        assert_eq!(e[0].span.map(|s| s.line), Some(3));
        assert_eq!(
            e[1].path,
            [
                "routing-options",
                "rib inet6.0",
                "static",
                "route 2001:db8:1::/48"
            ]
        );
        assert_eq!(e[1].statement.as_deref(), Some("next-hop 192.0.2.1"));
        assert_eq!(e[1].span.map(|s| s.line), Some(7));
    }

    #[test]
    fn a_route_needs_somewhere_to_go() {
        let e = errors_of("routing-options { static { route 10.0.0.0/8 { preference 7; } } }");
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].statement.as_deref(), Some("route 10.0.0.0/8"));
        assert_eq!(
            e[0].message,
            "Missing mandatory statement: 'next-hop', 'qualified-next-hop', 'discard' or 'reject'"
        );
    }

    #[test]
    fn a_v6_route_belongs_in_inet6() {
        let e = errors_of("routing-options { static { route 2001:db8::/32 discard; } }");
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].message
                .contains("IPv6 routes belong under rib inet6.0"),
            "{e:?}"
        );
    }
}
