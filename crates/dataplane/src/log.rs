// SPDX-License-Identifier: Apache-2.0
//! Session log records (`then log session-init / session-close`) and their
//! Junos `RT_FLOW` syslog form.
//!
//! Records go into a bounded queue the daemon drains; when it is full new
//! records are dropped and counted, never blocking the packet path.

use std::collections::VecDeque;
use std::fmt::Write;
use std::net::IpAddr;
use std::sync::Arc;

/// Which event a record reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordKind {
    /// `RT_FLOW_SESSION_CREATE`.
    Create,
    /// `RT_FLOW_SESSION_CLOSE`, with Junos' reason text (`idle Timeout`,
    /// `TCP FIN`, `TCP RST`, `policy delete`, `clear`...).
    Close(&'static str),
    /// `RT_FLOW_SESSION_DENY` (deny or reject).
    Deny,
}

/// One session event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Event.
    pub kind: RecordKind,
    /// Original source address and port.
    pub src: (IpAddr, u16),
    /// Original destination address and port.
    pub dst: (IpAddr, u16),
    /// Translated source.
    pub nat_src: (IpAddr, u16),
    /// Translated destination.
    pub nat_dst: (IpAddr, u16),
    /// Application (`junos-http`), or `None`.
    pub service: Arc<str>,
    /// Source NAT rule.
    pub src_nat_rule: Option<Arc<str>>,
    /// Destination (or static) NAT rule.
    pub dst_nat_rule: Option<Arc<str>>,
    /// IP protocol.
    pub protocol: u8,
    /// Policy.
    pub policy: Arc<str>,
    /// Source zone.
    pub from_zone: Arc<str>,
    /// Destination zone.
    pub to_zone: Arc<str>,
    /// Session id (0 for denies).
    pub session_id: u64,
    /// Ingress interface unit.
    pub interface: Arc<str>,
    /// Packets and bytes from the client (close only).
    pub from_client: (u64, u64),
    /// Packets and bytes from the server (close only).
    pub from_server: (u64, u64),
    /// Seconds the session lived (close only).
    pub elapsed_s: u64,
}

fn rule(out: &mut String, kind: &str, name: &Option<Arc<str>>) {
    match name {
        Some(n) => {
            let _ = write!(out, " {kind} rule {n}");
        }
        None => out.push_str(" N/A N/A"),
    }
}

/// The Junos RT_FLOW text of a record (the structured-data-free form that
/// `show log` prints), fields in Junos order:
///
/// - create: `source/port->destination/port connection-tag service
///   nat-source/port->nat-destination/port nat-connection-tag
///   src-nat-rule-type src-nat-rule-name dst-nat-rule-type
///   dst-nat-rule-name protocol policy from-zone to-zone session-id
///   username(roles) interface ...`
/// - close: `reason: ...` then as create up to the session id, then
///   `packets(bytes)` from client and from server, elapsed seconds, ...
/// - deny: `source/port->destination/port connection-tag service
///   protocol(icmp-type) policy from-zone to-zone ...`
pub fn rt_flow_line(r: &Record) -> String {
    let mut o = String::with_capacity(256);
    let tuple = |o: &mut String, a: (IpAddr, u16), b: (IpAddr, u16)| {
        let _ = write!(o, "{}/{}->{}/{}", a.0, a.1, b.0, b.1);
    };
    match &r.kind {
        RecordKind::Deny => {
            o.push_str("RT_FLOW_SESSION_DENY: session denied ");
            tuple(&mut o, r.src, r.dst);
            let _ = write!(
                o,
                " 0x0 {} {}(0) {} {} {} UNKNOWN UNKNOWN N/A(N/A) {} UNKNOWN policy deny",
                r.service, r.protocol, r.policy, r.from_zone, r.to_zone, r.interface
            );
            return o;
        }
        RecordKind::Create => o.push_str("RT_FLOW_SESSION_CREATE: session created "),
        RecordKind::Close(reason) => {
            let _ = write!(o, "RT_FLOW_SESSION_CLOSE: session closed {reason}: ");
        }
    }
    tuple(&mut o, r.src, r.dst);
    let _ = write!(o, " 0x0 {} ", r.service);
    tuple(&mut o, r.nat_src, r.nat_dst);
    o.push_str(" 0x0");
    rule(&mut o, "source", &r.src_nat_rule);
    rule(&mut o, "destination", &r.dst_nat_rule);
    let _ = write!(
        o,
        " {} {} {} {} {}",
        r.protocol, r.policy, r.from_zone, r.to_zone, r.session_id
    );
    match r.kind {
        RecordKind::Close(_) => {
            let _ = write!(
                o,
                " {}({}) {}({}) {} UNKNOWN UNKNOWN N/A(N/A) {} UNKNOWN",
                r.from_client.0,
                r.from_client.1,
                r.from_server.0,
                r.from_server.1,
                r.elapsed_s,
                r.interface
            );
        }
        _ => {
            let _ = write!(o, " N/A(N/A) {} UNKNOWN UNKNOWN UNKNOWN", r.interface);
        }
    }
    o
}

