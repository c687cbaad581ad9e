// SPDX-License-Identifier: Apache-2.0
//! `interfaces`: physical, redundant (`reth`) and fabric interfaces, their
//! logical units and addresses.

use xpf_config::Statement;

use crate::check::{Checks, Path};
use crate::prefix::Prefix;
use crate::read::{args, child, flag, kids, number, number_of, text, value};

/// One interface (`ge-0/0/0`, `reth0`, `fab0`, `trust0`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Interface {
    /// Name as written.
    pub name: String,
    /// `description`.
    pub description: Option<String>,
    /// `disable`.
    pub disable: bool,
    /// `vlan-tagging`.
    pub vlan_tagging: bool,
    /// `mtu`.
    pub mtu: Option<u32>,
    /// `mac`, as written.
    pub mac: Option<String>,
    /// `gigether-options redundant-parent`: the reth this port belongs to.
    pub redundant_parent: Option<String>,
    /// `redundant-ether-options redundancy-group` (reth interfaces).
    pub redundancy_group: Option<u32>,
    /// `fabric-options member-interfaces` (fab interfaces).
    pub fabric_members: Vec<String>,
    /// Logical units.
    pub units: Vec<Unit>,
}

/// One logical unit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Unit {
    /// Unit number.
    pub number: u32,
    /// `description`.
    pub description: Option<String>,
    /// `disable`.
    pub disable: bool,
    /// `vlan-id`.
    pub vlan_id: Option<u16>,
    /// `mtu` of the logical unit.
    pub mtu: Option<u32>,
    /// `family inet`, when configured.
    pub inet: Option<Family>,
    /// `family inet6`, when configured.
    pub inet6: Option<Family>,
}

/// `family inet` or `family inet6` of a unit.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Family {
    /// `address` entries, in order.
    pub addresses: Vec<InterfaceAddress>,
    /// `dhcp` (inet) or `dhcpv6-client` (inet6): address learnt by DHCP.
    pub dhcp: bool,
}

/// One `address` of a family.
#[derive(Debug, Clone, PartialEq)]
pub struct InterfaceAddress {
    /// The address and its subnet length.
    pub prefix: Prefix,
    /// `primary`.
    pub primary: bool,
    /// `preferred`.
    pub preferred: bool,
}

impl Interface {
    /// The unit with this number.
    pub fn unit(&self, number: u32) -> Option<&Unit> {
        self.units.iter().find(|u| u.number == number)
    }

    /// The reth index of a `reth<N>` name.
    pub fn reth_index(&self) -> Option<u32> {
        reth_index(&self.name)
    }
}

/// `N` of `rethN`.
pub fn reth_index(name: &str) -> Option<u32> {
    name.strip_prefix("reth")?.parse().ok()
}

/// `ge-0/0/0` → `ge-0/0/0.0`; names with a unit are returned unchanged.
pub fn normalize_unit(name: &str) -> String {
    if split_unit(name).is_some() {
        name.to_string()
    } else {
        format!("{name}.0")
    }
}

/// `ge-0/0/0.5` → `("ge-0/0/0", 5)`.
pub fn split_unit(name: &str) -> Option<(&str, u32)> {
    let (ifname, unit) = name.rsplit_once('.')?;
    Some((ifname, unit.parse().ok()?))
}

/// Reads `interfaces` (`st`).
pub(crate) fn build(st: &Statement, ck: &mut Checks) -> Vec<Interface> {
    let path = Path::of(&["interfaces"]);
    st.kids()
        .iter()
        .filter(|c| c.keyword() != "interface-range" && c.words.len() == 1)
        .map(|c| interface(c, &path.join(c), ck))
        .collect()
}

fn interface(st: &Statement, path: &Path, ck: &mut Checks) -> Interface {
    let redundant_parent = ["gigether-options", "ether-options"]
        .iter()
        .filter_map(|kw| child(st, kw))
        .find_map(|o| text(value(o, "redundant-parent")));
    let redundancy_group = child(st, "redundant-ether-options")
        .and_then(|o| number_of(ck, &path.join(o), o, "redundancy-group"));
    let fabric_members = child(st, "fabric-options")
        .and_then(|o| child(o, "member-interfaces"))
        .map(|m| {
            let mut names: Vec<String> = args(m).iter().map(|w| w.text.clone()).collect();
            // `member-interfaces ge-0/0/2 { ... }` written as blocks.
            names.extend(
                m.kids()
                    .iter()
                    .filter(|k| k.words.len() == 1 && k.children.is_some())
                    .map(|k| k.keyword().to_string()),
            );
            names
        })
        .unwrap_or_default();
    let units = kids(st, "unit")
        .filter_map(|u| {
            let w = u.words.get(1)?;
            let number = number(ck, path, u, w)?;
            Some(unit(u, number, &path.join(u), ck))
        })
        .collect();
    Interface {
        name: st.keyword().to_string(),
        description: text(value(st, "description")),
        disable: flag(st, "disable"),
        vlan_tagging: flag(st, "vlan-tagging"),
        mtu: number_of(ck, path, st, "mtu"),
        mac: text(value(st, "mac")),
        redundant_parent,
        redundancy_group,
        fabric_members,
        units,
    }
}

