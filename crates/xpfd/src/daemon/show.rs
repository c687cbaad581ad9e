// SPDX-License-Identifier: Apache-2.0
//! Operational commands, rendered in the Junos layouts. Views of the live
//! tables (sessions, hit counters) say plainly when no dataplane runs
//! instead of printing made-up rows.

use std::fmt::Write as _;

use xpf_config::{print_set, print_statements, Config, Statement};
use xpf_model::Model;

use super::clock;
use super::supervisor::Supervisor;

/// Runs one operational command given as canonical words. The command is
/// found in the one operational tree (`xpf_api::ops`); the match below is
/// exhaustive, so a command with no handler here does not build.
pub async fn run(sup: &Supervisor, words: &[String]) -> Result<String, String> {
    use xpf_api::ops::{command, Op};
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    let unknown = || format!("{}: unknown command.", words.join(" "));
    let Some((op, n)) = command(&w) else {
        return Err(unknown());
    };
    let rest = &w[n..];
    let bare = matches!(
        op,
        Op::ShowVersion
            | Op::ShowSecurityPolicies
            | Op::ShowSecurityPoliciesHitCount
            | Op::ShowSystemCommit
            | Op::ShowSystemUptime
            | Op::ShowSystemDataplane
            | Op::ShowSystemSoftware
    );
    if bare && !rest.is_empty() {
        return Err(unknown());
    }
    match op {
        Op::ShowVersion => Ok(version(sup).await),
        Op::ShowConfiguration => configuration(sup, rest).await,
        Op::ShowInterfaces => interfaces(sup, rest).await,
        Op::ShowArp => Ok(arp(sup, rest.contains(&"no-resolve")).await),
        Op::ShowIpv6Neighbors => Ok(ipv6_neighbors(sup).await),
        Op::ShowChassisHardware => Ok(chassis_hardware(sup).await),
        Op::ShowSecurityZones => zones(sup, rest.first().copied()).await,
        Op::ShowSecurityPolicies => policies(sup).await,
        Op::ShowSecurityPoliciesHitCount => hit_count(sup).await,
        Op::ShowSecurityFlowSession => flow_sessions(sup, rest).await,
        Op::ClearSecurityFlowSession => {
            if !sup.forwarding.is_running() {
                return Err(not_running(sup, "the session table"));
            }
            let (filter, _) = session_words(rest, &ifindex_of(sup).await)?;
            let snap = sup.snapshot.read().await.clone();
            let n = sup.forwarding.clear(&filter, snap.as_deref());
            Ok(format!("{n} sessions cleared\n"))
        }
        Op::ShowSecurityNatResourceUsage => match rest {
            [pool] => nat_resource_usage(sup, pool).await,
            _ => Err(unknown()),
        },
        Op::ShowSecurityNatSource => nat(sup, "source", rest).await,
        Op::ShowSecurityNatDestination => nat(sup, "destination", rest).await,
        Op::ShowSecurityNatStatic => nat(sup, "static", rest).await,
        Op::ShowRoute => Ok(routes(sup, rest.first().copied()).await),
        Op::ShowSystemCommit => commits(sup).await,
        Op::ShowSystemUptime => Ok(uptime(sup).await),
        Op::ShowSystemDataplane => Ok(dataplane(sup).await),
        Op::ShowSystemSoftware => super::software::show(sup).await,
        Op::RequestSystemSoftwareRollback => super::software::rollback(sup, rest).await,
        Op::ShowLog => match rest.first() {
            Some(name) => match super::syslog::read(&sup.log_dir, name) {
                Some(file) => file,
                // xpfd's own recent log stands in for the files syslog keeps.
                None if *name == "messages" => Ok(sup.logs.lines().join("\n") + "\n"),
                None => Err(format!("error: could not resolve file: {name}")),
            },
            None => Ok(sup.logs.lines().join("\n") + "\n"),
        },
        // Streamed: `run_streaming` takes these before they reach here.
        Op::RequestSystemSoftwareAdd | Op::RequestSystemInstallDisk => Err(format!(
            "{}: runs with progress (the Run call)",
            words.join(" ")
        )),
        // The CLI's own: mode changes, local tools, confirmations.
        Op::Configure
        | Op::Exit
        | Op::Quit
        | Op::File
        | Op::Ping
        | Op::Traceroute
        | Op::StartShell
        | Op::RequestSystemHalt
        | Op::RequestSystemReboot => Err(format!("{}: runs in the CLI", words.join(" "))),
    }
}

