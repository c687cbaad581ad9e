// SPDX-License-Identifier: Apache-2.0
//! Ethernet II with at most one 802.1Q tag.

use super::{be16, need, ParseError};

/// EtherType IPv4.
pub const ETH_IPV4: u16 = 0x0800;
/// EtherType IPv6.
pub const ETH_IPV6: u16 = 0x86dd;
/// EtherType ARP.
pub const ETH_ARP: u16 = 0x0806;
/// EtherType 802.1Q.
pub const ETH_VLAN: u16 = 0x8100;

/// An Ethernet header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ethernet {
    /// Destination MAC.
    pub dst: [u8; 6],
    /// Source MAC.
    pub src: [u8; 6],
    /// The 802.1Q VLAN id, when tagged.
    pub vlan: Option<u16>,
    /// The EtherType of the payload (after the tag).
    pub ethertype: u16,
    /// Bytes before the payload (14, or 18 when tagged).
    pub header_len: usize,
}

impl Ethernet {
    /// Reads the header at the start of `buf`.
    pub fn from_bytes(buf: &[u8]) -> Result<Ethernet, ParseError> {
        need(buf, 14, "ethernet")?;
        let mut dst = [0; 6];
        let mut src = [0; 6];
        dst.copy_from_slice(&buf[0..6]);
        src.copy_from_slice(&buf[6..12]);
        let outer = be16(buf, 12);
        if outer != ETH_VLAN {
            return Ok(Ethernet {
                dst,
                src,
                vlan: None,
                ethertype: outer,
                header_len: 14,
            });
        }
        need(buf, 18, "802.1q")?;
        Ok(Ethernet {
            dst,
            src,
            vlan: Some(be16(buf, 14) & 0x0fff),
            ethertype: be16(buf, 16),
            header_len: 18,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn untagged_and_tagged() {
        let mut f = [0u8; 18];
        f[12..14].copy_from_slice(&ETH_IPV4.to_be_bytes());
        let e = Ethernet::from_bytes(&f[..14]).unwrap();
        assert_eq!((e.ethertype, e.vlan, e.header_len), (ETH_IPV4, None, 14));
        f[12..14].copy_from_slice(&ETH_VLAN.to_be_bytes());
        f[14..16].copy_from_slice(&0x2064u16.to_be_bytes());
        f[16..18].copy_from_slice(&ETH_IPV6.to_be_bytes());
        let e = Ethernet::from_bytes(&f).unwrap();
        assert_eq!(
            (e.ethertype, e.vlan, e.header_len),
            (ETH_IPV6, Some(100), 18)
        );
        assert!(Ethernet::from_bytes(&f[..16]).is_err());
        assert!(Ethernet::from_bytes(&f[..13]).is_err());
    }
}
