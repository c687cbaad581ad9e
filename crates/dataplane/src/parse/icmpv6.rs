// SPDX-License-Identifier: Apache-2.0
//! ICMPv6.

use super::{be16, need, ParseError};

/// Destination unreachable.
pub const UNREACHABLE: u8 = 1;
/// Time exceeded.
pub const TIME_EXCEEDED: u8 = 3;
/// Echo request.
pub const ECHO_REQUEST: u8 = 128;
/// Echo reply.
pub const ECHO_REPLY: u8 = 129;

/// An ICMPv6 header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Icmpv6 {
    /// Type.
    pub ty: u8,
    /// Code.
    pub code: u8,
    /// Checksum field.
    pub checksum: u16,
    /// Identifier (meaningful for echo).
    pub id: u16,
}

impl Icmpv6 {
    /// Reads the 8-byte header at the start of `buf`.
    pub fn from_bytes(buf: &[u8]) -> Result<Icmpv6, ParseError> {
        need(buf, 8, "icmpv6")?;
        Ok(Icmpv6 {
            ty: buf[0],
            code: buf[1],
            checksum: be16(buf, 2),
            id: be16(buf, 4),
        })
    }

    /// Whether it reports an error about an embedded packet (types < 128).
    pub fn is_error(&self) -> bool {
        self.ty < 128
    }

    /// Whether it is an echo request or reply.
    pub fn is_echo(&self) -> bool {
        matches!(self.ty, ECHO_REQUEST | ECHO_REPLY)
    }

    /// Neighbour discovery and router discovery (133..=137): always the
    /// kernel's, as on Junos, where NDP needs no host-inbound statement.
    pub fn is_neighbor_discovery(&self) -> bool {
        (133..=137).contains(&self.ty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds() {
        let e = Icmpv6::from_bytes(&[128, 0, 0, 0, 0, 7, 0, 1]).unwrap();
        assert!(e.is_echo() && !e.is_error() && e.id == 7);
        assert!(Icmpv6::from_bytes(&[135, 0, 0, 0, 0, 0, 0, 0])
            .unwrap()
            .is_neighbor_discovery());
        assert!(Icmpv6::from_bytes(&[1, 0, 0, 0, 0, 0, 0, 0])
            .unwrap()
            .is_error());
    }
}