/// Records waiting for the daemon.
#[derive(Debug)]
pub struct LogQueue {
    queue: VecDeque<Record>,
    limit: usize,
    /// Records dropped because the queue was full.
    pub dropped: u64,
}

impl LogQueue {
    /// A queue holding at most `limit` records, allocated now.
    pub fn with_capacity(limit: usize) -> LogQueue {
        LogQueue {
            queue: VecDeque::with_capacity(limit),
            limit,
            dropped: 0,
        }
    }

    /// Queues a record, or counts it dropped.
    pub fn push(&mut self, r: Record) {
        if self.queue.len() < self.limit {
            self.queue.push_back(r);
        } else {
            self.dropped += 1;
        }
    }

    /// Takes every queued record.
    pub fn drain(&mut self) -> impl Iterator<Item = Record> + '_ {
        self.queue.drain(..)
    }

    /// Records waiting.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether none wait.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(kind: RecordKind) -> Record {
        let a = |s: &str, p| (s.parse().unwrap(), p);
        Record {
            kind,
            src: a("10.0.1.2", 40000),
            dst: a("10.0.2.2", 80),
            nat_src: a("203.0.113.2", 1025),
            nat_dst: a("10.0.2.2", 80),
            service: "junos-http".into(),
            src_nat_rule: Some("r1".into()),
            dst_nat_rule: None,
            protocol: 6,
            policy: "p1".into(),
            from_zone: "trust".into(),
            to_zone: "untrust".into(),
            session_id: 5,
            interface: "ge-0/0/0.0".into(),
            from_client: (3, 180),
            from_server: (2, 120),
            elapsed_s: 7,
        }
    }

    #[test]
    fn create_line_in_junos_order() {
        assert_eq!(
            rt_flow_line(&record(RecordKind::Create)),
            "RT_FLOW_SESSION_CREATE: session created 10.0.1.2/40000->10.0.2.2/80 0x0 junos-http \
             203.0.113.2/1025->10.0.2.2/80 0x0 source rule r1 N/A N/A 6 p1 trust untrust 5 \
             N/A(N/A) ge-0/0/0.0 UNKNOWN UNKNOWN UNKNOWN"
        );
    }

    #[test]
    fn close_and_deny_lines() {
        let close = rt_flow_line(&record(RecordKind::Close("TCP FIN")));
        assert!(
            close.starts_with("RT_FLOW_SESSION_CLOSE: session closed TCP FIN: 10.0.1.2/40000->")
        );
        assert!(close.contains(" 6 p1 trust untrust 5 3(180) 2(120) 7 "));
        let deny = rt_flow_line(&record(RecordKind::Deny));
        assert!(deny.starts_with(
            "RT_FLOW_SESSION_DENY: session denied 10.0.1.2/40000->10.0.2.2/80 0x0 junos-http 6(0) p1 trust untrust"
        ));
    }

    #[test]
    fn queue_is_bounded() {
        let mut q = LogQueue::with_capacity(1);
        q.push(record(RecordKind::Create));
        q.push(record(RecordKind::Create));
        assert_eq!((q.len(), q.dropped), (1, 1));
        assert_eq!(q.drain().count(), 1);
        assert!(q.is_empty());
    }
}
