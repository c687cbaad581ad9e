// SPDX-License-Identifier: Apache-2.0
//! `applications`: user-defined applications and application-sets, and
//! Junos' predefined `junos-*` ones.
//!
//! A name resolves against user applications and sets first, then the
//! predefined ones; `any` always resolves.

use crate::index::NameIndex;
use std::collections::HashSet;
use std::sync::OnceLock;

use xpf_config::{Statement, Word};

use crate::check::{find_cycle, undefined, Checks, Path};
use crate::read::{arg, holder, kids, text, value};
use crate::Model;

/// The application name that needs no definition.
pub const ANY_APPLICATION: &str = "any";

/// Applications and application-sets.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Applications {
    /// `application` entries.
    pub applications: Vec<Application>,
    /// `application-set` entries.
    pub application_sets: Vec<ApplicationSet>,
    /// Lookup index over `applications`.
    pub(crate) application_index: NameIndex,
    /// Lookup index over `application_sets`.
    pub(crate) set_index: NameIndex,
}

/// One `application`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Application {
    /// Its name.
    pub name: String,
    /// `description`.
    pub description: Option<String>,
    /// What it matches: one unnamed term for a plain application, or its
    /// `term`s.
    pub terms: Vec<ApplicationTerm>,
}

/// One match of an application.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApplicationTerm {
    /// `term` name; `None` for a plain application's own attributes.
    pub name: Option<String>,
    /// `protocol`.
    pub protocol: Option<Protocol>,
    /// `source-port`.
    pub source_port: Option<PortRange>,
    /// `destination-port`.
    pub destination_port: Option<PortRange>,
    /// `icmp-type` or `icmp6-type`.
    pub icmp_type: Option<u8>,
    /// `icmp-code` or `icmp6-code`.
    pub icmp_code: Option<u8>,
    /// `inactivity-timeout` (the term's, else the application's).
    pub inactivity_timeout: Option<InactivityTimeout>,
    /// `application-protocol` (or a term's `alg`): the application layer
    /// gateway that handles the sessions, e.g. `ftp`.
    pub alg: Option<String>,
}

/// An IP protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// TCP (6).
    Tcp,
    /// UDP (17).
    Udp,
    /// ICMP (1).
    Icmp,
    /// ICMPv6 (58).
    Icmp6,
    /// Any other protocol, by number.
    Other(u8),
}

/// An inclusive port range (a single port has `low == high`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PortRange {
    /// First port.
    pub low: u16,
    /// Last port.
    pub high: u16,
}

/// `inactivity-timeout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InactivityTimeout {
    /// Seconds of idleness before the session ends.
    Seconds(u32),
    /// `never`.
    Never,
}

/// One `application-set`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApplicationSet {
    /// Its name.
    pub name: String,
    /// `description`.
    pub description: Option<String>,
    /// `application` members.
    pub applications: Vec<String>,
    /// `application-set` members (nested sets).
    pub application_sets: Vec<String>,
}

