// SPDX-License-Identifier: Apache-2.0
//! What both engines show of their sessions, and how an operator picks
//! them: [`SessionFilter`] (the `show|clear security flow session` filter
//! words, [`FILTER_WORDS`]) and [`SessionView`] (a session as `show`
//! prints it, the same whichever engine holds it).

use std::net::IpAddr;

use xpf_model::{Prefix, Protocol};

use crate::{addr, Session};

/// Which sessions a request is about (all fields must match; `None`: any).
/// Addresses and ports are the initiator's, before NAT (the `In` wing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionFilter {
    /// `source-prefix`: the session's original source address.
    pub source: Option<Prefix>,
    /// `destination-prefix`: its original destination.
    pub destination: Option<Prefix>,
    /// `source-port`.
    pub source_port: Option<u16>,
    /// `destination-port`.
    pub destination_port: Option<u16>,
    /// `protocol`: IP protocol number.
    pub protocol: Option<u8>,
    /// `application`: the policy application the session matched
    /// (`junos-http`).
    pub application: Option<String>,
    /// `interface`: a kernel ifindex either wing arrives on.
    pub interface: Option<u32>,
    /// `session-identifier`.
    pub id: Option<u64>,
}

/// The words [`SessionFilter::set`] takes, with what their value is.
pub const FILTER_WORDS: &[(&str, &str)] = &[
    ("source-prefix", "an address or prefix"),
    ("destination-prefix", "an address or prefix"),
    ("source-port", "a port number (1-65535)"),
    ("destination-port", "a port number (1-65535)"),
    ("protocol", "a protocol name or number"),
    ("application", "an application name"),
    ("interface", "an interface name"),
    ("session-identifier", "a session identifier"),
];

impl SessionFilter {
    /// Whether `s` matches.
    pub fn matches(&self, s: &Session) -> bool {
        let within = |p: &Prefix, a: u128| {
            let (v6, lo, hi) = addr::prefix_range(p);
            v6 == s.fwd.v6 && lo <= a && a <= hi
        };
        self.source.is_none_or(|p| within(&p, s.fwd.src))
            && self.destination.is_none_or(|p| within(&p, s.fwd.dst))
            && self.source_port.is_none_or(|p| p == s.fwd.sport)
            && self.destination_port.is_none_or(|p| p == s.fwd.dport)
            && self.protocol.is_none_or(|p| p == s.fwd.proto)
            && self
                .application
                .as_deref()
                .is_none_or(|a| a == &*s.application)
            && self
                .interface
                .is_none_or(|i| i == s.ingress_ifindex || i == s.route[0].ifindex)
            && self.id.is_none_or(|i| i == s.id)
    }

    /// Sets the field a filter word names from its value as typed;
    /// `ifindex` finds an interface by Junos name. The error says what
    /// was wrong, for the operator.
    pub fn set(
        &mut self,
        word: &str,
        value: &str,
        ifindex: &dyn Fn(&str) -> Option<u32>,
    ) -> Result<(), String> {
        let bad = |what: &str| format!("invalid {word} '{value}': expected {what}");
        let port = || match value.parse::<u16>() {
            Ok(p) if p > 0 => Ok(p),
            _ => Err(bad("a port number (1-65535)")),
        };
        match word {
            "source-prefix" | "destination-prefix" => {
                let p = Prefix::parse(value).ok_or_else(|| bad("an address or prefix"))?;
                if word == "source-prefix" {
                    self.source = Some(p);
                } else {
                    self.destination = Some(p);
                }
            }
            "source-port" => self.source_port = Some(port()?),
            "destination-port" => self.destination_port = Some(port()?),
            "protocol" => {
                let name = match value {
                    "icmpv6" => "icmp6",
                    v => v,
                };
                let p = Protocol::parse(name)
                    .ok_or_else(|| bad("a protocol name (tcp, udp, icmp, ...) or number"))?;
                self.protocol = Some(p.number());
            }
            "application" => {
                if value.is_empty() {
                    return Err(bad("an application name"));
                }
                self.application = Some(value.to_string());
            }
            "interface" => {
                let unit = if value.contains('.') {
                    None
                } else {
                    ifindex(&format!("{value}.0"))
                };
                let i = ifindex(value)
                    .or(unit)
                    .ok_or_else(|| format!("invalid interface '{value}': no such interface"))?;
                self.interface = Some(i);
            }
            "session-identifier" => {
                self.id = Some(value.parse().map_err(|_| bad("a session identifier"))?);
            }
            _ => return Err(format!("unknown session filter '{word}'")),
        }
        Ok(())
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
    /// Seconds since the session was created.
    pub age_s: u64,
    /// The source (or static) NAT rule that translated it.
    pub source_nat_rule: Option<String>,
    /// The destination (or static) NAT rule that translated it.
    pub destination_nat_rule: Option<String>,
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
            age_s: secs(now.saturating_sub(s.created)),
            source_nat_rule: s.snat_rule.as_deref().map(str::to_string),
            destination_nat_rule: s.dnat_rule.as_deref().map(str::to_string),
        }
    }
}
