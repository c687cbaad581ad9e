// SPDX-License-Identifier: Apache-2.0
//! Value types of schema placeholders (`<int:1-65535>`, `<ipv4-prefix>`, ...)
//! and their validation, with Junos-style messages.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The type of a value position in a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ValueType {
    /// Any word.
    String,
    /// An object name: letters, digits and `-_.:/`, up to 63 characters.
    Name,
    /// An integer within an inclusive range.
    Int {
        /// Smallest value.
        min: i64,
        /// Largest value.
        max: i64,
    },
    /// An IPv4 address.
    Ipv4,
    /// An IPv6 address.
    Ipv6,
    /// An IPv4 or IPv6 address.
    Ip,
    /// An IPv4 prefix `a.b.c.d/len`.
    Ipv4Prefix,
    /// An IPv6 prefix.
    Ipv6Prefix,
    /// An IPv4 or IPv6 prefix.
    IpPrefix,
    /// An address with or without `/len`.
    IpOrPrefix,
    /// A MAC address.
    Mac,
    /// A physical interface name.
    Interface,
    /// An interface with an optional `.unit`.
    InterfaceUnit,
    /// A port number or well-known port name.
    Port,
    /// A port, `low-high` range, or name.
    PortRange,
    /// One of fixed keywords.
    Enum(Vec<String>),
    /// A reference to a named object of a kind (resolved by `commit check`).
    Ref(String),
}

impl ValueType {
    /// Reads a placeholder word such as `<int:1-10>`; `None` if it is not one.
    pub fn from_placeholder(word: &str) -> Option<Result<ValueType, String>> {
        let inner = word.strip_prefix('<')?.strip_suffix('>')?;
        let (kind, arg) = match inner.split_once(':') {
            Some((k, a)) => (k, Some(a)),
            None => (inner, None),
        };
        let t = match (kind, arg) {
            ("string", None) => ValueType::String,
            ("name", None) => ValueType::Name,
            ("int", Some(range)) => {
                let parsed = range
                    .split_once('-')
                    .and_then(|(lo, hi)| Some((lo.parse::<i64>().ok()?, hi.parse::<i64>().ok()?)));
                match parsed {
                    Some((min, max)) => ValueType::Int { min, max },
                    None => return Some(Err(format!("bad integer range in {word}"))),
                }
            }
            ("ipv4", None) => ValueType::Ipv4,
            ("ipv6", None) => ValueType::Ipv6,
            ("ip", None) => ValueType::Ip,
            ("ipv4-prefix", None) => ValueType::Ipv4Prefix,
            ("ipv6-prefix", None) => ValueType::Ipv6Prefix,
            ("ip-prefix", None) => ValueType::IpPrefix,
            ("ip-or-prefix", None) => ValueType::IpOrPrefix,
            ("mac", None) => ValueType::Mac,
            ("interface", None) => ValueType::Interface,
            ("interface-unit", None) => ValueType::InterfaceUnit,
            ("port", None) => ValueType::Port,
            ("port-range", None) => ValueType::PortRange,
            ("enum", Some(list)) => ValueType::Enum(list.split('|').map(str::to_string).collect()),
            ("ref", Some(kind)) => ValueType::Ref(kind.to_string()),
            _ => return Some(Err(format!("unknown value type {word}"))),
        };
        Some(Ok(t))
    }

    /// How `?` help names the value (`<mtu>` style placeholders).
    pub fn describe(&self) -> String {
        match self {
            ValueType::String => "<string>".into(),
            ValueType::Name => "<name>".into(),
            ValueType::Int { min, max } => format!("<{min}..{max}>"),
            ValueType::Ipv4 => "<ipv4addr>".into(),
            ValueType::Ipv6 => "<ipv6addr>".into(),
            ValueType::Ip => "<ipaddr>".into(),
            ValueType::Ipv4Prefix => "<ipv4prefix>".into(),
            ValueType::Ipv6Prefix => "<ipv6prefix>".into(),
            ValueType::IpPrefix | ValueType::IpOrPrefix => "<ipprefix>".into(),
            ValueType::Mac => "<mac-addr>".into(),
            ValueType::Interface | ValueType::InterfaceUnit => "<interface-name>".into(),
            ValueType::Port | ValueType::PortRange => "<port>".into(),
            ValueType::Enum(v) => format!("<{}>", v.join("|")),
            ValueType::Ref(kind) => format!("<{kind}>"),
        }
    }