/// What an application name resolves to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ApplicationEntry<'a> {
    /// An `application`.
    Application(&'a Application),
    /// An `application-set`.
    Set(&'a ApplicationSet),
}

/// Protocol names Junos accepts, with their numbers.
const PROTOCOLS: &[(&str, u8)] = &[
    ("icmp", 1),
    ("igmp", 2),
    ("ipip", 4),
    ("tcp", 6),
    ("egp", 8),
    ("udp", 17),
    ("ipv6", 41),
    ("rsvp", 46),
    ("gre", 47),
    ("esp", 50),
    ("ah", 51),
    ("icmp6", 58),
    ("ipv6-icmp", 58),
    ("ospf", 89),
    ("pim", 103),
    ("vrrp", 112),
    ("sctp", 132),
];

/// ICMP type names.
const ICMP_TYPES: &[(&str, u8)] = &[
    ("echo-reply", 0),
    ("unreachable", 3),
    ("source-quench", 4),
    ("redirect", 5),
    ("echo-request", 8),
    ("router-advertisement", 9),
    ("router-solicit", 10),
    ("time-exceeded", 11),
    ("parameter-problem", 12),
    ("timestamp", 13),
    ("timestamp-reply", 14),
    ("info-request", 15),
    ("info-reply", 16),
    ("mask-request", 17),
    ("mask-reply", 18),
];

/// ICMPv6 type names.
const ICMP6_TYPES: &[(&str, u8)] = &[
    ("destination-unreachable", 1),
    ("packet-too-big", 2),
    ("time-exceeded", 3),
    ("parameter-problem", 4),
    ("echo-request", 128),
    ("echo-reply", 129),
    ("membership-query", 130),
    ("membership-report", 131),
    ("membership-termination", 132),
    ("router-solicit", 133),
    ("router-advertisement", 134),
    ("neighbor-solicit", 135),
    ("neighbor-advertisement", 136),
    ("redirect", 137),
];

impl Protocol {
    /// Reads a protocol name or number.
    pub fn parse(text: &str) -> Option<Protocol> {
        let n = match text.parse::<u8>() {
            Ok(n) => n,
            Err(_) => PROTOCOLS.iter().find(|(name, _)| *name == text)?.1,
        };
        Some(Protocol::from_number(n))
    }

    /// The protocol with this number.
    pub fn from_number(n: u8) -> Protocol {
        match n {
            6 => Protocol::Tcp,
            17 => Protocol::Udp,
            1 => Protocol::Icmp,
            58 => Protocol::Icmp6,
            other => Protocol::Other(other),
        }
    }

    /// Its IP protocol number.
    pub fn number(self) -> u8 {
        match self {
            Protocol::Tcp => 6,
            Protocol::Udp => 17,
            Protocol::Icmp => 1,
            Protocol::Icmp6 => 58,
            Protocol::Other(n) => n,
        }
    }

    /// Whether packets of the protocol carry ports.
    pub fn has_ports(self) -> bool {
        matches!(self, Protocol::Tcp | Protocol::Udp | Protocol::Other(132))
    }
}

impl PortRange {
    /// Reads `80`, `http` or `1024-65535`.
    pub fn parse(text: &str) -> Option<PortRange> {
        let (low, high) = xpf_config::schema::port_range(text)?;
        Some(PortRange { low, high })
    }
}

impl Applications {
    /// The application or application-set with this name.
    pub fn entry(&self, name: &str) -> Option<ApplicationEntry<'_>> {
        if let Some(a) = self.application(name) {
            return Some(ApplicationEntry::Application(a));
        }
        self.set(name).map(ApplicationEntry::Set)
    }

    fn application(&self, name: &str) -> Option<&Application> {
        self.application_index
            .find(&self.applications, |a| &a.name, name)
    }

    fn set(&self, name: &str) -> Option<&ApplicationSet> {
        self.set_index
            .find(&self.application_sets, |s| &s.name, name)
    }
}

impl Model {
    /// Resolves an application name: user entries first, then predefined.
    /// `any` is not an entry (see [`ANY_APPLICATION`]).
    pub fn application(&self, name: &str) -> Option<ApplicationEntry<'_>> {
        self.applications
            .entry(name)
            .or_else(|| predefined_applications().entry(name))
    }

    /// The applications a name stands for, sets flattened. `None` when the
    /// name is not defined (and for `any`, which matches everything).
    pub fn expand_application(&self, name: &str) -> Option<Vec<&Application>> {
        self.application(name)?;
        let mut out = Vec::new();
        let mut seen = HashSet::new();
        self.expand_into(name, false, &mut seen, &mut out);
        Some(out)
    }

    fn expand_into<'a>(
        &'a self,
        name: &str,
        set_only: bool,
        seen: &mut HashSet<String>,
        out: &mut Vec<&'a Application>,
    ) {
        if !seen.insert(name.to_string()) {
            return;
        }
        let entry = if set_only {
            self.applications
                .set(name)
                .or_else(|| predefined_applications().set(name))
                .map(ApplicationEntry::Set)
        } else {
            self.application(name)
        };
        match entry {
            Some(ApplicationEntry::Application(a)) => out.push(a),
            Some(ApplicationEntry::Set(s)) => {
                for a in &s.applications {
                    if let Some(app) = self
                        .applications
                        .application(a)
                        .or_else(|| predefined_applications().application(a))
                    {
                        out.push(app);
                    }
                }
                for n in &s.application_sets {
                    self.expand_into(n, true, seen, out);
                }
            }
            None => {}
        }
    }
}

