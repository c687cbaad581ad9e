// SPDX-License-Identifier: Apache-2.0
//! `pipeline`: the whole `process()` on arbitrary frames, against a
//! snapshot with three zones, policies of every action, source,
//! destination and static NAT, screens and TCP MSS clamping.
//!
//! An input is a sequence of records; each advances the clock and does
//! one thing, so one input can open a session, answer it, age it out,
//! or commit a different configuration under it:
//!
//! ```text
//! record := op:u8 body
//! op & 7:  0..=3  raw frame on ingress trust, untrust, dmz, or an ifindex in no zone:
//!                 len:u16le bytes (IPv4 header and transport checksums fixed up)
//!          4      raw frame, checksums as given: ingress:u8 len:u16le bytes
//!          5      a well-formed frame from a template: kind src dst a b flags (6 bytes)
//!          6      the answer to the last forwarded frame: flags:u8
//!          7      control: what:u8 (swap the snapshot, sweep, read counters, clear)
//! op >> 3 & 7: how far the clock moves first
//! ```
//!
//! Besides "never panics", each verdict is checked: a forwarded frame
//! keeps its length and every checksum that was right stays right; a reply
//! fits the buffer and its checksums are right; a frame handed to the
//! kernel is unchanged.

use std::sync::OnceLock;

use xpf_dataplane::{
    process, rt_flow_line, rt_flow_structured, InterfaceTable, Snapshot, StaticFib, Verdict, Worker,
};

use crate::packets::{self, Checksums};

/// Kernel ifindexes of the three zones' interfaces, and one in no zone.
pub const TRUST: u32 = 2;
/// The untrust interface.
pub const UNTRUST: u32 = 3;
/// The dmz interface.
pub const DMZ: u32 = 4;
/// An interface the snapshot does not know.
pub const STRAY: u32 = 9;

/// The room a frame has: an AF_XDP chunk of 2048 bytes less headroom.
pub const ROOM: usize = 1792;
/// Sessions per worker: small, so an input can fill the table.
const SESSIONS: usize = 8;

const SEC: u64 = 1_000_000_000;
const STEPS: [u64; 8] = [
    0,
    1_000_000,
    50_000_000,
    SEC,
    5 * SEC,
    30 * SEC,
    120 * SEC,
    3600 * SEC,
];

