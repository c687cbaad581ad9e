// SPDX-License-Identifier: Apache-2.0
//! ICMP (IPv4).

use super::{be16, need, ParseError};

/// Echo reply.
pub const ECHO_REPLY: u8 = 0;
/// Destination unreachable.
pub const UNREACHABLE: u8 = 3;
/// Echo request.
pub const ECHO_REQUEST: u8 = 8;
/// Time exceeded.
pub const TIME_EXCEEDED: u8 = 11;

/// An ICMP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Icmp {
    /// Type.
    pub ty: u8,
    /// Code.
    pub code: u8,
    /// Checksum field.
    pub checksum: u16,
    /// Identifier (meaningful for echo).
    pub id: u16,
}

impl Icmp {
    /// Reads the 8-byte header at the start of `buf`.
    pub fn from_bytes(buf: &[u8]) -> Result<Icmp, ParseError> {
        need(buf, 8, "icmp")?;
        Ok(Icmp {
            ty: buf[0],
            code: buf[1],
            checksum: be16(buf, 2),
            id: be16(buf, 4),
        })
    }

    /// Whether it reports an error about an embedded packet.
    pub fn is_error(&self) -> bool {
        matches!(self.ty, 3 | 4 | 5 | 11 | 12)
    }

    /// Whether it is an echo request or reply (sessions key on the id).
    pub fn is_echo(&self) -> bool {
        matches!(self.ty, ECHO_REQUEST | ECHO_REPLY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        let e = Icmp::from_bytes(&[8, 0, 0, 0, 0x12, 0x34, 0, 1]).unwrap();
        assert!(e.is_echo() && !e.is_error() && e.id == 0x1234);
        assert!(Icmp::from_bytes(&[3, 1, 0, 0, 0, 0, 0, 0])
            .unwrap()
            .is_error());
        assert!(Icmp::from_bytes(&[8, 0, 0]).is_err());
    }
}
