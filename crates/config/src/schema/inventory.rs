// SPDX-License-Identifier: Apache-2.0
//! Every statement of the schema by path and by what `commit` does with it:
//! the source of the statement audit (`schema/statements.txt`,
//! `docs/statements.md`).
//!
//! A path is the pattern words from the top joined by spaces, placeholders
//! written as in the schema file except enums, which are `<enum>` (their
//! `|` would split a table cell).

use super::{Node, NodeId, Schema, Support, Token, ValueType, GROUPS, ROOT};

/// What an inventory entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Implemented, with no refused or inert ancestor: it must be shown to
    /// work (listed in `statements.txt`).
    Implemented,
    /// Stands for a group of implemented siblings (see [`FOLDS`]).
    Folded,
    /// `@pending`: refused until the step that builds it lands.
    Pending,
    /// `@inert`: accepted with a warning.
    Inert,
    /// `@opaque`: refused, subtree undescribed.
    Opaque,
}

/// One statement of the inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Its path, e.g. `system host-name <string>`.
    pub path: String,
    /// What commit does with it.
    pub kind: Kind,
    /// The schema's help text.
    pub help: String,
}

/// Implemented siblings that repeat one shape under several parents, listed
/// as one entry per parent so the audit stays readable.
pub struct Fold {
    /// Last words of the parents whose children fold.
    pub parent_suffix: &'static str,
    /// The word standing for the folded children in the entry's path.
    pub label: &'static str,
    /// Which children fold (`None`: all of them, with their subtrees).
    pub members: Option<&'static [&'static str]>,
    /// The entry's help.
    pub help: &'static str,
}

/// The syslog facilities, repeated under each destination.
pub const FACILITIES: &[&str] = &[
    "any",
    "authorization",
    "daemon",
    "ftp",
    "ntp",
    "security",
    "kernel",
    "user",
    "dfc",
    "external",
    "firewall",
    "pfe",
    "conflict-log",
    "change-log",
    "interactive-commands",
];

/// The folds: syslog facilities under `host` and `file` (`user` is
/// `@pending`), and the service
/// and protocol names (each with its `except`) of host-inbound traffic at
/// zone and interface level.
pub const FOLDS: &[Fold] = &[
    Fold {
        parent_suffix: "syslog host <string>",
        label: "<facility>",
        members: Some(FACILITIES),
        help: "Severity of one facility (any, authorization, daemon, ...)",
    },
    Fold {
        parent_suffix: "syslog file <string>",
        label: "<facility>",
        members: Some(FACILITIES),
        help: "Severity of one facility (any, authorization, daemon, ...)",
    },
    Fold {
        parent_suffix: "host-inbound-traffic system-services",
        label: "<service>",
        members: None,
        help: "One service name (all, ssh, ping, ...), optionally with except",
    },
    Fold {
        parent_suffix: "host-inbound-traffic protocols",
        label: "<protocol>",
        members: None,
        help: "One protocol name (all, bgp, ospf, ...), optionally with except",
    },
];

/// Every statement written in the schema file, depth first in display
/// order. The synthetic `groups` and `apply-groups` are not in it: groups
/// are expanded ([`crate::effective`]) before anything reads a statement.
/// Below a refused or inert statement nothing is listed: commit names the
/// outermost one only.
pub fn inventory(schema: &Schema) -> Vec<Entry> {
    let mut out = Vec::new();
    for &id in schema.children(ROOT) {
        if id != GROUPS {
            visit(schema, id, "", &mut out);
        }
    }
    out
}

