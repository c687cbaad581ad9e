// SPDX-License-Identifier: Apache-2.0
//! The map layouts of `ebpf/include/xpf_dp_abi.h`, mirrored. Sizes are
//! checked against the header's `_Static_assert`s by a test; the `Pod`
//! impls (the only unsafe part) are in `sys.rs`.

/// Policy set ids: `buf * SET_STRIDE + index`.
pub const SET_STRIDE: u32 = 0x8000;
/// "No set" / "none" in 32-bit fields.
pub const NONE32: u32 = u32::MAX;
/// Rules per policy set (bits of a `u64`).
pub const SET_RULES: usize = 64;
/// Policy hit counters per buffer.
pub const MAX_POLICIES: u32 = 1024;
/// Source NAT rules per buffer.
pub const SNAT_RULES: u32 = 16;
/// Static NAT rules per buffer.
pub const STATIC_RULES: u32 = 64;
/// Destination NAT rules per buffer.
pub const DNAT_RULES: u32 = 32;
/// NAT rule ids with hit counters, per buffer.
pub const NAT_IDS: u32 = 256;
/// Source NAT pools per buffer.
pub const POOLS: u32 = 16;
/// Entries of the short lists in `Snat`/`Pool`/`Iface`.
pub const LIST: usize = 4;
/// A list that matches no IPv4 value.
pub const LIST_NONE: u8 = 0xff;
/// No zone.
pub const NO_ZONE: u16 = 0xffff;

/// Policy actions.
/// Zones a snapshot may have (`xpf_dp_names` holds them with the policies).
pub const MAX_ZONES: usize = 1024;

pub const PERMIT: u8 = 0;
/// Deny.
pub const DENY: u8 = 1;
/// Reject.
pub const REJECT: u8 = 2;
/// Source NAT actions.
pub const SNAT_OFF: u8 = 0;
/// Interface NAT.
pub const SNAT_IFACE: u8 = 1;
/// Pool NAT.
pub const SNAT_POOL: u8 = 2;
/// Destination NAT actions: `destination-nat off`.
pub const DNAT_OFF: u8 = 0;
/// Destination NAT to a pool.
pub const DNAT_POOL: u8 = 1;
/// Host-inbound LPM values.
pub const HOST_PORT: u32 = 1;
/// The rule also matches the source port.
pub const HOST_EITHER: u32 = 2;
/// Session translation flags.
pub const X_SRC: u8 = 1;
/// Destination translated.
pub const X_DST: u8 = 2;
/// `mac_flags`: the next hop's MAC is known.
pub const MAC_OK: u8 = 1;
/// `mac_flags`: the session's policy logs its close.
pub const F_LOG_CLOSE: u8 = 2;
/// `mac_flags` of a forward entry: it holds a count of its source
/// (`limit-session source-ip-based`).
pub const F_LIMIT_SRC: u8 = 4;
/// And of its destination (`destination-ip-based`).
pub const F_LIMIT_DST: u8 = 8;
/// Rule `log` bits: `then log session-init`.
pub const LOG_INIT: u8 = 1;
/// `then log session-close`.
pub const LOG_CLOSE: u8 = 2;
/// Event kinds: a session made.
pub const EV_INIT: u8 = 1;
/// A session closed.
pub const EV_CLOSE: u8 = 2;
/// A first packet denied.
pub const EV_DENY: u8 = 3;
/// Close reasons (0: idle timeout): both sides sent FIN.
pub const CLOSE_TCP_FIN: u8 = 1;
/// A RST.
pub const CLOSE_TCP_RST: u8 = 2;
/// Its policy is gone after a commit.
pub const CLOSE_POLICY: u8 = 3;

/// Counter slots after the drop reasons.
pub const CNT_FORWARDED: u32 = 64;
/// Passed to the kernel.
pub const CNT_TO_KERNEL: u32 = 65;
/// Replies (XDP_TX).
pub const CNT_REPLIES: u32 = 66;
/// Sessions created.
pub const CNT_CREATED: u32 = 67;
/// Session hits.
pub const CNT_HITS: u32 = 68;
/// Session misses.
pub const CNT_MISSES: u32 = 69;
/// Sessions with a destination translation.
pub const CNT_DNAT: u32 = 70;
/// Sessions with a source translation.
pub const CNT_SNAT: u32 = 71;
/// Session events the full ring buffer refused.
pub const CNT_EVENTS_LOST: u32 = 72;
/// `XPF_DP_EVENTS_BYTES`: the event ring buffer's size.
pub const EVENTS_BYTES: u32 = 256 * 1024;
/// `XPF_DP_STATE_ABI`: the version of the pinned state's layout.
pub const STATE_ABI: u32 = 3;
/// Screen hits passed by `alarm-without-drop`.
pub const CNT_SCREEN_ALARMS: u32 = 73;
/// Size of the counter array.
pub const CNT_MAX: u32 = 74;

