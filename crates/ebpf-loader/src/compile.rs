// SPDX-License-Identifier: Apache-2.0
//! Snapshot → map contents: the eBPF program's view of one
//! [`xpf_dataplane::Snapshot`], for one config buffer.
//!
//! The policy classifier is the pipeline's (first match by bit-vector
//! intersection, `crates/dataplane/src/snapshot/classify.rs`) laid into LPM
//! tries: each dimension is cut into elementary intervals, each interval
//! carries the bit set of the rules covering it, and each interval is cut
//! into the prefixes that tile it exactly, so the trie's longest match is
//! the interval. What the eBPF program does not implement is refused here
//! ([`CompileError::Unsupported`]): a configuration is enforced whole or
//! not loaded.

use xpf_dataplane::export::{Context, Export, SnatAction};
use xpf_dataplane::INTERFACE_NAT_PORTS;
use xpf_model::PolicyAction;

use crate::abi::{
    self, halves, Conf, Dnat, Dnat6, IfKey, Iface, Local6Key, LocalKey, LpmData, LpmData6, Name,
    NameKey, Nat6Match, NatCtx, NatMatch, PairKey, Pool, Pool6, Rule, RuleKey, Snat, Static,
    Static6,
};

/// Why a snapshot cannot be loaded into the eBPF dataplane.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CompileError {
    /// The snapshot uses something the eBPF program does not implement.
    #[error("the eBPF dataplane does not implement {0}")]
    Unsupported(String),
}

fn unsupported<T>(what: impl Into<String>) -> Result<T, CompileError> {
    Err(CompileError::Unsupported(what.into()))
}

/// One LPM trie entry: prefix length in bits of `data`, data, value.
pub(crate) type LpmEntry<V> = (u32, LpmData, V);

/// One IPv6 address trie entry: prefix length in bits of the data (set
/// id, address), data, rule bits.
pub(crate) type LpmEntry6 = (u32, LpmData6, u64);

/// An IPv6 address dimension of policy set `set` as LPM entries.
fn lpm6(set: u32, ranges: &[(u128, u128, u64)], out: &mut Vec<LpmEntry6>) {
    for (lo, hi, v) in intervals(u128::MAX, ranges) {
        for (base, len) in prefixes(lo, hi, 128) {
            let mut data = [0u8; 20];
            data[..4].copy_from_slice(&set.to_be_bytes());
            data[4..].copy_from_slice(&base.to_be_bytes());
            out.push((32 + len, data, v));
        }
    }
}

/// Everything one config buffer holds.
#[derive(Debug, Clone, Default)]
pub(crate) struct Contents {
    pub buf: u32,
    pub conf: Conf,
    pub ifaces: Vec<(IfKey, Iface)>,
    pub local: Vec<LocalKey>,
    pub local6: Vec<Local6Key>,
    pub pairs: Vec<(PairKey, u32)>,
    pub src4: Vec<LpmEntry<u64>>,
    pub dst4: Vec<LpmEntry<u64>>,
    pub src6: Vec<LpmEntry6>,
    pub dst6: Vec<LpmEntry6>,
    pub svc: Vec<LpmEntry<u64>>,
    pub host: Vec<LpmEntry<u32>>,
    pub rules: Vec<(RuleKey, Rule)>,
    /// Zones and policies by name, to revalidate sessions after a commit.
    pub names: Vec<(NameKey, Name)>,
    pub snat: Vec<Snat>,
    /// Each source rule's IPv6 addresses, by the same index.
    pub snat6: Vec<Nat6Match>,
    pub pools: Vec<Pool>,
    /// Each pool's IPv6 ranges, by the same index.
    pub pools6: Vec<Pool6>,
    pub statics: Vec<Static>,
    pub statics6: Vec<Static6>,
    pub dnat: Vec<Dnat>,
    /// Each destination rule for IPv6, by the same index.
    pub dnat6: Vec<Dnat6>,
    /// Screened zones: (zone id, profile).
    pub screens: Vec<(u32, abi::Screen)>,
    /// Interfaces the program may redirect to.
    pub devmap: Vec<u32>,
}

/// Elementary intervals of `[0, max]` with the OR of the values of the
/// ranges covering each; intervals covered by nothing are left out.
pub(crate) fn intervals<V>(max: u128, ranges: &[(u128, u128, V)]) -> Vec<(u128, u128, V)>
where
    V: Copy + Default + PartialEq + std::ops::BitOr<Output = V>,
{
    let mut bounds: Vec<u128> = vec![0];
    for &(lo, hi, _) in ranges {
        bounds.push(lo.min(max));
        if hi < max {
            bounds.push(hi + 1);
        }
    }
    bounds.sort_unstable();
    bounds.dedup();
    let mut out: Vec<(u128, u128, V)> = Vec::new();
    for (i, &lo) in bounds.iter().enumerate() {
        let hi = bounds.get(i + 1).map_or(max, |n| n - 1);
        let v = ranges
            .iter()
            .filter(|r| r.0 <= lo && hi <= r.1)
            .fold(V::default(), |acc, r| acc | r.2);
        if v == V::default() {
            continue;
        }
        match out.last_mut() {
            // Neighbours with the same value are one interval.
            Some(last) if last.1 + 1 == lo && last.2 == v => last.1 = hi,
            _ => out.push((lo, hi, v)),
        }
    }
    out
}

