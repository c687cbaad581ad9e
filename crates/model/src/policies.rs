// SPDX-License-Identifier: Apache-2.0
//! `security policies`: ordered rules per zone pair, global rules, and the
//! default policy applied when nothing matches.

use xpf_config::{Statement, Word};

use crate::address_book::{AddressScope, ANY_ADDRESSES};
use crate::applications::ANY_APPLICATION;
use crate::check::{missing_message, undefined, Checks, Path};
use crate::read::{child, flag, kids, text, value, values_of};
use crate::zones::BUILTIN_ZONES;

/// Why a `junos-host` policy is refused.
const JUNOS_HOST_REFUSED: &str =
    "statement not supported by xpf: policies to or from junos-host are not enforced yet (host-inbound-traffic governs traffic to the box)";
use crate::Model;

/// `security policies`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Policies {
    /// `from-zone A to-zone B` contexts, in configuration order.
    pub zone_pairs: Vec<ZonePair>,
    /// `global` policies, in order.
    pub global: Vec<Policy>,
    /// `default-policy`.
    pub default_policy: DefaultPolicy,
}

/// The policies of one `from-zone A to-zone B` context.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ZonePair {
    /// Source zone.
    pub from_zone: String,
    /// Destination zone.
    pub to_zone: String,
    /// Policies, in evaluation order.
    pub policies: Vec<Policy>,
}

/// One `policy`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Policy {
    /// Its name.
    pub name: String,
    /// `description`.
    pub description: Option<String>,
    /// `match`.
    pub matching: PolicyMatch,
    /// `then`.
    pub then: PolicyThen,
}

/// A policy's `match`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicyMatch {
    /// `source-address` names.
    pub source_addresses: Vec<String>,
    /// `destination-address` names.
    pub destination_addresses: Vec<String>,
    /// `source-address-excluded`: match addresses *not* listed.
    pub source_address_excluded: bool,
    /// `destination-address-excluded`.
    pub destination_address_excluded: bool,
    /// `application` names.
    pub applications: Vec<String>,
    /// `from-zone` (global policies only; empty: any).
    pub from_zones: Vec<String>,
    /// `to-zone` (global policies only; empty: any).
    pub to_zones: Vec<String>,
}

/// A policy's `then`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicyThen {
    /// What happens to a matching session.
    pub action: PolicyAction,
    /// `log session-init`.
    pub log_session_init: bool,
    /// `log session-close`.
    pub log_session_close: bool,
    /// `count`.
    pub count: bool,
}

/// A policy action.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PolicyAction {
    /// `permit`.
    Permit,
    /// `deny`: drop silently.
    #[default]
    Deny,
    /// `reject`: drop and answer with a TCP RST or ICMP unreachable.
    Reject,
}

/// `default-policy`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DefaultPolicy {
    /// `deny-all` (the default).
    #[default]
    DenyAll,
    /// `permit-all`.
    PermitAll,
}

impl Model {
    /// The policies of a zone pair, in order (empty if none).
    pub fn policies_between(&self, from_zone: &str, to_zone: &str) -> &[Policy] {
        self.policies
            .zone_pairs
            .iter()
            .find(|p| p.from_zone == from_zone && p.to_zone == to_zone)
            .map(|p| p.policies.as_slice())
            .unwrap_or(&[])
    }

    fn zone_exists(&self, name: &str) -> bool {
        BUILTIN_ZONES.contains(&name) || self.zone(name).is_some()
    }
}