/// `XPF_DP_SCREEN_ZONES`: screened zone ids are below this.
pub const SCREEN_ZONES: u32 = 256;
/// `XPF_DP_SCR_*`: the stateless screen checks of [`Screen::checks`].
pub const SCR_SOURCE_ROUTE: u32 = 0x0001;
/// `ip block-frag`.
pub const SCR_BLOCK_FRAG: u32 = 0x0002;
/// `ip tear-drop`.
pub const SCR_TEAR_DROP: u32 = 0x0004;
/// `icmp ping-death`.
pub const SCR_PING_DEATH: u32 = 0x0008;
/// `tcp land`.
pub const SCR_LAND: u32 = 0x0010;
/// `tcp syn-fin`.
pub const SCR_SYN_FIN: u32 = 0x0020;
/// `tcp tcp-no-flag`.
pub const SCR_TCP_NO_FLAG: u32 = 0x0040;
/// `tcp fin-no-ack`.
pub const SCR_FIN_NO_ACK: u32 = 0x0080;
/// `tcp winnuke`.
pub const SCR_WINNUKE: u32 = 0x0100;
/// The IPv4 option checks (`ip record-route-option`, `timestamp-option`,
/// `security-option`, `stream-option`) are the pipeline's
/// `ipv4::OPT_*` bits shifted up by this.
pub const SCR_IPOPT_SHIFT: u32 = 9;
/// `ip unknown-protocol`.
pub const SCR_UNKNOWN_PROTOCOL: u32 = 0x2000;
/// `icmp large`.
pub const SCR_ICMP_LARGE: u32 = 0x4000;
/// `icmp fragment`.
pub const SCR_ICMP_FRAGMENT: u32 = 0x8000;
/// `tcp syn-frag`.
pub const SCR_SYN_FRAG: u32 = 0x1_0000;
/// `ip spoofing`.
pub const SCR_SPOOFING: u32 = 0x2_0000;

/// `struct xpf_dp_screen`: one zone's screen profile.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Screen {
    /// SYNs per second into the zone; [`NONE32`]: off.
    pub syn_flood: u32,
    /// ICMP packets per second to one destination; [`NONE32`]: off.
    pub icmp_flood: u32,
    /// UDP packets per second to one destination; [`NONE32`]: off.
    pub udp_flood: u32,
    /// `SCR_*` bits.
    pub checks: u32,
    pub alarm_only: u8,
    /// 1: the zone has a profile.
    pub on: u8,
    pub pad: [u8; 2],
    /// Scan windows in µs, `SCAN_*` order; 0: not screened.
    pub scan_us: [u32; SCANS],
    /// `limit-session source-ip-based`; [`NONE32`]: off.
    pub limit_src: u32,
    /// `limit-session destination-ip-based`; [`NONE32`]: off.
    pub limit_dst: u32,
    /// `syn-flood source-threshold`: SYNs per second from one source;
    /// [`NONE32`]: off.
    pub syn_src: u32,
    /// `syn-flood destination-threshold`: SYNs per second to one
    /// destination; [`NONE32`]: off.
    pub syn_dst: u32,
    /// `syn-flood alarm-threshold`: SYNs per second to one destination
    /// above which each is an alarm; [`NONE32`]: off.
    pub syn_alarm: u32,
}

/// `struct xpf_dp_limit_key`: whose sessions a `limit-session` count is.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct LimitKey {
    /// IPv4 in `addr[0]`, host order; IPv6 as on the wire.
    pub addr: [u32; 4],
    /// 0: a source's count, 1: a destination's.
    pub dst: u8,
    pub v6: u8,
    pub pad: [u8; 2],
}

/// `struct xpf_dp_limit`: a `limit-session` count.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Limit {
    /// When a session last took a count (CLOCK_MONOTONIC ns).
    pub changed: u64,
    pub count: u32,
    pub pad: u32,
}