pub use super::software::Say;

/// Runs any operational command; one that may take long (an update, an
/// install) tells `say` each step. Other commands run as [`run`] runs them.
pub async fn run_streaming(sup: &Supervisor, words: &[String], say: Say) -> Result<String, String> {
    let w: Vec<&str> = words.iter().map(String::as_str).collect();
    match w.as_slice() {
        ["request", "system", "software", "add", rest @ ..] => {
            super::software::add(sup, rest, say).await
        }
        ["request", "system", "install", "disk", device] => {
            super::software::install_disk(sup, device, say).await
        }
        _ => run(sup, words).await,
    }
}

/// Why a live view is empty: the dataplane is not running, and why not.
fn not_running(sup: &Supervisor, what: &str) -> String {
    let why = sup.forwarding.running().err().unwrap_or_default();
    format!("not available: {what} lives in the dataplane, which is not running ({why})")
}

/// How `show|clear security flow session` shows what it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionLayout {
    /// The default: two lines a session.
    Brief,
    /// `extensive`.
    Extensive,
    /// `summary`: counts only.
    Summary,
}

/// Reads the words after `show|clear security flow session`: filters with
/// their values, then at most one layout word (`all` is clear's "every
/// session"). `ifindex` finds an interface by Junos name.
pub fn session_words(
    words: &[&str],
    ifindex: &dyn Fn(&str) -> Option<u32>,
) -> Result<(xpf_dataplane::SessionFilter, SessionLayout), String> {
    let mut filter = xpf_dataplane::SessionFilter::default();
    let mut layout = SessionLayout::Brief;
    let mut it = words.iter();
    while let Some(&w) = it.next() {
        match w {
            "brief" | "all" => layout = SessionLayout::Brief,
            "extensive" => layout = SessionLayout::Extensive,
            "summary" => layout = SessionLayout::Summary,
            _ if xpf_dataplane::FILTER_WORDS.iter().any(|(f, _)| *f == w) => {
                let value = it.next().ok_or_else(|| {
                    let what = xpf_dataplane::FILTER_WORDS
                        .iter()
                        .find(|(f, _)| *f == w)
                        .map_or("a value", |(_, v)| v);
                    format!("{w} needs {what}")
                })?;
                filter.set(w, value, ifindex)?;
            }
            _ => return Err(format!("syntax error: unexpected '{w}'")),
        }
    }
    Ok((filter, layout))
}

/// Finds interfaces by Junos unit name in the kernel's table as it is now.
async fn ifindex_of(sup: &Supervisor) -> impl Fn(&str) -> Option<u32> {
    let table = sup.interfaces.table().await;
    move |name: &str| table.by_name(name).map(|e| e.ifindex)
}

async fn host_name(sup: &Supervisor) -> String {
    sup.active
        .read()
        .await
        .as_ref()
        .and_then(|m| m.system.host_name.clone())
        .unwrap_or_else(|| "xpf".into())
}

async fn version(sup: &Supervisor) -> String {
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let image = match (
        super::software::os_release("IMAGE_ID"),
        super::software::os_release("IMAGE_VERSION"),
    ) {
        (Some(id), Some(v)) if id == "xpf" => match xpf_update::booted_slot() {
            Some(slot) => format!("xpf image {v}, slot {slot}"),
            None => format!("xpf image {v}"),
        },
        _ => "none (not booted from an xpf image)".into(),
    };
    format!(
        "Hostname: {}\nModel: xpf\nxpf: {}\nImage: {image}\nKernel: Linux {}\n",
        host_name(sup).await,
        env!("CARGO_PKG_VERSION"),
        kernel.trim()
    )
}

