// SPDX-License-Identifier: Apache-2.0
//! The TCP state tracker: follows the handshake and teardown of a session
//! and refuses resets that are not in the receiver's window, so a blind or
//! stray RST cannot end an established connection (RFC 5961's concern).

use crate::parse::tcp::{ACK, FIN, RST, SYN};
use crate::verdict::DropReason;

/// Where a TCP session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpState {
    /// SYN seen from the initiator.
    SynSent,
    /// SYN-ACK seen from the responder.
    SynReceived,
    /// Handshake complete.
    Established,
    /// One side sent FIN.
    Closing,
    /// Both sides sent FIN.
    TimeWait,
    /// An accepted RST.
    Closed,
}

/// What one direction has sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Side {
    /// Next sequence number after everything sent (SYN/FIN count one).
    end: u32,
    /// Highest acknowledgement sent.
    ack: u32,
    /// Largest window advertised, scaled.
    win: u32,
    /// Window scale offered on the SYN.
    scale: Option<u8>,
    seen: bool,
    acked: bool,
    fin: bool,
}

/// One TCP segment as the tracker sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Segment {
    pub flags: u8,
    pub seq: u32,
    pub ack: u32,
    pub window: u16,
    pub payload: u32,
    pub scale: Option<u8>,
}

/// Tracker state of one session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpTracker {
    state: TcpState,
    /// `[initiator, responder]`.
    sides: [Side; 2],
}

/// Signed distance `a - b` in sequence space.
fn diff(a: u32, b: u32) -> i64 {
    i64::from(a.wrapping_sub(b) as i32)
}

impl TcpTracker {
    /// A tracker for a session opened by `syn` from the initiator.
    pub(crate) fn new(syn: &Segment) -> TcpTracker {
        let mut t = TcpTracker {
            state: if syn.flags & SYN != 0 {
                TcpState::SynSent
            } else {
                // Created without a SYN (`no-syn-check`): pick up mid-stream.
                TcpState::Established
            },
            sides: [Side::default(); 2],
        };
        t.record(0, syn);
        t
    }

    /// The current state.
    pub fn state(&self) -> TcpState {
        self.state
    }

    fn record(&mut self, dir: usize, s: &Segment) {
        let side = &mut self.sides[dir];
        let len = s.payload + u32::from(s.flags & SYN != 0) + u32::from(s.flags & FIN != 0);
        let end = s.seq.wrapping_add(len);
        if !side.seen || diff(end, side.end) > 0 {
            side.end = end;
        }
        if s.flags & SYN != 0 {
            side.scale = s.scale;
        }
        if s.flags & ACK != 0 && (!side.acked || diff(s.ack, side.ack) > 0) {
            side.ack = s.ack;
            side.acked = true;
        }
        let both_scale = self.sides[0].scale.is_some() && self.sides[1].scale.is_some();
        let side = &mut self.sides[dir];
        let shift = if both_scale && s.flags & SYN == 0 {
            side.scale.unwrap_or(0)
        } else {
            0
        };
        side.win = side.win.max(u32::from(s.window) << shift);
        side.seen = true;
    }

    /// Applies a segment travelling in `dir` (0 initiator → responder,
    /// 1 back). `Err` leaves the tracker unchanged and the packet dropped.
    pub(crate) fn update(
        &mut self,
        dir: usize,
        s: &Segment,
        sequence_check: bool,
    ) -> Result<(), DropReason> {
        let other = 1 - dir;
        if s.flags & RST != 0 {
            let recv = self.sides[other];
            let ok = if !sequence_check {
                true
            } else if recv.acked {
                let d = diff(s.seq, recv.ack);
                (0..=i64::from(recv.win.max(1))).contains(&d)
            } else if self.state == TcpState::SynSent && dir == 1 {
                // Answer to our SYN: it must acknowledge it.
                s.flags & ACK != 0 && s.ack == self.sides[0].end
            } else {
                diff(s.seq, recv.end) == 0 || !recv.seen
            };
            if !ok {
                return Err(DropReason::TcpOutOfWindow);
            }
            self.record(dir, s);
            self.state = TcpState::Closed;
            return Ok(());
        }
        if s.flags & SYN != 0 {
            match (self.state, dir) {
                (TcpState::SynSent, 0) => {}
                (TcpState::SynSent | TcpState::SynReceived, 1) => {
                    self.state = TcpState::SynReceived;
                }
                (TcpState::SynReceived, 0) => {}
                _ => return Err(DropReason::TcpInvalid),
            }
            self.record(dir, s);
            return Ok(());
        }
        if self.state == TcpState::SynSent && dir == 1 {
            // Only a SYN-ACK or RST may answer a SYN.
            return Err(DropReason::TcpInvalid);
        }
        self.record(dir, s);
        if self.state == TcpState::SynReceived && dir == 0 && s.flags & ACK != 0 {
            self.state = TcpState::Established;
        }
        if s.flags & FIN != 0 {
            self.sides[dir].fin = true;
            self.state = if self.sides[other].fin {
                TcpState::TimeWait
            } else {
                TcpState::Closing
            };
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(flags: u8, seq: u32, ack: u32) -> Segment {
        Segment {
            flags,
            seq,
            ack,
            window: 1000,
            payload: 0,
            scale: None,
        }
    }

    fn established() -> TcpTracker {
        let mut t = TcpTracker::new(&seg(SYN, 100, 0));
        t.update(1, &seg(SYN | ACK, 500, 101), true).unwrap();
        t.update(0, &seg(ACK, 101, 501), true).unwrap();
        assert_eq!(t.state(), TcpState::Established);
        t
    }

    #[test]
    fn handshake_and_teardown() {
        let mut t = established();
        t.update(0, &seg(FIN | ACK, 101, 501), true).unwrap();
        assert_eq!(t.state(), TcpState::Closing);
        t.update(1, &seg(FIN | ACK, 501, 102), true).unwrap();
        assert_eq!(t.state(), TcpState::TimeWait);
    }

    #[test]
    fn out_of_window_rst_is_refused() {
        let mut t = established();
        let before = t;
        assert_eq!(
            t.update(1, &seg(RST, 501 + 5000, 0), true),
            Err(DropReason::TcpOutOfWindow)
        );
        assert_eq!(t, before, "refused RST changes nothing");
        t.update(1, &seg(RST, 501, 0), true).unwrap();
        assert_eq!(t.state(), TcpState::Closed);
    }

    #[test]
    fn answers_to_a_syn() {
        let mut t = TcpTracker::new(&seg(SYN, 100, 0));
        assert_eq!(
            t.update(1, &seg(ACK, 5, 5), true),
            Err(DropReason::TcpInvalid)
        );
        assert_eq!(
            t.update(1, &seg(RST | ACK, 0, 7), true),
            Err(DropReason::TcpOutOfWindow)
        );
        t.update(1, &seg(RST | ACK, 0, 101), true).unwrap();
        assert_eq!(t.state(), TcpState::Closed);
    }
}