fn unit(st: &Statement, number: u32, path: &Path, ck: &mut Checks) -> Unit {
    let mut u = Unit {
        number,
        description: text(value(st, "description")),
        disable: flag(st, "disable"),
        vlan_id: number_of(ck, path, st, "vlan-id"),
        mtu: number_of(ck, path, st, "mtu"),
        ..Unit::default()
    };
    for fam in kids(st, "family") {
        let p = path.join(fam);
        match fam.words.get(1).map(|w| w.text.as_str()) {
            Some("inet") => u.inet = Some(family(fam, &p, ck, false, &["dhcp", "dhcp-client"])),
            Some("inet6") => u.inet6 = Some(family(fam, &p, ck, true, &["dhcpv6-client"])),
            _ => {}
        }
    }
    u
}

fn family(st: &Statement, path: &Path, ck: &mut Checks, v6: bool, dhcp: &[&str]) -> Family {
    let mut addresses = Vec::new();
    for a in kids(st, "address") {
        let Some(w) = a.words.get(1) else { continue };
        match Prefix::parse(&w.text).filter(|p| p.is_ipv4() != v6) {
            Some(prefix) => addresses.push(InterfaceAddress {
                prefix,
                primary: flag(a, "primary"),
                preferred: flag(a, "preferred"),
            }),
            None => ck.error_word(
                path,
                a,
                w,
                format!(
                    "invalid {} prefix: '{}'",
                    if v6 { "IPv6" } else { "IPv4" },
                    w.text
                ),
            ),
        }
    }
    Family {
        addresses,
        dhcp: dhcp.iter().any(|kw| child(st, kw).is_some()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{build_text, load_errors};

    #[test]
    fn interfaces_units_and_addresses_are_typed() {
        let m = build_text(
            r#"interfaces {
                ge-0/0/0 {
                    description "to ISP";
                    vlan-tagging;
                    mtu 9000;
                    unit 100 {
                        vlan-id 100;
                        mtu 1500;
                        family inet { address 192.0.2.1/24 { primary; preferred; } address 192.0.2.2/24; }
                        family inet6 { address 2001:db8::1/64; dhcpv6-client; }
                    }
                }
                ge-0/0/1 { disable; unit 0 { family inet { dhcp; } } }
            }"#,
        );
        let ge0 = m.interface("ge-0/0/0").expect("ge-0/0/0");
        assert_eq!(ge0.description.as_deref(), Some("to ISP"));
        assert!(ge0.vlan_tagging);
        assert_eq!(ge0.mtu, Some(9000));
        let u = ge0.unit(100).expect("unit 100");
        assert_eq!(u.vlan_id, Some(100));
        assert_eq!(u.mtu, Some(1500));
        let inet = u.inet.as_ref().expect("inet");
        assert_eq!(inet.addresses.len(), 2);
        assert_eq!(inet.addresses[0].prefix.to_string(), "192.0.2.1/24");
        assert!(inet.addresses[0].primary && inet.addresses[0].preferred);
        assert!(!inet.addresses[1].primary);
        assert!(u.inet6.as_ref().is_some_and(|f| f.dhcp));
        let ge1 = m.interface("ge-0/0/1").expect("ge-0/0/1");
        assert!(ge1.disable);
        assert!(ge1.units[0].inet.as_ref().is_some_and(|f| f.dhcp));
        assert!(m.unit("ge-0/0/1.0").is_some());
        assert!(m.unit("ge-0/0/1").is_some());
        assert!(m.unit("ge-0/0/1.1").is_none());
    }

    #[test]
    fn unit_names_normalise() {
        assert_eq!(normalize_unit("ge-0/0/0"), "ge-0/0/0.0");
        assert_eq!(normalize_unit("reth1.20"), "reth1.20");
        assert_eq!(split_unit("reth1.20"), Some(("reth1", 20)));
        assert_eq!(reth_index("reth12"), Some(12));
        assert_eq!(reth_index("ge-0/0/0"), None);
    }

    #[test]
    fn a_v6_address_under_inet_is_refused() {
        let text = "interfaces {\n ge-0/0/0 {\n  unit 0 {\n   family inet {\n    address 2001:db8::1/64;\n   }\n  }\n }\n}\n";
        let Some(e) = load_errors(text) else {
            return; // the schema already refuses it at load time
        };
        assert_eq!(
            e[0].path,
            ["interfaces", "ge-0/0/0", "unit 0", "family inet"]
        );
        assert_eq!(e[0].message, "invalid IPv4 prefix: '2001:db8::1/64'");
        assert_eq!(e[0].span.map(|s| s.line), Some(5));
    }
}