/// `XPF_DP_SCANS`: the sweeps and port scans.
pub const SCANS: usize = 5;
/// `XPF_DP_SCAN_*`: `icmp ip-sweep`.
pub const SCAN_IP_SWEEP: usize = 0;
/// `tcp tcp-sweep`.
pub const SCAN_TCP_SWEEP: usize = 1;
/// `udp udp-sweep`.
pub const SCAN_UDP_SWEEP: usize = 2;
/// `tcp port-scan`.
pub const SCAN_TCP_PORTS: usize = 3;
/// `udp port-scan`.
pub const SCAN_UDP_PORTS: usize = 4;

/// `struct xpf_dp_active`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Active {
    pub buf: u32,
    pub pad: u32,
    pub generation: u64,
}

/// `struct xpf_dp_conf`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Conf {
    pub generation: u64,
    pub tcp_initial: u64,
    pub tcp_established: u64,
    pub tcp_closing: u64,
    pub udp: u64,
    pub icmp: u64,
    pub other: u64,
    pub global_set: u32,
    pub default_permit: u8,
    pub syn_check: u8,
    pub rst_invalidate: u8,
    pub n_snat: u8,
    pub mss: u16,
    pub n_static: u8,
    pub n_dnat: u8,
    /// IPv6 static NAT rules (`xpf_dp_statics6`).
    pub n_static6: u8,
    /// 1: out-of-window TCP resets are refused.
    pub sequence_check: u8,
    /// 1: drop a first UDP packet to port 53 that is a DNS response.
    pub dns_reply_check: u8,
    pub pad2: u8,
}

/// `struct xpf_dp_if_key`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IfKey {
    pub buf: u32,
    pub ifindex: u32,
}

/// `struct xpf_dp_iface`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Iface {
    pub zone: u16,
    pub host_any: u8,
    pub n_bcast: u8,
    pub addr4: u32,
    pub bcast4: [u32; LIST],
    /// First IPv6 address, network order (zero: none).
    pub addr6: [u8; 16],
    /// The zone's name as a key ([`name_key`]).
    pub zone_key: u64,
}

/// `struct xpf_dp_local_key`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocalKey {
    pub buf: u32,
    pub addr: u32,
}

/// `struct xpf_dp_local6_key`: an IPv6 address of the box, network order.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Local6Key {
    pub buf: u32,
    pub addr: [u8; 16],
}

/// `struct xpf_dp_pair_key`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PairKey {
    pub buf: u32,
    pub from: u16,
    pub to: u16,
}

/// The data of every LPM key (after `prefixlen`): 4 bytes of set id,
/// then 4 bytes of value, big-endian.
pub type LpmData = [u8; 8];

/// The data of an IPv6 address LPM key: set id, then the address.
pub type LpmData6 = [u8; 20];

/// `struct xpf_dp_rule_key`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleKey {
    pub set: u32,
    pub idx: u32,
}

/// `struct xpf_dp_rule`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rule {
    pub policy_id: u32,
    pub action: u8,
    pub log: u8,
    pub pad: [u8; 2],
    pub timeout_s: u32,
    pub pad2: u32,
    /// The policy's name as a key ([`name_key`]).
    pub name_key: u64,
}

/// `struct xpf_dp_name_key`: `{zone, 0, 0}` a zone, `{from, to, policy}`
/// a zone pair's policy, `{0, 0, policy}` a global one.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NameKey {
    pub buf: u32,
    pub pad: u32,
    pub from: u64,
    pub to: u64,
    pub name: u64,
}

/// `struct xpf_dp_name`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Name {
    pub policy_id: u32,
    pub action: u8,
    pub pad: [u8; 3],
}

/// A name as the program's revalidation keys it: 64-bit FNV-1a, never 0
/// (0 stands for "none"). Fixed, not std's hasher: the keys are pinned
/// in sessions and must mean the same to the next build of xpfd.
pub fn name_key(name: &str) -> u64 {
    let h = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    h.max(1)
}

