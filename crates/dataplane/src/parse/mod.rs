// SPDX-License-Identifier: Apache-2.0
//! Header parsers, one file per protocol. Each has a checked `from_bytes`
//! over `&[u8]` returning a typed view (fields copied out, offsets kept so
//! rewrites can patch the frame in place) or a [`ParseError`].

pub mod arp;
pub mod ethernet;
pub mod icmp;
pub mod icmpv6;
pub mod ipv4;
pub mod ipv6;
pub mod tcp;
pub mod udp;

/// Why a header could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// Fewer bytes than the header needs.
    #[error("{protocol}: truncated ({have} bytes, need {need})")]
    Truncated {
        /// Which header.
        protocol: &'static str,
        /// Bytes available.
        have: usize,
        /// Bytes needed.
        need: usize,
    },
    /// A field holds a value the protocol forbids.
    #[error("{protocol}: bad {field}")]
    Invalid {
        /// Which header.
        protocol: &'static str,
        /// Which field.
        field: &'static str,
    },
}

/// `Err(Truncated)` unless `buf` has `need` bytes.
pub(crate) fn need(buf: &[u8], need: usize, protocol: &'static str) -> Result<(), ParseError> {
    if buf.len() < need {
        Err(ParseError::Truncated {
            protocol,
            have: buf.len(),
            need,
        })
    } else {
        Ok(())
    }
}

pub(crate) fn invalid<T>(protocol: &'static str, field: &'static str) -> Result<T, ParseError> {
    Err(ParseError::Invalid { protocol, field })
}

pub(crate) fn be16(b: &[u8], off: usize) -> u16 {
    u16::from_be_bytes([b[off], b[off + 1]])
}

pub(crate) fn be32(b: &[u8], off: usize) -> u32 {
    u32::from_be_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

pub(crate) fn be128(b: &[u8], off: usize) -> u128 {
    let mut a = [0u8; 16];
    a.copy_from_slice(&b[off..off + 16]);
    u128::from_be_bytes(a)
}
