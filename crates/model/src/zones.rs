// SPDX-License-Identifier: Apache-2.0
//! `security zones security-zone`: which interfaces form a zone, what the
//! box itself accepts from it (host-inbound traffic), its screen and its
//! address book.
//!
//! Host-inbound settings on an interface replace the zone's for that
//! interface, category by category (`system-services`, `protocols`).

use std::collections::HashMap;

use xpf_config::{Statement, Word};

use crate::address_book::{build_book, AddressBook};
use crate::check::{undefined, Checks, Path};
use crate::interfaces::normalize_unit;
use crate::read::{child, flag, kids, text, value};
use crate::Model;

/// Zone names that exist without being configured (`junos-host`: the box
/// itself, in policies).
pub const BUILTIN_ZONES: &[&str] = &["junos-host"];

/// One `security-zone`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Zone {
    /// Zone name.
    pub name: String,
    /// `description`.
    pub description: Option<String>,
    /// `screen`: the ids-option profile applied to traffic entering the zone.
    pub screen: Option<String>,
    /// `tcp-rst`: answer non-SYN packets without a session with a RST.
    pub tcp_rst: bool,
    /// Zone-level `host-inbound-traffic`.
    pub host_inbound: HostInbound,
    /// `interfaces`, normalised to `name.unit`.
    pub interfaces: Vec<ZoneInterface>,
    /// The zone's own `address-book` (named after the zone).
    pub address_book: AddressBook,
}

/// One interface of a zone.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ZoneInterface {
    /// Interface and unit, e.g. `ge-0/0/0.0`.
    pub name: String,
    /// Interface-level `host-inbound-traffic`.
    pub host_inbound: HostInbound,
}

/// `host-inbound-traffic`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HostInbound {
    /// `system-services` entries (`ssh`, `ping`, `all`, ...).
    pub system_services: Vec<HostInboundItem>,
    /// `protocols` entries (`ospf`, `bgp`, `all`, ...).
    pub protocols: Vec<HostInboundItem>,
}

/// One service or protocol entry.
#[derive(Debug, Clone, PartialEq)]
pub struct HostInboundItem {
    /// Name, or `all`.
    pub name: String,
    /// `except`: excluded from `all`.
    pub except: bool,
}

impl HostInbound {
    /// Whether `service` is accepted (`all` accepts any not excepted).
    pub fn allows_service(&self, service: &str) -> bool {
        allows(&self.system_services, service)
    }

    /// Whether `protocol` is accepted.
    pub fn allows_protocol(&self, protocol: &str) -> bool {
        allows(&self.protocols, protocol)
    }
}

fn allows(items: &[HostInboundItem], name: &str) -> bool {
    if items.iter().any(|i| i.name == name && i.except) {
        return false;
    }
    items
        .iter()
        .any(|i| !i.except && (i.name == name || i.name == "all"))
}

impl Zone {
    /// The host-inbound settings in force on one of the zone's interfaces:
    /// the interface's categories where set, the zone's otherwise.
    pub fn host_inbound_for(&self, interface: &str) -> HostInbound {
        let name = normalize_unit(interface);
        let mut hi = self.host_inbound.clone();
        if let Some(i) = self.interfaces.iter().find(|i| i.name == name) {
            if !i.host_inbound.system_services.is_empty() {
                hi.system_services = i.host_inbound.system_services.clone();
            }
            if !i.host_inbound.protocols.is_empty() {
                hi.protocols = i.host_inbound.protocols.clone();
            }
        }
        hi
    }
}

impl Model {
    /// The zone with this name.
    pub fn zone(&self, name: &str) -> Option<&Zone> {
        self.zones.iter().find(|z| z.name == name)
    }

    /// The zone an interface unit (`ge-0/0/0` or `ge-0/0/0.0`) belongs to.
    pub fn zone_of_interface(&self, interface: &str) -> Option<&Zone> {
        let name = normalize_unit(interface);
        self.zones
            .iter()
            .find(|z| z.interfaces.iter().any(|i| i.name == name))
    }
}