/// `struct xpf_dp_nat_match`: a NAT rule's address, port and protocol
/// lists (counts: 0 any, [`LIST_NONE`] no IPv4 value).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NatMatch {
    pub src_lo: [u32; LIST],
    pub src_hi: [u32; LIST],
    pub dst_lo: [u32; LIST],
    pub dst_hi: [u32; LIST],
    pub sport_lo: [u16; LIST],
    pub sport_hi: [u16; LIST],
    pub dport_lo: [u16; LIST],
    pub dport_hi: [u16; LIST],
    pub protos: [u8; LIST],
    pub n_src: u8,
    pub n_dst: u8,
    pub n_sport: u8,
    pub n_dport: u8,
    pub n_proto: u8,
    pub pad: [u8; 3],
}

/// `struct xpf_dp_nat_ctx`: a rule-set's `from`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NatCtx {
    pub zones: u64,
    pub ifaces: [u32; LIST],
    pub n_ifaces: u8,
    pub any: u8,
    pub pad: [u8; 6],
}

/// `struct xpf_dp_snat`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Snat {
    pub from_zones: u64,
    pub to_zones: u64,
    pub id: u32,
    pub action: u8,
    pub pool: u8,
    pub pad: u8,
    pub pad1: u8,
    pub m: NatMatch,
    pub pad2: u32,
}

/// `struct xpf_dp_static`: `ext`/`mask` ↔ `int`/`mask`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Static {
    pub from: NatCtx,
    pub id: u32,
    pub ext: u32,
    pub int: u32,
    pub mask: u32,
}

/// `struct xpf_dp_dnat`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dnat {
    pub from: NatCtx,
    pub id: u32,
    pub addr: u32,
    pub port: u16,
    pub action: u8,
    pub has_port: u8,
    pub m: NatMatch,
}

/// An IPv6 address as the program compares it: {high, low} 64 bits.
pub fn halves(a: u128) -> [u64; 2] {
    [(a >> 64) as u64, a as u64]
}

/// `struct xpf_dp_nat6_match`: a NAT rule's IPv6 address ranges, beside
/// its [`Snat`] or [`Dnat`] (counts as [`NatMatch`]'s, [`LIST_NONE`]: no
/// IPv6 value).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Nat6Match {
    pub src_lo: [[u64; 2]; LIST],
    pub src_hi: [[u64; 2]; LIST],
    pub dst_lo: [[u64; 2]; LIST],
    pub dst_hi: [[u64; 2]; LIST],
    pub n_src: u8,
    pub n_dst: u8,
    pub pad: [u8; 6],
}

/// `struct xpf_dp_dnat6`: a destination rule for IPv6 (`action`
/// [`DNAT_POOL`] only for an IPv6 pool).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dnat6 {
    pub m: Nat6Match,
    pub addr: [u64; 2],
    pub port: u16,
    pub action: u8,
    pub has_port: u8,
    pub pad: [u8; 4],
}

/// `struct xpf_dp_static6`: `ext`/`mask` ↔ `int`/`mask`, IPv6.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Static6 {
    pub from: NatCtx,
    pub id: u32,
    pub pad: u32,
    pub ext: [u64; 2],
    pub int: [u64; 2],
    pub mask: [u64; 2],
}

/// `struct xpf_dp_pool6`: a pool's IPv6 ranges.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pool6 {
    pub n: u8,
    pub pad: [u8; 7],
    pub lo: [[u64; 2]; LIST],
    pub hi: [[u64; 2]; LIST],
}

/// `struct xpf_dp_pool`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pool {
    pub n: u8,
    pub keep_ports: u8,
    pub port_lo: u16,
    pub port_hi: u16,
    pub pad: u16,
    pub lo: [u32; LIST],
    pub hi: [u32; LIST],
}

/// `struct xpf_dp_flow`: one direction's key (IPv4, host byte order).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Flow {
    pub src: u32,
    pub dst: u32,
    pub sport: u16,
    pub dport: u16,
    pub proto: u8,
    pub v6: u8,
    pub pad: [u8; 2],
    /// IPv6 addresses, network order (`src`/`dst` are then 0).
    pub src6: [u8; 16],
    pub dst6: [u8; 16],
}

/// `struct xpf_dp_tcp_side`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpSide {
    pub end: u32,
    pub ack: u32,
    pub win: u32,
    pub scale: u8,
    pub flags: u8,
    pub pad: [u8; 2],
}

/// `struct xpf_dp_tcp`: a session's TCP tracker; `state` is
/// `XPF_DP_TRACK_*` (1 SYN sent … 6 closed, 0 not TCP).
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tcp {
    pub side: [TcpSide; 2],
    pub state: u8,
    pub pad: [u8; 7],
}