/// The representative configuration.
pub const CONF: &str = r#"
interfaces {
    ge-0/0/0 { unit 0 { family inet { address 10.0.1.1/24; } family inet6 { address 2001:db8:1::1/64; } } }
    ge-0/0/1 { unit 0 { family inet { address 203.0.113.1/24; } family inet6 { address 2001:db8:ff::1/64; } } }
    ge-0/0/2 { unit 0 { family inet { address 10.0.2.1/24; } family inet6 { address 2001:db8:2::1/64; } } }
}
applications {
    application short-udp { protocol udp; destination-port 5000-5010; inactivity-timeout 5; }
    application traceroute { protocol udp; destination-port 33434-33534; }
}
security {
    screen {
        ids-option edge {
            icmp { ping-death; large; flood { threshold 5; } ip-sweep { threshold 1000; } fragment; }
            ip { bad-option; record-route-option; timestamp-option; source-route-option; tear-drop; spoofing; unknown-protocol; }
            tcp { land; syn-fin; tcp-no-flag; fin-no-ack; winnuke; syn-frag; port-scan { threshold 1000; } tcp-sweep { threshold 1000; } syn-flood { alarm-threshold 3; attack-threshold 5; source-threshold 4; destination-threshold 6; timeout 2; } }
            udp { flood { threshold 5; } udp-sweep { threshold 1000; } port-scan { threshold 1000; } }
            limit-session { source-ip-based 4; destination-ip-based 6; }
        }
        ids-option inner {
            alarm-without-drop;
            ip { block-frag; }
            tcp { syn-flood { attack-threshold 2; } }
        }
    }
    address-book {
        global {
            address web-server 10.0.2.10/32;
            address static-host 10.0.2.20/32;
            address web6 2001:db8:2::10/128;
            address lan 10.0.1.0/24;
            address-set servers { address web-server; address static-host; address web6; }
        }
    }
    flow {
        tcp-mss { all-tcp { mss 1200; } }
        tcp-session { rst-sequence-check; tcp-initial-timeout 10; time-wait-state { session-timeout 4; } }
        aging { early-ageout 2; high-watermark 80; low-watermark 40; }
        allow-dns-reply;
    }
    nat {
        source {
            pool out-pool { address { 198.51.100.10/32 to 198.51.100.11/32; } port range 20000 to 20003; }
            pool out6 { address { 2001:db8:ff::100/128; } }
            rule-set trust-out {
                from zone trust;
                to zone untrust;
                rule via-pool { match { source-address 10.0.1.128/25; } then { source-nat pool out-pool; } }
                rule via-pool6 { match { source-address 2001:db8:1::/64; destination-port 443; } then { source-nat pool out6; } }
                rule no-nat { match { source-address 10.0.1.64/26; } then { source-nat off; } }
                rule masquerade { match { source-address [ 0.0.0.0/0 ::/0 ]; } then { source-nat interface; } }
            }
        }
        destination {
            pool web-pool { address 10.0.2.10/32 port 8080; }
            pool web6-pool { address 2001:db8:2::10/128; }
            rule-set inbound {
                from zone untrust;
                rule publish-web { match { destination-address 203.0.113.100/32; destination-port 80; } then { destination-nat pool web-pool; } }
                rule publish-web6 { match { destination-address 2001:db8:ff::100/128; } then { destination-nat pool web6-pool; } }
            }
        }
        static {
            rule-set one-to-one {
                from zone untrust;
                rule s1 { match { destination-address 203.0.113.200/32; } then { static-nat prefix 10.0.2.20/32; } }
            }
        }
    }
    policies {
        from-zone trust to-zone untrust {
            policy web { match { source-address any; destination-address any; application [ junos-http junos-https ]; } then { permit; log { session-init session-close; } count; } }
            policy pings { match { source-address lan; destination-address any; application [ junos-ping junos-pingv6 ]; } then { permit; } }
            policy trace { match { source-address any; destination-address any; application [ traceroute short-udp ]; } then { permit; log { session-close; } } }
            policy no-dns { match { source-address any; destination-address any; application junos-dns-udp; } then { deny; } }
            policy no-telnet { match { source-address any; destination-address any; application junos-telnet; } then { reject; } }
            policy no-udp { match { source-address any; destination-address any; application any; } then { reject; } }
        }
        from-zone untrust to-zone dmz {
            policy published { match { source-address any; destination-address servers; application any; } then { permit; count; } }
            policy not-lan { match { source-address lan; source-address-excluded; destination-address any; application junos-ssh; } then { permit; } }
        }
        from-zone dmz to-zone untrust {
            policy dmz-out { match { source-address any; destination-address any; application any; } then { permit; } }
        }
        from-zone trust to-zone dmz {
            policy to-servers { match { source-address any; destination-address any; application any; } then { permit; } }
        }
        global {
            policy icmp-any { match { source-address any; destination-address any; application junos-icmp-all; } then { permit; } }
        }
    }
    zones {
        security-zone trust {
            tcp-rst;
            host-inbound-traffic { system-services { ssh; ping; } }
            interfaces { ge-0/0/0.0; }
        }
        security-zone untrust {
            screen edge;
            interfaces { ge-0/0/1.0 { host-inbound-traffic { system-services { ping; } } } }
        }
        security-zone dmz {
            screen inner;
            host-inbound-traffic { system-services { all; } protocols { all; } }
            interfaces { ge-0/0/2.0; }
        }
    }
}
"#;

/// The configuration committed over [`CONF`]: fewer policies and rules,
/// another pool, no screens, so sessions made under one meet the other.
pub const CONF_B: &str = r#"
interfaces {
    ge-0/0/0 { unit 0 { family inet { address 10.0.1.1/24; } family inet6 { address 2001:db8:1::1/64; } } }
    ge-0/0/1 { unit 0 { family inet { address 203.0.113.1/24; } family inet6 { address 2001:db8:ff::1/64; } } }
    ge-0/0/2 { unit 0 { family inet { address 10.0.2.1/24; } family inet6 { address 2001:db8:2::1/64; } } }
}
security {
    nat {
        source {
            pool other { address { 198.51.100.20/32; } port range 30000 to 30001; }
            rule-set trust-out {
                from zone trust;
                to zone untrust;
                rule all { match { source-address 0.0.0.0/0; } then { source-nat pool other; } }
            }
        }
    }
    policies {
        from-zone trust to-zone untrust {
            policy any { match { source-address any; destination-address any; application any; } then { permit; } }
        }
    }
    zones {
        security-zone trust { interfaces { ge-0/0/0.0; } }
        security-zone untrust { interfaces { ge-0/0/1.0; } }
        security-zone dmz { interfaces { ge-0/0/2.0; } }
    }
}
"#;

