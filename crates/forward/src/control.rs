// SPDX-License-Identifier: Apache-2.0
//! The daemon's way into the workers' session tables: a channel per
//! worker, drained once per worker loop (never per packet). `show security
//! flow session` gathers [`SessionView`]s from every worker; `clear` removes
//! sessions where they live.

use std::net::IpAddr;
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use xpf_dataplane::{Counters, Session};

/// Which sessions a request is about (all fields must match; `None`: any).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionFilter {
    /// `source-prefix`: the session's original source address.
    pub source: Option<IpAddr>,
    /// `destination-prefix`: its original destination.
    pub destination: Option<IpAddr>,
    /// `protocol`: IP protocol number.
    pub protocol: Option<u8>,
}

impl SessionFilter {
    /// Whether `s` matches.
    pub fn matches(&self, s: &Session) -> bool {
        let ip = |a: u128| join(a, s.fwd.v6);
        self.source.is_none_or(|a| a == ip(s.fwd.src))
            && self.destination.is_none_or(|a| a == ip(s.fwd.dst))
            && self.protocol.is_none_or(|p| p == s.fwd.proto)
    }
}

fn join(a: u128, v6: bool) -> IpAddr {
    if v6 {
        IpAddr::from(a.to_be_bytes())
    } else {
        // IPv4 lives in the low 32 bits.
        IpAddr::from((a as u32).to_be_bytes())
    }
}

/// One flow endpoint pair as the operator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Wing {
    /// Source address and port.
    pub src: (IpAddr, u16),
    /// Destination address and port.
    pub dst: (IpAddr, u16),
    /// Interface the packets of this wing arrive on.
    pub ifindex: u32,
    /// Packets.
    pub packets: u64,
    /// Bytes.
    pub bytes: u64,
}

/// A session, copied out of a worker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionView {
    /// Session id.
    pub id: u64,
    /// Worker (queue) that owns it.
    pub worker: u32,
    /// Policy name.
    pub policy: String,
    /// Policy index (`p1/4` shows it).
    pub policy_id: Option<u32>,
    /// Configured idle timeout, seconds.
    pub timeout_s: u64,
    /// Seconds until it expires if idle.
    pub remaining_s: u64,
    /// IP protocol.
    pub proto: u8,
    /// Application name.
    pub application: String,
    /// From and to zone.
    pub zones: (String, String),
    /// The initiator's direction.
    pub inbound: Wing,
    /// The responder's direction (after NAT).
    pub outbound: Wing,
}

impl SessionView {
    /// Copies a session.
    pub fn new(s: &Session, worker: u32, now: u64) -> SessionView {
        let ip = |a: u128| join(a, s.fwd.v6);
        let secs = |ns: u64| ns / 1_000_000_000;
        SessionView {
            id: s.id,
            worker,
            policy: s.policy.to_string(),
            policy_id: s.policy_id,
            timeout_s: secs(s.timeout).min(u64::from(u32::MAX)),
            remaining_s: secs(s.expires.saturating_sub(now)).min(u64::from(u32::MAX)),
            proto: s.fwd.proto,
            application: s.application.to_string(),
            zones: (s.from_zone.to_string(), s.to_zone.to_string()),
            inbound: Wing {
                src: (ip(s.fwd.src), s.fwd.sport),
                dst: (ip(s.fwd.dst), s.fwd.dport),
                ifindex: s.ingress_ifindex,
                packets: s.packets[0],
                bytes: s.bytes[0],
            },
            outbound: Wing {
                src: (ip(s.rev.src), s.rev.sport),
                dst: (ip(s.rev.dst), s.rev.dport),
                ifindex: s.route[0].ifindex,
                packets: s.packets[1],
                bytes: s.bytes[1],
            },
        }
    }
}

/// What the daemon asks a worker.
#[derive(Debug)]
pub enum Request {
    /// The matching sessions.
    Sessions(SessionFilter, Sender<Vec<SessionView>>),
    /// Remove the matching sessions; answers how many.
    Clear(SessionFilter, Sender<usize>),
    /// The worker's counters.
    Counters(Sender<Counters>),
}

/// The daemon's end: one sender per worker.
#[derive(Debug, Default)]
pub struct Control {
    workers: Mutex<Vec<Sender<Request>>>,
}

/// How long the daemon waits for a worker (a worker answers within one
/// loop, milliseconds even when idle).
const ANSWER: Duration = Duration::from_secs(2);

impl Control {
    /// An empty control with no workers.
    pub fn new() -> Control {
        Control::default()
    }

    /// A new worker's end of its channel.
    pub fn register(&self) -> Receiver<Request> {
        let (tx, rx) = channel();
        self.workers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(tx);
        rx
    }

    /// Sends `make(reply)` to every worker and gathers the answers; workers
    /// gone or silent past the deadline are left out.
    pub fn ask<T>(&self, make: impl Fn(Sender<T>) -> Request) -> Vec<T> {
        let (tx, rx) = channel();
        let mut asked = 0;
        {
            let mut workers = self.workers.lock().unwrap_or_else(|e| e.into_inner());
            workers.retain(|w| w.send(make(tx.clone())).is_ok());
            asked += workers.len();
        }
        drop(tx);
        let deadline = Instant::now() + ANSWER;
        let mut out = Vec::with_capacity(asked);
        while out.len() < asked {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(v) => out.push(v),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
            }
        }
        out
    }

    /// Every worker's matching sessions, by id.
    pub fn sessions(&self, filter: SessionFilter) -> Vec<SessionView> {
        let mut all: Vec<SessionView> = self
            .ask(|r| Request::Sessions(filter, r))
            .into_iter()
            .flatten()
            .collect();
        all.sort_by_key(|s| s.id);
        all
    }

    /// Clears the matching sessions everywhere; how many went.
    pub fn clear(&self, filter: SessionFilter) -> usize {
        self.ask(|r| Request::Clear(filter, r)).into_iter().sum()
    }

    /// The workers' counters, summed.
    pub fn counters(&self) -> Counters {
        let mut sum = Counters::default();
        for c in self.ask(Request::Counters) {
            sum.add(&c);
        }
        sum
    }
}