/// `struct xpf_dp_session`: one direction of a session.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionEntry {
    pub twin: Flow,
    pub created: u64,
    pub expires: u64,
    pub timeout: u64,
    pub packets: u64,
    pub bytes: u64,
    pub generation: u64,
    pub policy_id: u32,
    pub snat_rule: u32,
    pub egress_ifindex: u32,
    pub ingress_ifindex: u32,
    pub xsrc: u32,
    pub xdst: u32,
    pub xsport: u16,
    pub xdport: u16,
    pub xflags: u8,
    pub dir: u8,
    pub spare: u8,
    pub mac_flags: u8,
    pub smac: [u8; 6],
    pub dmac: [u8; 6],
    pub dnat_rule: u32,
    /// Zones and policy by name ([`name_key`]).
    pub from_key: u64,
    pub to_key: u64,
    pub name_key: u64,
    /// The tracker (the forward entry's is the session's).
    pub tcp: Tcp,
}

/// `struct xpf_dp_last`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Last {
    pub action: u32,
    pub ifindex: u32,
    pub reason: u32,
    pub pad: u32,
}

/// `struct xpf_dp_event`, read from the ring buffer's bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Event {
    pub kind: u8,
    pub reason: u8,
    pub xflags: u8,
    pub policy_id: u32,
    pub snat_rule: u32,
    pub dnat_rule: u32,
    pub ingress_ifindex: u32,
    pub egress_ifindex: u32,
    pub xsrc: u32,
    pub xdst: u32,
    pub xsport: u16,
    pub xdport: u16,
    /// Low half of its session's generation (0: the live one's).
    pub generation: u32,
    pub created: u64,
    pub at: u64,
    pub packets: [u64; 2],
    pub bytes: [u64; 2],
    pub flow: Flow,
    /// The reverse key (an IPv6 session's rewrite addresses).
    pub twin: Flow,
}

/// `sizeof(struct xpf_dp_event)`.
pub const EVENT_SIZE: usize = 184;
/// The size before `twin`: records of an older program, read without it.
pub const EVENT_SIZE_V4: usize = 136;

impl Event {
    /// Reads an event (native byte order, as the program wrote it); `None`
    /// when `b` is too short to be one.
    pub fn from_bytes(b: &[u8]) -> Option<Event> {
        let twin = b
            .get(EVENT_SIZE_V4..EVENT_SIZE)
            .map_or_else(Flow::default, flow_at);
        let b = b.get(..EVENT_SIZE_V4)?;
        let u16_at = |o: usize| u16::from_ne_bytes([b[o], b[o + 1]]);
        let u32_at = |o: usize| u32::from_ne_bytes([b[o], b[o + 1], b[o + 2], b[o + 3]]);
        let u64_at = |o: usize| {
            let mut a = [0u8; 8];
            a.copy_from_slice(&b[o..o + 8]);
            u64::from_ne_bytes(a)
        };
        Some(Event {
            kind: b[0],
            reason: b[1],
            xflags: b[2],
            policy_id: u32_at(4),
            snat_rule: u32_at(8),
            dnat_rule: u32_at(12),
            ingress_ifindex: u32_at(16),
            egress_ifindex: u32_at(20),
            xsrc: u32_at(24),
            xdst: u32_at(28),
            xsport: u16_at(32),
            xdport: u16_at(34),
            generation: u32_at(36),
            created: u64_at(40),
            at: u64_at(48),
            packets: [u64_at(56), u64_at(64)],
            bytes: [u64_at(72), u64_at(80)],
            flow: flow_at(&b[88..]),
            twin,
        })
    }
}