/// Junos' predefined applications (`junos-http`, ...), read once from the
/// embedded `junos-defaults.conf`.
pub fn predefined_applications() -> &'static Applications {
    static PREDEFINED: OnceLock<Applications> = OnceLock::new();
    PREDEFINED.get_or_init(|| {
        let text = include_str!("../../config/schema/junos-defaults.conf");
        // The file is part of the build and a test checks it loads cleanly;
        // should it ever fail, no predefined applications exist.
        let Ok(cfg) = xpf_config::parse_config(text) else {
            return Applications::default();
        };
        let Some(st) = cfg.find(&["applications"]) else {
            return Applications::default();
        };
        build(st, None, &mut Checks::default())
    })
}

/// Reads `applications` (`st`); `predefined` resolves set members not
/// defined by the user (`None` while reading the predefined ones).
pub(crate) fn build(
    st: &Statement,
    predefined: Option<&Applications>,
    ck: &mut Checks,
) -> Applications {
    let path = Path::of(&["applications"]);
    let mut apps = Applications::default();
    for a in kids(st, "application") {
        let Some(w) = a.words.get(1) else { continue };
        apps.applications
            .push(application(w.text.clone(), a, &path.join(a), &path, ck));
    }
    for s in kids(st, "application-set") {
        let Some(w) = s.words.get(1) else { continue };
        let names = |kw: &str| -> Vec<String> {
            kids(s, kw)
                .filter_map(|m| arg(m).map(|w| w.text.clone()))
                .collect()
        };
        apps.application_sets.push(ApplicationSet {
            name: w.text.clone(),
            description: text(value(s, "description")),
            applications: names("application"),
            application_sets: names("application-set"),
        });
    }
    for s in kids(st, "application-set") {
        let Some(w) = s.words.get(1) else { continue };
        if apps.application(&w.text).is_some() {
            ck.error(
                &path,
                s,
                format!(
                    "application '{0}' and application-set '{0}' have the same name",
                    w.text
                ),
            );
        }
        let sp = path.join(s);
        let app_known = |n: &str| {
            apps.application(n).is_some() || predefined.is_some_and(|p| p.application(n).is_some())
        };
        let set_known =
            |n: &str| apps.set(n).is_some() || predefined.is_some_and(|p| p.set(n).is_some());
        for m in kids(s, "application") {
            if let Some(mw) = arg(m) {
                if !app_known(&mw.text) {
                    ck.error_word(&sp, m, mw, undefined("application", &mw.text));
                }
            }
        }
        for m in kids(s, "application-set") {
            if let Some(mw) = arg(m) {
                if !set_known(&mw.text) {
                    ck.error_word(&sp, m, mw, undefined("application-set", &mw.text));
                }
            }
        }
    }
    let mut in_cycle: HashSet<String> = HashSet::new();
    for s in kids(st, "application-set") {
        let Some(w) = s.words.get(1) else { continue };
        if in_cycle.contains(&w.text) {
            continue;
        }
        let edges = |n: &str| -> Vec<&str> {
            apps.set(n)
                .map(|x| x.application_sets.iter().map(String::as_str).collect())
                .unwrap_or_default()
        };
        if let Some(chain) = find_cycle(&w.text, edges) {
            ck.error(
                &path,
                s,
                format!(
                    "application-set '{}' contains itself ({})",
                    w.text,
                    chain.join(" -> ")
                ),
            );
            in_cycle.extend(chain);
        }
    }
    apps
}

