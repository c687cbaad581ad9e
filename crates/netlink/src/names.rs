// SPDX-License-Identifier: Apache-2.0
//! Junos interface names ↔ Linux interface names.
//!
//! Linux forbids `/`, `:` and whitespace in interface names and allows at most 15 bytes
//! (`IFNAMSIZ - 1`); Junos names its ports `type-fpc/pic/port`, optionally with a channel
//! (`xe-0/0/0:1`) and a logical unit (`ge-0/0/1.10`). The rule, applied to the part before
//! an optional unit suffix:
//!
//! | Junos              | Linux             | what                                        |
//! |--------------------|-------------------|---------------------------------------------|
//! | `ge-0/0/1`         | `ge-0-0-1`        | slotted port: each `/` becomes `-`          |
//! | `xe-0/0/0:1`       | `xe-0-0-0_1`      | channelised port: the `:` becomes `_`       |
//! | `ge-0/0/1.10`      | `ge-0-0-1.10`     | logical unit 10 (the unit NUMBER, not VLAN) |
//! | `trust0`, `eth1`   | `trust0`, `eth1`  | any other name maps to itself               |
//!
//! Precisely: a *slotted* Junos name is `LETTERS-N/N/N` with an optional `:N`, where
//! `LETTERS` is one or more ASCII lowercase letters and every `N` is a decimal number written
//! without leading zeros. Its Linux form is `LETTERS-N-N-N` with an optional `_N`. A unit
//! suffix `.N` (same number rule) is carried over unchanged. Every other name is the same on
//! both sides.
//!
//! The mapping is a bijection between the names [`linux_name`] accepts and the names
//! [`junos_name`] returns: [`junos_name`] turns any Linux name of the slotted form back into
//! the Junos form, so [`linux_name`] refuses a Junos name that is already written in the
//! Linux form (`ge-0-0-1` is an error saying "write `ge-0/0/1`"), which would otherwise be a
//! second name for the same device.
//!
//! Unit 0 of an interface without `vlan-tagging` is the device itself: Junos puts the
//! addresses of `ge-0/0/1 unit 0` on the port, and so does xpf. [`linux_name`] maps names
//! literally (it cannot know about `vlan-tagging`); [`unit_linux_name`] applies that rule.

use thiserror::Error;

/// Longest legal Linux interface name in bytes (`IFNAMSIZ` is 16 including the NUL).
pub const MAX_LINUX_NAME: usize = 15;

/// Why a Junos interface name has no Linux name.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum NameError {
    /// The Linux name would be longer than [`MAX_LINUX_NAME`] bytes.
    #[error(
        "interface {junos}: its Linux name {linux} is {} bytes, more than the {MAX_LINUX_NAME} Linux allows",
        linux.len()
    )]
    TooLong {
        /// The Junos name asked for.
        junos: String,
        /// The Linux name it would map to.
        linux: String,
    },
    /// The name is empty, `.`/`..`, or holds characters Linux forbids that the rule does not
    /// map (`/` or `:` outside the slotted form, whitespace, NUL).
    #[error("interface {junos:?}: not a valid interface name ({why})")]
    Invalid {
        /// The Junos name asked for.
        junos: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// The name is written in the Linux form of a slotted name; Junos spells it differently.
    #[error("interface {junos}: write it the Junos way, {canonical}")]
    NotCanonical {
        /// The Junos name asked for.
        junos: String,
        /// How Junos spells that interface.
        canonical: String,
    },
    /// A unit other than 0 on an interface without `vlan-tagging`.
    #[error("interface {junos} unit {unit}: units other than 0 need vlan-tagging")]
    UnitNeedsVlanTagging {
        /// The Junos name of the physical interface.
        junos: String,
        /// The unit asked for.
        unit: u32,
    },
}

