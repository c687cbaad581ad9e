// SPDX-License-Identifier: Apache-2.0
//! IPv6 and its extension headers (hop-by-hop, routing, fragment,
//! destination options), walked to the upper-layer header.

use super::{be128, be16, be32, invalid, need, ParseError};

/// Extension headers walked before giving up (a chain longer than this is
/// an attack, not a packet).
const MAX_EXTENSIONS: usize = 8;

/// The fragment header of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6Fragment {
    /// Offset in bytes.
    pub offset: usize,
    /// More-fragments flag.
    pub more: bool,
    /// Identification.
    pub id: u32,
}

/// An IPv6 header with its extension chain resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6 {
    /// Payload length from the header.
    pub payload_len: usize,
    /// Hop limit.
    pub hop_limit: u8,
    /// Source address.
    pub src: u128,
    /// Destination address.
    pub dst: u128,
    /// The upper-layer protocol after the extension headers.
    pub protocol: u8,
    /// Offset of the upper-layer header from the start of the IPv6 header.
    pub upper_offset: usize,
    /// Fragment header, when present.
    pub fragment: Option<Ipv6Fragment>,
    /// A routing header with segments left (a source route).
    pub source_route: bool,
}

impl Ipv6 {
    /// Reads the header and walks its extension headers.
    pub fn from_bytes(buf: &[u8]) -> Result<Ipv6, ParseError> {
        need(buf, 40, "ipv6")?;
        if buf[0] >> 4 != 6 {
            return invalid("ipv6", "version");
        }
        let payload_len = usize::from(be16(buf, 4));
        if 40 + payload_len > buf.len() {
            return invalid("ipv6", "payload length");
        }
        let end = 40 + payload_len;
        let mut ip = Ipv6 {
            payload_len,
            hop_limit: buf[7],
            src: be128(buf, 8),
            dst: be128(buf, 24),
            protocol: buf[6],
            upper_offset: 40,
            fragment: None,
            source_route: false,
        };
        for _ in 0..MAX_EXTENSIONS {
            let off = ip.upper_offset;
            match ip.protocol {
                0 | 60 | 43 => {
                    need(&buf[..end], off + 8, "ipv6 extension")?;
                    let len = (usize::from(buf[off + 1]) + 1) * 8;
                    need(&buf[..end], off + len, "ipv6 extension")?;
                    if ip.protocol == 43 && buf[off + 3] != 0 {
                        ip.source_route = true;
                    }
                    ip.protocol = buf[off];
                    ip.upper_offset = off + len;
                }
                44 => {
                    need(&buf[..end], off + 8, "ipv6 fragment")?;
                    if ip.fragment.is_some() {
                        return invalid("ipv6", "second fragment header");
                    }
                    let fo = be16(buf, off + 2);
                    ip.fragment = Some(Ipv6Fragment {
                        offset: usize::from(fo & 0xfff8),
                        more: fo & 1 != 0,
                        id: be32(buf, off + 4),
                    });
                    ip.protocol = buf[off];
                    ip.upper_offset = off + 8;
                    if fo & 0xfff8 != 0 {
                        // A non-first fragment carries no upper-layer header.
                        return Ok(ip);
                    }
                }
                _ => return Ok(ip),
            }
        }
        invalid("ipv6", "extension chain too long")
    }

    /// Whether the packet is a fragment (first or not).
    pub fn is_fragment(&self) -> bool {
        self.fragment.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(next: u8, ext: &[u8], payload: usize) -> Vec<u8> {
        let mut p = vec![0x60, 0, 0, 0, 0, 0, next, 64];
        p.extend_from_slice(&[0x20, 1, 0x0d, 0xb8].repeat(4));
        p.extend_from_slice(&[0x20, 1, 0x0d, 0xb9].repeat(4));
        p.extend_from_slice(ext);
        p.extend(std::iter::repeat_n(0, payload));
        let len = (p.len() - 40) as u16;
        p[4..6].copy_from_slice(&len.to_be_bytes());
        p
    }

    #[test]
    fn walks_extensions() {
        // Hop-by-hop (8 bytes) -> routing with segments left -> TCP.
        let ext = [43, 0, 1, 0, 0, 0, 0, 0, 6, 0, 0, 1, 0, 0, 0, 0];
        let ip = Ipv6::from_bytes(&packet(0, &ext, 20)).unwrap();
        assert_eq!((ip.protocol, ip.upper_offset), (6, 56));
        assert!(ip.source_route && ip.fragment.is_none());
    }

    #[test]
    fn fragments() {
        let first = [17, 0, 0, 1, 0, 0, 0, 9];
        let ip = Ipv6::from_bytes(&packet(44, &first, 8)).unwrap();
        assert_eq!(
            ip.fragment,
            Some(Ipv6Fragment {
                offset: 0,
                more: true,
                id: 9
            })
        );
        assert_eq!(ip.protocol, 17);
        let later = [17, 0, 0x05, 0x78, 0, 0, 0, 9];
        let ip = Ipv6::from_bytes(&packet(44, &later, 8)).unwrap();
        assert_eq!(ip.fragment.map(|f| f.offset), Some(1400));
    }

    #[test]
    fn truncated_chain_is_an_error() {
        let p = packet(0, &[6, 4, 0, 0, 0, 0, 0, 0], 0);
        assert!(Ipv6::from_bytes(&p).is_err());
        assert!(Ipv6::from_bytes(&p[..30]).is_err());
    }
}
