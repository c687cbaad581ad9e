// SPDX-License-Identifier: Apache-2.0
//! The typed xpf configuration, and the meaning checks of Junos `commit check`.
//!
//! `xpf-config` turns text into a [`Config`] tree of statements and checks
//! value syntax. This crate reads the *effective* configuration (groups
//! applied, inactive statements gone: [`xpf_config::effective`]) into a
//! [`Model`] of plain structs — interfaces, zones, address books,
//! applications, security policies, NAT, screens, flow settings, static
//! routes, the chassis cluster and `system` — and checks what the
//! statements mean: references resolve, names are unique, mandatory
//! statements are present, values agree with each other.
//!
//! Main types: [`Model`] (one field per configuration area), built by
//! [`build`]; lookups such as [`Model::zone`], [`Model::resolve_address`]
//! and [`Model::application`]; [`predefined_applications`] for Junos'
//! `junos-*` applications.
//!
//! Data flow: text → [`xpf_config::parse_config`] → [`xpf_config::effective`]
//! → [`build`] → [`Model`], or every [`Errors`] diagnostic found (not just
//! the first), each with its `[edit ...]` path, statement, span and a Junos
//! worded message. Later stages compile the model into a dataplane snapshot.
//!
//! ```
//! let text = "
//! interfaces { ge-0/0/0 { unit 0 { family inet { address 192.0.2.1/24; } } } }
//! security {
//!     zones { security-zone untrust { interfaces { ge-0/0/0.0; } } }
//!     policies {
//!         from-zone untrust to-zone untrust {
//!             policy p1 {
//!                 match { source-address any; destination-address ghost; application any; }
//!                 then { permit; }
//!             }
//!         }
//!     }
//! }";
//! let cfg = xpf_config::parse_config(text).unwrap();
//! let errors = xpf_model::build(&xpf_config::effective(&cfg, None)).unwrap_err();
//! assert_eq!(errors.0[0].message, "address 'ghost' is not defined");
//!
//! let fixed = text.replace("ghost", "any");
//! let cfg = xpf_config::parse_config(&fixed).unwrap();
//! let model = xpf_model::build(&xpf_config::effective(&cfg, None)).unwrap();
//! assert_eq!(model.zone("untrust").unwrap().interfaces[0].name, "ge-0/0/0.0");
//! ```
#![deny(missing_docs)]

pub mod address_book;
pub mod applications;
mod check;
pub mod cluster;
pub mod flow;
mod index;
pub mod interfaces;
pub mod logging;
pub mod nat;
pub mod policies;
pub mod prefix;
mod read;
pub mod routing;
pub mod screen;
pub mod system;
pub mod zones;

use xpf_config::{Config, Errors, Statement};

pub use address_book::{
    Address, AddressBook, AddressBooks, AddressEntry, AddressScope, AddressSet, AddressValue,
};
pub use applications::{
    predefined_applications, Application, ApplicationEntry, ApplicationSet, ApplicationTerm,
    Applications, InactivityTimeout, PortRange, Protocol,
};
pub use cluster::{Cluster, InterfaceMonitor, RedundancyGroup};
pub use flow::{Aging, Flow, TcpMss, TcpSession};
pub use interfaces::{Family, Interface, InterfaceAddress, Unit};
pub use logging::{LogFormat, LogMode, LogStream, SecurityLog, Syslog, SyslogDestination};
pub use nat::{
    DestinationNat, DestinationNatAction, DestinationPool, Nat, NatContext, NatMatch, NatRule,
    PoolPort, ProxyNeighbor, RuleSet, SourceNat, SourceNatAction, SourcePool, StaticNat,
    StaticNatAction,
};
pub use policies::{
    DefaultPolicy, Policies, Policy, PolicyAction, PolicyMatch, PolicyThen, ZonePair,
};
pub use prefix::{AddressRange, Prefix};
pub use routing::{Blackhole, Gateway, QualifiedNextHop, Routing, StaticRoute};
pub use screen::Screen;
pub use system::{DataplaneType, System};
pub use zones::{HostInbound, HostInboundItem, Zone, ZoneInterface};