/// The interfaces the configurations name, as the kernel would report them.
pub fn interfaces() -> InterfaceTable {
    InterfaceTable::new()
        .with(TRUST, "ge-0/0/0.0", &["10.0.1.1/24", "2001:db8:1::1/64"])
        .with(
            UNTRUST,
            "ge-0/0/1.0",
            &["203.0.113.1/24", "2001:db8:ff::1/64"],
        )
        .with(DMZ, "ge-0/0/2.0", &["10.0.2.1/24", "2001:db8:2::1/64"])
}

/// Compiles a configuration against [`interfaces`]: `None` if it does not
/// build (a bug in this file, caught by the crate's tests).
pub fn snapshot(text: &str) -> Option<Snapshot> {
    let cfg = xpf_config::parse_config(text).ok()?;
    let model = xpf_model::build(&xpf_config::effective(&cfg, None)).ok()?;
    Snapshot::compile(&model, &interfaces()).ok()
}

struct Lab {
    snaps: [Snapshot; 2],
    fib: StaticFib,
}

fn lab() -> Option<&'static Lab> {
    static LAB: OnceLock<Option<Lab>> = OnceLock::new();
    LAB.get_or_init(|| {
        Some(Lab {
            snaps: [snapshot(CONF)?, snapshot(CONF_B)?],
            fib: StaticFib::connected(&interfaces())
                .route("0.0.0.0/0", UNTRUST, Some("203.0.113.254"))
                .route("::/0", UNTRUST, Some("2001:db8:ff::fe")),
        })
    })
    .as_ref()
}

/// Reads records off the front of the input.
struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn byte(&mut self) -> Option<u8> {
        let (b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*b)
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_le_bytes([self.byte()?, self.byte()?]))
    }

    /// Up to `n` bytes: fewer when the input runs out.
    fn take(&mut self, n: usize) -> &'a [u8] {
        let (a, b) = self.0.split_at(n.min(self.0.len()));
        self.0 = b;
        a
    }
}

/// One forwarded frame, kept so a later record can answer it.
struct Sent {
    frame: Vec<u8>,
    egress: u32,
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let Some(lab) = lab() else {
        panic!("the pipeline target's configuration does not compile");
    };
    let mut run = Run::new(lab);
    let mut input = Input(data);
    while let Some(op) = input.byte() {
        run.now += STEPS[usize::from(op >> 3 & 7)];
        match op & 7 {
            i @ 0..=3 => {
                let len = input.u16().unwrap_or(0);
                let mut f = input.take(usize::from(len)).to_vec();
                packets::fix_checksums(&mut f);
                run.frame([TRUST, UNTRUST, DMZ, STRAY][usize::from(i)], &f);
            }
            4 => {
                let ingress = u32::from(input.byte().unwrap_or(0) % 5) + TRUST;
                let len = input.u16().unwrap_or(0);
                let f = input.take(usize::from(len)).to_vec();
                run.frame(ingress, &f);
            }
            5 => {
                let t = input.take(6);
                if let Some((ingress, f)) = template(t, run.last.as_ref()) {
                    run.frame(ingress, &f);
                }
            }
            6 => {
                let flags = input.byte().unwrap_or(packets::ACK);
                if let Some((ingress, f)) = run.last.as_ref().and_then(|s| answer(s, flags)) {
                    run.frame(ingress, &f);
                }
            }
            _ => run.control(input.byte().unwrap_or(0)),
        }
    }
    run.control(2);
}

struct Run {
    lab: &'static Lab,
    snap: usize,
    w: Worker,
    now: u64,
    last: Option<Sent>,
}

impl Run {
    fn new(lab: &'static Lab) -> Run {
        Run {
            lab,
            snap: 0,
            w: Worker::with_capacity(&lab.snaps[0], SESSIONS),
            now: SEC,
            last: None,
        }
    }