/// Reads one `application`: its own attributes and its terms.
fn application(
    name: String,
    st: &Statement,
    path: &Path,
    parent: &Path,
    ck: &mut Checks,
) -> Application {
    let mut terms = Vec::new();
    let own = term(None, st, parent, ck);
    let app_timeout = own.inactivity_timeout;
    let has_terms = kids(st, "term").next().is_some();
    if own.protocol.is_some() || !has_terms {
        if own.protocol.is_none() {
            ck.missing(parent, st, "protocol");
        }
        terms.push(own);
    }
    for t in kids(st, "term") {
        let Some(w) = t.words.get(1) else { continue };
        let mut term = term(Some(w.text.clone()), t, path, ck);
        if term.protocol.is_none() {
            ck.missing(path, t, "protocol");
        }
        if term.inactivity_timeout.is_none() {
            term.inactivity_timeout = app_timeout;
        }
        terms.push(term);
    }
    Application {
        name,
        description: text(value(st, "description")),
        terms,
    }
}

/// Reads the match attributes of `st` (an application or one of its terms);
/// `path` is `st`'s parent.
fn term(name: Option<String>, st: &Statement, path: &Path, ck: &mut Checks) -> ApplicationTerm {
    let own = path.join(st);
    // Errors about an attribute name the attribute's statement, or the
    // term itself when written on one line.
    let bad = |ck: &mut Checks, kw: &str, w: &Word, what: &str| {
        let h = holder(st, kw);
        let p = if std::ptr::eq(h, st) { path } else { &own };
        ck.error_word(p, h, w, format!("invalid {what}: '{}'", w.text));
    };
    let protocol = value(st, "protocol").and_then(|w| {
        let p = Protocol::parse(&w.text);
        if p.is_none() {
            bad(ck, "protocol", w, "protocol");
        }
        p
    });
    let port = |ck: &mut Checks, kw: &str| {
        value(st, kw).and_then(|w| {
            let r = PortRange::parse(&w.text);
            if r.is_none() {
                bad(ck, kw, w, "port");
            }
            r
        })
    };
    let source_port = port(ck, "source-port");
    let destination_port = port(ck, "destination-port");
    let v6 = protocol == Some(Protocol::Icmp6);
    let (type_kw, code_kw, names) = if v6 || value(st, "icmp6-type").is_some() {
        ("icmp6-type", "icmp6-code", ICMP6_TYPES)
    } else {
        ("icmp-type", "icmp-code", ICMP_TYPES)
    };
    let icmp_type = value(st, type_kw).and_then(|w| {
        let t = w
            .text
            .parse::<u8>()
            .ok()
            .or_else(|| names.iter().find(|(n, _)| *n == w.text).map(|(_, t)| *t));
        if t.is_none() {
            bad(ck, type_kw, w, "icmp type");
        }
        t
    });
    let icmp_code = value(st, code_kw).and_then(|w| {
        let c = w.text.parse::<u8>().ok();
        if c.is_none() {
            bad(ck, code_kw, w, "icmp code");
        }
        c
    });
    let inactivity_timeout = value(st, "inactivity-timeout").and_then(|w| {
        if w.text == "never" {
            return Some(InactivityTimeout::Never);
        }
        let s = w.text.parse().ok().map(InactivityTimeout::Seconds);
        if s.is_none() {
            bad(ck, "inactivity-timeout", w, "inactivity-timeout");
        }
        s
    });
    if let Some(p) = protocol.filter(|p| !p.has_ports()) {
        for kw in ["source-port", "destination-port"] {
            if let Some(w) = value(st, kw) {
                let h = holder(st, kw);
                let hp = if std::ptr::eq(h, st) { path } else { &own };
                ck.error_word(
                    hp,
                    h,
                    w,
                    format!(
                        "{kw} needs protocol tcp, udp or sctp, not protocol {}",
                        p.number()
                    ),
                );
            }
        }
    }
    ApplicationTerm {
        name,
        protocol,
        source_port,
        destination_port,
        icmp_type,
        icmp_code,
        inactivity_timeout,
        alg: text(value(st, "application-protocol").or_else(|| value(st, "alg"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{build_text, errors_of};

    #[test]
    fn applications_and_sets_are_typed() {
        let m = build_text(
            r#"applications {
                application web-8080 { protocol tcp; destination-port 8080; inactivity-timeout 1800; }
                application high-udp { protocol udp; source-port 1024-65535; destination-port 5000-5100; }
                application ping4 { protocol icmp; icmp-type echo-request; icmp-code 0; }
                application proto-47 { protocol 47; inactivity-timeout never; }
                application multi {
                    inactivity-timeout 60;
                    term t1 protocol tcp destination-port 80;
                    term t2 protocol udp destination-port 53;
                }
                application-set web { application web-8080; application-set inner; }
                application-set inner { application high-udp; }
            }"#,
        );
        let a = &m.applications.applications;
        assert_eq!(a[0].terms[0].protocol, Some(Protocol::Tcp));
        assert_eq!(
            a[0].terms[0].destination_port,
            Some(PortRange {
                low: 8080,
                high: 8080
            })
        );
        assert_eq!(
            a[0].terms[0].inactivity_timeout,
            Some(InactivityTimeout::Seconds(1800))
        );
        assert_eq!(
            a[1].terms[0].source_port,
            Some(PortRange {
                low: 1024,
                high: 65535
            })
        );
        assert_eq!(a[2].terms[0].icmp_type, Some(8));
        assert_eq!(a[2].terms[0].icmp_code, Some(0));
        assert_eq!(a[3].terms[0].protocol, Some(Protocol::Other(47)));
        assert_eq!(
            a[3].terms[0].inactivity_timeout,
            Some(InactivityTimeout::Never)
        );
        let multi = &a[4];
        assert_eq!(multi.terms.len(), 2);
        assert_eq!(multi.terms[1].name.as_deref(), Some("t2"));
        assert_eq!(multi.terms[1].protocol, Some(Protocol::Udp));
        assert_eq!(
            multi.terms[1].destination_port,
            Some(PortRange { low: 53, high: 53 })
        );
        assert_eq!(
            multi.terms[1].inactivity_timeout,
            Some(InactivityTimeout::Seconds(60))
        );
        let web = m.expand_application("web").expect("web");
        let names: Vec<&str> = web.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["web-8080", "high-udp"]);
        assert!(m.application("any").is_none());
        let ftp = m
            .expand_application("junos-ftp")
            .expect("predefined junos-ftp");
        assert_eq!(ftp[0].terms[0].alg.as_deref(), Some("ftp"));
        assert!(m.expand_application("nope").is_none());
    }

    /// Names real SRX configurations use that were missing (issue 16).
    #[test]
    fn the_predefined_rpc_and_smb_applications_exist() {
        let m = build_text("");
        for (name, members) in [
            ("junos-ms-rpc", 2),
            ("junos-sun-rpc", 2),
            ("junos-smb", 1),
            ("junos-routing-inbound", 4),
            ("junos-sctp-any", 1),
            ("junos-vnc", 1),
        ] {
            let apps = m
                .expand_application(name)
                .unwrap_or_else(|| panic!("{name} is predefined"));
            assert_eq!(apps.len(), members, "{name}");
        }
        let smb = m.expand_application("junos-smb").expect("junos-smb");
        assert_eq!(smb[0].terms.len(), 2);
    }

    /// Each port-based predefined application added for real SRX
    /// configurations matches its protocol and port (issue 16).
    #[test]
    fn the_added_predefined_applications_match_their_ports() {
        let m = build_text("");
        for (name, proto, low, high) in [
            ("junos-gtp", Protocol::Udp, 2123, 2123),
            ("junos-internet-locator-service", Protocol::Tcp, 389, 389),
            ("junos-ms-rpc-tcp", Protocol::Tcp, 135, 135),
            ("junos-ms-rpc-udp", Protocol::Udp, 135, 135),
            ("junos-nfs", Protocol::Udp, 111, 111),
            ("junos-ns-global", Protocol::Tcp, 15397, 15397),
            ("junos-ns-global-pro", Protocol::Tcp, 15397, 15397),
            ("junos-nsm", Protocol::Udp, 69, 69),
            ("junos-realaudio", Protocol::Tcp, 554, 554),
            ("junos-sql-monitor", Protocol::Udp, 1434, 1434),
            ("junos-sqlnet-v1", Protocol::Tcp, 1525, 1525),
            ("junos-sun-rpc-tcp", Protocol::Tcp, 111, 111),
            ("junos-sun-rpc-udp", Protocol::Udp, 111, 111),
            ("junos-sun-rpc-portmap-tcp", Protocol::Tcp, 111, 111),
            ("junos-sun-rpc-portmap-udp", Protocol::Udp, 111, 111),
            ("junos-uucp", Protocol::Udp, 540, 540),
            ("junos-vdo-live", Protocol::Udp, 7000, 7010),
            ("junos-vnc", Protocol::Tcp, 5800, 5800),
            ("junos-wxcontrol", Protocol::Tcp, 3578, 3578),
        ] {
            let apps = m
                .expand_application(name)
                .unwrap_or_else(|| panic!("{name}"));
            let t = &apps[0].terms[0];
            assert_eq!(t.protocol, Some(proto), "{name}");
            assert_eq!(t.destination_port, Some(PortRange { low, high }), "{name}");
        }
        let sctp = m.expand_application("junos-sctp-any").expect("sctp");
        assert_eq!(sctp[0].terms[0].protocol, Some(Protocol::Other(132)));
        let smb = m.expand_application("junos-smb").expect("smb");
        let ports: Vec<_> = smb[0].terms.iter().map(|t| t.destination_port).collect();
        assert_eq!(
            ports,
            [
                Some(PortRange {
                    low: 139,
                    high: 139
                }),
                Some(PortRange {
                    low: 445,
                    high: 445
                })
            ]
        );
    }

    #[test]
    fn protocols_and_ports_parse() {
        assert_eq!(Protocol::parse("6"), Some(Protocol::Tcp));
        assert_eq!(Protocol::parse("gre"), Some(Protocol::Other(47)));
        assert_eq!(Protocol::parse("icmp6"), Some(Protocol::Icmp6));
        assert_eq!(Protocol::parse("bogus"), None);
        assert_eq!(
            PortRange::parse("https"),
            Some(PortRange {
                low: 443,
                high: 443
            })
        );
    }

    #[test]
    fn set_members_resolve_and_do_not_loop() {
        let e = errors_of(
            "applications {\n application a1 { protocol tcp; destination-port 1; }\n application-set a1 { application a1; }\n application-set s1 { application ghost-app; application-set s2; }\n application-set s2 { application-set s1; }\n}\n",
        );
        let msgs: Vec<&str> = e.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "application 'a1' and application-set 'a1' have the same name",
                "application 'ghost-app' is not defined",
                "application-set 's1' contains itself (s1 -> s2 -> s1)",
            ]
        );
        assert_eq!(e[1].path, ["applications", "application-set s1"]);
        assert_eq!(e[1].statement.as_deref(), Some("application ghost-app"));
        assert_eq!(e[1].span.map(|s| s.line), Some(4));
    }

    #[test]
    fn an_application_needs_a_protocol() {
        let e = errors_of("applications {\n application bare { destination-port 80; }\n}\n");
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].path, ["applications"]);
        assert_eq!(e[0].statement.as_deref(), Some("application bare"));
        assert_eq!(e[0].message, "Missing mandatory statement: 'protocol'");
    }
}
