// SPDX-License-Identifier: Apache-2.0
//! UDP header.

use super::{be16, invalid, need, ParseError};

/// A UDP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Udp {
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// Length field (header + data).
    pub len: usize,
    /// Checksum field (0: none, IPv4 only).
    pub checksum: u16,
}

impl Udp {
    /// Reads the header at the start of `buf` (the IP payload).
    pub fn from_bytes(buf: &[u8]) -> Result<Udp, ParseError> {
        need(buf, 8, "udp")?;
        let len = usize::from(be16(buf, 4));
        if len < 8 || len > buf.len() {
            return invalid("udp", "length");
        }
        Ok(Udp {
            sport: be16(buf, 0),
            dport: be16(buf, 2),
            len,
            checksum: be16(buf, 6),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_checked() {
        let h = [0, 53, 0x9c, 0x40, 0, 8, 0, 0];
        let u = Udp::from_bytes(&h).unwrap();
        assert_eq!((u.sport, u.dport, u.len), (53, 40000, 8));
        assert!(Udp::from_bytes(&[0, 53, 0, 53, 0, 9, 0, 0]).is_err());
        assert!(Udp::from_bytes(&h[..7]).is_err());
    }
}