    /// Runs one frame and checks its verdict.
    fn frame(&mut self, ingress: u32, f: &[u8]) -> Verdict {
        let snap = &self.lab.snaps[self.snap];
        let len = f.len();
        let mut buf = f.to_vec();
        buf.resize(len.max(ROOM), 0);
        let before = packets::checksums(f);
        let v = process(
            snap,
            &mut self.w,
            &self.lab.fib,
            ingress,
            &mut buf,
            len,
            self.now,
        );
        match v {
            Verdict::Forward { egress_ifindex, .. } => {
                assert!(
                    [TRUST, UNTRUST, DMZ].contains(&egress_ifindex),
                    "forwarded out of ifindex {egress_ifindex}"
                );
                let out = &buf[..len];
                if let Some(before) = before {
                    let after = packets::checksums(out);
                    kept(before, after, f, out);
                }
                self.last = Some(Sent {
                    frame: out.to_vec(),
                    egress: egress_ifindex,
                });
            }
            Verdict::Reply(n) => {
                assert!(
                    (14..=buf.len()).contains(&n),
                    "reply of {n} bytes in {}",
                    buf.len()
                );
                let out = &buf[..n];
                if let Some(c) = packets::checksums(out) {
                    assert!(
                        c.ip != Some(false) && c.l4 != Some(false),
                        "reply checksums {c:?}\nin:  {f:02x?}\nout: {out:02x?}"
                    );
                }
            }
            Verdict::ToKernel => {
                assert!(
                    buf[..len] == *f,
                    "a frame for the kernel was changed\nin:  {f:02x?}\nout: {:02x?}",
                    &buf[..len]
                );
            }
            Verdict::Drop(_) => {}
        }
        v
    }

    fn control(&mut self, what: u8) {
        let snap = &self.lab.snaps[self.snap];
        match what % 4 {
            0 => {
                self.snap ^= 1;
                self.w.adopt(&self.lab.snaps[self.snap]);
            }
            1 => {
                self.w.sweep(snap, self.now);
            }
            2 => {
                let c = self.w.counters();
                assert!(c.policy_hits.len() == snap.policies().len());
                for r in self.w.logs.drain() {
                    let _ = rt_flow_line(&r);
                    let _ = rt_flow_structured(&r);
                }
            }
            _ => {
                let now = self.now;
                let mut odd = false;
                self.w.clear(snap, now, |_| {
                    odd = !odd;
                    odd
                });
            }
        }
    }
}

/// Every checksum right before processing is right after.
fn kept(before: Checksums, after: Option<Checksums>, inp: &[u8], out: &[u8]) {
    let after = after.unwrap_or(Checksums { ip: None, l4: None });
    let ok = |b: Option<bool>, a: Option<bool>| b != Some(true) || a == Some(true);
    assert!(
        ok(before.ip, after.ip) && ok(before.l4, after.l4),
        "checksums {before:?} became {after:?}\nin:  {inp:02x?}\nout: {out:02x?}"
    );
}

const V4: [&str; 12] = [
    "10.0.1.50",
    "10.0.1.200",
    "10.0.1.70",
    "10.0.1.1",
    "198.51.100.80",
    "203.0.113.1",
    "203.0.113.100",
    "203.0.113.200",
    "10.0.2.10",
    "10.0.2.20",
    "10.0.2.1",
    "198.51.100.10",
];
const V6: [&str; 8] = [
    "2001:db8:1::50",
    "2001:db8:1::1",
    "2001:db8:ff::80",
    "2001:db8:ff::1",
    "2001:db8:ff::100",
    "2001:db8:2::10",
    "2001:db8:2::1",
    "fe80::1",
];

/// Where a source address comes in.
fn ingress_of(addr: &str) -> u32 {
    if addr.starts_with("10.0.1.") || addr.starts_with("2001:db8:1:") {
        TRUST
    } else if addr.starts_with("10.0.2.") || addr.starts_with("2001:db8:2:") {
        DMZ
    } else {
        UNTRUST
    }
}