fn visit(schema: &Schema, id: NodeId, parent: &str, out: &mut Vec<Entry>) {
    let node = schema.node(id);
    let path = join(parent, &words(node));
    let kind = match (node.support, node.opaque) {
        (Support::Implemented, _) => Kind::Implemented,
        (Support::NoEffect, _) => Kind::Inert,
        (Support::Refused, true) => Kind::Opaque,
        (Support::Refused, false) => Kind::Pending,
    };
    out.push(Entry {
        path: path.clone(),
        kind,
        help: node.help.clone(),
    });
    if kind != Kind::Implemented {
        return;
    }
    let fold = FOLDS.iter().find(|f| path.ends_with(f.parent_suffix));
    let mut folded = false;
    for &c in schema.children(id) {
        let member = fold.filter(|f| {
            let k = schema.node(c).keyword().unwrap_or_default();
            f.members.is_none_or(|m| m.contains(&k))
        });
        match member {
            // A folded child still owes its refusal when it is marked.
            Some(f) if schema.node(c).support == Support::Implemented => {
                if !folded {
                    folded = true;
                    out.push(Entry {
                        path: join(&path, f.label),
                        kind: Kind::Folded,
                        help: f.help.to_string(),
                    });
                }
            }
            _ => visit(schema, c, &path, out),
        }
    }
}

fn join(parent: &str, words: &str) -> String {
    if parent.is_empty() {
        words.to_string()
    } else {
        format!("{parent} {words}")
    }
}

/// The pattern as written in the schema, enums shortened to `<enum>`.
fn words(node: &Node) -> String {
    node.pattern
        .iter()
        .map(|t| match t {
            Token::Keyword(k) => k.clone(),
            Token::Value(v) => placeholder(v),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn placeholder(v: &ValueType) -> String {
    let inner = match v {
        ValueType::String => "string".to_string(),
        ValueType::Name => "name".to_string(),
        ValueType::Int { min, max } => format!("int:{min}-{max}"),
        ValueType::Ipv4 => "ipv4".to_string(),
        ValueType::Ipv6 => "ipv6".to_string(),
        ValueType::Ip => "ip".to_string(),
        ValueType::Ipv4Prefix => "ipv4-prefix".to_string(),
        ValueType::Ipv6Prefix => "ipv6-prefix".to_string(),
        ValueType::IpPrefix => "ip-prefix".to_string(),
        ValueType::IpOrPrefix => "ip-or-prefix".to_string(),
        ValueType::Mac => "mac".to_string(),
        ValueType::Interface => "interface".to_string(),
        ValueType::InterfaceUnit => "interface-unit".to_string(),
        ValueType::Port => "port".to_string(),
        ValueType::PortRange => "port-range".to_string(),
        ValueType::Enum(_) => "enum".to_string(),
        ValueType::Ref(kind) => format!("ref:{kind}"),
    };
    format!("<{inner}>")
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINI: &str = r#"
        system "System" {
            host-name <string> "Hostname";
            ntp @pending "NTP" { server <ip> "Server"; }
            license @inert "Licence";
            syslog "Log" {
                file <string> "Files" {
                    any <enum:any|info> "All";
                    kernel <enum:any|info> "Kernel";
                    match <string> "Regex";
                }
            }
        }
        snmp @opaque "SNMP";
    "#;

    #[test]
    fn paths_stop_at_marks_and_folds_repeat() {
        let s = Schema::from_text(MINI).expect("valid");
        let got: Vec<(String, Kind)> = inventory(&s)
            .into_iter()
            .map(|e| (e.path, e.kind))
            .collect();
        let want = [
            ("system", Kind::Implemented),
            ("system host-name <string>", Kind::Implemented),
            ("system ntp", Kind::Pending),
            ("system license", Kind::Inert),
            ("system syslog", Kind::Implemented),
            ("system syslog file <string>", Kind::Implemented),
            ("system syslog file <string> <facility>", Kind::Folded),
            (
                "system syslog file <string> match <string>",
                Kind::Implemented,
            ),
            ("snmp", Kind::Opaque),
        ];
        let want: Vec<(String, Kind)> = want.iter().map(|(p, k)| (p.to_string(), *k)).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn the_junos_paths_are_unique() {
        let all = inventory(Schema::junos());
        let mut paths: Vec<&str> = all.iter().map(|e| e.path.as_str()).collect();
        paths.sort_unstable();
        let before = paths.len();
        paths.dedup();
        assert_eq!(before, paths.len());
    }
}