/// The Linux name of a Junos interface name (see the [module docs](self) for the rule).
///
/// ```
/// use xpf_netlink::{junos_name, linux_name};
/// assert_eq!(linux_name("ge-0/0/1").unwrap(), "ge-0-0-1");
/// assert_eq!(linux_name("ge-0/0/1.10").unwrap(), "ge-0-0-1.10");
/// assert_eq!(linux_name("trust0").unwrap(), "trust0");
/// assert_eq!(junos_name("ge-0-0-1.10"), "ge-0/0/1.10");
/// ```
pub fn linux_name(junos: &str) -> Result<String, NameError> {
    let invalid = |why| NameError::Invalid {
        junos: junos.to_string(),
        why,
    };
    let (base, unit) = split_unit(junos);
    let linux_base = if let Some(s) = Slotted::parse(base, b'/', b':') {
        s.render(b'-', b'_')
    } else if let Some(s) = Slotted::parse(base, b'-', b'_') {
        let canonical = match unit {
            Some(u) => format!("{}.{u}", s.render(b'/', b':')),
            None => s.render(b'/', b':'),
        };
        return Err(NameError::NotCanonical {
            junos: junos.to_string(),
            canonical,
        });
    } else {
        base.to_string()
    };
    let linux = match unit {
        Some(u) => format!("{linux_base}.{u}"),
        None => linux_base,
    };
    if linux.is_empty() {
        return Err(invalid("empty"));
    }
    if linux == "." || linux == ".." {
        return Err(invalid("`.` and `..` are not names"));
    }
    if linux.bytes().any(|b| b == b'/' || b == b':') {
        return Err(invalid(
            "`/` and `:` are only allowed in the type-fpc/pic/port[:channel] form",
        ));
    }
    if linux.chars().any(|c| c.is_whitespace() || c == '\0') {
        return Err(invalid("whitespace and NUL are not allowed"));
    }
    if linux.len() > MAX_LINUX_NAME {
        return Err(NameError::TooLong {
            junos: junos.to_string(),
            linux,
        });
    }
    Ok(linux)
}

/// The Junos name of a Linux interface name: the inverse of [`linux_name`]. Names not in
/// the slotted Linux form come back unchanged, so this never fails.
pub fn junos_name(linux: &str) -> String {
    let (base, unit) = split_unit(linux);
    match (Slotted::parse(base, b'-', b'_'), unit) {
        (Some(s), Some(u)) => format!("{}.{u}", s.render(b'/', b':')),
        (Some(s), None) => s.render(b'/', b':'),
        (None, _) => linux.to_string(),
    }
}

/// The Linux name of logical unit `unit` of the Junos interface `ifd` (`ge-0/0/1`).
///
/// Without `vlan-tagging`, unit 0 is the device itself (`ge-0-0-1`) and other units are an
/// error; with it, every unit is its own VLAN sub-interface `ge-0-0-1.UNIT`.
pub fn unit_linux_name(ifd: &str, unit: u32, vlan_tagging: bool) -> Result<String, NameError> {
    let base = linux_name(ifd)?;
    if !vlan_tagging {
        return if unit == 0 {
            Ok(base)
        } else {
            Err(NameError::UnitNeedsVlanTagging {
                junos: ifd.to_string(),
                unit,
            })
        };
    }
    linux_name(&format!("{ifd}.{unit}"))
}

/// Splits `name.UNIT` when UNIT is a canonical decimal number; otherwise the whole name is
/// the base.
fn split_unit(name: &str) -> (&str, Option<u32>) {
    match name.rsplit_once('.') {
        Some((base, unit)) if !base.is_empty() => match canonical_number(unit) {
            Some(u) => (base, Some(u)),
            None => (name, None),
        },
        _ => (name, None),
    }
}

/// A decimal number without sign or leading zeros ("0" itself is fine), fitting in u32.
fn canonical_number(s: &str) -> Option<u32> {
    let bytes = s.as_bytes();
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if bytes.len() > 1 && bytes[0] == b'0' {
        return None;
    }
    s.parse().ok()
}

/// `LETTERS-N{sep}N{sep}N[{chan}N]`, parsed with the given separators.
struct Slotted<'a> {
    kind: &'a str,
    fpc: u32,
    pic: u32,
    port: u32,
    channel: Option<u32>,
}

impl<'a> Slotted<'a> {
    fn parse(s: &'a str, sep: u8, chan: u8) -> Option<Self> {
        let (kind, rest) = s.split_once('-')?;
        if kind.is_empty() || !kind.bytes().all(|b| b.is_ascii_lowercase()) {
            return None;
        }
        let (rest, channel) = match rest.split_once(char::from(chan)) {
            Some((r, c)) => (r, Some(canonical_number(c)?)),
            None => (rest, None),
        };
        let mut parts = rest.split(char::from(sep));
        let fpc = canonical_number(parts.next()?)?;
        let pic = canonical_number(parts.next()?)?;
        let port = canonical_number(parts.next()?)?;
        if parts.next().is_some() {
            return None;
        }
        Some(Self {
            kind,
            fpc,
            pic,
            port,
            channel,
        })
    }

