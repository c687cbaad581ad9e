// SPDX-License-Identifier: Apache-2.0
//! Rust mirror of `ebpf/include/xpf_shim_abi.h`. The tests at the end read
//! that header and fail when a number here disagrees with it.

use std::net::IpAddr;

/// Counter indices of `xpf_shim_counters` (`XPF_CNT_*`).
pub(crate) mod cnt {
    pub const PASS_NON_IP: u32 = 0;
    pub const PASS_HOST: u32 = 1;
    pub const PASS_MALFORMED: u32 = 2;
    pub const PASS_UNMANAGED: u32 = 3;
    pub const REDIRECT: u32 = 4;
    pub const NO_SOCKET: u32 = 5;
    pub const PASS_LINK_SCOPE: u32 = 6;
    pub const HOST_DENIED: u32 = 7;
    /// Checked against the header; the map size comes from the object.
    #[allow(dead_code)]
    pub const MAX: u32 = 8;
}

/// `XPF_IFACE_REDIRECT_HOST`.
pub(crate) const IFACE_REDIRECT_HOST: u32 = 1 << 0;
/// `XPF_IFACE_HOST_ANY`.
pub(crate) const IFACE_HOST_ANY: u32 = 1 << 1;
/// `XPF_HOST_PORT` / `XPF_HOST_EITHER`: bits of an `xpf_host_rules` value.
pub const HOST_PORT: u32 = 1;
/// See [`HOST_PORT`].
pub const HOST_EITHER: u32 = 2;

/// The data half of `struct xpf_host_key`: ifindex, protocol, port (or
/// ICMP type), pad; big-endian.
pub(crate) type HostKeyData = [u8; 8];
/// `XPF_NAT_PORT_LO` / `XPF_NAT_PORT_HI`: the ports interface source NAT
/// uses; replies to them are redirected to the workers.
pub const NAT_PORTS: (u16, u16) = (61000, 65535);
/// `XPF_MAX_QUEUES`.
pub(crate) const MAX_QUEUES: u32 = 64;
/// `XPF_MAX_IFACES`.
pub(crate) const MAX_IFACES: u32 = 64;

/// `struct xpf_iface`, the value of `xpf_ifaces`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct XpfIface {
    pub xsk_base: u32,
    pub flags: u32,
}

// Its aya::Pod impl is in sys.rs, with the crate's other unsafe code.

/// The data half of `struct xpf_local_addr_key` (aya's `lpm_trie::Key`
/// supplies the leading `prefixlen`): IPv4 is stored IPv4-mapped.
pub(crate) type LocalAddrData = [u8; 16];

/// The trie key for `addr/prefix_len`, IPv4 mapped into `::ffff:0:0/96`.
pub(crate) fn local_addr_key(
    addr: IpAddr,
    prefix_len: u8,
) -> aya::maps::lpm_trie::Key<LocalAddrData> {
    match addr {
        IpAddr::V4(a) => {
            let plen = u32::from(prefix_len.min(32)) + 96;
            aya::maps::lpm_trie::Key::new(plen, a.to_ipv6_mapped().octets())
        }
        IpAddr::V6(a) => aya::maps::lpm_trie::Key::new(u32::from(prefix_len.min(128)), a.octets()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = include_str!("../../../ebpf/include/xpf_shim_abi.h");

    /// The value of `#define NAME value`: a number or `(1U << n)`.
    fn define(name: &str) -> u32 {
        let line = HEADER
            .lines()
            .find(|l| l.starts_with("#define") && l.split_whitespace().nth(1) == Some(name))
            .unwrap_or_else(|| panic!("{name} not in xpf_shim_abi.h"));
        let rest = line.splitn(3, char::is_whitespace).nth(2).expect("value");
        let expr: String = rest
            .split("/*")
            .next()
            .expect("value")
            .chars()
            .filter(|c| !c.is_whitespace() && !matches!(c, '(' | ')' | 'U'))
            .collect();
        let num = |s: &str| -> u32 { s.parse().unwrap_or_else(|_| panic!("{name}: {rest}")) };
        match expr.split_once("<<") {
            Some((a, b)) => num(a) << num(b),
            None => num(&expr),
        }
    }

    #[test]
    fn counter_indices_match_the_header() {
        for (name, v) in [
            ("XPF_CNT_PASS_NON_IP", cnt::PASS_NON_IP),
            ("XPF_CNT_PASS_HOST", cnt::PASS_HOST),
            ("XPF_CNT_PASS_MALFORMED", cnt::PASS_MALFORMED),
            ("XPF_CNT_PASS_UNMANAGED", cnt::PASS_UNMANAGED),
            ("XPF_CNT_REDIRECT", cnt::REDIRECT),
            ("XPF_CNT_NO_SOCKET", cnt::NO_SOCKET),
            ("XPF_CNT_PASS_LINK_SCOPE", cnt::PASS_LINK_SCOPE),
            ("XPF_CNT_HOST_DENIED", cnt::HOST_DENIED),
            ("XPF_IFACE_HOST_ANY", IFACE_HOST_ANY),
            ("XPF_HOST_PORT", HOST_PORT),
            ("XPF_HOST_EITHER", HOST_EITHER),
            ("XPF_CNT_MAX", cnt::MAX),
            ("XPF_IFACE_REDIRECT_HOST", IFACE_REDIRECT_HOST),
            ("XPF_MAX_QUEUES", MAX_QUEUES),
            ("XPF_MAX_IFACES", MAX_IFACES),
            ("XPF_NAT_PORT_LO", u32::from(NAT_PORTS.0)),
            ("XPF_NAT_PORT_HI", u32::from(NAT_PORTS.1)),
        ] {
            assert_eq!(define(name), v, "{name}");
        }
    }

    #[test]
    fn struct_layouts_match_the_header() {
        // The C side has _Static_asserts with the same numbers.
        assert_eq!(std::mem::size_of::<XpfIface>(), 8);
        assert_eq!(std::mem::offset_of!(XpfIface, flags), 4);
        assert_eq!(
            std::mem::size_of::<aya::maps::lpm_trie::Key<LocalAddrData>>(),
            20
        );
        assert_eq!(
            std::mem::size_of::<aya::maps::lpm_trie::Key<HostKeyData>>(),
            12
        );
    }

    #[test]
    fn ipv4_keys_are_mapped() {
        let k = local_addr_key("10.0.1.1".parse().expect("addr"), 32);
        assert_eq!(k.prefix_len(), 128);
        assert_eq!(k.data()[10..], [0xff, 0xff, 10, 0, 1, 1]);
    }
}