/// The prefixes (base, length) of a `width`-bit space tiling `[lo, hi]`.
pub(crate) fn prefixes(lo: u128, hi: u128, width: u32) -> Vec<(u128, u32)> {
    let mut out = Vec::new();
    let mut cur = lo;
    loop {
        // The largest aligned block at `cur` that stays within `hi`.
        let mut size_bits = if cur == 0 {
            width
        } else {
            cur.trailing_zeros().min(width)
        };
        // 2^bits - 1 without overflowing at 128 bits (IPv6).
        let span = |bits: u32| 1u128.checked_shl(bits).map_or(u128::MAX, |b| b - 1);
        while size_bits > 0 && cur + span(size_bits) > hi {
            size_bits -= 1;
        }
        out.push((cur, width - size_bits));
        let next = cur + span(size_bits);
        if next >= hi {
            break;
        }
        cur = next + 1;
    }
    out
}

/// LPM entries of a set's dimension: `width`-bit values after the set id.
fn lpm<V: Copy + Default + PartialEq + std::ops::BitOr<Output = V>>(
    set: u32,
    width: u32,
    ranges: &[(u128, u128, V)],
    out: &mut Vec<LpmEntry<V>>,
) {
    let max = (1u128 << width) - 1;
    for (lo, hi, v) in intervals(max, ranges) {
        for (base, len) in prefixes(lo, hi, width) {
            let mut data = [0u8; 8];
            data[..4].copy_from_slice(&set.to_be_bytes());
            // Left-align the value in the 4 bytes after the set id.
            let shifted = (base << (32 - width)) as u32;
            data[4..].copy_from_slice(&shifted.to_be_bytes());
            out.push((32 + len, data, v));
        }
    }
}

/// One host-inbound trie entry: (prefix length, key, `HOST_*` bits).
pub type HostEntry = (u32, [u8; 8], u32);

/// host-inbound-traffic as LPM entries over (ifindex, protocol, port or
/// ICMP type), the layout both this program's `xpf_dp_host` (with a buffer
/// number in the top byte) and the AF_XDP shim's `xpf_host_rules` use:
/// the interfaces that accept everything, and every rule entry with its
/// `HOST_PORT`/`HOST_EITHER` bits.
pub fn host_admission(x: &Export) -> (Vec<u32>, Vec<HostEntry>) {
    let mut any = Vec::new();
    let mut entries = Vec::new();
    for i in &x.interfaces {
        if i.host_any {
            any.push(i.ifindex);
        }
        lpm(i.ifindex, 24, &host_ranges(i), &mut entries);
    }
    (any, entries)
}

/// One interface's host rules as `(proto << 16 | low, proto << 16 | high, bits)`.
fn host_ranges(i: &xpf_dataplane::export::Interface) -> Vec<(u128, u128, u32)> {
    i.host
        .iter()
        .map(|r| {
            let p = u128::from(r.proto) << 16;
            let v = abi::HOST_PORT | if r.either { abi::HOST_EITHER } else { 0 };
            (p | u128::from(r.low), p | u128::from(r.high), v)
        })
        .collect()
}

fn v4_ranges(list: &[(bool, u128, u128)]) -> Vec<(u128, u128)> {
    list.iter().filter(|r| !r.0).map(|r| (r.1, r.2)).collect()
}

fn zone_mask(c: &Context, what: &str) -> Result<u64, CompileError> {
    match c {
        Context::Any => Ok(u64::MAX),
        Context::Zones(z) => z.iter().try_fold(0u64, |m, &id| {
            if id >= 64 {
                unsupported(format!("source NAT {what} zone ids above 63"))
            } else {
                Ok(m | 1 << id)
            }
        }),
        Context::Interfaces(_) => unsupported(format!("source NAT rule-sets {what} interface")),
    }
}

/// A short list for the C side: count (0 any, LIST_NONE nothing) and items.
fn list32(
    all: &[(bool, u128, u128)],
    what: &str,
) -> Result<(u8, [u32; abi::LIST], [u32; abi::LIST]), CompileError> {
    let v4 = v4_ranges(all);
    let (mut lo, mut hi) = ([0u32; abi::LIST], [0u32; abi::LIST]);
    if all.is_empty() {
        return Ok((0, lo, hi));
    }
    if v4.is_empty() {
        return Ok((abi::LIST_NONE, lo, hi));
    }
    if v4.len() > abi::LIST {
        return unsupported(format!(
            "more than {} IPv4 ranges in a NAT rule's {what}",
            abi::LIST
        ));
    }
    for (i, r) in v4.iter().enumerate() {
        lo[i] = r.0 as u32;
        hi[i] = r.1 as u32;
    }
    Ok((v4.len() as u8, lo, hi))
}