    fn render(&self, sep: u8, chan: u8) -> String {
        let (sep, chan) = (char::from(sep), char::from(chan));
        let mut out = format!(
            "{}-{}{sep}{}{sep}{}",
            self.kind, self.fpc, self.pic, self.port
        );
        if let Some(c) = self.channel {
            out.push(chan);
            out.push_str(&c.to_string());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn slotted_ports_and_units() {
        assert_eq!(linux_name("ge-0/0/1").unwrap(), "ge-0-0-1");
        assert_eq!(linux_name("xe-1/2/3").unwrap(), "xe-1-2-3");
        assert_eq!(linux_name("ge-0/0/1.10").unwrap(), "ge-0-0-1.10");
        assert_eq!(linux_name("ge-0/0/1.0").unwrap(), "ge-0-0-1.0");
        assert_eq!(linux_name("xe-0/0/0:1").unwrap(), "xe-0-0-0_1");
        assert_eq!(linux_name("xe-0/0/0:1.5").unwrap(), "xe-0-0-0_1.5");
        assert_eq!(junos_name("ge-0-0-1"), "ge-0/0/1");
        assert_eq!(junos_name("ge-0-0-1.10"), "ge-0/0/1.10");
        assert_eq!(junos_name("xe-0-0-0_1.5"), "xe-0/0/0:1.5");
    }

    #[test]
    fn plain_names_map_to_themselves() {
        for n in [
            "trust0",
            "eth1",
            "lo",
            "ae0",
            "reth0.100",
            "eth0.100",
            "br-lan",
            "veth0",
            "a.b",
        ] {
            assert_eq!(linux_name(n).unwrap(), n, "{n}");
            assert_eq!(junos_name(n), n, "{n}");
        }
    }

    #[test]
    fn unit_zero_without_vlan_tagging_is_the_device() {
        assert_eq!(unit_linux_name("ge-0/0/1", 0, false).unwrap(), "ge-0-0-1");
        assert_eq!(unit_linux_name("ge-0/0/1", 0, true).unwrap(), "ge-0-0-1.0");
        assert_eq!(
            unit_linux_name("ge-0/0/1", 10, true).unwrap(),
            "ge-0-0-1.10"
        );
        assert_eq!(unit_linux_name("trust0", 0, false).unwrap(), "trust0");
        assert!(matches!(
            unit_linux_name("ge-0/0/1", 10, false),
            Err(NameError::UnitNeedsVlanTagging { unit: 10, .. })
        ));
    }

    #[test]
    fn too_long_names_the_interface() {
        // "ge-10-10-10.1000" is 16 bytes.
        let err = linux_name("ge-10/10/10.1000").unwrap_err();
        assert_eq!(
            err,
            NameError::TooLong {
                junos: "ge-10/10/10.1000".into(),
                linux: "ge-10-10-10.1000".into()
            }
        );
        assert!(err.to_string().contains("ge-10/10/10.1000"), "{err}");
        assert_eq!(linux_name("ge-10/10/10.100").unwrap(), "ge-10-10-10.100");
        assert!(matches!(
            linux_name("averyveryverylongname"),
            Err(NameError::TooLong { .. })
        ));
    }

    #[test]
    fn invalid_and_non_canonical_names() {
        for n in [
            "",
            ".",
            "..",
            "ge-0/0",
            "ge-0/0/1/2",
            "ge-00/0/1",
            "a/b",
            "eth 0",
            "x:1",
            "GE-0/0/1",
        ] {
            assert!(linux_name(n).is_err(), "{n:?} should be refused");
        }
        assert_eq!(
            linux_name("ge-0-0-1.10").unwrap_err(),
            NameError::NotCanonical {
                junos: "ge-0-0-1.10".into(),
                canonical: "ge-0/0/1.10".into()
            }
        );
    }

    #[test]
    fn round_trips() {
        let junos = [
            "ge-0/0/0",
            "ge-0/0/1.10",
            "xe-1/0/15.4094",
            "et-0/1/2:3",
            "et-0/1/2:3.7",
            "trust0",
            "eth1",
            "lo",
            "ae0.100",
            "reth1",
            "ge-0/0/1.0",
            "eth0.010",
            "wan-a",
            "x-1-2",
        ];
        for j in junos {
            let l = linux_name(j).unwrap();
            assert_eq!(junos_name(&l), j, "{j} -> {l}");
        }
        let linux = [
            "ge-0-0-0",
            "ge-0-0-1.10",
            "xe-0-0-0_1",
            "eth0",
            "eth0.100",
            "veth-a",
            "ge-00-0-1",
            "x-1-2",
            "wan.a",
            "peer0",
        ];
        for l in linux {
            let j = junos_name(l);
            assert_eq!(linux_name(&j).unwrap(), l, "{l} -> {j}");
        }
    }
}