/// The whole typed configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Model {
    /// `system`.
    pub system: System,
    /// `interfaces`, in configuration order.
    pub interfaces: Vec<Interface>,
    /// `chassis cluster`, when configured.
    pub cluster: Option<Cluster>,
    /// `security zones security-zone`.
    pub zones: Vec<Zone>,
    /// `security address-book` (zone books are in [`Zone::address_book`]).
    pub address_books: AddressBooks,
    /// User `applications` (predefined ones: [`predefined_applications`]).
    pub applications: Applications,
    /// `security policies`.
    pub policies: Policies,
    /// `security nat`.
    pub nat: Nat,
    /// `security screen ids-option` profiles.
    pub screens: Vec<Screen>,
    /// `security flow`.
    pub flow: Flow,
    /// `security log`.
    pub security_log: SecurityLog,
    /// `routing-options` and `routing-instances`.
    pub routing: Routing,
}

impl Model {
    /// The interface with this name.
    pub fn interface(&self, name: &str) -> Option<&Interface> {
        self.interfaces.iter().find(|i| i.name == name)
    }

    /// The logical unit `ge-0/0/0.0` (a bare `ge-0/0/0` means unit 0).
    pub fn unit(&self, name: &str) -> Option<&Unit> {
        let full = interfaces::normalize_unit(name);
        let (ifname, unit) = interfaces::split_unit(&full)?;
        self.interface(ifname)?.unit(unit)
    }
}