/// [`list32`] for IPv6: the ranges as {high, low} halves.
type List6 = (u8, [[u64; 2]; abi::LIST], [[u64; 2]; abi::LIST]);

fn list128(all: &[(bool, u128, u128)], what: &str) -> Result<List6, CompileError> {
    let v6: Vec<_> = all.iter().filter(|r| r.0).collect();
    let (mut lo, mut hi) = ([[0u64; 2]; abi::LIST], [[0u64; 2]; abi::LIST]);
    if all.is_empty() {
        return Ok((0, lo, hi));
    }
    if v6.is_empty() {
        return Ok((abi::LIST_NONE, lo, hi));
    }
    if v6.len() > abi::LIST {
        return unsupported(format!(
            "more than {} IPv6 ranges in a NAT rule's {what}",
            abi::LIST
        ));
    }
    for (i, r) in v6.iter().enumerate() {
        lo[i] = halves(r.1);
        hi[i] = halves(r.2);
    }
    Ok((v6.len() as u8, lo, hi))
}

/// A NAT rule's IPv6 address lists for the C side.
fn nat6_match(
    src: &[(bool, u128, u128)],
    dst: &[(bool, u128, u128)],
) -> Result<Nat6Match, CompileError> {
    let (n_src, src_lo, src_hi) = list128(src, "source-address")?;
    let (n_dst, dst_lo, dst_hi) = list128(dst, "destination-address")?;
    Ok(Nat6Match {
        src_lo,
        src_hi,
        dst_lo,
        dst_hi,
        n_src,
        n_dst,
        ..Nat6Match::default()
    })
}

fn list16(
    all: &[(u16, u16)],
    what: &str,
) -> Result<(u8, [u16; abi::LIST], [u16; abi::LIST]), CompileError> {
    let (mut lo, mut hi) = ([0u16; abi::LIST], [0u16; abi::LIST]);
    if all.len() > abi::LIST {
        return unsupported(format!(
            "more than {} port ranges in a NAT rule's {what}",
            abi::LIST
        ));
    }
    for (i, r) in all.iter().enumerate() {
        lo[i] = r.0;
        hi[i] = r.1;
    }
    Ok((all.len() as u8, lo, hi))
}

/// A NAT rule's match lists for the C side.
fn nat_match(
    src: &[(bool, u128, u128)],
    dst: &[(bool, u128, u128)],
    sport: &[(u16, u16)],
    dport: &[(u16, u16)],
    protos: &[u8],
) -> Result<NatMatch, CompileError> {
    let (n_src, src_lo, src_hi) = list32(src, "source-address")?;
    let (n_dst, dst_lo, dst_hi) = list32(dst, "destination-address")?;
    let (n_sport, sport_lo, sport_hi) = list16(sport, "source-port")?;
    let (n_dport, dport_lo, dport_hi) = list16(dport, "destination-port")?;
    if protos.len() > abi::LIST {
        return unsupported(format!(
            "more than {} protocols in a NAT rule's match",
            abi::LIST
        ));
    }
    let mut p = [0u8; abi::LIST];
    p[..protos.len()].copy_from_slice(protos);
    Ok(NatMatch {
        src_lo,
        src_hi,
        dst_lo,
        dst_hi,
        sport_lo,
        sport_hi,
        dport_lo,
        dport_hi,
        protos: p,
        n_src,
        n_dst,
        n_sport,
        n_dport,
        n_proto: protos.len() as u8,
        ..NatMatch::default()
    })
}

/// A static or destination rule-set's `from` for the C side.
fn nat_ctx(c: &Context, kind: &str) -> Result<NatCtx, CompileError> {
    let mut out = NatCtx::default();
    match c {
        Context::Any => out.any = 1,
        Context::Zones(z) => {
            for &id in z {
                if id >= 64 {
                    return unsupported(format!("{kind} NAT from zone ids above 63"));
                }
                out.zones |= 1 << id;
            }
        }
        Context::Interfaces(i) => {
            if i.len() > abi::LIST {
                return unsupported(format!(
                    "{kind} NAT rule-sets from more than {} interfaces",
                    abi::LIST
                ));
            }
            out.ifaces[..i.len()].copy_from_slice(i);
            out.n_ifaces = i.len() as u8;
        }
    }
    Ok(out)
}