/// A `struct xpf_dp_flow` from the 48 bytes at the start of `f`.
fn flow_at(f: &[u8]) -> Flow {
    let u16_at = |o: usize| u16::from_ne_bytes([f[o], f[o + 1]]);
    let u32_at = |o: usize| u32::from_ne_bytes([f[o], f[o + 1], f[o + 2], f[o + 3]]);
    let mut src6 = [0u8; 16];
    let mut dst6 = [0u8; 16];
    src6.copy_from_slice(&f[16..32]);
    dst6.copy_from_slice(&f[32..48]);
    Flow {
        src: u32_at(0),
        dst: u32_at(4),
        sport: u16_at(8),
        dport: u16_at(10),
        proto: f[12],
        v6: f[13],
        pad: [0; 2],
        src6,
        dst6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::size_of;

    /// A pinned session table is taken over only by a build of the same
    /// version, so both sides must agree on it.
    #[test]
    fn state_abi_matches_the_c_header() {
        let h = include_str!("../../../ebpf/include/xpf_dp_abi.h");
        let line = format!("#define XPF_DP_STATE_ABI {STATE_ABI}\n");
        assert!(
            h.contains(&line),
            "xpf_dp_abi.h has another XPF_DP_STATE_ABI"
        );
    }

    /// Every shared struct's size and field offsets, against the BTF of
    /// the object build.rs made: a field moved on one side only fails here.
    #[test]
    fn layouts_match_the_built_object() {
        let c = crate::btf_check::structs(crate::program::OBJECT).expect("the object's BTF");
        // `field = "c_name"` where Rust cannot use the C name (`in`).
        macro_rules! c_name {
            ($field:ident) => {
                stringify!($field)
            };
            ($field:ident $c_name:literal) => {
                $c_name
            };
        }
        macro_rules! same {
            ($rust:ty, $c:literal, [$($field:ident $(= $c_name:literal)?),* $(,)?]) => {{
                let s = c.get($c).unwrap_or_else(|| panic!("struct {} not in the object's BTF", $c));
                assert_eq!(s.size as usize, size_of::<$rust>(), "size of struct {}", $c);
                let rust = [$((c_name!($field $($c_name)?), std::mem::offset_of!($rust, $field))),*];
                let names: Vec<&str> = s.members.iter().map(|(n, _)| n.as_str()).collect();
                assert_eq!(names, rust.map(|(n, _)| n), "the members of struct {}", $c);
                for ((name, off), (_, c_off)) in rust.iter().zip(&s.members) {
                    assert_eq!(*off, *c_off as usize, "offset of {}.{name}", $c);
                }
            }};
        }
        same!(
            Screen,
            "xpf_dp_screen",
            [
                syn_flood, icmp_flood, udp_flood, checks, alarm_only, on, pad, scan_us, limit_src,
                limit_dst, syn_src, syn_dst, syn_alarm
            ]
        );
        same!(LimitKey, "xpf_dp_limit_key", [addr, dst, v6, pad]);
        same!(Limit, "xpf_dp_limit", [changed, count, pad]);
        same!(Active, "xpf_dp_active", [buf, pad, generation]);
        same!(
            Conf,
            "xpf_dp_conf",
            [
                generation,
                tcp_initial,
                tcp_established,
                tcp_closing,
                udp,
                icmp,
                other,
                global_set,
                default_permit,
                syn_check,
                rst_invalidate,
                n_snat,
                mss,
                n_static,
                n_dnat,
                n_static6,
                sequence_check,
                dns_reply_check,
                pad2
            ]
        );
        same!(IfKey, "xpf_dp_if_key", [buf, ifindex]);
        same!(
            Iface,
            "xpf_dp_iface",
            [zone, host_any, n_bcast, addr4, bcast4, addr6, zone_key]
        );
        same!(LocalKey, "xpf_dp_local_key", [buf, addr]);
        same!(Local6Key, "xpf_dp_local6_key", [buf, addr]);
        same!(PairKey, "xpf_dp_pair_key", [buf, from, to]);
        same!(RuleKey, "xpf_dp_rule_key", [set, idx]);
        same!(
            Rule,
            "xpf_dp_rule",
            [policy_id, action, log, pad, timeout_s, pad2, name_key]
        );
        same!(NameKey, "xpf_dp_name_key", [buf, pad, from, to, name]);
        same!(Name, "xpf_dp_name", [policy_id, action, pad]);
        same!(
            NatMatch,
            "xpf_dp_nat_match",
            [
                src_lo, src_hi, dst_lo, dst_hi, sport_lo, sport_hi, dport_lo, dport_hi, protos,
                n_src, n_dst, n_sport, n_dport, n_proto, pad
            ]
        );
        same!(
            NatCtx,
            "xpf_dp_nat_ctx",
            [zones, ifaces, n_ifaces, any, pad]
        );
        same!(
            Snat,
            "xpf_dp_snat",
            [from_zones, to_zones, id, action, pool, pad, pad1, m, pad2]
        );
        same!(Static, "xpf_dp_static", [from, id, ext, int = "in", mask]);
        same!(
            Dnat,
            "xpf_dp_dnat",
            [from, id, addr, port, action, has_port, m]
        );
        same!(
            Nat6Match,
            "xpf_dp_nat6_match",
            [src_lo, src_hi, dst_lo, dst_hi, n_src, n_dst, pad]
        );
        same!(
            Dnat6,
            "xpf_dp_dnat6",
            [m, addr, port, action, has_port, pad]
        );
        same!(
            Static6,
            "xpf_dp_static6",
            [from, id, pad, ext, int = "in", mask]
        );
        same!(Pool6, "xpf_dp_pool6", [n, pad, lo, hi]);
        same!(
            Pool,
            "xpf_dp_pool",
            [n, keep_ports, port_lo, port_hi, pad, lo, hi]
        );
        same!(
            Flow,
            "xpf_dp_flow",
            [src, dst, sport, dport, proto, v6, pad, src6, dst6]
        );
        same!(
            TcpSide,
            "xpf_dp_tcp_side",
            [end, ack, win, scale, flags, pad]
        );
        same!(Tcp, "xpf_dp_tcp", [side, state, pad]);
        same!(
            SessionEntry,
            "xpf_dp_session",
            [
                twin,
                created,
                expires,
                timeout,
                packets,
                bytes,
                generation,
                policy_id,
                snat_rule,
                egress_ifindex,
                ingress_ifindex,
                xsrc,
                xdst,
                xsport,
                xdport,
                xflags,
                dir,
                spare,
                mac_flags,
                smac,
                dmac,
                dnat_rule,
                from_key,
                to_key,
                name_key,
                tcp
            ]
        );
        same!(Last, "xpf_dp_last", [action, ifindex, reason, pad]);
    }

    /// The sizes `xpf_xdp_dataplane.c` asserts; a mismatch would make
    /// every map update fail or, worse, misread fields.
    #[test]
    fn sizes_match_the_c_header() {
        let src = include_str!("../../../ebpf/xpf_xdp_dataplane.c");
        let sizes = [
            ("xpf_dp_active", size_of::<Active>()),
            ("xpf_dp_conf", size_of::<Conf>()),
            ("xpf_dp_iface", size_of::<Iface>()),
            ("xpf_dp_addr_lpm", 4 + size_of::<LpmData>()),
            ("xpf_dp_addr6_lpm", 4 + size_of::<LpmData6>()),
            ("xpf_dp_svc_lpm", 4 + size_of::<LpmData>()),
            ("xpf_dp_host_lpm", 4 + size_of::<LpmData>()),
            ("xpf_dp_rule", size_of::<Rule>()),
            ("xpf_dp_name_key", size_of::<NameKey>()),
            ("xpf_dp_name", size_of::<Name>()),
            ("xpf_dp_snat", size_of::<Snat>()),
            ("xpf_dp_pool", size_of::<Pool>()),
            ("xpf_dp_nat_match", size_of::<NatMatch>()),
            ("xpf_dp_nat_ctx", size_of::<NatCtx>()),
            ("xpf_dp_static", size_of::<Static>()),
            ("xpf_dp_dnat", size_of::<Dnat>()),
            ("xpf_dp_nat6_match", size_of::<Nat6Match>()),
            ("xpf_dp_dnat6", size_of::<Dnat6>()),
            ("xpf_dp_static6", size_of::<Static6>()),
            ("xpf_dp_pool6", size_of::<Pool6>()),
            ("xpf_dp_flow", size_of::<Flow>()),
            ("xpf_dp_tcp", size_of::<Tcp>()),
            ("xpf_dp_session", size_of::<SessionEntry>()),
            ("xpf_dp_last", size_of::<Last>()),
            ("xpf_dp_local6_key", size_of::<Local6Key>()),
            ("xpf_dp_event", EVENT_SIZE),
            ("xpf_dp_screen", size_of::<Screen>()),
            ("xpf_dp_limit_key", size_of::<LimitKey>()),
            ("xpf_dp_limit", size_of::<Limit>()),
        ];
        for (name, size) in sizes {
            let line = format!("sizeof(struct {name}) == {size},");
            assert!(
                src.contains(&line),
                "C asserts another size for {name} (Rust: {size})"
            );
        }
    }
}
