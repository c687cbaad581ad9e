// SPDX-License-Identifier: Apache-2.0
//! `host-inbound-traffic` compiled to protocol/port rules: which packets
//! addressed to the box an interface hands to the kernel.

use xpf_model::{HostInbound, HostInboundItem};

/// One accepted kind of packet. For ICMP/ICMPv6, `low..=high` are types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HostRule {
    pub proto: u8,
    pub low: u16,
    pub high: u16,
    /// Also match the source port (peering protocols such as BGP, where the
    /// box may be either end of the connection).
    pub either: bool,
}

const fn r(proto: u8, low: u16, high: u16) -> HostRule {
    HostRule {
        proto,
        low,
        high,
        either: false,
    }
}

const fn peer(proto: u8, port: u16) -> HostRule {
    HostRule {
        proto,
        low: port,
        high: port,
        either: true,
    }
}

const TCP: u8 = 6;
const UDP: u8 = 17;
const ICMP: u8 = 1;
const ICMP6: u8 = 58;

/// `system-services` names and what each accepts.
const SERVICES: &[(&str, &[HostRule])] = &[
    ("ssh", &[r(TCP, 22, 22)]),
    ("telnet", &[r(TCP, 23, 23)]),
    ("ftp", &[r(TCP, 21, 21)]),
    ("http", &[r(TCP, 80, 80)]),
    ("https", &[r(TCP, 443, 443)]),
    ("ping", &[r(ICMP, 8, 8), r(ICMP6, 128, 128)]),
    (
        "traceroute",
        &[r(UDP, 33434, 33534), r(ICMP, 8, 8), r(ICMP6, 128, 128)],
    ),
    ("dns", &[r(UDP, 53, 53), r(TCP, 53, 53)]),
    ("dhcp", &[r(UDP, 67, 68)]),
    ("bootp", &[r(UDP, 67, 68)]),
    ("dhcpv6", &[r(UDP, 546, 547)]),
    ("ntp", &[r(UDP, 123, 123)]),
    ("snmp", &[r(UDP, 161, 161)]),
    ("snmp-trap", &[r(UDP, 162, 162)]),
    ("ike", &[r(UDP, 500, 500), r(UDP, 4500, 4500)]),
    ("netconf", &[r(TCP, 830, 830)]),
    ("tftp", &[r(UDP, 69, 69)]),
    ("xnm-clear-text", &[r(TCP, 3221, 3221)]),
    ("xnm-ssl", &[r(TCP, 3220, 3220)]),
    ("ident-reset", &[r(TCP, 113, 113)]),
    ("rlogin", &[r(TCP, 513, 513)]),
    ("rsh", &[r(TCP, 514, 514)]),
    ("sip", &[r(UDP, 5060, 5060), r(TCP, 5060, 5060)]),
];

/// `protocols` names and what each accepts (`proto, 0, 0` is the whole
/// IP protocol).
const PROTOCOLS: &[(&str, &[HostRule])] = &[
    ("bgp", &[peer(TCP, 179)]),
    ("ospf", &[r(89, 0, u16::MAX)]),
    ("ospf3", &[r(89, 0, u16::MAX)]),
    ("rip", &[r(UDP, 520, 520)]),
    ("ripng", &[r(UDP, 521, 521)]),
    ("vrrp", &[r(112, 0, u16::MAX)]),
    ("pim", &[r(103, 0, u16::MAX)]),
    ("igmp", &[r(2, 0, u16::MAX)]),
    ("bfd", &[r(UDP, 3784, 3785), r(UDP, 4784, 4784)]),
    ("ldp", &[peer(TCP, 646), r(UDP, 646, 646)]),
    ("rsvp", &[r(46, 0, u16::MAX)]),
    ("msdp", &[peer(TCP, 639)]),
    ("router-discovery", &[r(ICMP, 9, 10)]),
];

/// The compiled host-inbound settings of one interface.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct HostInboundSet {
    pub any: bool,
    pub rules: Vec<HostRule>,
}

fn expand(
    items: &[HostInboundItem],
    table: &[(&str, &[HostRule])],
    out: &mut Vec<HostRule>,
) -> bool {
    let excepted = |name: &str| items.iter().any(|i| i.except && i.name == name);
    let all = items.iter().any(|i| !i.except && i.name == "all");
    if all && !items.iter().any(|i| i.except) {
        return true;
    }
    for (name, rules) in table {
        let listed = items.iter().any(|i| !i.except && i.name == *name);
        if (all || listed) && !excepted(name) {
            out.extend_from_slice(rules);
        }
    }
    false
}

impl HostInboundSet {
    /// Compiles the settings in force on an interface.
    pub(crate) fn compile(hi: &HostInbound) -> HostInboundSet {
        let mut rules = Vec::new();
        let any_service = expand(&hi.system_services, SERVICES, &mut rules);
        let any_protocol = expand(&hi.protocols, PROTOCOLS, &mut rules);
        HostInboundSet {
            any: any_service && any_protocol,
            rules: if any_service || any_protocol {
                // `all` in one category: accept every port of that kind by
                // keeping the other category's rules and widening.
                let mut r = rules;
                if any_service {
                    r.extend(SERVICES.iter().flat_map(|(_, x)| x.iter().copied()));
                }
                if any_protocol {
                    r.extend(PROTOCOLS.iter().flat_map(|(_, x)| x.iter().copied()));
                }
                r
            } else {
                rules
            },
        }
    }

    /// Whether a packet to the box is accepted. `port_or_type` is the
    /// destination port, or the ICMP type.
    pub(crate) fn allows(&self, proto: u8, sport: u16, port_or_type: u16) -> bool {
        self.any
            || self.rules.iter().any(|r| {
                r.proto == proto
                    && ((r.low..=r.high).contains(&port_or_type)
                        || (r.either && (r.low..=r.high).contains(&sport)))
            })
    }
}

/// Whether a service name is known (unknown ones compile to nothing).
pub(crate) fn known_service(name: &str) -> bool {
    name == "all"
        || SERVICES.iter().any(|(n, _)| *n == name)
        || PROTOCOLS.iter().any(|(n, _)| *n == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(name: &str, except: bool) -> HostInboundItem {
        HostInboundItem {
            name: name.into(),
            except,
        }
    }

    #[test]
    fn services_and_protocols() {
        let hi = HostInbound {
            system_services: vec![item("ssh", false), item("ping", false)],
            protocols: vec![item("bgp", false)],
        };
        let s = HostInboundSet::compile(&hi);
        assert!(s.allows(TCP, 40000, 22));
        assert!(!s.allows(TCP, 40000, 23));
        assert!(s.allows(ICMP, 0, 8) && s.allows(ICMP6, 0, 128));
        assert!(s.allows(TCP, 179, 50000), "BGP from a peer's port");
        assert!(!s.allows(UDP, 1, 53));
    }

    #[test]
    fn all_except() {
        let hi = HostInbound {
            system_services: vec![item("all", false), item("telnet", true)],
            protocols: vec![],
        };
        let s = HostInboundSet::compile(&hi);
        assert!(s.allows(TCP, 1, 22) && s.allows(UDP, 1, 123));
        assert!(!s.allows(TCP, 1, 23));
        assert!(!s.allows(89, 0, 0), "no protocols");
        let every = HostInboundSet::compile(&HostInbound {
            system_services: vec![item("all", false)],
            protocols: vec![item("all", false)],
        });
        assert!(every.allows(47, 0, 0));
        assert!(known_service("ntp") && !known_service("nope"));
    }
}
