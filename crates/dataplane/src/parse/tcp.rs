// SPDX-License-Identifier: Apache-2.0
//! TCP header and the options the pipeline reads (MSS, window scale).

use super::{be16, be32, invalid, need, ParseError};

/// FIN flag.
pub const FIN: u8 = 0x01;
/// SYN flag.
pub const SYN: u8 = 0x02;
/// RST flag.
pub const RST: u8 = 0x04;
/// PSH flag.
pub const PSH: u8 = 0x08;
/// ACK flag.
pub const ACK: u8 = 0x10;
/// URG flag.
pub const URG: u8 = 0x20;

/// A TCP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tcp {
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number.
    pub ack: u32,
    /// Header length in bytes.
    pub header_len: usize,
    /// Flags (low 8 bits).
    pub flags: u8,
    /// Advertised window (unscaled).
    pub window: u16,
    /// Offset of the MSS option's value within the header, and its value.
    pub mss: Option<(usize, u16)>,
    /// Window scale option.
    pub window_scale: Option<u8>,
}

impl Tcp {
    /// Reads the header at the start of `buf` (the IP payload). Options are
    /// read only on SYNs, the only segments that carry MSS and scale.
    pub fn from_bytes(buf: &[u8]) -> Result<Tcp, ParseError> {
        need(buf, 20, "tcp")?;
        let header_len = usize::from(buf[12] >> 4) * 4;
        if header_len < 20 {
            return invalid("tcp", "data offset");
        }
        need(buf, header_len, "tcp")?;
        let mut t = Tcp {
            sport: be16(buf, 0),
            dport: be16(buf, 2),
            seq: be32(buf, 4),
            ack: be32(buf, 8),
            header_len,
            flags: buf[13],
            window: be16(buf, 14),
            mss: None,
            window_scale: None,
        };
        if t.flags & SYN != 0 {
            let mut i = 20;
            while i < header_len {
                match buf[i] {
                    0 => break,
                    1 => i += 1,
                    kind => {
                        let len = usize::from(*buf.get(i + 1).unwrap_or(&0));
                        if len < 2 || i + len > header_len {
                            return invalid("tcp", "option length");
                        }
                        if kind == 2 && len == 4 {
                            t.mss = Some((i + 2, be16(buf, i + 2)));
                        } else if kind == 3 && len == 3 {
                            t.window_scale = Some(buf[i + 2].min(14));
                        }
                        i += len;
                    }
                }
            }
        }
        Ok(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syn_options() {
        let mut h = vec![0u8; 28];
        h[0..2].copy_from_slice(&40000u16.to_be_bytes());
        h[2..4].copy_from_slice(&80u16.to_be_bytes());
        h[12] = 7 << 4;
        h[13] = SYN;
        h[20..28].copy_from_slice(&[2, 4, 0x05, 0xb4, 1, 3, 3, 7]);
        let t = Tcp::from_bytes(&h).unwrap();
        assert_eq!(t.mss, Some((22, 1460)));
        assert_eq!(t.window_scale, Some(7));
        assert_eq!((t.sport, t.dport, t.header_len), (40000, 80, 28));
        h[21] = 9;
        assert!(Tcp::from_bytes(&h).is_err());
        h[12] = 4 << 4;
        assert!(Tcp::from_bytes(&h).is_err());
    }
}
