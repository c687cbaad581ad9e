// SPDX-License-Identifier: Apache-2.0
//! Refusals that depend on values, not statements: the schema marks
//! statements (`@pending`, `@opaque`), but a `reth0` interface or a
//! `next-hop st0.0` is an ordinary statement whose value names something
//! xpf does not run yet. Commit refuses them by name rather than leave
//! them configured and doing nothing.

use std::net::IpAddr;

use xpf_config::{Config, Diagnostic, Severity, Statement};

/// Every value-dependent refusal in an effective configuration.
pub(crate) fn refused(cfg: &Config) -> Vec<Diagnostic> {
    let mut out = cluster_interfaces(cfg);
    out.extend(interface_next_hops(cfg));
    out
}

fn refusal(path: &[&str], st: &Statement, text: String, why: &str) -> Diagnostic {
    let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
    Diagnostic::at(
        Severity::Unsupported,
        Some(st.span),
        &path,
        text,
        format!("statement not supported by xpf: {why}"),
    )
}

fn top<'a>(cfg: &'a Config, kw: &'a str) -> impl Iterator<Item = &'a Statement> {
    cfg.statements.iter().filter(move |s| s.keyword() == kw)
}

/// `reth*` and `fab*` interfaces: the model reads them for the chassis
/// cluster, which xpf does not run yet.
fn cluster_interfaces(cfg: &Config) -> Vec<Diagnostic> {
    top(cfg, "interfaces")
        .flat_map(|i| i.kids())
        .filter(|st| {
            let name = st.keyword();
            st.words.len() == 1 && (name.starts_with("reth") || name.starts_with("fab"))
        })
        .map(|st| {
            refusal(
                &["interfaces"],
                st,
                st.text(),
                "redundant Ethernet and fabric interfaces come with the chassis cluster",
            )
        })
        .collect()
}

/// Static routes through an interface (`next-hop st0.0`): xpf installs
/// routes through neighbours' addresses only, until tunnels land.
fn interface_next_hops(cfg: &Config) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for ro in top(cfg, "routing-options") {
        let tables = ro
            .kids()
            .iter()
            .filter(|s| s.keyword() == "rib")
            .flat_map(|rib| rib.kids())
            .chain(ro.kids());
        for st in tables.filter(|s| s.keyword() == "static") {
            for route in st.kids().iter().filter(|r| r.keyword() == "route") {
                let path = ["routing-options".to_string(), st.text(), route.text()];
                let path: Vec<&str> = path.iter().map(String::as_str).collect();
                // `route P next-hop X preference 5;` holds one value per
                // keyword; `next-hop [ X Y ];` and `qualified-next-hop X { }`
                // are children.
                let words: Vec<&str> = route.words.iter().map(|w| w.text.as_str()).collect();
                let inline = words.windows(2).filter(|p| is_next_hop(p[0])).map(|p| p[1]);
                let nested = route
                    .kids()
                    .iter()
                    .filter(|c| is_next_hop(c.keyword()))
                    .flat_map(|c| c.words.iter().skip(1).chain(c.list.iter().flatten()))
                    .map(|w| w.text.as_str());
                let names = inline
                    .chain(nested)
                    .filter(|w| w.parse::<IpAddr>().is_err());
                for name in names {
                    out.push(refusal(
                        &path,
                        route,
                        format!("next-hop {name}"),
                        "routes through an interface come with tunnels (st0)",
                    ));
                }
            }
        }
    }
    out
}

fn is_next_hop(kw: &str) -> bool {
    kw == "next-hop" || kw == "qualified-next-hop"
}