/// Reads `security policies` (`st`), resolving zones, addresses and
/// applications against `model`.
///
/// Policies to or from `junos-host` (the box itself) are refused by name:
/// xpf governs traffic to the box with host-inbound-traffic alone, and a
/// deny the user wrote must not be accepted and then not enforced.
pub(crate) fn build(st: &Statement, model: &Model, ck: &mut Checks) -> Policies {
    let path = Path::of(&["security", "policies"]);
    let mut out = Policies::default();
    for pair in kids(st, "from-zone") {
        let (Some(from), Some(to)) = (value(pair, "from-zone"), value(pair, "to-zone")) else {
            continue;
        };
        let mut scopes = [None, None];
        for (i, w) in [from, to].into_iter().enumerate() {
            if BUILTIN_ZONES.contains(&w.text.as_str()) {
                ck.error_word(&path, pair, w, JUNOS_HOST_REFUSED);
            } else if model.zone_exists(&w.text) {
                scopes[i] = Some(AddressScope::Zone(&w.text));
            } else {
                ck.error_word(&path, pair, w, undefined("zone", &w.text));
            }
        }
        let pp = path.join(pair);
        let policies = kids(pair, "policy")
            .filter_map(|p| policy(p, &pp, scopes, false, model, ck))
            .collect();
        out.zone_pairs.push(ZonePair {
            from_zone: from.text.clone(),
            to_zone: to.text.clone(),
            policies,
        });
    }
    if let Some(g) = child(st, "global") {
        let gp = path.join(g);
        let global = Some(AddressScope::Global);
        out.global = kids(g, "policy")
            .filter_map(|p| policy(p, &gp, [global, global], true, model, ck))
            .collect();
    }
    if let Some(d) = child(st, "default-policy") {
        if flag(d, "permit-all") {
            out.default_policy = DefaultPolicy::PermitAll;
        }
    }
    out
}