/// Static and destination NAT rules into `c`.
fn compile_dnat(x: &Export, c: &mut Contents) -> Result<(), CompileError> {
    let ids = x.statics.iter().map(|r| r.id);
    let ids = ids.chain(x.dnat.iter().map(|r| r.id));
    if ids
        .chain(x.snat.iter().map(|r| r.id))
        .any(|id| id >= abi::NAT_IDS)
    {
        // Each rule's hit counters need a slot.
        return unsupported(format!("more than {} NAT rules", abi::NAT_IDS));
    }
    // The pipeline skips static rules of the other family: one list each.
    let (statics6, statics): (Vec<_>, Vec<_>) = x.statics.iter().partition(|r| r.v6);
    for (list, family) in [(&statics, "IPv4"), (&statics6, "IPv6")] {
        if list.len() > abi::STATIC_RULES as usize {
            return unsupported(format!(
                "more than {} {family} static NAT rules",
                abi::STATIC_RULES
            ));
        }
    }
    for r in statics6 {
        let mask = !host_mask6(r.len);
        c.statics6.push(Static6 {
            from: nat_ctx(&r.from, "static")?,
            id: r.id,
            ext: halves(r.ext),
            int: halves(r.int),
            mask: halves(mask),
            ..Static6::default()
        });
    }
    for r in statics {
        let host = (1u64 << (32 - u32::from(r.len.min(32)))) - 1;
        c.statics.push(Static {
            from: nat_ctx(&r.from, "static")?,
            id: r.id,
            ext: r.ext as u32,
            int: r.int as u32,
            mask: !(host as u32),
        });
    }
    if x.dnat.len() > abi::DNAT_RULES as usize {
        return unsupported(format!(
            "more than {} destination NAT rules",
            abi::DNAT_RULES
        ));
    }
    for r in &x.dnat {
        // A pool of the other family translates nothing, and the pipeline
        // stops at the first matching rule either way: as `off` there.
        let (action, addr, port) = match r.to {
            Some((false, a, p)) => (abi::DNAT_POOL, a as u32, p),
            _ => (abi::DNAT_OFF, 0, None),
        };
        let (action6, addr6, port6) = match r.to {
            Some((true, a, p)) => (abi::DNAT_POOL, a, p),
            _ => (abi::DNAT_OFF, 0, None),
        };
        c.dnat6.push(Dnat6 {
            m: nat6_match(&r.src, &r.dst)?,
            addr: halves(addr6),
            port: port6.unwrap_or(0),
            action: action6,
            has_port: u8::from(port6.is_some()),
            ..Dnat6::default()
        });
        c.dnat.push(Dnat {
            from: nat_ctx(&r.from, "destination")?,
            id: r.id,
            addr,
            port: port.unwrap_or(0),
            action,
            has_port: u8::from(port.is_some()),
            m: nat_match(&r.src, &r.dst, &r.sport, &r.dport, &r.protos)?,
        });
    }
    Ok(())
}

/// The host bits of an IPv6 prefix of length `len`.
fn host_mask6(len: u8) -> u128 {
    u128::MAX.checked_shr(u32::from(len.min(128))).unwrap_or(0)
}

/// Zone `z`'s name as a revalidation key.
fn zone_key(x: &Export, z: u16) -> u64 {
    x.zones.get(usize::from(z)).map_or(0, |n| abi::name_key(n))
}

/// The zones' screens for the program: the header checks, the SYN, ICMP
/// and UDP floods, the sweeps and port scans, and limit-session.
fn compile_screens(x: &Export, c: &mut Contents) -> Result<(), CompileError> {
    for s in &x.screens {
        if u32::from(s.zone) >= abi::SCREEN_ZONES {
            return unsupported(format!(
                "screens on zone ids above {}",
                abi::SCREEN_ZONES - 1
            ));
        }
        let bits = [
            (s.profile.source_route, abi::SCR_SOURCE_ROUTE),
            (s.profile.block_frag, abi::SCR_BLOCK_FRAG),
            (s.profile.tear_drop, abi::SCR_TEAR_DROP),
            (s.profile.ping_death, abi::SCR_PING_DEATH),
            (s.profile.land, abi::SCR_LAND),
            (s.profile.syn_fin, abi::SCR_SYN_FIN),
            (s.profile.tcp_no_flag, abi::SCR_TCP_NO_FLAG),
            (s.profile.fin_no_ack, abi::SCR_FIN_NO_ACK),
            (s.profile.winnuke, abi::SCR_WINNUKE),
            (s.profile.unknown_protocol, abi::SCR_UNKNOWN_PROTOCOL),
            (s.profile.icmp_large, abi::SCR_ICMP_LARGE),
            (s.profile.icmp_fragment, abi::SCR_ICMP_FRAGMENT),
            (s.profile.syn_frag, abi::SCR_SYN_FRAG),
            (s.profile.spoofing, abi::SCR_SPOOFING),
        ];
        // Windows in µs, as configured (0 reads as off; a window of 0
        // never sees two probes in the pipeline either).
        let mut scan_us = [0u32; abi::SCANS];
        for (i, w) in [
            (abi::SCAN_IP_SWEEP, s.profile.ip_sweep),
            (abi::SCAN_TCP_SWEEP, s.profile.tcp_sweep),
            (abi::SCAN_UDP_SWEEP, s.profile.udp_sweep),
            (abi::SCAN_TCP_PORTS, s.profile.port_scan),
            (abi::SCAN_UDP_PORTS, s.profile.udp_port_scan),
        ] {
            if let Some(ns) = w {
                scan_us[i] = u32::try_from(ns / 1000).or_else(|_| {
                    unsupported("screen sweep or scan windows above 2^32 microseconds")
                })?;
            }
        }
        c.screens.push((
            u32::from(s.zone),
            abi::Screen {
                syn_flood: s.profile.syn_flood.unwrap_or(abi::NONE32),
                icmp_flood: s.profile.icmp_flood.unwrap_or(abi::NONE32),
                udp_flood: s.profile.udp_flood.unwrap_or(abi::NONE32),
                limit_src: s.profile.limit_source.unwrap_or(abi::NONE32),
                limit_dst: s.profile.limit_destination.unwrap_or(abi::NONE32),
                syn_src: s.profile.syn_source.unwrap_or(abi::NONE32),
                syn_dst: s.profile.syn_destination.unwrap_or(abi::NONE32),
                syn_alarm: s.profile.syn_alarm.unwrap_or(abi::NONE32),
                checks: bits.iter().filter(|b| b.0).fold(0, |m, b| m | b.1)
                    | u32::from(s.profile.ip_options) << abi::SCR_IPOPT_SHIFT,
                alarm_only: u8::from(s.profile.alarm_only),
                on: 1,
                pad: [0; 2],
                scan_us,
            },
        ));
    }
    Ok(())
}