/// A well-formed frame from six bytes: kind, source and destination (from
/// the configuration's addresses), two parameters, TCP flags.
fn template(t: &[u8], last: Option<&Sent>) -> Option<(u32, Vec<u8>)> {
    use packets::*;
    let &[kind, s, d, a, b, flags] = t else {
        return None;
    };
    let v6 = s & 0x80 != 0;
    let (src, dst) = if v6 {
        (V6[usize::from(s) % V6.len()], V6[usize::from(d) % V6.len()])
    } else {
        (V4[usize::from(s) % V4.len()], V4[usize::from(d) % V4.len()])
    };
    let sport = 1024 + u16::from(a) * 97;
    let dport = [80, 443, 22, 23, 53, 5000, 8080, 33434][usize::from(b & 7)] + u16::from(b >> 3);
    let icmp_proto = if v6 { 58 } else { 1 };
    let echo = if v6 { 128 } else { 8 };
    let packet = match kind % 10 {
        0 => ip(
            src,
            dst,
            6,
            &tcp(sport, dport, u32::from(a) << 8, 0, flags, &[]),
            None,
        ),
        1 => ip(src, dst, 17, &udp(sport, dport, b"payload"), None),
        2 => ip(
            src,
            dst,
            icmp_proto,
            &icmp(echo, 0, u16::from(a), b"ping"),
            None,
        ),
        3 => ip(
            src,
            dst,
            icmp_proto,
            &icmp(a, b, u16::from(flags), b"other"),
            None,
        ),
        4 => {
            // An ICMP error about the last forwarded frame, sent back by its
            // destination's side.
            let sent = last?;
            let l3 = if sent.frame.get(12..14) == Some(&[0x81, 0x00]) {
                18
            } else {
                14
            };
            let quoted = sent.frame.get(l3..)?;
            let quoted = &quoted[..quoted.len().min(usize::from(a).max(28))];
            let sent_v6 = quoted.first()? >> 4 == 6;
            let from = if sent_v6 {
                V6[usize::from(d) % V6.len()]
            } else {
                V4[usize::from(d) % V4.len()]
            };
            let to = addr_of(quoted, sent_v6, true)?;
            let (ty, code) = if sent_v6 {
                (1 + (b & 3), flags & 7)
            } else {
                ([3, 11, 12, 4][usize::from(b & 3)], flags & 15)
            };
            let p = ip(
                from,
                &to,
                if sent_v6 { 58 } else { 1 },
                &icmp_error(ty, code, quoted),
                None,
            );
            return Some((sent.egress, eth(&p, None)));
        }
        5 => ip(
            src,
            dst,
            17,
            &udp(sport, dport, &[0x55; 24]),
            Some((0, true)),
        ),
        6 => ip(
            src,
            dst,
            17,
            &[0xaa; 16],
            Some((u16::from(a & 0xf8), flags & 1 != 0)),
        ),
        7 => ip(
            src,
            dst,
            6,
            &tcp(sport, dport, 1, 0, flags | SYN, &[2, 4, b, a, 1, 3, 3, 7]),
            None,
        ),
        8 => ip(
            src,
            dst,
            6,
            &tcp(sport, dport, u32::from(a), u32::from(b), flags | ACK, &[]),
            None,
        ),
        _ => ip(
            src,
            dst,
            [47, 50, 132, 0][usize::from(a & 3)],
            &[0; 8],
            None,
        ),
    };
    let vlan = (flags & 0x80 != 0 && kind % 10 == 1).then_some(7);
    Some((ingress_of(src), eth(&packet, vlan)))
}

/// The source (or destination) address of an IP packet, as text.
fn addr_of(packet: &[u8], v6: bool, source: bool) -> Option<String> {
    if v6 {
        let off = if source { 8 } else { 24 };
        let b: [u8; 16] = packet.get(off..off + 16)?.try_into().ok()?;
        Some(std::net::Ipv6Addr::from(b).to_string())
    } else {
        let off = if source { 12 } else { 16 };
        let b: [u8; 4] = packet.get(off..off + 4)?.try_into().ok()?;
        Some(std::net::Ipv4Addr::from(b).to_string())
    }
}

/// The answer to a forwarded frame: addresses and ports swapped (an echo
/// becomes its reply), TCP flags as given, sent in on its egress.
fn answer(sent: &Sent, flags: u8) -> Option<(u32, Vec<u8>)> {
    use packets::*;
    let f = &sent.frame;
    let l3 = if f.get(12..14) == Some(&[0x81, 0x00]) {
        18
    } else {
        14
    };
    let p = f.get(l3..)?;
    let v6 = p.first()? >> 4 == 6;
    let (src, dst) = (addr_of(p, v6, false)?, addr_of(p, v6, true)?);
    let (proto, l4) = if v6 {
        (*p.get(6)?, p.get(40..)?)
    } else {
        let hl = usize::from(p.first()? & 15) * 4;
        (*p.get(9)?, p.get(hl..)?)
    };
    let port = |o: usize| Some(u16::from_be_bytes([*l4.get(o)?, *l4.get(o + 1)?]));
    let body = match proto {
        6 => {
            let seq = u32::from_be_bytes(l4.get(4..8)?.try_into().ok()?);
            tcp(port(2)?, port(0)?, 5000, seq.wrapping_add(1), flags, &[])
        }
        17 => udp(port(2)?, port(0)?, b"answer"),
        1 | 58 => {
            let reply = match l4.first()? {
                8 => 0,
                128 => 129,
                t => *t,
            };
            icmp(reply, 0, port(4)?, b"pong")
        }
        _ => return None,
    };
    Some((sent.egress, eth(&ip(&src, &dst, proto, &body, None), None)))
}

