// SPDX-License-Identifier: Apache-2.0
//! `compile`: `Snapshot::compile` on arbitrary valid models.
//!
//! The input drives a generator of Junos configuration text over a small
//! vocabulary (interfaces and their units, zones, address books and sets,
//! applications, policies of every action, source, destination and static
//! NAT, screens, flow settings), with names drawn so that references
//! mostly resolve and sometimes collide. The text goes through the real
//! path a commit takes: `parse_config`, `effective`, `xpf_model::build`
//! (`commit check`); what check refuses is skipped. A model that passes is
//! compiled against an interface table like the kernel's (sometimes
//! missing a unit), exported as the eBPF engine would, and a few frames
//! between its addresses go through `process()`.

use std::fmt::Write;

use arbitrary::Unstructured;
use xpf_dataplane::{process, InterfaceTable, Snapshot, StaticFib, Verdict, Worker};
use xpf_model::Model;

use crate::packets;

/// Runs one input.
pub fn run(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let Ok(text) = generate(&mut u) else {
        return;
    };
    let Some(model) = model(&text) else {
        return;
    };
    let table = table(&model, &mut u);
    let snap = match Snapshot::compile(&model, &table) {
        Ok(s) => s,
        Err(e) => panic!("commit check passed but compile refused: {e}\n{text}"),
    };
    let _ = snap.export();
    traffic(&snap, &model, &table, &mut u);
}

/// The model of a configuration text, or `None` where parse or check
/// refuses it.
pub fn model(text: &str) -> Option<Model> {
    let cfg = xpf_config::parse_config(text).ok()?;
    xpf_model::build(&xpf_config::effective(&cfg, None)).ok()
}

const ZONES: [&str; 5] = ["trust", "untrust", "dmz", "z3", "junos-host"];
const V4: [&str; 10] = [
    "10.0.0.1/24",
    "10.0.1.1/24",
    "10.0.0.0/8",
    "192.0.2.1/32",
    "198.51.100.0/24",
    "203.0.113.1/24",
    "0.0.0.0/0",
    "10.0.0.128/25",
    "172.16.0.1/12",
    "10.0.1.0/30",
];
const V6: [&str; 6] = [
    "2001:db8::1/64",
    "2001:db8:1::1/64",
    "2001:db8::/32",
    "::/0",
    "fe80::1/64",
    "2001:db8::10/128",
];
const APPS: [&str; 8] = [
    "any",
    "junos-http",
    "junos-https",
    "junos-ping",
    "junos-icmp-all",
    "junos-dns-udp",
    "app0",
    "appset0",
];

type G = arbitrary::Result<()>;

