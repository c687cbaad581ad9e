// SPDX-License-Identifier: Apache-2.0
//! The Internet checksum (RFC 1071) and its incremental update (RFC 1624).
//!
//! Rewrites patch checksums incrementally so a NAT or TTL change costs a few
//! additions, not a pass over the payload. Full sums are only computed for
//! packets the pipeline builds itself (RST, ICMP errors).

/// One's-complement sum of `data` added to `acc` (folded to at most
/// 16 bits, not complemented).
///
/// Adds big-endian 32-bit words into a 64-bit accumulator and folds once
/// at the end: the same sum as 16-bit words with an end-around carry each
/// (2^16 ≡ 1 mod 0xffff), without a fold on every word's dependency chain
/// (measured: the IPv4 header check is on every packet's path).
#[inline]
pub fn sum(data: &[u8], acc: u32) -> u32 {
    let mut wide = u64::from(acc);
    let mut words = data.chunks_exact(4);
    for w in &mut words {
        wide += u64::from(u32::from_be_bytes([w[0], w[1], w[2], w[3]]));
    }
    let mut rest = words.remainder().chunks_exact(2);
    for c in &mut rest {
        wide += u64::from(u16::from_be_bytes([c[0], c[1]]));
    }
    if let [last] = rest.remainder() {
        wide += u64::from(*last) << 8;
    }
    // 2^32 ≡ 1 too: fold 64 to 33 bits, then to 16 (plus a carry of at
    // most 1, which the last fold absorbs).
    let mut folded = (wide & 0xffff_ffff) + (wide >> 32);
    for _ in 0..3 {
        folded = (folded & 0xffff) + (folded >> 16);
    }
    folded as u32
}

/// Folds a sum to 16 bits and complements it: the checksum field value.
pub fn finish(mut acc: u32) -> u16 {
    while acc >> 16 != 0 {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    !(acc as u16)
}

/// The pseudo-header sum of an IPv4 or IPv6 upper-layer checksum.
pub fn pseudo(v6: bool, src: u128, dst: u128, proto: u8, len: u32) -> u32 {
    let mut acc = 0u32;
    let words = if v6 { 8 } else { 2 };
    for a in [src, dst] {
        for i in 0..words {
            acc += ((a >> (16 * i)) & 0xffff) as u32;
        }
    }
    acc += u32::from(proto);
    acc += len >> 16;
    acc += len & 0xffff;
    acc
}

/// RFC 1624 eqn. 3: the checksum after one 16-bit word changed from `old`
/// to `new`: HC' = ~(~HC + ~m + m').
pub fn update16(csum: u16, old: u16, new: u16) -> u16 {
    let mut acc = u32::from(!csum) + u32::from(!old) + u32::from(new);
    acc = (acc & 0xffff) + (acc >> 16);
    acc = (acc & 0xffff) + (acc >> 16);
    !(acc as u16)
}

/// The checksum after an address changed (`words` 16-bit words: 2 for
/// IPv4, 8 for IPv6).
pub fn update_addr(mut csum: u16, old: u128, new: u128, v6: bool) -> u16 {
    let words = if v6 { 8 } else { 2 };
    for i in 0..words {
        let o = ((old >> (16 * i)) & 0xffff) as u16;
        let n = ((new >> (16 * i)) & 0xffff) as u16;
        if o != n {
            csum = update16(csum, o, n);
        }
    }
    csum
}

/// Reads the big-endian u16 at `off` (callers have checked the bounds
/// through a parsed header).
pub(crate) fn get16(buf: &[u8], off: usize) -> u16 {
    match buf.get(off..off + 2) {
        Some(b) => u16::from_be_bytes([b[0], b[1]]),
        None => 0,
    }
}

/// Writes the big-endian u16 at `off`, when in bounds.
pub(crate) fn put16(buf: &mut [u8], off: usize, v: u16) {
    if let Some(b) = buf.get_mut(off..off + 2) {
        b.copy_from_slice(&v.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc1071_example() {
        // The RFC 1071 section 3 example sums to 0xddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(finish(sum(&data, 0)), !0xddf2);
    }

    /// The 16-bit word-at-a-time sum with an end-around carry per word
    /// (RFC 1071's reference loop), to check [`sum`] against.
    fn reference(data: &[u8], mut acc: u32) -> u32 {
        let mut chunks = data.chunks_exact(2);
        for c in &mut chunks {
            acc = acc.wrapping_add(u32::from(u16::from_be_bytes([c[0], c[1]])));
            acc = (acc & 0xffff) + (acc >> 16);
        }
        if let [last] = chunks.remainder() {
            acc = acc.wrapping_add(u32::from(*last) << 8);
        }
        acc
    }

    #[test]
    fn wide_sum_equals_the_reference() {
        // Every length and alignment of the tail, all-zero and all-ones
        // data (the ±0 edge of one's complement), and a running start.
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let noise: Vec<u8> = (0..1500)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        for data in [vec![0u8; 64], vec![0xffu8; 64], noise[..64].to_vec()] {
            for len in 0..=data.len() {
                for acc in [0, 1, 0xffff, 0x1_fffe, 0x7_fff8] {
                    let d = &data[..len];
                    assert_eq!(
                        finish(sum(d, acc)),
                        finish(reference(d, acc)),
                        "{len} {acc}"
                    );
                }
            }
        }
        assert_eq!(finish(sum(&noise, 0)), finish(reference(&noise, 0)));
        assert_eq!(sum(&[], 0), 0);
        assert!(sum(&[0xff; 1500], 0xffff) <= 0xffff);
    }

    #[test]
    fn incremental_equals_full() {
        let mut data = [
            0x45u8, 0, 0, 60, 1, 2, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        let c = finish(sum(&data, 0));
        data[10..12].copy_from_slice(&c.to_be_bytes());
        assert_eq!(finish(sum(&data, 0)), 0);
        let old = get16(&data, 12);
        put16(&mut data, 12, 0xc0a8);
        let c2 = update16(c, old, 0xc0a8);
        data[10..12].copy_from_slice(&c2.to_be_bytes());
        assert_eq!(finish(sum(&data, 0)), 0);
    }
}