/// Seed inputs: a handful of conversations in the record format.
pub fn seeds() -> Vec<Vec<u8>> {
    let raw = |ingress: u8, f: &[u8]| {
        let mut r = vec![ingress];
        r.extend_from_slice(&(f.len() as u16).to_le_bytes());
        r.extend_from_slice(f);
        r
    };
    let mut out = Vec::new();
    // Every frame seed of the parser, raw, on each ingress.
    for f in super::frame::seeds() {
        for i in 0..3 {
            out.push(raw(i, &f));
        }
    }
    let t =
        |kind: u8, s: u8, d: u8, a: u8, b: u8, flags: u8| vec![5 | 1 << 3, kind, s, d, a, b, flags];
    let syn = packets::SYN;
    let ack = packets::ACK;
    // Trust to untrust through interface NAT, answered, acknowledged, aged.
    out.push(
        [
            t(0, 0, 4, 1, 0, syn),
            vec![6, syn | ack],
            t(8, 0, 4, 1, 0, 0),
            vec![7 | 7 << 3, 1],
        ]
        .concat(),
    );
    // Through the pool, then a later commit, then the answer.
    out.push([t(0, 1, 4, 2, 1, syn), vec![7, 0], vec![6, syn | ack]].concat());
    // Published web through destination NAT, answered from the server.
    out.push(
        [
            t(0, 4, 6, 3, 0, syn),
            vec![6, syn | ack],
            t(4, 4, 4, 40, 0, 4),
        ]
        .concat(),
    );
    // Static NAT, UDP, ICMP errors about it.
    out.push([t(1, 4, 7, 4, 5, 0), t(4, 9, 9, 60, 1, 0), vec![6, 0]].concat());
    // Pings, their replies; a ping of the box; a query type.
    out.push(
        [
            t(2, 0, 4, 5, 0, 0),
            vec![6, 0],
            t(2, 0, 3, 6, 0, 0),
            t(3, 0, 4, 13, 0, 0),
        ]
        .concat(),
    );
    // IPv6: pool NAT on 443, destination NAT, ping.
    out.push(
        [
            t(0, 0x80, 0x82, 7, 1, syn),
            vec![6, syn | ack],
            t(0, 0x82, 0x84, 8, 0, syn),
            t(2, 0x80, 0x82, 9, 0, 0),
        ]
        .concat(),
    );
    // Fragments, a SYN flood, MSS options, rejected telnet, unknown protocols.
    out.push(
        [
            t(5, 0, 4, 10, 5, 0),
            t(6, 0, 4, 24, 0, 0),
            t(7, 0, 4, 11, 0, 0),
        ]
        .concat(),
    );
    out.push((0..8).flat_map(|i| t(0, 4, 8, 12 + i, 2, syn)).collect());
    out.push(
        [
            t(0, 0, 4, 13, 3, syn),
            t(9, 0, 4, 1, 0, 0),
            t(9, 4, 8, 2, 0, 0),
        ]
        .concat(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(v: Verdict) -> bool {
        matches!(v, Verdict::Forward { .. })
    }

    #[test]
    fn both_configurations_compile() {
        assert!(snapshot(CONF).is_some());
        assert!(snapshot(CONF_B).is_some());
    }

    /// The templates and answers reach sessions: without that the target
    /// would only ever test first packets.
    #[test]
    fn a_templated_connection_is_forwarded_and_answered() {
        let lab = lab().expect("the lab builds");
        let mut run = Run::new(lab);
        let (i, f) = template(&[0, 0, 4, 1, 0, packets::SYN], None).expect("a frame");
        assert!(forwarded(run.frame(i, &f)));
        let sent = run.last.as_ref().expect("kept");
        let (i, f) = answer(sent, packets::SYN | packets::ACK).expect("an answer");
        assert_eq!(i, UNTRUST);
        assert!(forwarded(run.frame(i, &f)));
        // An ICMP error about it comes back too.
        let (i, f) = template(&[4, 4, 4, 60, 0, 3], run.last.as_ref()).expect("an error");
        assert!(
            forwarded(run.frame(i, &f)),
            "the ICMP error follows the session"
        );
    }

    #[test]
    fn seeds_run_cleanly() {
        for s in seeds() {
            run(&s);
        }
    }
}