async fn configuration(sup: &Supervisor, path: &[&str]) -> Result<String, String> {
    let db = sup.db.lock().await;
    let cfg = db.active();
    let mut out = String::new();
    if path.is_empty() {
        if let Ok(h) = db.history() {
            if let Some(last) = h.first() {
                let _ = writeln!(
                    out,
                    "## Last commit: {} by {}",
                    clock::format(last.time),
                    last.user
                );
            }
        }
        print_statements(&cfg.statements, 0, &mut out);
        return Ok(out);
    }
    match find_path(cfg, path) {
        Some(stmts) => {
            print_statements(stmts, 0, &mut out);
            Ok(out)
        }
        None => Ok(String::new()),
    }
}

/// The statements under a path typed as words (`interfaces ge-0/0/0 unit
/// 0`). A path that ends inside a statement (`system host-name`) names that
/// statement itself.
pub fn find_path<'a>(cfg: &'a Config, path: &[&str]) -> Option<&'a [Statement]> {
    let mut level: &[Statement] = &cfg.statements;
    let mut i = 0;
    while i < path.len() {
        let rest = &path[i..];
        let pos = level.iter().position(|s| {
            let n = s.words.len().min(rest.len());
            s.words.iter().zip(rest).take(n).all(|(w, p)| w.text == *p)
        })?;
        let st = &level[pos];
        // A path ending inside a statement's words, or at a leaf, names the
        // statement; one ending at a block names what the block holds.
        if rest.len() < st.words.len() || st.children.is_none() {
            return Some(std::slice::from_ref(st));
        }
        i += st.words.len();
        level = st.kids();
    }
    Some(level)
}

/// `display json` of the statements under a path.
pub fn json_at(cfg: &Config, path: &[&str]) -> String {
    let stmts = find_path(cfg, path).unwrap_or_default();
    xpf_config::print_json(&Config {
        statements: stmts.to_vec(),
    })
}

/// `display set` of the statements under a path.
pub fn set_at(cfg: &Config, path: &[&str]) -> String {
    let Some(stmts) = find_path(cfg, path) else {
        return String::new();
    };
    let prefix = if path.is_empty() {
        String::new()
    } else {
        format!("{} ", path.join(" "))
    };
    let mut out = String::new();
    for st in stmts {
        xpf_config::set_lines(st, &prefix, &mut out);
    }
    if path.is_empty() {
        return print_set(cfg);
    }
    out
}