/// Builds the model of an effective configuration, or returns every
/// `commit check` error found.
pub fn build(effective: &Config) -> Result<Model, Errors> {
    let mut ck = check::Checks::default();
    let mut m = Model::default();
    let top = |kw: &str| -> Option<&Statement> {
        effective.statements.iter().find(|s| s.keyword() == kw)
    };
    let security = top("security");
    let sec = |kw: &str| security.and_then(|s| read::child(s, kw));

    if let Some(s) = top("system") {
        m.system = system::build(s, &mut ck);
    }
    let cluster_st = top("chassis").and_then(|c| read::child(c, "cluster"));
    m.cluster = cluster_st.map(|c| cluster::build(c, &mut ck));
    let interfaces_st = top("interfaces");
    if let Some(s) = interfaces_st {
        m.interfaces = interfaces::build(s, &mut ck);
    }
    cluster::check(
        interfaces_st,
        cluster_st,
        &m.interfaces,
        m.cluster.as_ref(),
        &mut ck,
    );
    if let Some(s) = sec("screen") {
        m.screens = screen::build(s, &mut ck);
    }
    let zones_st = sec("zones");
    let zone_names = zones::zone_names(zones_st);
    if let Some(s) = security {
        m.address_books = address_book::build_books(s, &zone_names, &mut ck);
    }
    if let Some(s) = top("applications") {
        m.applications = applications::build(s, Some(predefined_applications()), &mut ck);
    }
    if let Some(s) = zones_st {
        m.zones = zones::build(s, &m, &mut ck);
    }
    m.routing = routing::build(
        top("routing-options"),
        top("routing-instances"),
        &m,
        &mut ck,
    );
    if let Some(s) = sec("policies") {
        m.policies = policies::build(s, &m, &mut ck);
    }
    if let Some(s) = sec("nat") {
        m.nat = nat::build(s, &m, &mut ck);
    }
    if let Some(s) = sec("flow") {
        m.flow = flow::build(s, &mut ck);
    }
    if let Some(s) = sec("log") {
        m.security_log = logging::security_log(s, &mut ck);
    }
    ck.finish(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use xpf_config::Diagnostic;

    /// Loads text and builds its effective model, or `Err` with every
    /// diagnostic; panics when the text does not load.
    fn try_build(text: &str) -> Result<Model, Errors> {
        let cfg = match xpf_config::parse_config(text) {
            Ok(c) => c,
            Err(e) => panic!("test config does not load:\n{e}"),
        };
        build(&xpf_config::effective(&cfg, None))
    }

    /// The model of a configuration that must pass every check.
    pub(crate) fn build_text(text: &str) -> Model {
        match try_build(text) {
            Ok(m) => m,
            Err(e) => panic!("unexpected errors:\n{e}"),
        }
    }

    /// The check errors of a configuration (empty if it builds).
    pub(crate) fn errors_of(text: &str) -> Vec<Diagnostic> {
        match try_build(text) {
            Ok(_) => Vec::new(),
            Err(e) => e.0,
        }
    }

    /// The 1-based line of the first occurrence of `needle` in `text`.
    pub(crate) fn line_of(text: &str, needle: &str) -> u32 {
        match text.lines().position(|l| l.contains(needle)) {
            Some(i) => i as u32 + 1,
            None => panic!("{needle:?} not in the test text"),
        }
    }

    /// Like [`errors_of`], but `None` when the text does not even load.
    pub(crate) fn load_errors(text: &str) -> Option<Vec<Diagnostic>> {
        let cfg = xpf_config::parse_config(text).ok()?;
        Some(match build(&xpf_config::effective(&cfg, None)) {
            Ok(_) => Vec::new(),
            Err(e) => e.0,
        })
    }

    #[test]
    fn every_error_is_reported() {
        let text = "\
interfaces {
    ge-0/0/0 { unit 0 { family inet { address 192.0.2.1/24; } } }
}
system {
    login {
        user ops { uid 2000; class no-such-class; }
    }
}
security {
    zones {
        security-zone untrust {
            screen missing-screen;
            interfaces { ge-0/0/0.0; ge-0/0/7.0; }
        }
    }
    policies {
        from-zone untrust to-zone dmz {
            policy p1 {
                match { source-address any; destination-address any; application any; }
                then { permit; }
            }
        }
    }
}
";
        let e = errors_of(text);
        let got: Vec<(u32, &str)> = e
            .iter()
            .map(|d| (d.span.map_or(0, |s| s.line), d.message.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (6, "class 'no-such-class' is not defined"),
                (12, "screen 'missing-screen' is not defined"),
                (13, "interface 'ge-0/0/7.0' is not defined"),
                (17, "zone 'dmz' is not defined"),
            ]
        );
        assert!(e.iter().all(|d| d.severity == xpf_config::Severity::Check));
    }

    #[test]
    fn an_empty_configuration_builds() {
        let m = build(&Config::default()).expect("empty config is valid");
        assert_eq!(m, Model::default());
        assert_eq!(m.policies.default_policy, DefaultPolicy::DenyAll);
        assert_eq!(m.system.dataplane_type, DataplaneType::Userspace);
    }

    #[test]
    fn the_sample_configuration_builds() {
        let m = build_text(include_str!("../tests/data/sample.conf"));
        assert_eq!(m.system.host_name.as_deref(), Some("vsrx-edge-1"));
        assert_eq!(m.system.name_servers.len(), 2);
        assert_eq!(m.system.login.users[0].class, "noc");
        assert_eq!(
            m.system.syslog.hosts[0].facilities,
            [("any".into(), "notice".into())]
        );
        assert_eq!(
            m.system.services.netconf_ssh.as_ref().and_then(|n| n.port),
            Some(830)
        );
        assert_eq!(m.zones.len(), 2);
        let untrust = m.zone("untrust").expect("untrust");
        assert_eq!(untrust.screen.as_deref(), Some("internet-screen"));
        assert!(untrust
            .host_inbound_for("ge-0/0/0.0")
            .allows_service("ping"));
        assert!(!untrust.host_inbound_for("ge-0/0/0.0").allows_service("ssh"));
        assert_eq!(m.unit("ge-0/0/1.0").map(|u| u.inet6.is_some()), Some(true));
        let out = m.policies_between("trust", "untrust");
        assert_eq!(out[0].then.action, PolicyAction::Permit);
        assert!(out[0].then.log_session_close);
        let web = m.expand_application("web-apps").expect("web-apps");
        let names: Vec<&str> = web.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, ["junos-http", "junos-https", "tcp-8443"]);
        assert_eq!(
            m.nat.source.rule_sets[0].rules[0].then,
            SourceNatAction::Interface
        );
        assert_eq!(
            m.nat.destination_pool("web-pool").and_then(|p| p.port),
            Some(443)
        );
        assert_eq!(
            m.nat.destination.rule_sets[0].rules[0].then,
            DestinationNatAction::Pool("web-pool".into())
        );
        let screen = m.screen("internet-screen").expect("screen");
        assert_eq!(screen.icmp.flood, Some(1000));
        assert_eq!(screen.udp.flood, Some(5000));
        assert!(screen.tcp.syn_flood.is_some());
        assert_eq!(m.flow.tcp_mss.all_tcp, Some(1350));
        assert_eq!(m.routing.static_routes.len(), 3);
        assert_eq!(
            m.routing.static_routes[1].blackhole,
            Some(Blackhole::Discard)
        );
        assert!(!m.routing.static_routes[2].prefix.is_ipv4());
    }

    #[test]
    fn set_form_builds_the_same_model() {
        let text = include_str!("../tests/data/sample.conf");
        let curly = build_text(text);
        let cfg = match xpf_config::parse_config(text) {
            Ok(c) => c,
            Err(e) => panic!("{e}"),
        };
        let set = xpf_config::print_set(&cfg);
        assert_eq!(build_text(&set), curly);
    }

    #[test]
    fn groups_are_applied_before_building() {
        let m = build_text(
            "groups {
                lan-defaults {
                    security { zones { security-zone <*> { host-inbound-traffic { system-services { ping; } } } } }
                }
            }
            apply-groups lan-defaults;
            interfaces { ge-0/0/1 { unit 0; } }
            security { zones { security-zone trust { interfaces { ge-0/0/1.0; } } } }",
        );
        let trust = m.zone("trust").expect("trust");
        assert!(trust.host_inbound.allows_service("ping"));
    }

    #[test]
    fn errors_in_set_form_point_at_the_set_line() {
        let e = errors_of(
            "set interfaces ge-0/0/0 unit 0\n\
             set security zones security-zone untrust interfaces ge-0/0/0.0\n\
             set security policies from-zone untrust to-zone untrust policy p match source-address nope\n\
             set security policies from-zone untrust to-zone untrust policy p match destination-address any\n\
             set security policies from-zone untrust to-zone untrust policy p match application any\n\
             set security policies from-zone untrust to-zone untrust policy p then permit\n",
        );
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].statement.as_deref(), Some("source-address nope"));
        assert_eq!(e[0].span.map(|s| s.line), Some(3));
    }

    #[test]
    fn predefined_applications_load() {
        let p = predefined_applications();
        assert!(
            !p.applications.is_empty(),
            "junos-defaults.conf has applications"
        );
        let mut ck = check::Checks::default();
        let text = include_str!("../../config/schema/junos-defaults.conf");
        let cfg = match xpf_config::parse_config(text) {
            Ok(c) => c,
            Err(e) => panic!("junos-defaults.conf does not load:\n{e}"),
        };
        if let Some(st) = cfg.find(&["applications"]) {
            applications::build(st, None, &mut ck);
        }
        assert!(ck.is_empty(), "{:?}", ck.finish(()));
        let http = p.entry("junos-http");
        assert!(matches!(http, Some(ApplicationEntry::Application(a))
            if a.terms[0].protocol == Some(Protocol::Tcp)
            && a.terms[0].destination_port == Some(PortRange { low: 80, high: 80 })));
    }
}