    /// Checks a value; the error is the message Junos users expect.
    pub fn check(&self, v: &str) -> Result<(), String> {
        if is_wildcard(v) {
            return Ok(());
        }
        let ok = match self {
            ValueType::String | ValueType::Ref(_) => !v.is_empty(),
            ValueType::Name => is_name(v),
            ValueType::Int { min, max } => {
                let n: i64 = v
                    .parse()
                    .map_err(|_| format!("invalid numeric value: '{v}'"))?;
                if n < *min || n > *max {
                    return Err(format!("Value {n} is not within range ({min}..{max})"));
                }
                true
            }
            ValueType::Ipv4 => v.parse::<Ipv4Addr>().is_ok(),
            ValueType::Ipv6 => v.parse::<Ipv6Addr>().is_ok(),
            ValueType::Ip => v.parse::<IpAddr>().is_ok(),
            ValueType::Ipv4Prefix => parse_prefix(v).is_some_and(|(a, _)| a.is_ipv4()),
            ValueType::Ipv6Prefix => parse_prefix(v).is_some_and(|(a, _)| a.is_ipv6()),
            ValueType::IpPrefix => parse_prefix(v).is_some(),
            ValueType::IpOrPrefix => v.parse::<IpAddr>().is_ok() || parse_prefix(v).is_some(),
            ValueType::Mac => is_mac(v),
            ValueType::Interface => is_interface(v),
            ValueType::InterfaceUnit => match v.rsplit_once('.') {
                Some((ifname, unit)) => is_interface(ifname) && unit.parse::<u32>().is_ok(),
                None => is_interface(v),
            },
            ValueType::Port => port_number(v).is_some(),
            ValueType::PortRange => port_range(v).is_some(),
            ValueType::Enum(options) => {
                if options.iter().any(|o| o == v) {
                    true
                } else {
                    return Err(format!(
                        "invalid value '{v}', expecting one of: {}",
                        options.join(" ")
                    ));
                }
            }
        };
        if ok {
            Ok(())
        } else {
            Err(format!("invalid {}: '{v}'", self.noun()))
        }
    }

    fn noun(&self) -> &'static str {
        match self {
            ValueType::Name => "name",
            ValueType::Ipv4 => "IPv4 address",
            ValueType::Ipv6 => "IPv6 address",
            ValueType::Ip => "IP address",
            ValueType::Ipv4Prefix => "IPv4 prefix",
            ValueType::Ipv6Prefix => "IPv6 prefix",
            ValueType::IpPrefix | ValueType::IpOrPrefix => "prefix",
            ValueType::Mac => "MAC address",
            ValueType::Interface | ValueType::InterfaceUnit => "interface name",
            ValueType::Port | ValueType::PortRange => "port",
            _ => "value",
        }
    }
}

/// `<*>`, `<ge-*>`: a groups wildcard.
pub fn is_wildcard(v: &str) -> bool {
    v.len() >= 3 && v.starts_with('<') && v.ends_with('>')
}

/// Whether `pattern` (a groups wildcard such as `<ge-*>`) matches `name`.
pub fn wildcard_matches(pattern: &str, name: &str) -> bool {
    let Some(glob) = pattern.strip_prefix('<').and_then(|p| p.strip_suffix('>')) else {
        return pattern == name;
    };
    glob_match(glob.as_bytes(), name.as_bytes())
}

fn glob_match(p: &[u8], s: &[u8]) -> bool {
    match p.split_first() {
        None => s.is_empty(),
        Some((b'*', rest)) => (0..=s.len()).any(|i| glob_match(rest, &s[i..])),
        Some((b'?', rest)) => !s.is_empty() && glob_match(rest, &s[1..]),
        Some((c, rest)) => s.first() == Some(c) && glob_match(rest, &s[1..]),
    }
}

fn is_name(v: &str) -> bool {
    !v.is_empty()
        && v.len() <= 63
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:/".contains(c))
}

/// Parses `addr/len` with a length valid for the family.
pub fn parse_prefix(v: &str) -> Option<(IpAddr, u8)> {
    let (a, l) = v.split_once('/')?;
    let addr: IpAddr = a.parse().ok()?;
    let len: u8 = l.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (len <= max).then_some((addr, len))
}