/// A counter from /sys/class/net/<if>/statistics.
fn sys_counter(linux: &str, name: &str) -> u64 {
    std::fs::read_to_string(format!("/sys/class/net/{linux}/statistics/{name}"))
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// `show interfaces [name]`: the detailed view, from the kernel's state.
async fn interfaces_detail(sup: &Supervisor, only: Option<&str>) -> String {
    let model = sup.active.read().await;
    let zone_of = |unit: &str| -> String {
        model
            .as_ref()
            .and_then(|m| {
                m.zones
                    .iter()
                    .find(|z| z.interfaces.iter().any(|i| i.name == unit))
            })
            .map(|z| z.name.clone())
            .unwrap_or_else(|| "Null".into())
    };
    let mut out = String::new();
    for link in sup.interfaces.state().await {
        if only.is_some_and(|o| {
            o != link.junos_name && !o.starts_with(&format!("{}.", link.junos_name))
        }) {
            continue;
        }
        let enabled = if link.admin_up {
            "Enabled"
        } else {
            "Administratively down"
        };
        let up = if link.link_up { "Up" } else { "Down" };
        let _ = writeln!(
            out,
            "Physical interface: {}, {enabled}, Physical link is {up}",
            link.junos_name
        );
        let _ = writeln!(out, "  Interface index: {}", link.index);
        if let Some(d) = &link.description {
            let _ = writeln!(out, "  Description: {d}");
        }
        let _ = writeln!(out, "  Link-level type: Ethernet, MTU: {}", link.mtu);
        let mac = std::fs::read_to_string(format!("/sys/class/net/{}/address", link.linux_name))
            .unwrap_or_default();
        let _ = writeln!(out, "  Current address: {}", mac.trim());
        let _ = writeln!(
            out,
            "  Input packets : {}\n  Output packets: {}",
            sys_counter(&link.linux_name, "rx_packets"),
            sys_counter(&link.linux_name, "tx_packets")
        );
        for unit in &link.units {
            if only.is_some_and(|o| o.contains('.') && o != unit.name) {
                continue;
            }
            let _ = writeln!(out, "\n  Logical interface {}", unit.name);
            let _ = writeln!(out, "    Security: Zone: {}", zone_of(&unit.name));
            for (family, addrs) in [("inet", &unit.inet), ("inet6", &unit.inet6)] {
                if addrs.is_empty() {
                    continue;
                }
                let _ = writeln!(out, "    Protocol {family}, MTU: {}", link.mtu);
                for a in addrs {
                    let _ = writeln!(out, "      Addresses\n        Local: {a}");
                }
            }
        }
        out.push('\n');
    }
    out
}

async fn interfaces(sup: &Supervisor, rest: &[&str]) -> Result<String, String> {
    let only: Option<&str> = rest
        .iter()
        .copied()
        .find(|w| *w != "terse" && *w != "detail");
    let state = sup.interfaces.state().await;
    // As on Junos: a name that is neither a link nor one of its units.
    if let Some(o) = only {
        let known = state
            .iter()
            .any(|l| l.junos_name == o || l.units.iter().any(|u| u.name == o));
        if !known {
            return Err(format!("error: device {o} not found"));
        }
    }
    if !rest.contains(&"terse") {
        return Ok(interfaces_detail(sup, only).await);
    }
    let mut out =
        String::from("Interface               Admin Link Proto    Local                 Remote\n");
    for link in &state {
        if only
            .is_some_and(|o| o != link.junos_name && !link.junos_name.starts_with(&format!("{o}.")))
        {
            continue;
        }
        let admin = if link.admin_up { "up" } else { "down" };
        let oper = if link.link_up { "up" } else { "down" };
        let _ = writeln!(out, "{:<24}{:<6}{}", link.junos_name, admin, oper);
        for unit in &link.units {
            let _ = write!(out, "{:<24}{:<6}{:<5}", unit.name, admin, oper);
            let mut first = true;
            for (family, addrs) in [("inet", &unit.inet), ("inet6", &unit.inet6)] {
                for (k, a) in addrs.iter().enumerate() {
                    if !first {
                        out.push_str(&" ".repeat(35));
                    }
                    let fam = if k == 0 { family } else { "" };
                    let _ = writeln!(out, "{fam:<9}{a}");
                    first = false;
                }
            }
            if first {
                out.push('\n');
            }
        }
    }
    Ok(out)
}

fn mac_text(mac: [u8; 6]) -> String {
    mac.iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// `show arp [no-resolve]`: the kernel's IPv4 neighbours in Junos' layout
/// (names are the addresses: xpf does not resolve them).
async fn arp(sup: &Supervisor, no_resolve: bool) -> String {
    let rows: Vec<_> = sup
        .interfaces
        .neighbour_table()
        .await
        .into_iter()
        .filter(|(n, _)| n.addr.is_ipv4())
        .collect();
    let mut out = if no_resolve {
        String::from("MAC Address       Address         Interface                Flags\n")
    } else {
        String::from(
            "MAC Address       Address         Name                      Interface                Flags\n",
        )
    };
    for (n, unit) in &rows {
        let flags = if n.state == "permanent" {
            "permanent"
        } else {
            "none"
        };
        let addr = n.addr.to_string();
        if no_resolve {
            let _ = writeln!(
                out,
                "{:<18}{:<16}{:<25}{flags}",
                mac_text(n.mac),
                addr,
                unit
            );
        } else {
            let _ = writeln!(
                out,
                "{:<18}{:<16}{:<26}{:<25}{flags}",
                mac_text(n.mac),
                addr,
                addr,
                unit
            );
        }
    }
    let _ = writeln!(out, "Total entries: {}", rows.len());
    out
}

/// `show ipv6 neighbors`: the kernel's IPv6 neighbours in Junos' layout.
/// The kernel does not say when an entry expires: `Exp` is `-`.
async fn ipv6_neighbors(sup: &Supervisor) -> String {
    let rows: Vec<_> = sup
        .interfaces
        .neighbour_table()
        .await
        .into_iter()
        .filter(|(n, _)| n.addr.is_ipv6())
        .collect();
    let mut out = String::from(
        "IPv6 Address                 Linklayer Address  State       Exp   Rtr  Secure  Interface\n",
    );
    for (n, unit) in &rows {
        let _ = writeln!(
            out,
            "{:<29}{:<19}{:<12}{:<6}{:<5}{:<8}{unit}",
            n.addr.to_string(),
            mac_text(n.mac),
            n.state,
            "-",
            if n.router { "yes" } else { "no" },
            "no"
        );
    }
    let _ = writeln!(out, "Total entries: {}", rows.len());
    out
}

/// `show chassis hardware`: what xpf runs on, in Junos' inventory layout.
/// The chassis serial is the machine's (DMI), else its machine-id.
async fn chassis_hardware(sup: &Supervisor) -> String {
    let read = |p: &str| std::fs::read_to_string(p).map(|s| s.trim().to_string());
    let serial = read("/sys/class/dmi/id/product_serial")
        .ok()
        .filter(|s| !s.is_empty() && s != "0")
        .or_else(|| read("/etc/machine-id").ok())
        .unwrap_or_default();
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let memory_gib = read("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        })
        .map_or(0, |kib| kib.div_ceil(1 << 20));
    let mut out = String::from("Hardware inventory:\n");
    out.push_str("Item             Version  Part number  Serial number     Description\n");
    let row = |out: &mut String, item: &str, serial: &str, description: &str| {
        let _ = writeln!(
            out,
            "{item:<17}{:<9}{:<13}{serial:<18}{description}",
            "", ""
        );
    };
    row(&mut out, "Chassis", &serial, "XPF");
    row(
        &mut out,
        "Routing Engine",
        "",
        &format!("XPF-{cpus}CPU-{memory_gib}G memory"),
    );
    row(&mut out, "FPC 0", "", "FPC");
    let ports = sup
        .interfaces
        .state()
        .await
        .iter()
        .filter(|l| l.junos_name.starts_with("ge-"))
        .count();
    row(&mut out, "  PIC 0", "", &format!("{ports}x 1GE virtual"));
    out
}

/// `show route [prefix]`: the kernel's main table in Junos' layout.
async fn routes(sup: &Supervisor, only: Option<&str>) -> String {
    use xpf_netlink::{RouteKind, XPF_ROUTE_PROTOCOL};
    let mut table = sup.interfaces.route_table().await;
    table.retain(|(r, _)| {
        r.kind != RouteKind::Other && !(r.prefix.addr.is_ipv6() && r.prefix.is_ipv6_link_local())
    });
    if let Some(o) = only {
        table.retain(|(r, _)| r.prefix.to_string() == o || r.prefix.addr.to_string() == o);
    }
    table.sort_by(|a, b| {
        (a.0.prefix.addr, a.0.prefix.prefix_len).cmp(&(b.0.prefix.addr, b.0.prefix.prefix_len))
    });
    let mut out = String::new();
    for (family, v6) in [("inet.0", false), ("inet6.0", true)] {
        let rows: Vec<_> = table
            .iter()
            .filter(|(r, _)| r.prefix.addr.is_ipv6() == v6)
            .collect();
        if rows.is_empty() {
            continue;
        }
        let n = rows.len();
        let _ = writeln!(
            out,
            "\n{family}: {n} destinations, {n} routes ({n} active, 0 holddown, 0 hidden)"
        );
        out.push_str("+ = Active Route, - = Last Active, * = Both\n\n");
        for (r, via) in rows {
            let proto = match (r.protocol, r.gateway) {
                (XPF_ROUTE_PROTOCOL, _) => "Static/5".to_string(),
                (_, None) if r.kind == RouteKind::Unicast => "Direct/0".to_string(),
                (p, _) => format!("Kernel/{p}"),
            };
            let _ = writeln!(out, "{:<19}*[{proto}]", r.prefix.to_string());
            let pad = " ".repeat(20);
            let via = via.clone().unwrap_or_default();
            let _ = match (r.kind, r.gateway) {
                (RouteKind::Blackhole, _) => writeln!(out, "{pad}Discard"),
                (RouteKind::Unreachable, _) => writeln!(out, "{pad}Reject"),
                (_, Some(gw)) => writeln!(out, "{pad}>  to {gw} via {via}"),
                (_, None) => writeln!(out, "{pad}>  via {via}"),
            };
        }
    }
    out
}

/// `show system dataplane`: what is compiled, and what forwards.
async fn dataplane(sup: &Supervisor) -> String {
    let snap = sup.snapshot.read().await.clone();
    super::dataplane_status::render(snap.as_deref(), &sup.forwarding.status())
}

/// `show security policies hit-count`, from the workers' counters.
async fn hit_count(sup: &Supervisor) -> Result<String, String> {
    if !sup.forwarding.is_running() {
        return Err(not_running(sup, "policy hit counters"));
    }
    let snap = sup
        .snapshot
        .read()
        .await
        .clone()
        .ok_or("no configuration applied")?;
    let counters = sup.forwarding.counters();
    Ok(xpf_forward::show::hit_count(snap.policies(), &counters))
}

/// `show security flow session [filters] [brief|extensive|summary]`.
async fn flow_sessions(sup: &Supervisor, rest: &[&str]) -> Result<String, String> {
    if !sup.forwarding.is_running() {
        return Err(not_running(sup, "the session table"));
    }
    let (filter, layout) = session_words(rest, &ifindex_of(sup).await)?;
    let snap = sup.snapshot.read().await.clone();
    let list = sup.forwarding.sessions(&filter, snap.as_deref());
    if layout == SessionLayout::Summary {
        let max = snap.as_ref().map_or(0, |s| s.session_capacity());
        return Ok(xpf_forward::show::summary(&list, max));
    }
    let table = sup.interfaces.table().await;
    let name = |i: u32| {
        table
            .by_ifindex(i)
            .map_or_else(|| i.to_string(), |e| e.name.clone())
    };
    Ok(match layout {
        SessionLayout::Extensive => xpf_forward::show::extensive(&list, &name),
        _ => xpf_forward::show::sessions(&list, &name),
    })
}

/// `show security nat source|destination|static summary|pool|rule`: the
/// active configuration's NAT, with the dataplane's counters when it runs.
async fn nat(sup: &Supervisor, kind: &str, rest: &[&str]) -> Result<String, String> {
    use xpf_dataplane::NatKind;
    use xpf_forward::show::nat::{render, NatView};
    let kind = match kind {
        "source" => NatKind::Source,
        "destination" => NatKind::Destination,
        "static" => NatKind::Static,
        other => return Err(format!("syntax error: unexpected '{other}'")),
    };
    let view = NatView::parse(rest)?;
    // A summary shows no sessions: do not collect them.
    let sessions = view != NatView::Summary;
    with_nat_live(sup, sessions, |model, live| {
        render(model, kind, &view, live)
    })
    .await
}

/// `show security nat resource-usage source-pool <name>|all`: ports in use
/// per pool address, from the live sessions.
async fn nat_resource_usage(sup: &Supervisor, pool: &str) -> Result<String, String> {
    let only = (pool != "all").then_some(pool);
    with_nat_live(sup, true, |model, live| {
        xpf_forward::show::nat::resource_usage(model, only, live)
    })
    .await
}

/// Runs a NAT view over the active model and, when a dataplane runs, its
/// NAT counters and (`sessions`) its sessions.
async fn with_nat_live(
    sup: &Supervisor,
    sessions: bool,
    view: impl FnOnce(&Model, Option<&xpf_forward::show::nat::Live<'_>>) -> Result<String, String>,
) -> Result<String, String> {
    use xpf_forward::show::nat::Live;
    let guard = sup.active.read().await;
    let model = guard.as_ref().ok_or("no active configuration")?;
    let snap = sup.snapshot.read().await.clone();
    match snap.filter(|_| sup.forwarding.is_running()) {
        Some(snap) => {
            let counters = sup.forwarding.counters();
            let sessions = if sessions {
                sup.forwarding.sessions(&Default::default(), Some(&snap))
            } else {
                Vec::new()
            };
            let live = Live {
                rules: snap.nat_rules(),
                hits: &counters.nat_rules,
                sessions: &sessions,
            };
            view(model, Some(&live))
        }
        None => view(model, None),
    }
}

async fn zones(sup: &Supervisor, only: Option<&str>) -> Result<String, String> {
    let guard = sup.active.read().await;
    let model = guard.as_ref().ok_or("no active configuration")?;
    let mut out = String::new();
    for z in model
        .zones
        .iter()
        .filter(|z| only.is_none_or(|o| o == z.name))
    {
        let _ = writeln!(out, "\nSecurity zone: {}", z.name);
        let _ = writeln!(
            out,
            "  Send reset for non-SYN session TCP packets: {}",
            if z.tcp_rst { "On" } else { "Off" }
        );
        let _ = writeln!(out, "  Policy configurable: Yes");
        if let Some(s) = &z.screen {
            let _ = writeln!(out, "  Screen: {s}");
        }
        let _ = writeln!(out, "  Interfaces bound: {}", z.interfaces.len());
        let _ = writeln!(out, "  Interfaces:");
        for i in &z.interfaces {
            let _ = writeln!(out, "    {}", i.name);
        }
    }
    Ok(out)
}

fn policy_lines(out: &mut String, index: usize, seq: usize, p: &xpf_model::Policy) {
    let _ = writeln!(
        out,
        "  Policy: {}, State: enabled, Index: {index}, Scope Policy: 0, Sequence number: {seq}",
        p.name
    );
    let _ = writeln!(
        out,
        "    Source addresses: {}",
        p.matching.source_addresses.join(", ")
    );
    let _ = writeln!(
        out,
        "    Destination addresses: {}",
        p.matching.destination_addresses.join(", ")
    );
    let _ = writeln!(
        out,
        "    Applications: {}",
        p.matching.applications.join(", ")
    );
    let mut action = format!("{:?}", p.then.action).to_lowercase();
    if p.then.log_session_init || p.then.log_session_close {
        action.push_str(", log");
    }
    if p.then.count {
        action.push_str(", count");
    }
    let _ = writeln!(out, "    Action: {action}");
}

async fn policies(sup: &Supervisor) -> Result<String, String> {
    let guard = sup.active.read().await;
    let model: &Model = guard.as_ref().ok_or("no active configuration")?;
    let default = match model.policies.default_policy {
        xpf_model::DefaultPolicy::DenyAll => "deny-all",
        xpf_model::DefaultPolicy::PermitAll => "permit-all",
    };
    let mut out = format!("Default policy: {default}\n");
    let mut index = 4; // Junos numbers user policies from 4
    for pair in &model.policies.zone_pairs {
        let _ = writeln!(
            out,
            "From zone: {}, To zone: {}",
            pair.from_zone, pair.to_zone
        );
        for (seq, p) in pair.policies.iter().enumerate() {
            policy_lines(&mut out, index, seq + 1, p);
            index += 1;
        }
    }
    if !model.policies.global.is_empty() {
        out.push_str("Global policies:\n");
        for (seq, p) in model.policies.global.iter().enumerate() {
            policy_lines(&mut out, index, seq + 1, p);
            index += 1;
        }
    }
    Ok(out)
}

async fn commits(sup: &Supervisor) -> Result<String, String> {
    let db = sup.db.lock().await;
    let pending = db.pending_confirm().map_err(|e| e.to_string())?;
    let mut out = String::new();
    if let Some(why) = &*sup.refused_seed.lock().unwrap_or_else(|e| e.into_inner()) {
        for line in why.lines() {
            let _ = writeln!(out, "error: {line}");
        }
    }
    for (n, rev) in db.history().map_err(|e| e.to_string())?.iter().enumerate() {
        let _ = write!(
            out,
            "{n:<4}{} by {} via {}",
            clock::format(rev.time),
            rev.user,
            rev.client
        );
        if n == 0 {
            if let Some(p) = pending.filter(|p| p.seq == rev.seq) {
                let left = p.deadline.saturating_sub(clock::now()).div_ceil(60);
                let _ = write!(out, " commit confirmed, rollback in {left}mins");
            }
        }
        out.push('\n');
        if let Some(c) = &rev.comment {
            let _ = writeln!(out, "    {c}");
        }
    }
    Ok(out)
}

async fn uptime(sup: &Supervisor) -> String {
    let now = clock::now();
    let boot = std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|s| {
            s.split_whitespace()
                .next()
                .and_then(|v| v.parse::<f64>().ok())
        })
        .map(|up| now.saturating_sub(up as u64))
        .unwrap_or(now);
    let started = sup
        .started
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(now);
    let mut out = format!("Current time: {}\n", clock::format(now));
    let _ = writeln!(
        out,
        "System booted: {} ({} ago)",
        clock::format(boot),
        clock::ago(now - boot)
    );
    let _ = writeln!(
        out,
        "Protocols started: {} ({} ago)",
        clock::format(started),
        clock::ago(now.saturating_sub(started))
    );
    if let Ok(h) = sup.db.lock().await.history() {
        if let Some(last) = h.first() {
            let _ = writeln!(
                out,
                "Last configured: {} ({} ago) by {}",
                clock::format(last.time),
                clock::ago(now.saturating_sub(last.time)),
                last.user
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The CLI's filter words and the ones the session filter parses are
    /// one list.
    #[test]
    fn session_filter_words_are_one_list() {
        let mut cli = xpf_api::ops::session_filter_words();
        let mut parsed: Vec<&str> = xpf_dataplane::FILTER_WORDS
            .iter()
            .map(|(w, _)| *w)
            .collect();
        cli.sort_unstable();
        parsed.sort_unstable();
        assert_eq!(cli, parsed);
    }

    fn words(line: &str) -> Result<(xpf_dataplane::SessionFilter, SessionLayout), String> {
        let w: Vec<&str> = line.split_whitespace().collect();
        session_words(&w, &|n: &str| (n == "ge-0/0/1.0").then_some(3))
    }

    #[test]
    fn session_filters_parse() {
        let (f, layout) = words(
            "source-prefix 10.0.1.0/24 destination-prefix 2001:db8::1 source-port 40000 \
             destination-port 80 protocol tcp application junos-http interface ge-0/0/1 \
             session-identifier 42 summary",
        )
        .unwrap();
        assert_eq!(layout, SessionLayout::Summary);
        assert_eq!(f.source.unwrap().to_string(), "10.0.1.0/24");
        assert_eq!(f.destination.unwrap().len, 128);
        assert_eq!((f.source_port, f.destination_port), (Some(40000), Some(80)));
        assert_eq!(f.protocol, Some(6));
        assert_eq!(f.application.as_deref(), Some("junos-http"));
        assert_eq!(f.interface, Some(3), "ge-0/0/1 means its unit 0");
        assert_eq!(f.id, Some(42));
        assert_eq!(words("protocol 47").unwrap().0.protocol, Some(47));
        assert_eq!(words("protocol icmpv6").unwrap().0.protocol, Some(58));
        assert_eq!(words("").unwrap().1, SessionLayout::Brief);
        assert_eq!(words("extensive").unwrap().1, SessionLayout::Extensive);
        assert_eq!(words("all").unwrap().0, Default::default());
    }

    #[test]
    fn bad_session_filters_say_why() {
        assert_eq!(
            words("destination-port 0").unwrap_err(),
            "invalid destination-port '0': expected a port number (1-65535)"
        );
        assert_eq!(
            words("source-port 70000").unwrap_err(),
            "invalid source-port '70000': expected a port number (1-65535)"
        );
        assert_eq!(
            words("source-prefix 10.0.0.300").unwrap_err(),
            "invalid source-prefix '10.0.0.300': expected an address or prefix"
        );
        assert!(words("protocol bogus")
            .unwrap_err()
            .starts_with("invalid protocol 'bogus'"));
        assert_eq!(
            words("interface ge-9/9/9").unwrap_err(),
            "invalid interface 'ge-9/9/9': no such interface"
        );
        assert_eq!(
            words("session-identifier x").unwrap_err(),
            "invalid session-identifier 'x': expected a session identifier"
        );
        assert_eq!(
            words("destination-port").unwrap_err(),
            "destination-port needs a port number (1-65535)"
        );
        assert_eq!(
            words("bogus").unwrap_err(),
            "syntax error: unexpected 'bogus'"
        );
    }
}