fn pick<'a>(u: &mut Unstructured<'_>, from: &[&'a str]) -> arbitrary::Result<&'a str> {
    Ok(*u.choose(from)?)
}

fn count(u: &mut Unstructured<'_>, max: usize) -> arbitrary::Result<usize> {
    u.int_in_range(0..=max)
}

/// An address or prefix of either family.
fn prefix(u: &mut Unstructured<'_>) -> arbitrary::Result<String> {
    Ok(match u.int_in_range(0..=3u8)? {
        0 => pick(u, &V6)?.to_string(),
        1 => {
            let [a, b, c]: [u8; 3] = u.arbitrary()?;
            let len = u.int_in_range(8..=32u8)?;
            format!("10.{}.{}.{}/{len}", a % 4, b % 4, c)
        }
        _ => pick(u, &V4)?.to_string(),
    })
}

/// A host address (`/32` or `/128`).
fn host(u: &mut Unstructured<'_>) -> arbitrary::Result<String> {
    let p = prefix(u)?;
    let addr = p.split('/').next().unwrap_or("10.0.0.1");
    Ok(if addr.contains(':') {
        format!("{addr}/128")
    } else {
        format!("{addr}/32")
    })
}

fn port(u: &mut Unstructured<'_>) -> arbitrary::Result<u16> {
    Ok(match u.int_in_range(0..=3u8)? {
        0 => u.arbitrary()?,
        1 => 0,
        _ => *u.choose(&[22, 53, 80, 443, 1024, 8080, 65535])?,
    })
}

/// Generates one configuration text.
pub fn generate(u: &mut Unstructured<'_>) -> arbitrary::Result<String> {
    let mut s = String::new();
    let nif = u.int_in_range(1..=4usize)?;
    let mut units = Vec::new();
    s.push_str("interfaces {\n");
    for i in 0..nif {
        let tagged = u.ratio(1, 5)?;
        let _ = write!(
            s,
            "  ge-0/0/{i} {{ {}",
            if tagged { "vlan-tagging; " } else { "" }
        );
        for n in 0..u.int_in_range(1..=2u32)? {
            let unit = if tagged { 10 * (n + 1) } else { n };
            let _ = write!(s, "unit {unit} {{ ");
            if tagged {
                let _ = write!(s, "vlan-id {}; ", u.int_in_range(1..=4094u16)?);
            }
            if u.ratio(7, 8)? {
                let _ = write!(s, "family inet {{ address {}; }} ", pick(u, &V4)?);
            }
            if u.ratio(1, 2)? {
                let _ = write!(s, "family inet6 {{ address {}; }} ", pick(u, &V6)?);
            }
            s.push_str("} ");
            units.push(format!("ge-0/0/{i}.{unit}"));
        }
        s.push_str("}\n");
    }
    s.push_str("}\n");
    applications(u, &mut s)?;
    s.push_str("security {\n");
    screens(u, &mut s)?;
    address_book(u, &mut s)?;
    flow(u, &mut s)?;
    nat(u, &mut s, &units)?;
    policies(u, &mut s)?;
    zones(u, &mut s, &units)?;
    s.push_str("}\n");
    Ok(s)
}

fn applications(u: &mut Unstructured<'_>, s: &mut String) -> G {
    if u.ratio(1, 3)? {
        return Ok(());
    }
    s.push_str("applications {\n");
    for i in 0..u.int_in_range(1..=2)? {
        let proto = pick(
            u,
            &["tcp", "udp", "icmp", "icmp6", "47", "ah", "esp", "sctp"],
        )?;
        let _ = write!(s, "  application app{i} {{ protocol {proto}; ");
        if matches!(proto, "tcp" | "udp" | "sctp") {
            let (a, b) = (port(u)?, port(u)?);
            if u.ratio(1, 2)? {
                let _ = write!(s, "destination-port {a}-{b}; ");
            } else {
                let _ = write!(s, "destination-port {a}; ");
            }
            if u.ratio(1, 4)? {
                let _ = write!(s, "source-port {}; ", port(u)?);
            }
        }
        if proto == "icmp" && u.ratio(1, 2)? {
            let _ = write!(
                s,
                "icmp-type {}; icmp-code {}; ",
                u.int_in_range(0..=20u8)?,
                u.int_in_range(0..=3u8)?
            );
        }
        if u.ratio(1, 3)? {
            let t = *u.choose(&["never", "1", "30", "86400", "0"])?;
            let _ = write!(s, "inactivity-timeout {t}; ");
        }
        s.push_str("}\n");
    }
    if u.ratio(1, 2)? {
        let _ = writeln!(
            s,
            "  application-set appset0 {{ application app0; application {}; }}",
            pick(u, &["junos-http", "junos-ssh", "app1", "junos-icmp-ping"])?
        );
    }
    s.push_str("}\n");
    Ok(())
}

fn screens(u: &mut Unstructured<'_>, s: &mut String) -> G {
    if u.ratio(1, 2)? {
        return Ok(());
    }
    s.push_str("  screen { ids-option scr {\n");
    if u.ratio(1, 4)? {
        s.push_str("    alarm-without-drop;\n");
    }
    let th = |u: &mut Unstructured<'_>| -> arbitrary::Result<u32> { u.int_in_range(1..=1_000_000) };
    let icmp = ["ping-death;", "large;", "fragment;"];
    let ip = [
        "bad-option;",
        "record-route-option;",
        "timestamp-option;",
        "security-option;",
        "stream-option;",
        "spoofing;",
        "source-route-option;",
        "loose-source-route-option;",
        "strict-source-route-option;",
        "unknown-protocol;",
        "block-frag;",
        "tear-drop;",
    ];
    let tcp = [
        "syn-fin;",
        "fin-no-ack;",
        "tcp-no-flag;",
        "syn-frag;",
        "land;",
        "winnuke;",
    ];
    for (name, flags) in [("icmp", &icmp[..]), ("ip", &ip[..]), ("tcp", &tcp[..])] {
        if u.ratio(1, 2)? {
            continue;
        }
        let _ = write!(s, "    {name} {{ ");
        for f in flags {
            if u.ratio(1, 3)? {
                s.push_str(f);
                s.push(' ');
            }
        }
        match name {
            "icmp" => {
                if u.ratio(1, 2)? {
                    let _ = write!(s, "flood {{ threshold {}; }} ", th(u)?);
                }
                if u.ratio(1, 3)? {
                    let _ = write!(s, "ip-sweep {{ threshold {}; }} ", th(u)?);
                }
            }
            "tcp" => {
                if u.ratio(1, 2)? {
                    let _ = write!(
                        s,
                        "syn-flood {{ alarm-threshold {}; attack-threshold {}; source-threshold {}; destination-threshold {}; timeout {}; }} ",
                        th(u)?, th(u)?, th(u)?, th(u)?, u.int_in_range(1..=50u8)?
                    );
                }
                if u.ratio(1, 3)? {
                    let _ = write!(
                        s,
                        "port-scan {{ threshold {}; }} tcp-sweep {{ threshold {}; }} ",
                        th(u)?,
                        th(u)?
                    );
                }
            }
            _ => {}
        }
        s.push_str("}\n");
    }
    if u.ratio(1, 2)? {
        let _ = writeln!(s, "    udp {{ flood {{ threshold {}; }} udp-sweep {{ threshold {}; }} port-scan {{ threshold {}; }} }}", th(u)?, th(u)?, th(u)?);
    }
    if u.ratio(1, 2)? {
        let _ = writeln!(
            s,
            "    limit-session {{ source-ip-based {}; destination-ip-based {}; }}",
            u.int_in_range(1..=2_000_000u32)?,
            u.int_in_range(1..=2_000_000u32)?
        );
    }
    s.push_str("  } }\n");
    Ok(())
}

fn address_book(u: &mut Unstructured<'_>, s: &mut String) -> G {
    let n = count(u, 4)?;
    if n == 0 {
        return Ok(());
    }
    s.push_str("  address-book { global {\n");
    for i in 0..n {
        match u.int_in_range(0..=5u8)? {
            0 => {
                let _ = writeln!(
                    s,
                    "    address a{i} range-address 10.0.0.{} to 10.0.{}.{};",
                    u.arbitrary::<u8>()?,
                    u.int_in_range(0..=1u8)?,
                    u.arbitrary::<u8>()?
                );
            }
            1 => {
                let _ = writeln!(
                    s,
                    "    address a{i} wildcard-address 10.0.{}.1/255.255.0.255;",
                    u.arbitrary::<u8>()?
                );
            }
            _ => {
                let _ = writeln!(s, "    address a{i} {};", prefix(u)?);
            }
        }
    }
    if u.ratio(1, 2)? {
        let _ = writeln!(
            s,
            "    address-set as0 {{ address a0; address a{}; }}",
            count(u, n)?
        );
    }
    if u.ratio(1, 4)? {
        s.push_str("    address-set as1 { address-set as0; address a0; }\n");
    }
    s.push_str("  } }\n");
    Ok(())
}

/// A policy's or rule's address reference.
fn address_ref(u: &mut Unstructured<'_>) -> arbitrary::Result<String> {
    Ok(match u.int_in_range(0..=6u8)? {
        0 => "any-ipv4".into(),
        1 => "any-ipv6".into(),
        2 => "as0".into(),
        3 | 4 => format!("a{}", u.int_in_range(0..=3u8)?),
        _ => "any".into(),
    })
}

fn flow(u: &mut Unstructured<'_>, s: &mut String) -> G {
    if u.ratio(1, 2)? {
        return Ok(());
    }
    s.push_str("  flow {\n");
    if u.ratio(1, 2)? {
        let _ = writeln!(
            s,
            "    tcp-mss {{ all-tcp {{ mss {}; }} }}",
            u.int_in_range(64..=65535u32)?
        );
    }
    if u.ratio(1, 2)? {
        s.push_str("    tcp-session { ");
        for f in [
            "rst-invalidate-session;",
            "fin-invalidate-session;",
            "rst-sequence-check;",
            "no-syn-check;",
            "strict-syn-check;",
            "no-sequence-check;",
        ] {
            if u.ratio(1, 3)? {
                s.push_str(f);
                s.push(' ');
            }
        }
        if u.ratio(1, 2)? {
            let _ = write!(s, "tcp-initial-timeout {}; ", u.int_in_range(4..=300u16)?);
        }
        if u.ratio(1, 2)? {
            let _ = write!(
                s,
                "time-wait-state {{ session-timeout {}; }} ",
                u.int_in_range(2..=600u16)?
            );
        }
        s.push_str("}\n");
    }
    if u.ratio(1, 2)? {
        let _ = writeln!(
            s,
            "    aging {{ early-ageout {}; high-watermark {}; low-watermark {}; }}",
            u.int_in_range(1..=65535u32)?,
            u.int_in_range(0..=100u8)?,
            u.int_in_range(0..=100u8)?
        );
    }
    for f in ["allow-dns-reply;", "allow-embedded-icmp;"] {
        if u.ratio(1, 3)? {
            let _ = writeln!(s, "    {f}");
        }
    }
    s.push_str("  }\n");
    Ok(())
}

/// `from zone Z;` or `from interface I;`.
fn context(u: &mut Unstructured<'_>, s: &mut String, dir: &str, units: &[String]) -> G {
    if !units.is_empty() && u.ratio(1, 4)? {
        let _ = write!(s, "{dir} interface {}; ", u.choose(units)?);
    } else {
        let _ = write!(s, "{dir} zone {}; ", pick(u, &ZONES[..4])?);
    }
    Ok(())
}

fn nat_match(u: &mut Unstructured<'_>, s: &mut String, destination_single: bool) -> G {
    s.push_str("match { ");
    if u.ratio(1, 2)? {
        let _ = write!(s, "source-address {}; ", prefix(u)?);
    }
    if u.ratio(1, 6)? {
        let _ = write!(s, "source-address-name {}; ", address_ref(u)?);
    }
    if u.ratio(1, 6)? {
        let _ = write!(
            s,
            "destination-address-name a{}; ",
            u.int_in_range(0..=3u8)?
        );
    } else if destination_single || u.ratio(1, 2)? {
        let _ = write!(
            s,
            "destination-address {}; ",
            if destination_single {
                host(u)?
            } else {
                prefix(u)?
            }
        );
    }
    if u.ratio(1, 3)? {
        let (a, b) = (port(u)?, port(u)?);
        if u.ratio(1, 2)? {
            let _ = write!(s, "destination-port {a} to {b}; ");
        } else {
            let _ = write!(s, "destination-port {a}; ");
        }
    }
    if u.ratio(1, 5)? {
        let _ = write!(s, "protocol {}; ", pick(u, &["tcp", "udp", "icmp", "6"])?);
    }
    s.push_str("} ");
    Ok(())
}

fn nat(u: &mut Unstructured<'_>, s: &mut String, units: &[String]) -> G {
    if u.ratio(1, 4)? {
        return Ok(());
    }
    s.push_str("  nat {\n");
    if u.ratio(2, 3)? {
        s.push_str("    source {\n");
        for p in 0..count(u, 2)? {
            let _ = write!(s, "      pool sp{p} {{ address {{ {}", host(u)?);
            if u.ratio(1, 2)? {
                let _ = write!(s, " to {}", host(u)?);
            }
            s.push_str("; } ");
            match u.int_in_range(0..=3u8)? {
                0 => s.push_str("port no-translation; "),
                1 => {
                    let _ = write!(s, "port range {} to {}; ", port(u)?, port(u)?);
                }
                _ => {}
            }
            s.push_str("}\n");
        }
        if u.ratio(1, 4)? {
            s.push_str("      address-persistent;\n");
        }
        for r in 0..u.int_in_range(1..=2u8)? {
            let _ = write!(s, "      rule-set srs{r} {{ ");
            context(u, s, "from", units)?;
            context(u, s, "to", units)?;
            for k in 0..u.int_in_range(1..=3u8)? {
                let _ = write!(s, "rule r{k} {{ ");
                nat_match(u, s, false)?;
                let action = match u.int_in_range(0..=2u8)? {
                    0 => "off".to_string(),
                    1 => "interface".to_string(),
                    _ => format!("pool sp{}", u.int_in_range(0..=1u8)?),
                };
                let _ = write!(s, "then {{ source-nat {{ {action}; }} }} }} ");
            }
            s.push_str("}\n");
        }
        s.push_str("    }\n");
    }
    if u.ratio(1, 2)? {
        s.push_str("    destination {\n");
        let pools = u.int_in_range(1..=2u8)?;
        for p in 0..pools {
            let _ = write!(s, "      pool dp{p} {{ address {}", host(u)?);
            if u.ratio(1, 3)? {
                let _ = write!(s, " port {}", port(u)?);
            }
            s.push_str("; }\n");
        }
        let _ = write!(s, "      rule-set drs {{ ");
        context(u, s, "from", units)?;
        for k in 0..u.int_in_range(1..=3u8)? {
            let _ = write!(s, "rule r{k} {{ ");
            nat_match(u, s, true)?;
            let action = if u.ratio(1, 5)? {
                "off".to_string()
            } else {
                format!("pool dp{}", u.int_in_range(0..=pools - 1)?)
            };
            let _ = write!(s, "then {{ destination-nat {{ {action}; }} }} }} ");
        }
        s.push_str("}\n    }\n");
    }
    if u.ratio(1, 3)? {
        s.push_str("    static { rule-set st { ");
        context(u, s, "from", units)?;
        for k in 0..u.int_in_range(1..=2u8)? {
            let _ = write!(s, "rule r{k} {{ ");
            nat_match(u, s, true)?;
            if u.ratio(1, 4)? {
                let _ = write!(
                    s,
                    "then {{ static-nat {{ prefix-name {{ a{}; ",
                    u.int_in_range(0..=3u8)?
                );
            } else {
                let _ = write!(s, "then {{ static-nat {{ prefix {{ {}; ", host(u)?);
            }
            if u.ratio(1, 4)? {
                let _ = write!(s, "mapped-port {}; ", port(u)?);
            }
            s.push_str("} } } } ");
        }
        s.push_str("} }\n");
    }
    s.push_str("  }\n");
    Ok(())
}

fn policy_body(u: &mut Unstructured<'_>, s: &mut String) -> G {
    let _ = write!(
        s,
        "match {{ source-address {}; destination-address {}; ",
        address_ref(u)?,
        address_ref(u)?
    );
    if u.ratio(1, 8)? {
        s.push_str("source-address-excluded; ");
    }
    if u.ratio(1, 8)? {
        s.push_str("destination-address-excluded; ");
    }
    let _ = write!(
        s,
        "application [ {} {} ]; }} then {{ ",
        pick(u, &APPS)?,
        pick(u, &APPS)?
    );
    s.push_str(pick(u, &["permit;", "permit;", "deny;", "reject;"])?);
    if u.ratio(1, 3)? {
        s.push_str(" log { session-init; session-close; }");
    }
    if u.ratio(1, 3)? {
        s.push_str(" count;");
    }
    s.push_str(" } }\n");
    Ok(())
}

fn policies(u: &mut Unstructured<'_>, s: &mut String) -> G {
    s.push_str("  policies {\n");
    for _ in 0..count(u, 4)? {
        let (from, to) = (pick(u, &ZONES[..4])?, pick(u, &ZONES[..4])?);
        let _ = write!(s, "    from-zone {from} to-zone {to} {{ ");
        for p in 0..u.int_in_range(1..=3u8)? {
            let _ = write!(s, "policy p{p} {{ ");
            policy_body(u, s)?;
        }
        s.push_str("    }\n");
    }
    if u.ratio(1, 3)? {
        s.push_str("    global { policy g0 { ");
        let at = s.len();
        policy_body(u, s)?;
        if u.ratio(1, 2)? {
            let zone = format!("from-zone {}; ", pick(u, &ZONES[..4])?);
            s.insert_str(at + "match { ".len(), &zone);
        }
        s.push_str("    }\n");
    }
    if u.ratio(1, 3)? {
        let _ = writeln!(
            s,
            "    default-policy {{ {}; }}",
            pick(u, &["permit-all", "deny-all"])?
        );
    }
    s.push_str("  }\n");
    Ok(())
}

fn zones(u: &mut Unstructured<'_>, s: &mut String, units: &[String]) -> G {
    s.push_str("  zones {\n");
    let mut free: Vec<&String> = units.iter().collect();
    for z in ZONES.iter().take(u.int_in_range(1..=4usize)?) {
        let _ = write!(s, "    security-zone {z} {{ ");
        if u.ratio(1, 3)? {
            s.push_str("screen scr; ");
        }
        if u.ratio(1, 4)? {
            s.push_str("tcp-rst; ");
        }
        if u.ratio(1, 2)? {
            let svc = pick(
                u,
                &[
                    "all",
                    "ping",
                    "ssh",
                    "https",
                    "any-service",
                    "traceroute",
                    "dns",
                ],
            )?;
            let _ = write!(s, "host-inbound-traffic {{ system-services {{ {svc}; ");
            if svc == "all" && u.ratio(1, 2)? {
                s.push_str("ssh { except; } ");
            }
            s.push_str("} } ");
        }
        s.push_str("interfaces { ");
        for _ in 0..count(u, 2)? {
            if free.is_empty() {
                break;
            }
            let i = u.choose_index(free.len())?;
            let unit = free.swap_remove(i);
            let _ = write!(s, "{unit}; ");
        }
        s.push_str("} }\n");
    }
    s.push_str("  }\n");
    Ok(())
}

/// The interface table the kernel would report for the model: each unit
/// at its own ifindex with its addresses; sometimes one is missing.
fn table(model: &Model, u: &mut Unstructured<'_>) -> InterfaceTable {
    let mut t = InterfaceTable::new();
    let skip = u.int_in_range(0..=12u32).unwrap_or(12);
    let mut ifindex = 2;
    for i in &model.interfaces {
        for unit in &i.units {
            ifindex += 1;
            if ifindex == skip + 2 {
                continue;
            }
            let prefixes = unit
                .inet
                .iter()
                .chain(&unit.inet6)
                .flat_map(|f| f.addresses.iter().map(|a| a.prefix))
                .collect();
            t.insert(ifindex, &format!("{}.{}", i.name, unit.number), prefixes);
        }
    }
    t
}

/// A few frames between the model's addresses through the compiled
/// snapshot; nothing may panic.
fn traffic(snap: &Snapshot, model: &Model, table: &InterfaceTable, u: &mut Unstructured<'_>) {
    let mut fib = StaticFib::connected(table);
    if let Some(first) = table.entries().first() {
        fib.add(
            std::net::Ipv4Addr::UNSPECIFIED.into(),
            0,
            first.ifindex,
            None,
        );
        fib.add(
            std::net::Ipv6Addr::UNSPECIFIED.into(),
            0,
            first.ifindex,
            None,
        );
    }
    let mut addrs: Vec<std::net::IpAddr> = table
        .entries()
        .iter()
        .flat_map(|e| e.addresses.iter().map(|p| p.addr))
        .collect();
    for b in model.all_address_books() {
        for a in &b.addresses {
            if let xpf_model::address_book::AddressValue::Prefix(p) = &a.value {
                addrs.push(p.addr);
            }
        }
    }
    addrs.extend(
        ["198.51.100.7", "2001:db8:99::7", "10.0.0.99"]
            .iter()
            .filter_map(|a| a.parse::<std::net::IpAddr>().ok()),
    );
    let ifindexes: Vec<u32> = table.entries().iter().map(|e| e.ifindex).collect();
    let mut w = Worker::with_capacity(snap, 16);
    let mut now = 1_000_000_000u64;
    for _ in 0..8 {
        let (Ok(s), Ok(d), Ok(i), Ok(kind), Ok(sport), Ok(dport), Ok(flags)) = (
            u.choose(&addrs),
            u.choose(&addrs),
            u.choose(&ifindexes),
            u.int_in_range(0..=3u8),
            u.arbitrary::<u16>(),
            port(u),
            u.arbitrary::<u8>(),
        ) else {
            break;
        };
        let (s, d) = if s.is_ipv6() == d.is_ipv6() {
            (*s, *d)
        } else {
            (*s, *s)
        };
        let icmp = if s.is_ipv6() { 58 } else { 1 };
        let (proto, l4) = match kind {
            0 => (
                6,
                packets::tcp(sport, dport, 1, 0, flags | packets::SYN, &[2, 4, 5, 0xb4]),
            ),
            1 => (17, packets::udp(sport, dport, b"x")),
            2 => (
                icmp,
                packets::icmp(if s.is_ipv6() { 128 } else { 8 }, 0, sport, b"p"),
            ),
            _ => (6, packets::tcp(sport, dport, 1, 1, flags, &[])),
        };
        let f = packets::eth(
            &packets::ip(&s.to_string(), &d.to_string(), proto, &l4, None),
            None,
        );
        let mut buf = f.clone();
        buf.resize(f.len().max(super::pipeline::ROOM), 0);
        now += 1_000_000;
        if let Verdict::Reply(n) = process(snap, &mut w, &fib, *i, &mut buf, f.len(), now) {
            assert!((14..=buf.len()).contains(&n), "reply of {n} bytes");
        }
    }
    w.sweep(snap, now + 3_600_000_000_000);
    let _ = w.counters();
}

/// Seeds: inputs whose generated text passes check (found by trying
/// patterned byte strings; the fuzzer takes it from there).
pub fn seeds() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for fill in 0..=255u8 {
        for len in [64usize, 256, 1024] {
            let data: Vec<u8> = (0..len)
                .map(|i| {
                    fill.wrapping_mul(31)
                        .wrapping_add((i as u8).wrapping_mul(fill | 1))
                })
                .collect();
            let mut u = Unstructured::new(&data);
            if generate(&mut u).ok().and_then(|t| model(&t)).is_some() {
                out.push(data);
            }
        }
        if out.len() >= 24 {
            break;
        }
    }
    out
}