/// Compiles a snapshot's export for config buffer `buf` (0 or 1).
pub(crate) fn compile(x: &Export, buf: u32) -> Result<Contents, CompileError> {
    if x.mss == Some(0) {
        // The program reads 0 as no clamp; the pipeline would clamp to 0.
        return unsupported("tcp-mss all-tcp mss 0");
    }
    if x.zones.len() > abi::MAX_ZONES {
        return unsupported(format!("more than {} zones", abi::MAX_ZONES));
    }
    let mut c = Contents {
        buf,
        ..Contents::default()
    };

    for i in &x.interfaces {
        if i.ifindex >= 1 << 24 {
            return unsupported(format!("ifindex {} (above 2^24)", i.ifindex));
        }
        let mut f = Iface {
            zone: i.zone.unwrap_or(abi::NO_ZONE),
            zone_key: i.zone.map_or(0, |z| zone_key(x, z)),
            host_any: u8::from(i.host_any),
            ..Iface::default()
        };
        for &(v6, a, len) in &i.addrs {
            if v6 {
                if f.addr6 == [0; 16] {
                    f.addr6 = a.to_be_bytes();
                }
                c.local6.push(Local6Key {
                    buf,
                    addr: a.to_be_bytes(),
                });
                continue;
            }
            if f.addr4 == 0 {
                f.addr4 = a as u32;
            }
            c.local.push(LocalKey {
                buf,
                addr: a as u32,
            });
            if len < 31 {
                if usize::from(f.n_bcast) == abi::LIST {
                    return unsupported(format!(
                        "more than {} IPv4 subnets on ifindex {}",
                        abi::LIST,
                        i.ifindex
                    ));
                }
                let host = (1u32 << (32 - len)) - 1;
                f.bcast4[usize::from(f.n_bcast)] = (a as u32 & !host) | host;
                f.n_bcast += 1;
            }
        }
        c.ifaces.push((
            IfKey {
                buf,
                ifindex: i.ifindex,
            },
            f,
        ));
        c.devmap.push(i.ifindex);
        lpm(buf << 24 | i.ifindex, 24, &host_ranges(i), &mut c.host);
    }

    for z in 0..x.zones.len() {
        c.names.push((
            NameKey {
                buf,
                from: zone_key(x, z as u16),
                ..NameKey::default()
            },
            Name {
                policy_id: abi::NONE32,
                ..Name::default()
            },
        ));
    }
    let total: usize = x.policy_sets.iter().map(|s| s.rules.len()).sum();
    if total > abi::MAX_POLICIES as usize {
        return unsupported(format!("more than {} policies", abi::MAX_POLICIES));
    }
    c.conf.global_set = abi::NONE32;
    for (index, s) in x.policy_sets.iter().enumerate() {
        if s.rules.len() > abi::SET_RULES {
            return unsupported(format!(
                "more than {} policies in one zone pair",
                abi::SET_RULES
            ));
        }
        let set = buf * abi::SET_STRIDE + index as u32;
        match s.zones {
            Some((from, to)) => c.pairs.push((PairKey { buf, from, to }, set)),
            None if !s.rules.is_empty() => c.conf.global_set = set,
            None => {}
        }
        let (mut src, mut dst, mut svc) = (Vec::new(), Vec::new(), Vec::new());
        let (mut src6, mut dst6) = (Vec::new(), Vec::new());
        for (bit, p) in s.rules.iter().enumerate() {
            let b = 1u64 << bit;
            if p.check_sport {
                return unsupported("applications with source-port ranges");
            }
            if !p.from_zones.is_empty() || !p.to_zones.is_empty() {
                return unsupported("global policies with from-zone/to-zone");
            }
            let timeout = match p.term_timeouts.split_first() {
                None => None,
                Some((first, rest)) if rest.iter().all(|t| t == first) => *first,
                Some(_) => return unsupported("different inactivity-timeouts within one policy"),
            };
            src.extend(p.src[0].iter().map(|r| (r.0, r.1, b)));
            dst.extend(p.dst[0].iter().map(|r| (r.0, r.1, b)));
            src6.extend(p.src[1].iter().map(|r| (r.0, r.1, b)));
            dst6.extend(p.dst[1].iter().map(|r| (r.0, r.1, b)));
            svc.extend(p.svc.iter().map(|r| (r.0, r.1, b)));
            c.rules.push((
                RuleKey {
                    set,
                    idx: bit as u32,
                },
                Rule {
                    policy_id: p.id,
                    action: match p.action {
                        PolicyAction::Permit => abi::PERMIT,
                        PolicyAction::Deny => abi::DENY,
                        _ => abi::REJECT,
                    },
                    timeout_s: timeout.unwrap_or(0),
                    name_key: abi::name_key(&p.name),
                    log: if p.log_init { abi::LOG_INIT } else { 0 }
                        | if p.log_close { abi::LOG_CLOSE } else { 0 },
                    ..Rule::default()
                },
            ));
            let (from, to) = s
                .zones
                .map_or((0, 0), |(f, t)| (zone_key(x, f), zone_key(x, t)));
            c.names.push((
                NameKey {
                    buf,
                    from,
                    to,
                    name: abi::name_key(&p.name),
                    ..NameKey::default()
                },
                Name {
                    policy_id: p.id,
                    action: if p.action == PolicyAction::Permit {
                        abi::PERMIT
                    } else {
                        abi::DENY
                    },
                    ..Name::default()
                },
            ));
        }
        lpm(set, 32, &src, &mut c.src4);
        lpm(set, 32, &dst, &mut c.dst4);
        lpm6(set, &src6, &mut c.src6);
        lpm6(set, &dst6, &mut c.dst6);
        lpm(set, 24, &svc, &mut c.svc);
    }

    if x.snat.len() > abi::SNAT_RULES as usize {
        return unsupported(format!("more than {} source NAT rules", abi::SNAT_RULES));
    }
    if x.pools.len() > abi::POOLS as usize {
        return unsupported(format!("more than {} source NAT pools", abi::POOLS));
    }
    for r in &x.snat {
        let (action, pool) = match r.action {
            SnatAction::Off => (abi::SNAT_OFF, 0),
            SnatAction::Interface => (abi::SNAT_IFACE, 0),
            SnatAction::Pool(i) => (abi::SNAT_POOL, i as u8),
        };
        c.snat6.push(nat6_match(&r.src, &r.dst)?);
        c.snat.push(Snat {
            from_zones: zone_mask(&r.from, "from")?,
            to_zones: zone_mask(&r.to, "to")?,
            id: r.id,
            action,
            pool,
            m: nat_match(&r.src, &r.dst, &r.sport, &r.dport, &r.protos)?,
            ..Snat::default()
        });
    }
    for p in &x.pools {
        let v4 = v4_ranges(&p.addrs);
        if v4.len() > abi::LIST {
            return unsupported("more than 4 IPv4 ranges in a source NAT pool");
        }
        let mut pool = Pool {
            n: v4.len() as u8,
            keep_ports: u8::from(p.ports.is_none()),
            ..Pool::default()
        };
        if let Some((lo, hi)) = p.ports {
            pool.port_lo = lo;
            pool.port_hi = hi;
        }
        for (i, r) in v4.iter().enumerate() {
            pool.lo[i] = r.0 as u32;
            pool.hi[i] = r.1 as u32;
        }
        c.pools.push(pool);
        let v6: Vec<_> = p.addrs.iter().filter(|a| a.0).collect();
        if v6.len() > abi::LIST {
            return unsupported("more than 4 IPv6 ranges in a source NAT pool");
        }
        let mut pool6 = Pool6 {
            n: v6.len() as u8,
            ..Pool6::default()
        };
        for (i, r) in v6.iter().enumerate() {
            pool6.lo[i] = halves(r.1);
            pool6.hi[i] = halves(r.2);
        }
        c.pools6.push(pool6);
    }
    compile_dnat(x, &mut c)?;
    compile_screens(x, &mut c)?;
    // The C side hard-codes the interface NAT range; keep them one.
    debug_assert_eq!(INTERFACE_NAT_PORTS, (61000, 65535));

    let t = &x.timeouts;
    c.conf = Conf {
        generation: x.generation,
        tcp_initial: t.tcp_initial,
        tcp_established: t.tcp_established,
        tcp_closing: t.tcp_closing,
        udp: t.udp,
        icmp: t.icmp,
        other: t.other,
        default_permit: u8::from(x.default_permit),
        syn_check: u8::from(x.syn_check),
        rst_invalidate: u8::from(x.rst_invalidate),
        sequence_check: u8::from(x.sequence_check),
        dns_reply_check: u8::from(x.dns_reply_check),
        n_snat: c.snat.len() as u8,
        n_static: c.statics.len() as u8,
        n_static6: c.statics6.len() as u8,
        n_dnat: c.dnat.len() as u8,
        mss: x.mss.unwrap_or(0),
        ..c.conf
    };
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_prefixes_span_the_whole_space() {
        // ::/0 and the top address: no overflow at 128 bits.
        assert_eq!(prefixes(0, u128::MAX, 128), vec![(0, 0)]);
        assert_eq!(prefixes(u128::MAX, u128::MAX, 128), vec![(u128::MAX, 128)]);
        // 2001:db8:1::80/121 as a range, keyed after its set id.
        let base = 0x2001_0db8_0001_0000_0000_0000_0000_0080u128;
        let mut out = Vec::new();
        lpm6(7, &[(base, base + 0x7f, 1)], &mut out);
        assert_eq!(out.len(), 1);
        let (len, data, bits) = out[0];
        assert_eq!((len, bits), (32 + 121, 1));
        assert_eq!(data[..4], 7u32.to_be_bytes());
        assert_eq!(data[4..], base.to_be_bytes());
    }

    #[test]
    fn prefixes_tile_ranges_exactly() {
        assert_eq!(prefixes(0, 255, 8), vec![(0, 0)]);
        assert_eq!(prefixes(10, 10, 8), vec![(10, 8)]);
        assert_eq!(prefixes(1, 6, 8), vec![(1, 8), (2, 7), (4, 7), (6, 8)]);
        assert_eq!(prefixes(0, u128::from(u32::MAX), 32), vec![(0, 0)]);
        // 10.0.1.128/25 as a range.
        assert_eq!(
            prefixes(0x0a00_0180, 0x0a00_01ff, 32),
            vec![(0x0a00_0180, 25)]
        );
    }

    #[test]
    fn intervals_or_the_covering_values() {
        let got = intervals(99, &[(10, 20, 1u64), (15, 30, 2), (50, 99, 1)]);
        assert_eq!(
            got,
            vec![(10, 14, 1), (15, 20, 3), (21, 30, 2), (50, 99, 1)]
        );
    }

    #[test]
    fn nat_contexts_for_the_program() {
        let any = nat_ctx(&Context::Any, "static").unwrap();
        assert_eq!((any.any, any.zones, any.n_ifaces), (1, 0, 0));
        let zones = nat_ctx(&Context::Zones(vec![1, 3]), "static").unwrap();
        assert_eq!((zones.any, zones.zones), (0, 0b1010));
        // Zone names that did not resolve leave a context matching nothing.
        assert_eq!(
            nat_ctx(&Context::Zones(vec![]), "static").unwrap(),
            NatCtx::default()
        );
        let ifs = nat_ctx(&Context::Interfaces(vec![7, 9]), "destination").unwrap();
        assert_eq!((ifs.n_ifaces, ifs.ifaces), (2, [7, 9, 0, 0]));
        assert!(nat_ctx(&Context::Interfaces(vec![1; 5]), "destination").is_err());
        assert!(nat_ctx(&Context::Zones(vec![64]), "static").is_err());
    }

    /// The export of a one-zone configuration with `security` statements.
    fn export(security: &str) -> Export {
        let text = format!(
            "interfaces {{ ge-0/0/0 {{ unit 0 {{ family inet {{ address 10.0.1.1/24; }} }} }} }}
             security {{ {security}
                 zones {{ security-zone untrust {{ screen s; interfaces {{ ge-0/0/0.0; }} }} }} }}"
        );
        let cfg = xpf_config::parse_config(&text).expect("config parses");
        let model = xpf_model::build(&xpf_config::effective(&cfg, None)).expect("model builds");
        let ifs = xpf_dataplane::InterfaceTable::new().with(2, "ge-0/0/0.0", &["10.0.1.1/24"]);
        xpf_dataplane::Snapshot::compile(&model, &ifs)
            .expect("snapshot compiles")
            .export()
    }

    #[test]
    fn header_checks_floods_and_mss_compile() {
        let x = export(
            "screen { ids-option s { alarm-without-drop;
                 icmp { ping-death; fragment; large; flood { threshold 4; } }
                 ip { source-route-option; tear-drop; block-frag; record-route-option; timestamp-option;
                      security-option; stream-option; unknown-protocol; spoofing; }
                 udp { flood { threshold 3; } }
                 tcp { land; syn-fin; tcp-no-flag; fin-no-ack; winnuke; syn-frag;
                       syn-flood { attack-threshold 5; source-threshold 6; destination-threshold 7; } } } }
             flow { tcp-mss { all-tcp mss 1350; } }",
        );
        let c = compile(&x, 1).expect("compiles");
        assert_eq!(c.conf.mss, 1350);
        let zone = u32::from(x.screens[0].zone);
        assert_eq!(
            c.screens,
            vec![(
                zone,
                abi::Screen {
                    syn_flood: 5,
                    icmp_flood: 4,
                    udp_flood: 3,
                    checks: 0x3_ffff,
                    alarm_only: 1,
                    on: 1,
                    limit_src: abi::NONE32,
                    limit_dst: abi::NONE32,
                    // The alarm threshold is Junos' default, as the model
                    // fills it.
                    syn_src: 6,
                    syn_dst: 7,
                    syn_alarm: 512,
                    ..abi::Screen::default()
                }
            )]
        );
        // Only what is configured is on; the rest reads as off.
        let c = compile(&export("screen { ids-option s { tcp { land; } } }"), 0).unwrap();
        assert_eq!(c.conf.mss, 0);
        assert_eq!(
            c.screens[0].1,
            abi::Screen {
                syn_flood: abi::NONE32,
                icmp_flood: abi::NONE32,
                udp_flood: abi::NONE32,
                checks: abi::SCR_LAND,
                limit_src: abi::NONE32,
                limit_dst: abi::NONE32,
                syn_src: abi::NONE32,
                syn_dst: abi::NONE32,
                syn_alarm: abi::NONE32,
                alarm_only: 0,
                on: 1,
                ..abi::Screen::default()
            }
        );
        // Sweep and scan windows, in µs, each in its slot.
        let c = compile(
            &export(
                "screen { ids-option s {
                     icmp { ip-sweep { threshold 1000; } }
                     tcp { tcp-sweep { threshold 2000; } port-scan { threshold 3000; } }
                     udp { udp-sweep { threshold 4000; } port-scan { threshold 5000; } } } }",
            ),
            0,
        )
        .unwrap();
        assert_eq!(c.screens[0].1.scan_us, [1000, 2000, 4000, 3000, 5000]);
    }

    #[test]
    fn limit_session_compiles_to_the_screen() {
        let c = compile(
            &export("screen { ids-option s { limit-session { source-ip-based 10; } } }"),
            0,
        )
        .unwrap();
        let s = c.screens[0].1;
        assert_eq!((s.limit_src, s.limit_dst), (10, abi::NONE32));
        let c = compile(
            &export(
                "screen { ids-option s { limit-session { source-ip-based 3; destination-ip-based 7; } } }",
            ),
            0,
        )
        .unwrap();
        let s = c.screens[0].1;
        assert_eq!((s.limit_src, s.limit_dst), (3, 7));
    }

    #[test]
    fn ipv6_nat_is_compiled_beside_ipv4() {
        let x = export(
            "screen { ids-option s { tcp { land; } } }
             nat {
                 source {
                     pool p6 { address { 2001:db8:99::10/128 to 2001:db8:99::13/128; } }
                     rule-set s { from zone untrust; to zone untrust;
                         rule v4 { match { source-address 10.0.0.0/8; } then { source-nat interface; } }
                         rule both { match { source-address [ 10.1.0.0/16 2001:db8:1::/64 ]; } then { source-nat pool p6; } } }
                 }
                 destination {
                     pool web6 { address 2001:db8:2::10/128 port 8080; }
                     rule-set d { from zone untrust;
                         rule r { match { destination-address 2001:db8:ff::100/128; } then { destination-nat pool web6; } } }
                 }
                 static {
                     rule-set st { from zone untrust;
                         rule r { match { destination-address 2001:db8:5::/64; } then { static-nat prefix 2001:db8:2::/64; } } }
                 }
             }",
        );
        let c = compile(&x, 0).expect("IPv6 NAT compiles");
        let v6 = |s: &str| halves(u128::from(s.parse::<std::net::Ipv6Addr>().unwrap()));

        // Static: an IPv6 rule of its own list, none of IPv4's.
        assert_eq!((c.conf.n_static, c.conf.n_static6), (0, 1));
        let s = c.statics6[0];
        assert_eq!((s.ext, s.int), (v6("2001:db8:5::"), v6("2001:db8:2::")));
        assert_eq!(s.mask, [u64::MAX, 0]);
        // Destination: the pool translates IPv6 only; IPv4's slot is `off`.
        assert_eq!(
            (c.dnat[0].action, c.dnat6[0].action),
            (abi::DNAT_OFF, abi::DNAT_POOL)
        );
        assert_eq!(
            (c.dnat6[0].addr, c.dnat6[0].port),
            (v6("2001:db8:2::10"), 8080)
        );
        assert_eq!(c.dnat6[0].has_port, 1);
        assert_eq!((c.dnat6[0].m.n_src, c.dnat6[0].m.n_dst), (0, 1));
        // Source: an IPv4-only match matches no IPv6; each family its ranges.
        assert_eq!(c.snat6[0].n_src, abi::LIST_NONE);
        assert_eq!((c.snat[1].m.n_src, c.snat6[1].n_src), (1, 1));
        assert_eq!(c.snat6[1].src_lo[0], v6("2001:db8:1::"));
        assert_eq!(c.snat6[1].src_hi[0], v6("2001:db8:1:0:ffff:ffff:ffff:ffff"));
        assert_eq!((c.pools[0].n, c.pools6[0].n), (0, 1));
        assert_eq!(
            (c.pools6[0].lo[0], c.pools6[0].hi[0]),
            (v6("2001:db8:99::10"), v6("2001:db8:99::13"))
        );
    }

    #[test]
    fn lpm_keys_put_the_set_first() {
        let mut out = Vec::new();
        lpm(0x8001, 24, &[(6 << 16 | 80, 6 << 16 | 80, 1u64)], &mut out);
        assert_eq!(out, vec![(56, [0, 0, 0x80, 1, 6, 0, 80, 0], 1)]);
    }
}
