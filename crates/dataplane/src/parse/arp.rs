// SPDX-License-Identifier: Apache-2.0
//! ARP for IPv4 over Ethernet. The pipeline never answers ARP itself (the
//! kernel owns neighbours); it reads it only to count and validate.

use super::{be16, be32, invalid, need, ParseError};

/// An ARP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arp {
    /// 1 request, 2 reply.
    pub operation: u16,
    /// Sender protocol address.
    pub sender_ip: u32,
    /// Target protocol address.
    pub target_ip: u32,
}

impl Arp {
    /// Reads an Ethernet/IPv4 ARP packet.
    pub fn from_bytes(buf: &[u8]) -> Result<Arp, ParseError> {
        need(buf, 28, "arp")?;
        if be16(buf, 0) != 1 || be16(buf, 2) != 0x0800 || buf[4] != 6 || buf[5] != 4 {
            return invalid("arp", "hardware/protocol type");
        }
        Ok(Arp {
            operation: be16(buf, 6),
            sender_ip: be32(buf, 14),
            target_ip: be32(buf, 24),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request() {
        let mut b = [0u8; 28];
        b[..8].copy_from_slice(&[0, 1, 8, 0, 6, 4, 0, 1]);
        b[14..18].copy_from_slice(&[10, 0, 0, 1]);
        b[24..28].copy_from_slice(&[10, 0, 0, 2]);
        let a = Arp::from_bytes(&b).unwrap();
        assert_eq!((a.operation, a.target_ip), (1, 0x0a00_0002));
        b[1] = 6;
        assert!(Arp::from_bytes(&b).is_err());
        assert!(Arp::from_bytes(&b[..20]).is_err());
    }
}