/// Reads one policy; `scopes` are where source and destination addresses
/// resolve (`None`: the zone is undefined, already reported).
fn policy(
    st: &Statement,
    path: &Path,
    scopes: [Option<AddressScope<'_>>; 2],
    global: bool,
    model: &Model,
    ck: &mut Checks,
) -> Option<Policy> {
    let name = st.words.get(1)?.text.clone();
    let pp = path.join(st);
    let mut p = Policy {
        name,
        description: text(value(st, "description")),
        ..Policy::default()
    };
    match child(st, "match") {
        None => ck.missing(path, st, "match"),
        Some(m) => p.matching = matching(m, &pp, scopes, global, model, ck),
    }
    match child(st, "then") {
        None => ck.missing(path, st, "then"),
        Some(t) => p.then = then(t, &pp, ck),
    }
    Some(p)
}

fn matching(
    st: &Statement,
    path: &Path,
    scopes: [Option<AddressScope<'_>>; 2],
    global: bool,
    model: &Model,
    ck: &mut Checks,
) -> PolicyMatch {
    let mp = path.join(st);
    let mut m = PolicyMatch {
        source_address_excluded: flag(st, "source-address-excluded"),
        destination_address_excluded: flag(st, "destination-address-excluded"),
        ..PolicyMatch::default()
    };
    for (kw, scope, list) in [
        ("source-address", scopes[0], &mut m.source_addresses),
        (
            "destination-address",
            scopes[1],
            &mut m.destination_addresses,
        ),
    ] {
        let Some(a) = child(st, kw) else {
            ck.missing(path, st, kw);
            continue;
        };
        for w in entry_values(a) {
            let known = ANY_ADDRESSES.contains(&w.text.as_str())
                || scope.is_none_or(|s| model.resolve_address(s, &w.text).is_some());
            if !known {
                ck.error_word(&mp, a, w, undefined("address", &w.text));
            }
            list.push(w.text.clone());
        }
    }
    match child(st, "application") {
        None => ck.missing(path, st, "application"),
        Some(a) => {
            for w in entry_values(a) {
                if w.text != ANY_APPLICATION && model.application(&w.text).is_none() {
                    ck.error_word(&mp, a, w, undefined("application", &w.text));
                }
                m.applications.push(w.text.clone());
            }
        }
    }
    if global {
        for (kw, list) in [
            ("from-zone", &mut m.from_zones),
            ("to-zone", &mut m.to_zones),
        ] {
            for w in values_of(st, kw) {
                let h = child(st, kw).unwrap_or(st);
                if BUILTIN_ZONES.contains(&w.text.as_str()) {
                    ck.error_word(&mp, h, w, JUNOS_HOST_REFUSED);
                } else if w.text != "any" && !model.zone_exists(&w.text) {
                    ck.error_word(&mp, h, w, undefined("zone", &w.text));
                }
                list.push(w.text.clone());
            }
        }
    }
    m
}

/// The values of a list statement (`source-address [ a b ]`, `source-address a`).
fn entry_values(st: &Statement) -> Vec<&Word> {
    st.words
        .iter()
        .skip(1)
        .chain(st.list.iter().flatten())
        .collect()
}

fn then(st: &Statement, path: &Path, ck: &mut Checks) -> PolicyThen {
    let actions: Vec<PolicyAction> = [
        ("permit", PolicyAction::Permit),
        ("deny", PolicyAction::Deny),
        ("reject", PolicyAction::Reject),
    ]
    .into_iter()
    .filter(|(kw, _)| flag(st, kw))
    .map(|(_, a)| a)
    .collect();
    let action = match actions.as_slice() {
        [one] => *one,
        [] => {
            ck.error(path, st, missing_message("permit', 'deny' or 'reject"));
            PolicyAction::Deny
        }
        [first, ..] => {
            ck.error(
                path,
                st,
                "only one of 'permit', 'deny' or 'reject' may be configured",
            );
            *first
        }
    };
    let log = child(st, "log");
    PolicyThen {
        action,
        log_session_init: log.is_some_and(|l| flag(l, "session-init")),
        log_session_close: log.is_some_and(|l| flag(l, "session-close")),
        count: flag(st, "count"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{build_text, errors_of};

    const BASE: &str = r#"
interfaces {
    ge-0/0/0 { unit 0 { family inet { address 192.0.2.1/24; } } }
    ge-0/0/1 { unit 0 { family inet { address 10.0.0.1/24; } } }
}
applications { application web-8080 { protocol tcp; destination-port 8080; } }
security {
    address-book { global { address lan 10.0.0.0/24; address web 192.0.2.80/32; } }
    zones {
        security-zone trust { interfaces { ge-0/0/1.0; } address-book { address admin 10.0.0.9/32; } }
        security-zone untrust { interfaces { ge-0/0/0.0; } }
    }
}
"#;

    #[test]
    fn policies_are_typed_in_order() {
        let m = build_text(&format!(
            "{BASE}security {{ policies {{
                from-zone trust to-zone untrust {{
                    policy allow-web {{
                        description \"web out\";
                        match {{ source-address [ lan admin ]; destination-address any; application [ web-8080 any ]; }}
                        then {{ permit; log {{ session-init; session-close; }} count; }}
                    }}
                    policy block {{
                        match {{ source-address any; destination-address web; destination-address-excluded; application any; }}
                        then {{ reject; }}
                    }}
                }}
                global {{
                    policy g1 {{
                        match {{ source-address lan; destination-address any; application any; from-zone trust; to-zone untrust; }}
                        then {{ deny; }}
                    }}
                }}
                default-policy {{ permit-all; }}
            }} }}"
        ));
        let ps = m.policies_between("trust", "untrust");
        assert_eq!(ps.len(), 2);
        let p = &ps[0];
        assert_eq!(p.name, "allow-web");
        assert_eq!(p.description.as_deref(), Some("web out"));
        assert_eq!(p.matching.source_addresses, ["lan", "admin"]);
        assert_eq!(p.matching.destination_addresses, ["any"]);
        assert_eq!(p.matching.applications, ["web-8080", "any"]);
        assert_eq!(
            p.then,
            PolicyThen {
                action: PolicyAction::Permit,
                log_session_init: true,
                log_session_close: true,
                count: true
            }
        );
        assert_eq!(ps[1].then.action, PolicyAction::Reject);
        assert!(ps[1].matching.destination_address_excluded);
        let g = &m.policies.global[0];
        assert_eq!(g.matching.from_zones, ["trust"]);
        assert_eq!(g.matching.to_zones, ["untrust"]);
        assert_eq!(g.then.action, PolicyAction::Deny);
        assert_eq!(m.policies.default_policy, DefaultPolicy::PermitAll);
        assert!(m.policies_between("untrust", "trust").is_empty());
    }

    #[test]
    fn an_undefined_address_is_reported_junos_style() {
        let text = format!(
            "{BASE}security {{\n policies {{\n  from-zone trust to-zone untrust {{\n   policy p1 {{\n    match {{\n     source-address [ lan undefined-addr ];\n     destination-address any;\n     application any;\n    }}\n    then {{ permit; }}\n   }}\n  }}\n }}\n}}\n"
        );
        let e = errors_of(&text);
        assert_eq!(e.len(), 1, "{e:?}");
        let d = &e[0];
        assert_eq!(
            d.path,
            [
                "security",
                "policies",
                "from-zone trust to-zone untrust",
                "policy p1",
                "match"
            ]
        );
        assert_eq!(
            d.statement.as_deref(),
            Some("source-address undefined-addr")
        );
        assert_eq!(d.message, "address 'undefined-addr' is not defined");
        let base_lines = BASE.lines().count() as u32;
        assert_eq!(d.span.map(|s| s.line), Some(base_lines + 6));
        let shown = d.to_string();
        assert!(shown.contains(
            "[edit security policies from-zone trust to-zone untrust policy p1 match]\n  'source-address undefined-addr'\n    address 'undefined-addr' is not defined"
        ), "{shown}");
    }

    #[test]
    fn addresses_resolve_in_their_own_zone() {
        // `admin` lives in trust's book: valid as a source from trust, not
        // as a destination in untrust, nor in a global policy.
        let text = format!(
            "{BASE}security {{ policies {{
                from-zone untrust to-zone trust {{ policy in {{ match {{ source-address admin; destination-address admin; application any; }} then {{ permit; }} }} }}
                global {{ policy g {{ match {{ source-address admin; destination-address any; application any; }} then {{ permit; }} }} }}
            }} }}"
        );
        let e = errors_of(&text);
        let stmts: Vec<&str> = e.iter().filter_map(|d| d.statement.as_deref()).collect();
        assert_eq!(
            stmts,
            ["source-address admin", "source-address admin"],
            "{e:?}"
        );
        assert_eq!(e[1].path[2], "global");
    }

    #[test]
    fn zones_and_applications_must_exist() {
        let text = format!(
            "{BASE}security {{ policies {{
                from-zone trust to-zone nowhere {{ policy p {{ match {{ source-address any; destination-address any; application junos-nothing; }} then {{ permit; }} }} }}
                global {{ policy g {{ match {{ source-address any; destination-address any; application any; from-zone ghost; }} then {{ permit; }} }} }}
            }} }}"
        );
        let e = errors_of(&text);
        let msgs: Vec<&str> = e.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "zone 'nowhere' is not defined",
                "application 'junos-nothing' is not defined",
                "zone 'ghost' is not defined"
            ]
        );
        assert_eq!(e[0].path, ["security", "policies"]);
        assert_eq!(
            e[0].statement.as_deref(),
            Some("from-zone trust to-zone nowhere")
        );
    }

    #[test]
    fn match_then_and_one_action_are_mandatory() {
        let text = format!(
            "{BASE}security {{ policies {{ from-zone trust to-zone untrust {{
                policy no-match {{ then {{ permit; }} }}
                policy no-then {{ match {{ source-address any; destination-address any; application any; }} }}
                policy half {{ match {{ source-address any; }} then {{ permit; deny; }} }}
                policy idle {{ match {{ source-address any; destination-address any; application any; }} then {{ log {{ session-init; }} }} }}
            }} }} }}"
        );
        let e = errors_of(&text);
        let got: Vec<(&str, &str)> = e
            .iter()
            .map(|d| (d.statement.as_deref().unwrap_or(""), d.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("policy no-match", "Missing mandatory statement: 'match'"),
                ("policy no-then", "Missing mandatory statement: 'then'"),
                (
                    "match",
                    "Missing mandatory statement: 'destination-address'"
                ),
                ("match", "Missing mandatory statement: 'application'"),
                (
                    "then",
                    "only one of 'permit', 'deny' or 'reject' may be configured"
                ),
                (
                    "then",
                    "Missing mandatory statement: 'permit', 'deny' or 'reject'"
                ),
            ]
        );
        assert_eq!(
            e[2].path,
            [
                "security",
                "policies",
                "from-zone trust to-zone untrust",
                "policy half"
            ]
        );
    }
}
