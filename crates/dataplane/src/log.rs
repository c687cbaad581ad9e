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

/// The Junos enterprise id of RT_FLOW structured data (vSRX).
pub const SD_ID: &str = "junos@2636.1.1.1.2.129";

/// A record in the `sd-syslog` form: its message id (`RT_FLOW_SESSION_CREATE`)
/// and the structured data, `[junos@… source-address="…" …]`, with Junos'
/// field names. The English text is [`rt_flow_line`] after the message id.
pub fn rt_flow_structured(r: &Record) -> (&'static str, String) {
    let mut o = String::with_capacity(512);
    let _ = write!(o, "[{SD_ID}");
    let mut field = |k: &str, v: &dyn std::fmt::Display| {
        // RFC 5424 escapes `"`, `\` and `]` inside values.
        let v = v
            .to_string()
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
            .replace(']', "\\]");
        let _ = write!(o, " {k}=\"{v}\"");
    };
    field("source-address", &r.src.0);
    field("source-port", &r.src.1);
    field("destination-address", &r.dst.0);
    field("destination-port", &r.dst.1);
    field("connection-tag", &"0");
    field("service-name", &r.service);
    let id = match r.kind {
        RecordKind::Deny => {
            field("protocol-id", &r.protocol);
            field("icmp-type", &"0");
            field("policy-name", &r.policy);
            field("source-zone-name", &r.from_zone);
            field("destination-zone-name", &r.to_zone);
            field("packet-incoming-interface", &r.interface);
            field("reason", &"policy deny");
            "RT_FLOW_SESSION_DENY"
        }
        RecordKind::Create | RecordKind::Close(_) => {
            let na = |n: &Option<Arc<str>>| n.as_deref().unwrap_or("N/A").to_string();
            let kind = |n: &Option<Arc<str>>, k: &str| {
                if n.is_some() {
                    k.to_string()
                } else {
                    "N/A".to_string()
                }
            };
            if let RecordKind::Close(reason) = r.kind {
                field("reason", &reason);
            }
            field("nat-source-address", &r.nat_src.0);
            field("nat-source-port", &r.nat_src.1);
            field("nat-destination-address", &r.nat_dst.0);
            field("nat-destination-port", &r.nat_dst.1);
            field("nat-connection-tag", &"0");
            field("src-nat-rule-type", &kind(&r.src_nat_rule, "source rule"));
            field("src-nat-rule-name", &na(&r.src_nat_rule));
            field(
                "dst-nat-rule-type",
                &kind(&r.dst_nat_rule, "destination rule"),
            );
            field("dst-nat-rule-name", &na(&r.dst_nat_rule));
            field("protocol-id", &r.protocol);
            field("policy-name", &r.policy);
            field("source-zone-name", &r.from_zone);
            field("destination-zone-name", &r.to_zone);
            field("session-id-32", &r.session_id);
            if matches!(r.kind, RecordKind::Close(_)) {
                field("packets-from-client", &r.from_client.0);
                field("bytes-from-client", &r.from_client.1);
                field("packets-from-server", &r.from_server.0);
                field("bytes-from-server", &r.from_server.1);
                field("elapsed-time", &r.elapsed_s);
            }
            field("packet-incoming-interface", &r.interface);
            if matches!(r.kind, RecordKind::Create) {
                "RT_FLOW_SESSION_CREATE"
            } else {
                "RT_FLOW_SESSION_CLOSE"
            }
        }
    };
    o.push(']');
    (id, o)
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
    fn structured_data_names_each_field_as_junos_does() {
        let mut r = record(RecordKind::Close("TCP FIN"));
        r.policy = "say \"hi\"]".into();
        let (id, sd) = rt_flow_structured(&r);
        assert_eq!(id, "RT_FLOW_SESSION_CLOSE");
        assert!(
            sd.starts_with(
                "[junos@2636.1.1.1.2.129 source-address=\"10.0.1.2\" source-port=\"40000\""
            ),
            "{sd}"
        );
        for f in [
            "reason=\"TCP FIN\"",
            "nat-source-address=\"203.0.113.2\" nat-source-port=\"1025\"",
            "src-nat-rule-type=\"source rule\" src-nat-rule-name=\"r1\"",
            "dst-nat-rule-type=\"N/A\" dst-nat-rule-name=\"N/A\"",
            "policy-name=\"say \\\"hi\\\"\\]\"",
            "session-id-32=\"5\"",
        ] {
            assert!(sd.contains(f), "{f} missing from {sd}");
        }
        assert!(sd.ends_with(']'), "{sd}");
        let (id, sd) = rt_flow_structured(&record(RecordKind::Deny));
        assert_eq!(id, "RT_FLOW_SESSION_DENY");
        assert!(!sd.contains("nat-source-address"), "{sd}");
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
