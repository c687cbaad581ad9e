// SPDX-License-Identifier: Apache-2.0
//! Entry points for `qa/fuzz` into parsers this crate keeps private.
//!
//! Behind the `fuzzing` feature, which no shipped crate enables: the
//! pipeline's parse stage is not public API, but it reads every byte the
//! network sends, so the fuzzer must reach it directly.

use crate::stage::parse::{self, Frag, Frame};
use crate::verdict::DropReason;

/// What the frame parser made of a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Parsed {
    /// ARP: the kernel's.
    Arp,
    /// Neither IP nor ARP: the kernel's.
    NonIp,
    /// IPv4 or IPv6, with the quoted packet's verdict when it is an ICMP
    /// error.
    Ip {
        /// Whether the frame carries IPv6.
        v6: bool,
        /// The upper-layer protocol.
        proto: u8,
        /// `Some` for an ICMP error: whether its quote could be read.
        quote: Option<Result<(), DropReason>>,
    },
}

/// Runs the pipeline's parse stage (and, for an ICMP error, the reader of
/// the quoted packet) on `frame`, and checks what every later stage relies
/// on: each offset it hands on lies inside the frame and in order.
///
/// # Panics
///
/// When the parser returns offsets that a later stage would slice out of
/// bounds: that is the bug the fuzzer looks for.
pub fn parse_frame(frame: &[u8]) -> Result<Parsed, DropReason> {
    let p = match parse::run(frame)? {
        Frame::Arp => return Ok(Parsed::Arp),
        Frame::NonIp => return Ok(Parsed::NonIp),
        Frame::Ip(p) => p,
    };
    assert!(p.l3 == 14 || p.l3 == 18, "l3 offset {}", p.l3);
    assert!(p.l3 < p.l4, "l4 {} not after l3 {}", p.l4, p.l3);
    assert!(p.end <= frame.len(), "end {} past {}", p.end, frame.len());
    if p.frag != Frag::Later {
        assert!(p.l4 <= p.end, "l4 {} past end {}", p.l4, p.end);
    }
    if let Some(t) = p.tcp {
        if let Some((off, _)) = t.mss {
            assert!(off + 2 <= p.end, "MSS at {off} past end {}", p.end);
        }
    }
    let quote = match p.icmp {
        Some(i) if i.error => Some(parse::inner(frame, &p).map(|q| {
            assert!(q.l3 < q.l4 && q.l4 + 8 <= p.end, "quote {q:?} in {p:?}");
        })),
        _ => None,
    };
    Ok(Parsed::Ip {
        v6: p.v6,
        proto: p.proto,
        quote,
    })
}