fn is_mac(v: &str) -> bool {
    let parts: Vec<&str> = v.split(':').collect();
    parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Junos (`ge-0/0/1`, `ge-0/0/1:2`, `reth0`, `fxp0`) or Linux (`trust0`) names.
pub fn is_interface(v: &str) -> bool {
    if let Some((media, rest)) = v.split_once('-') {
        if media.chars().all(|c| c.is_ascii_lowercase()) && !media.is_empty() {
            let (slots, chan) = match rest.split_once(':') {
                Some((s, c)) => (s, Some(c)),
                None => (rest, None),
            };
            let fpc: Vec<&str> = slots.split('/').collect();
            if fpc.len() == 3 {
                return fpc
                    .iter()
                    .all(|n| !n.is_empty() && n.parse::<u16>().is_ok())
                    && chan.is_none_or(|c| c.parse::<u16>().is_ok());
            }
        }
    }
    // A Linux interface name: at most 15 bytes, no '/', ' ' or '.'.
    !v.is_empty()
        && v.len() <= 15
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// Junos' well-known port names and their numbers.
pub const NAMED_PORTS: &[(&str, u16)] = &[
    ("afs", 1483),
    ("bgp", 179),
    ("biff", 512),
    ("bootpc", 68),
    ("bootps", 67),
    ("cmd", 514),
    ("cvspserver", 2401),
    ("dhcp", 67),
    ("domain", 53),
    ("eklogin", 2105),
    ("ekshell", 2106),
    ("exec", 512),
    ("finger", 79),
    ("ftp", 21),
    ("ftp-data", 20),
    ("http", 80),
    ("https", 443),
    ("ident", 113),
    ("imap", 143),
    ("kerberos-sec", 88),
    ("klogin", 543),
    ("kpasswd", 761),
    ("krb-prop", 754),
    ("krbupdate", 760),
    ("kshell", 544),
    ("ldap", 389),
    ("ldp", 646),
    ("login", 513),
    ("mobileip-agent", 434),
    ("mobilip-mn", 435),
    ("msdp", 639),
    ("netbios-dgm", 138),
    ("netbios-ns", 137),
    ("netbios-ssn", 139),
    ("nfsd", 2049),
    ("nntp", 119),
    ("ntalk", 518),
    ("ntp", 123),
    ("pop3", 110),
    ("pptp", 1723),
    ("printer", 515),
    ("radacct", 1813),
    ("radius", 1812),
    ("rip", 520),
    ("rkinit", 2108),
    ("smtp", 25),
    ("snmp", 161),
    ("snmptrap", 162),
    ("snpp", 444),
    ("socks", 1080),
    ("ssh", 22),
    ("sunrpc", 111),
    ("syslog", 514),
    ("tacacs", 49),
    ("tacacs-ds", 65),
    ("talk", 517),
    ("telnet", 23),
    ("tftp", 69),
    ("timed", 525),
    ("who", 513),
    ("xdmcp", 177),
];

/// A port number or name.
pub fn port_number(v: &str) -> Option<u16> {
    v.parse::<u16>()
        .ok()
        .or_else(|| NAMED_PORTS.iter().find(|(n, _)| *n == v).map(|(_, p)| *p))
}

/// A port, `low-high` range or name, as an inclusive range.
pub fn port_range(v: &str) -> Option<(u16, u16)> {
    if let Some(p) = port_number(v) {
        return Some((p, p));
    }
    let (lo, hi) = v.split_once('-')?;
    let (lo, hi) = (port_number(lo)?, port_number(hi)?);
    (lo <= hi).then_some((lo, hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_parse() {
        assert_eq!(
            ValueType::from_placeholder("<int:1-10>"),
            Some(Ok(ValueType::Int { min: 1, max: 10 }))
        );
        assert!(ValueType::from_placeholder("host-name").is_none());
        assert!(matches!(
            ValueType::from_placeholder("<bogus>"),
            Some(Err(_))
        ));
    }

    #[test]
    fn values_are_checked_with_junos_messages() {
        let mtu = ValueType::Int {
            min: 256,
            max: 9216,
        };
        assert_eq!(
            mtu.check("abc").unwrap_err(),
            "invalid numeric value: 'abc'"
        );
        assert!(mtu.check("10").unwrap_err().contains("not within range"));
        assert!(ValueType::Ipv4Prefix.check("10.0.0.0/8").is_ok());
        assert!(ValueType::Ipv4Prefix.check("10.0.0.0/33").is_err());
        assert!(ValueType::IpPrefix.check("2001:db8::/32").is_ok());
        assert!(ValueType::Interface.check("ge-0/0/1").is_ok());
        assert!(ValueType::Interface.check("trust0").is_ok());
        assert!(ValueType::InterfaceUnit.check("reth0.100").is_ok());
        assert!(ValueType::Interface.check("ge-0/0").is_err());
        assert!(ValueType::Mac.check("00:11:22:33:44:55").is_ok());
        assert_eq!(port_range("http"), Some((80, 80)));
        assert_eq!(port_range("1024-65535"), Some((1024, 65535)));
        assert!(ValueType::Enum(vec!["a".into()]).check("b").is_err());
    }

    #[test]
    fn wildcards_match_like_junos_groups() {
        assert!(wildcard_matches("<*>", "ge-0/0/0"));
        assert!(wildcard_matches("<ge-*>", "ge-0/0/0"));
        assert!(!wildcard_matches("<ge-*>", "xe-0/0/0"));
    }
}
