// SPDX-License-Identifier: Apache-2.0
//! IPv4 with options and fragments.

use super::{be16, be32, invalid, need, ParseError};
use crate::checksum;

/// What the options of a header contain (screens look at these).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ipv4Options {
    /// Loose source route (131).
    pub loose_source_route: bool,
    /// Strict source route (137).
    pub strict_source_route: bool,
    /// Record route (7).
    pub record_route: bool,
    /// Timestamp (68).
    pub timestamp: bool,
    /// Basic security (130).
    pub security: bool,
    /// Stream identifier (136).
    pub stream: bool,
}

impl Ipv4Options {
    /// The options the screens look at as [`Ipv4Options`] bits
    /// (`OPT_*`), as the eBPF program passes them around.
    pub fn screened_bits(&self) -> u8 {
        let mut b = 0;
        for (on, bit) in [
            (self.record_route, OPT_RECORD_ROUTE),
            (self.timestamp, OPT_TIMESTAMP),
            (self.security, OPT_SECURITY),
            (self.stream, OPT_STREAM),
        ] {
            if on {
                b |= bit;
            }
        }
        b
    }
}

/// [`Ipv4Options::screened_bits`]: record route.
pub const OPT_RECORD_ROUTE: u8 = 0x01;
/// Timestamp.
pub const OPT_TIMESTAMP: u8 = 0x02;
/// Security.
pub const OPT_SECURITY: u8 = 0x04;
/// Stream identifier.
pub const OPT_STREAM: u8 = 0x08;

/// An IPv4 header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv4 {
    /// Header length in bytes (20..=60).
    pub header_len: usize,
    /// Total length from the header (header + payload).
    pub total_len: usize,
    /// Identification.
    pub id: u16,
    /// More-fragments flag.
    pub more_fragments: bool,
    /// Fragment offset in bytes.
    pub fragment_offset: usize,
    /// Time to live.
    pub ttl: u8,
    /// Payload protocol.
    pub protocol: u8,
    /// Source address.
    pub src: u32,
    /// Destination address.
    pub dst: u32,
    /// Options present.
    pub options: Ipv4Options,
}

impl Ipv4 {
    /// Reads and checks the header at the start of `buf` (version, lengths,
    /// header checksum, option encoding). `buf` may extend past
    /// `total_len` (Ethernet padding).
    ///
    /// Inlined into the parse stage: returned through memory, the header
    /// was stored field by field and reloaded at once, a stall on every
    /// packet.
    #[inline]
    pub fn from_bytes(buf: &[u8]) -> Result<Ipv4, ParseError> {
        need(buf, 20, "ipv4")?;
        if buf[0] >> 4 != 4 {
            return invalid("ipv4", "version");
        }
        let header_len = usize::from(buf[0] & 0x0f) * 4;
        if header_len < 20 {
            return invalid("ipv4", "header length");
        }
        need(buf, header_len, "ipv4")?;
        let total_len = usize::from(be16(buf, 2));
        if total_len < header_len || total_len > buf.len() {
            return invalid("ipv4", "total length");
        }
        // The common 20-byte header summed at a length known here, so the
        // loop unrolls into five loads.
        let sum = if header_len == 20 {
            checksum::sum(&buf[..20], 0)
        } else {
            checksum::sum(&buf[..header_len], 0)
        };
        if checksum::finish(sum) != 0 {
            return invalid("ipv4", "header checksum");
        }
        let frag = be16(buf, 6);
        if frag & 0x8000 != 0 {
            return invalid("ipv4", "reserved flag");
        }
        Ok(Ipv4 {
            header_len,
            total_len,
            id: be16(buf, 4),
            more_fragments: frag & 0x2000 != 0,
            fragment_offset: usize::from(frag & 0x1fff) * 8,
            ttl: buf[8],
            protocol: buf[9],
            src: be32(buf, 12),
            dst: be32(buf, 16),
            options: if header_len == 20 {
                Ipv4Options::default()
            } else {
                options(&buf[20..header_len])?
            },
        })
    }

    /// Whether this is a fragment at all.
    pub fn is_fragment(&self) -> bool {
        self.more_fragments || self.fragment_offset != 0
    }
}

/// Walks the option list; a length running past the header is malformed.
fn options(mut b: &[u8]) -> Result<Ipv4Options, ParseError> {
    let mut o = Ipv4Options::default();
    while let Some(&kind) = b.first() {
        match kind {
            0 => break,
            1 => {
                b = &b[1..];
                continue;
            }
            _ => {}
        }
        let len = usize::from(*b.get(1).ok_or(ParseError::Invalid {
            protocol: "ipv4",
            field: "option length",
        })?);
        if len < 2 || len > b.len() {
            return invalid("ipv4", "option length");
        }
        match kind {
            131 => o.loose_source_route = true,
            137 => o.strict_source_route = true,
            7 => o.record_route = true,
            68 => o.timestamp = true,
            130 => o.security = true,
            136 => o.stream = true,
            _ => {}
        }
        b = &b[len..];
    }
    Ok(o)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(ihl: u8, opts: &[u8]) -> Vec<u8> {
        let mut h = vec![
            0x40 | ihl,
            0,
            0,
            0,
            0,
            7,
            0x20,
            0x01,
            64,
            6,
            0,
            0,
            10,
            0,
            0,
            1,
            10,
            0,
            0,
            2,
        ];
        h.extend_from_slice(opts);
        let len = h.len() as u16;
        h[2..4].copy_from_slice(&len.to_be_bytes());
        let c = checksum::finish(checksum::sum(&h, 0));
        h[10..12].copy_from_slice(&c.to_be_bytes());
        h
    }

    #[test]
    fn fields_fragments_and_options() {
        let h = header(6, &[131, 3, 4, 0]);
        let ip = Ipv4::from_bytes(&h).unwrap();
        assert_eq!((ip.header_len, ip.ttl, ip.protocol, ip.id), (24, 64, 6, 7));
        assert!(ip.more_fragments && ip.fragment_offset == 8 && ip.is_fragment());
        assert!(ip.options.loose_source_route);
        assert_eq!(ip.src, 0x0a00_0001);
        let h = header(9, &[7, 3, 4, 68, 4, 5, 0, 130, 3, 0, 136, 4, 0, 1, 0, 0]);
        let o = Ipv4::from_bytes(&h).unwrap().options;
        assert_eq!(o.screened_bits(), 0x0f);
    }

    #[test]
    fn rejects_bad_headers() {
        let mut h = header(5, &[]);
        h[11] ^= 1;
        assert!(Ipv4::from_bytes(&h).is_err(), "checksum");
        let h = header(6, &[131, 9, 0, 0]);
        assert!(Ipv4::from_bytes(&h).is_err(), "option too long");
        let h = header(5, &[]);
        assert!(Ipv4::from_bytes(&h[..19]).is_err());
        let mut h = header(5, &[]);
        h[0] = 0x65;
        assert!(Ipv4::from_bytes(&h).is_err(), "version");
    }
}