/// The names of the configured zones (`zones` is `security zones`).
pub(crate) fn zone_names(zones: Option<&Statement>) -> Vec<String> {
    zones
        .map(|z| {
            kids(z, "security-zone")
                .filter_map(|s| s.words.get(1).map(|w| w.text.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// Reads `security zones` (`st`), checking interfaces, screens and books.
pub(crate) fn build(st: &Statement, model: &Model, ck: &mut Checks) -> Vec<Zone> {
    let path = Path::of(&["security", "zones"]);
    let mut owner: HashMap<String, String> = HashMap::new();
    let mut zones = Vec::new();
    for z in kids(st, "security-zone") {
        let Some(name) = z.words.get(1).map(|w| w.text.clone()) else {
            continue;
        };
        let zp = path.join(z);
        let screen = value(z, "screen");
        if let Some(w) = screen {
            if model.screen(&w.text).is_none() {
                let h = child(z, "screen").unwrap_or(z);
                ck.error_word(&zp, h, w, undefined("screen", &w.text));
            }
        }
        let mut interfaces = Vec::new();
        if let Some(ifs) = child(z, "interfaces") {
            let ip = zp.join(ifs);
            for (holder, w) in interface_entries(ifs) {
                let unit = normalize_unit(&w.text);
                let (hp, h) = match holder {
                    Some(h) => (&ip, h),
                    None => (&zp, ifs),
                };
                if model.unit(&unit).is_none() {
                    ck.error_word(hp, h, w, undefined("interface", &unit));
                } else if let Some(other) = owner.get(&unit) {
                    ck.error_word(
                        hp,
                        h,
                        w,
                        format!("interface '{unit}' is in zone '{other}' and zone '{name}'"),
                    );
                } else {
                    owner.insert(unit.clone(), name.clone());
                }
                interfaces.push(ZoneInterface {
                    name: unit,
                    host_inbound: holder
                        .and_then(|h| child(h, "host-inbound-traffic"))
                        .map(host_inbound)
                        .unwrap_or_default(),
                });
            }
        }
        let address_book = match child(z, "address-book") {
            Some(ab) => build_book(ab, name.clone(), &zp.join(ab), ck),
            None => AddressBook {
                name: name.clone(),
                ..AddressBook::default()
            },
        };
        zones.push(Zone {
            name,
            description: text(value(z, "description")),
            screen: text(screen),
            tcp_rst: flag(z, "tcp-rst"),
            host_inbound: child(z, "host-inbound-traffic")
                .map(host_inbound)
                .unwrap_or_default(),
            interfaces,
            address_book,
        });
    }
    zones
}

/// The interfaces of a zone's `interfaces` block, each with the statement
/// naming it (`None` when written as a list value of the block itself).
fn interface_entries(ifs: &Statement) -> Vec<(Option<&Statement>, &Word)> {
    let mut out: Vec<(Option<&Statement>, &Word)> = ifs
        .words
        .iter()
        .skip(1)
        .chain(ifs.list.iter().flatten())
        .map(|w| (None, w))
        .collect();
    out.extend(
        ifs.kids()
            .iter()
            .filter_map(|c| c.words.first().map(|w| (Some(c), w))),
    );
    out
}

fn host_inbound(st: &Statement) -> HostInbound {
    let items = |kw: &str| -> Vec<HostInboundItem> {
        child(st, kw)
            .map(|c| {
                let mut v: Vec<HostInboundItem> = c
                    .words
                    .iter()
                    .skip(1)
                    .chain(c.list.iter().flatten())
                    .map(|w| HostInboundItem {
                        name: w.text.clone(),
                        except: false,
                    })
                    .collect();
                v.extend(c.kids().iter().map(|s| HostInboundItem {
                    name: s.keyword().to_string(),
                    except: flag(s, "except"),
                }));
                v
            })
            .unwrap_or_default()
    };
    HostInbound {
        system_services: items("system-services"),
        protocols: items("protocols"),
    }
}

#[cfg(test)]
mod tests {
    use crate::tests::{build_text, errors_of};

    const ZONES: &str = r#"
interfaces {
    ge-0/0/0 { unit 0 { family inet { address 192.0.2.1/24; } } }
    ge-0/0/1 { unit 0 { family inet { address 10.0.0.1/24; } } unit 5 { vlan-id 5; } }
}
security {
    zones {
        security-zone trust {
            description "inside";
            tcp-rst;
            host-inbound-traffic {
                system-services { all; telnet { except; } }
                protocols { ospf; }
            }
            interfaces {
                ge-0/0/1.0 { host-inbound-traffic { system-services { ssh; dhcp; } } }
                ge-0/0/1.5;
            }
        }
        security-zone untrust {
            interfaces { ge-0/0/0; }
        }
    }
}
"#;

    #[test]
    fn zones_are_typed() {
        let m = build_text(ZONES);
        let t = m.zone("trust").expect("trust");
        assert_eq!(t.description.as_deref(), Some("inside"));
        assert!(t.tcp_rst);
        let names: Vec<&str> = t.interfaces.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["ge-0/0/1.0", "ge-0/0/1.5"]);
        assert!(t.host_inbound.allows_service("ssh"));
        assert!(!t.host_inbound.allows_service("telnet"));
        assert!(t.host_inbound.allows_protocol("ospf"));
        assert!(!t.host_inbound.allows_protocol("bgp"));
        let on_ge1 = t.host_inbound_for("ge-0/0/1.0");
        assert!(on_ge1.allows_service("dhcp"));
        assert!(
            !on_ge1.allows_service("ping"),
            "interface services replace the zone's"
        );
        assert!(
            on_ge1.allows_protocol("ospf"),
            "protocols still come from the zone"
        );
        assert!(t.host_inbound_for("ge-0/0/1.5").allows_service("ping"));
        let u = m.zone("untrust").expect("untrust");
        assert_eq!(u.interfaces[0].name, "ge-0/0/0.0");
        assert_eq!(
            m.zone_of_interface("ge-0/0/0").map(|z| z.name.as_str()),
            Some("untrust")
        );
    }

    #[test]
    fn zone_interfaces_must_exist() {
        let e = errors_of(&ZONES.replace("ge-0/0/1.5;", "ge-0/0/9;"));
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(
            e[0].path,
            ["security", "zones", "security-zone trust", "interfaces"]
        );
        assert_eq!(e[0].statement.as_deref(), Some("ge-0/0/9"));
        assert_eq!(e[0].message, "interface 'ge-0/0/9.0' is not defined");
        assert_eq!(e[0].span.map(|s| s.line), Some(17));
    }

    #[test]
    fn an_interface_belongs_to_one_zone() {
        let e = errors_of(&ZONES.replace(
            "interfaces { ge-0/0/0; }",
            "interfaces { ge-0/0/0; ge-0/0/1.5; }",
        ));
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(
            e[0].message,
            "interface 'ge-0/0/1.5' is in zone 'trust' and zone 'untrust'"
        );
        assert_eq!(e[0].span.map(|s| s.line), Some(21));
    }
}
