// SPDX-License-Identifier: Apache-2.0
//! Addresses as numbers: the pipeline keeps every address in a `u128` (IPv4
//! in the low 32 bits) with the family beside it, so one code path serves
//! both families.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `(is_v6, number)` of an address.
pub fn split(a: IpAddr) -> (bool, u128) {
    match a {
        IpAddr::V4(v4) => (false, u128::from(u32::from(v4))),
        IpAddr::V6(v6) => (true, u128::from(v6)),
    }
}

/// The address of a number and family.
pub fn join(a: u128, v6: bool) -> IpAddr {
    if v6 {
        IpAddr::V6(Ipv6Addr::from(a))
    } else {
        IpAddr::V4(Ipv4Addr::from(a as u32))
    }
}

/// Bits in an address of the family.
pub fn width(v6: bool) -> u8 {
    if v6 {
        128
    } else {
        32
    }
}

/// The host-bit mask of a prefix length.
pub fn host_mask(len: u8, v6: bool) -> u128 {
    let host = u32::from(width(v6).saturating_sub(len));
    let all = if v6 { u128::MAX } else { u128::from(u32::MAX) };
    if host >= 128 {
        all
    } else {
        ((1u128 << host) - 1) & all
    }
}

/// `a` with its host bits cleared.
pub fn mask(a: u128, len: u8, v6: bool) -> u128 {
    a & !host_mask(len, v6)
}

/// The inclusive numeric range of a model prefix.
pub fn prefix_range(p: &xpf_model::Prefix) -> (bool, u128, u128) {
    let (v6, a) = split(p.addr);
    let low = mask(a, p.len, v6);
    (v6, low, low | host_mask(p.len, v6))
}

/// The inclusive numeric range of a model address range.
pub fn range_of(r: &xpf_model::AddressRange) -> (bool, u128, u128) {
    let (v6, low) = split(r.low);
    (v6, low, split(r.high).1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(host_mask(24, false), 0xff);
        assert_eq!(host_mask(0, false), 0xffff_ffff);
        assert_eq!(host_mask(0, true), u128::MAX);
        assert_eq!(host_mask(128, true), 0);
        let p = xpf_model::Prefix::parse("10.1.2.3/16").unwrap();
        assert_eq!(prefix_range(&p), (false, 0x0a01_0000, 0x0a01_ffff));
        assert_eq!(
            join(split("2001:db8::1".parse().unwrap()).1, true).to_string(),
            "2001:db8::1"
        );
    }
}
