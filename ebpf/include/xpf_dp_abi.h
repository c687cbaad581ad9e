// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * The eBPF fallback dataplane's C <-> Rust ABI: every map key and value the
 * loader (crates/ebpf-loader, src/abi.rs) writes or reads. Layouts are
 * fixed-size with explicit padding; abi.rs mirrors them with #[repr(C)] and
 * a test checks the sizes against this file's _Static_asserts.
 *
 * Addresses and ports are host byte order numbers, as in the Rust pipeline
 * (xpf_dataplane::FlowKey), except inside LPM keys, which are big-endian
 * bit strings by the trie's nature.
 */
#ifndef XPF_DP_ABI_H
#define XPF_DP_ABI_H

#include <linux/types.h>

/* Configuration is double-buffered: buffer `buf` (0/1) of every config map. */
#define XPF_DP_BUFS 2
/* Policy set ids: buf * XPF_DP_SET_STRIDE + index of the set. */
#define XPF_DP_SET_STRIDE 0x8000
#define XPF_DP_SET_NONE 0xffffffffu
/* Rules per policy set: one bit each in a __u64. */
#define XPF_DP_SET_RULES 64
/* Policy hit counters per buffer. */
#define XPF_DP_MAX_POLICIES 1024
#define XPF_DP_SNAT_RULES 16
/* Static and destination NAT rules per buffer (powers of two: masks). */
#define XPF_DP_STATIC_RULES 64
#define XPF_DP_DNAT_RULES 32
/* NAT rule ids (Snapshot::nat_rules indexes) with hit counters, per buffer. */
#define XPF_DP_NAT_IDS 256
#define XPF_DP_POOLS 16
#define XPF_DP_LIST 4
#define XPF_DP_MAX_IFACES 1024
#define XPF_DP_SESSIONS 262144
#define XPF_DP_NONE32 0xffffffffu
#define XPF_DP_NO_ZONE 0xffff

/* xpf_dp_active[0]: which buffer the program reads. */
struct xpf_dp_active {
	__u32 buf;
	__u32 pad;
	__u64 generation;
};

/* xpf_dp_conf[buf]: scalar settings of a snapshot. Timeouts in ns. */
struct xpf_dp_conf {
	__u64 generation;
	__u64 tcp_initial;
	__u64 tcp_established;
	__u64 tcp_closing;
	__u64 udp;
	__u64 icmp;
	__u64 other;
	__u32 global_set;
	__u8 default_permit;
	__u8 syn_check;
	__u8 rst_invalidate;
	__u8 n_snat;
	__u16 mss;
	__u8 n_static;
	__u8 n_dnat;
	__u8 n_static6; /* IPv6 static NAT rules (xpf_dp_statics6) */
	__u8 sequence_check; /* refuse out-of-window TCP resets */
	__u8 dns_reply_check; /* no allow-dns-reply: drop unsolicited DNS responses */
	__u8 pad2;
};

struct xpf_dp_if_key {
	__u32 buf;
	__u32 ifindex;
};

/*
 * An interface of the snapshot: zone, first IPv4 address, broadcasts,
 * first IPv6 address (as on the wire; all zero: none).
 */
struct xpf_dp_iface {
	__u16 zone;
	__u8 host_any;
	__u8 n_bcast;
	__u32 addr4;
	__u32 bcast4[XPF_DP_LIST];
	__u8 addr6[16];
	__u64 zone_key; /* the zone's name as a key (xpf_dp_names) */
};

struct xpf_dp_local_key {
	__u32 buf;
	__u32 addr;
};

/* An IPv6 address of the box, network byte order (xpf_dp_local6). */
struct xpf_dp_local6_key {
	__u32 buf;
	__u8 addr[16];
};

struct xpf_dp_pair_key {
	__u32 buf;
	__u16 from;
	__u16 to;
};

/* LPM keys: prefixlen counts bits of data, set id first. */
struct xpf_dp_addr_lpm {
	__u32 prefixlen;
	__u8 set[4];
	__u8 addr[4];
};

struct xpf_dp_addr6_lpm {
	__u32 prefixlen;
	__u8 set[4];
	__u8 addr[16];
};

struct xpf_dp_svc_lpm {
	__u32 prefixlen;
	__u8 set[4];
	__u8 proto;
	__u8 port[2];
	__u8 pad;
};

/* Host-inbound: set = buf << 24 | ifindex; value XPF_DP_HOST_*. */
#define XPF_DP_HOST_PORT 1
#define XPF_DP_HOST_EITHER 2
struct xpf_dp_host_lpm {
	__u32 prefixlen;
	__u8 set[4];
	__u8 proto;
	__u8 port[2];
	__u8 pad;
};

struct xpf_dp_rule_key {
	__u32 set;
	__u32 idx;
};

#define XPF_DP_PERMIT 0
#define XPF_DP_DENY 1
#define XPF_DP_REJECT 2
/* Rule `log` bits: `then log session-init` / `session-close`. */
#define XPF_DP_LOG_INIT 1
#define XPF_DP_LOG_CLOSE 2
/* timeout_s: 0 = the protocol's default, 0xffffffff = never. */
struct xpf_dp_rule {
	__u32 policy_id;
	__u8 action;
	__u8 log;
	__u8 pad[2];
	__u32 timeout_s;
	__u32 pad2;
	__u64 name_key; /* the policy's name as a key (xpf_dp_names) */
};

/*
 * xpf_dp_names: what a session needs to outlive a commit, by name, as the
 * pipeline's revalidation (crates/dataplane/src/stage/conntrack.rs) looks
 * it up. Keys are 64-bit hashes of names (never 0), computed by the
 * loader: {zone, 0, 0} says a zone exists; {from, to, policy} is a policy
 * of that zone pair, {0, 0, policy} a global one.
 */
struct xpf_dp_name_key {
	__u32 buf;
	__u32 pad;
	__u64 from;
	__u64 to;
	__u64 name;
};

struct xpf_dp_name {
	__u32 policy_id;
	__u8 action;
	__u8 pad[3];
};

/*
 * What a NAT rule matches besides its context. Counts: 0 = any,
 * XPF_DP_LIST_NONE = matches nothing of IPv4 (the rule's addresses are
 * all IPv6).
 */
#define XPF_DP_LIST_NONE 0xff
struct xpf_dp_nat_match {
	__u32 src_lo[XPF_DP_LIST];
	__u32 src_hi[XPF_DP_LIST];
	__u32 dst_lo[XPF_DP_LIST];
	__u32 dst_hi[XPF_DP_LIST];
	__u16 sport_lo[XPF_DP_LIST];
	__u16 sport_hi[XPF_DP_LIST];
	__u16 dport_lo[XPF_DP_LIST];
	__u16 dport_hi[XPF_DP_LIST];
	__u8 protos[XPF_DP_LIST];
	__u8 n_src;
	__u8 n_dst;
	__u8 n_sport;
	__u8 n_dport;
	__u8 n_proto;
	__u8 pad[3];
};

/* A rule-set's `from`: any, zones (bit per id) or interfaces. */
struct xpf_dp_nat_ctx {
	__u64 zones;
	__u32 ifaces[XPF_DP_LIST];
	__u8 n_ifaces;
	__u8 any;
	__u8 pad[6];
};

#define XPF_DP_SNAT_OFF 0
#define XPF_DP_SNAT_IFACE 1
#define XPF_DP_SNAT_POOL 2
struct xpf_dp_snat {
	__u64 from_zones; /* bit per zone id; ~0 = any */
	__u64 to_zones;
	__u32 id;
	__u8 action;
	__u8 pool;
	__u8 pad;
	__u8 pad1;
	struct xpf_dp_nat_match m;
	__u32 pad2;
};

/*
 * A static NAT rule: `ext`/`mask` <-> `in`/`mask`. Inbound (destination
 * in ext, from its context) translates the destination; outbound (source
 * in `in`, any context) the source.
 */
struct xpf_dp_static {
	struct xpf_dp_nat_ctx from;
	__u32 id;
	__u32 ext;
	__u32 in;
	__u32 mask;
};

#define XPF_DP_DNAT_OFF 0
#define XPF_DP_DNAT_POOL 1
/* A destination NAT rule; the pool's address and, if has_port, port. */
struct xpf_dp_dnat {
	struct xpf_dp_nat_ctx from;
	__u32 id;
	__u32 addr;
	__u16 port;
	__u8 action;
	__u8 has_port;
	struct xpf_dp_nat_match m;
};

/*
 * The IPv6 side of a NAT rule (xpf_dp_snat6, xpf_dp_dnat6 at the index of
 * the rule's xpf_dp_snat/xpf_dp_dnat, whose contexts, ports and protocols
 * it shares): its IPv6 address ranges, each address as {high, low} 64-bit
 * halves in host order so ranges compare as numbers. Counts as
 * xpf_dp_nat_match's: 0 any, XPF_DP_LIST_NONE no IPv6 value.
 */
struct xpf_dp_nat6_match {
	__u64 src_lo[XPF_DP_LIST][2];
	__u64 src_hi[XPF_DP_LIST][2];
	__u64 dst_lo[XPF_DP_LIST][2];
	__u64 dst_hi[XPF_DP_LIST][2];
	__u8 n_src;
	__u8 n_dst;
	__u8 pad[6];
};

/* A destination rule for IPv6: translates (POOL) only to an IPv6 pool. */
struct xpf_dp_dnat6 {
	struct xpf_dp_nat6_match m;
	__u64 addr[2];
	__u16 port;
	__u8 action;
	__u8 has_port;
	__u8 pad[4];
};

/* An IPv6 static NAT rule (xpf_dp_statics6), as xpf_dp_static. */
struct xpf_dp_static6 {
	struct xpf_dp_nat_ctx from;
	__u32 id;
	__u32 pad;
	__u64 ext[2];
	__u64 in[2];
	__u64 mask[2];
};

/* A pool's IPv6 ranges (xpf_dp_pools6, beside its xpf_dp_pool). */
struct xpf_dp_pool6 {
	__u8 n;
	__u8 pad[7];
	__u64 lo[XPF_DP_LIST][2];
	__u64 hi[XPF_DP_LIST][2];
};

struct xpf_dp_pool {
	__u8 n;
	__u8 keep_ports;
	__u16 port_lo;
	__u16 port_hi;
	__u16 pad;
	__u32 lo[XPF_DP_LIST];
	__u32 hi[XPF_DP_LIST];
};

/*
 * A session direction's key (FlowKey without instance): IPv4 addresses in
 * src/dst, or (v6) IPv6 addresses as on the wire in src6/dst6; the other
 * pair is 0.
 */
struct xpf_dp_flow {
	__u32 src;
	__u32 dst;
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 v6;
	__u8 pad[2];
	__u8 src6[16];
	__u8 dst6[16];
};

#define XPF_DP_X_SRC 1
#define XPF_DP_X_DST 2
/* mac_flags bits. */
#define XPF_DP_MAC_OK 1
#define XPF_DP_F_LOG_CLOSE 2 /* the policy logs the session's close */
/* limit-session: the forward entry holds a count of its source / destination. */
#define XPF_DP_F_LIMIT_SRC 4
#define XPF_DP_F_LIMIT_DST 8
#define XPF_DP_F_LIMITS (XPF_DP_F_LIMIT_SRC | XPF_DP_F_LIMIT_DST)
/*
 * One direction of a session. The forward entry (dir 0) is the session:
 * its expiry, timeout and TCP state are authoritative; the reverse entry
 * (dir 1) names it in `twin`. Each entry carries its own direction's
 * rewrite, route and counters, so a hit needs no second lookup except to
 * refresh the forward entry's timer.
 */
/*
 * The TCP tracker of a session (dataplane/tcp_track.h, after
 * crates/dataplane/src/session/tcp.rs): what each side has sent.
 */
#define XPF_DP_SIDE_SEEN 1
#define XPF_DP_SIDE_ACKED 2
#define XPF_DP_SIDE_FIN 4
#define XPF_DP_SIDE_SCALE 8 /* `scale` was offered on its SYN */

struct xpf_dp_tcp_side {
	__u32 end; /* next sequence number after all it sent */
	__u32 ack; /* highest acknowledgement it sent */
	__u32 win; /* largest window it advertised, scaled */
	__u8 scale;
	__u8 flags;
	__u8 pad[2];
};

/* Tracker states, as xpf_dataplane::TcpState (0: not TCP). */
#define XPF_DP_TRACK_SYN_SENT 1
#define XPF_DP_TRACK_SYN_RECEIVED 2
#define XPF_DP_TRACK_ESTABLISHED 3
#define XPF_DP_TRACK_CLOSING 4
#define XPF_DP_TRACK_TIME_WAIT 5
#define XPF_DP_TRACK_CLOSED 6

struct xpf_dp_tcp {
	struct xpf_dp_tcp_side side[2]; /* initiator, responder */
	__u8 state;
	__u8 pad[7];
};

struct xpf_dp_session {
	struct xpf_dp_flow twin;
	__u64 created;
	__u64 expires;
	__u64 timeout;
	__u64 packets;
	__u64 bytes;
	__u64 generation;
	__u32 policy_id; /* XPF_DP_NONE32: default-policy permit-all */
	__u32 snat_rule; /* source or static rule; XPF_DP_NONE32: none */
	__u32 egress_ifindex;
	__u32 ingress_ifindex; /* where this direction's packets arrive */
	/*
	 * IPv4 rewrite addresses. An IPv6 entry's are its twin's (the
	 * translated source is the twin's destination, the translated
	 * destination its source): 0 here, derived where needed.
	 */
	__u32 xsrc;
	__u32 xdst;
	__u16 xsport;
	__u16 xdport;
	__u8 xflags;
	__u8 dir;
	__u8 spare;
	__u8 mac_flags; /* XPF_DP_MAC_OK, XPF_DP_F_LOG_CLOSE */
	__u8 smac[6];
	__u8 dmac[6];
	__u32 dnat_rule; /* static or destination rule; XPF_DP_NONE32: none */
	/* Zones and policy by name, to revalidate after a commit. */
	__u64 from_key;
	__u64 to_key;
	__u64 name_key;
	struct xpf_dp_tcp tcp; /* the forward entry's is the session's */
};

#define XPF_DP_SCANS 5
/* Screened zone ids: below this (xpf_dp_screens, xpf_dp_syn_rates). */
#define XPF_DP_SCREEN_ZONES 256
/* Flood counters: per CPU, as the pipeline's per worker (FLOOD_ENTRIES). */
#define XPF_DP_FLOOD_ENTRIES 4096

/* struct xpf_dp_screen `checks`: the stateless ids-option checks. */
#define XPF_DP_SCR_SOURCE_ROUTE 0x0001
#define XPF_DP_SCR_BLOCK_FRAG 0x0002
#define XPF_DP_SCR_TEAR_DROP 0x0004
#define XPF_DP_SCR_PING_DEATH 0x0008
#define XPF_DP_SCR_LAND 0x0010
#define XPF_DP_SCR_SYN_FIN 0x0020
#define XPF_DP_SCR_TCP_NO_FLAG 0x0040
#define XPF_DP_SCR_FIN_NO_ACK 0x0080
#define XPF_DP_SCR_WINNUKE 0x0100
#define XPF_DP_SCR_RECORD_ROUTE 0x0200
#define XPF_DP_SCR_TIMESTAMP 0x0400
#define XPF_DP_SCR_SECURITY 0x0800
#define XPF_DP_SCR_STREAM 0x1000
#define XPF_DP_SCR_UNKNOWN_PROTOCOL 0x2000
#define XPF_DP_SCR_ICMP_LARGE 0x4000
#define XPF_DP_SCR_ICMP_FRAGMENT 0x8000
#define XPF_DP_SCR_SYN_FRAG 0x10000
#define XPF_DP_SCR_SPOOFING 0x20000
/* The IP option checks, shifted down by this, are XPF_IPOPT_* bits. */
#define XPF_DP_SCR_IPOPT_SHIFT 9

/*
 * xpf_dp_screens[buf * XPF_DP_SCREEN_ZONES + zone]: a zone's screen
 * profile (crates/dataplane/src/snapshot/screen.rs). Thresholds are
 * packets per second; XPF_DP_NONE32: not screened. `on` 0: no profile.
 */
struct xpf_dp_screen {
	__u32 syn_flood;
	__u32 icmp_flood;
	__u32 udp_flood;
	__u32 checks;
	__u8 alarm_only;
	__u8 on;
	__u8 pad[2];
	/* Scan windows in microseconds, XPF_DP_SCAN_* order; 0: not screened. */
	__u32 scan_us[XPF_DP_SCANS];
	/* limit-session: sessions per source / destination; XPF_DP_NONE32: off. */
	__u32 limit_src;
	__u32 limit_dst;
	/* syn-flood: SYNs per second from one source, to one destination
	 * (dropped above), and to one destination counted as alarms. */
	__u32 syn_src;
	__u32 syn_dst;
	__u32 syn_alarm;
};

/*
 * xpf_dp_limits (pinned, beside the sessions): the sessions counted
 * against one address (crates/dataplane/src/session/limit.rs), keyed as
 * the pipeline keys them: by family and address, sources and destinations
 * apart. `changed`: when a session last took a count (the sweep's
 * reconciliation leaves entries changed since it began alone).
 */
struct xpf_dp_limit_key {
	__u32 addr[4]; /* IPv4 in addr[0], host order; IPv6 as on the wire */
	__u8 dst; /* 0: a source's count, 1: a destination's */
	__u8 v6;
	__u8 pad[2];
};

struct xpf_dp_limit {
	__u64 changed;
	__u32 count;
	__u32 pad;
};

/* The sweeps and port scans, as the pipeline's scan::Probe. */
#define XPF_DP_SCAN_IP_SWEEP 0
#define XPF_DP_SCAN_TCP_SWEEP 1
#define XPF_DP_SCAN_UDP_SWEEP 2
#define XPF_DP_SCAN_TCP_PORTS 3
#define XPF_DP_SCAN_UDP_PORTS 4

/* Distinct targets one source may probe in a window (scan.rs PROBES). */
#define XPF_DP_SCAN_PROBES 10
/* Windows per CPU: the pipeline's sweeps and scans tables together. */
#define XPF_DP_SCAN_ENTRIES 2048

/* Whose probes a window counts: `dst` all zero for a sweep. */
struct xpf_dp_scan_key {
	__u32 src[4];
	__u32 dst[4];
	__u16 zone;
	__u8 probe; /* XPF_DP_SCAN_* */
	__u8 v6;
};

/* The distinct targets (hosts, or ports in target[i][0]) of one window. */
struct xpf_dp_scan_window {
	__u64 start;
	__u64 len;
	__u64 blocked_until;
	__u32 seen;
	__u32 pad;
	__u32 target[XPF_DP_SCAN_PROBES][4];
};

/* One second's packets (xpf_dp_syn_rates, xpf_dp_floods). */
struct xpf_dp_rate {
	__u64 second;
	__u32 count;
	__u32 pad;
};

/* The pipeline's FloodKey: the destination, or the source of
 * XPF_DP_FLOOD_SYN_SRC; IPv4 in addr[0]. */
struct xpf_dp_flood_key {
	__u32 addr[4];
	__u16 zone;
	__u8 flood; /* XPF_DP_FLOOD_* */
	__u8 v6;
};

#define XPF_DP_FLOOD_ICMP 0
#define XPF_DP_FLOOD_UDP 1
#define XPF_DP_FLOOD_SYN_SRC 2
#define XPF_DP_FLOOD_SYN_DST 3

/* xpf_dp_last[0] (per CPU): the last packet's outcome, for tests. */
struct xpf_dp_last {
	__u32 action;
	__u32 ifindex;
	__u32 reason;
	__u32 pad;
};

/* Counter slots after the drop reasons (0..63). */
#define XPF_DP_CNT_FORWARDED 64
#define XPF_DP_CNT_TO_KERNEL 65
#define XPF_DP_CNT_REPLIES 66
#define XPF_DP_CNT_CREATED 67
#define XPF_DP_CNT_HITS 68
#define XPF_DP_CNT_MISSES 69
#define XPF_DP_CNT_DNAT 70 /* sessions with a destination translation */
#define XPF_DP_CNT_SNAT 71 /* sessions with a source translation */
#define XPF_DP_CNT_EVENTS_LOST 72 /* session events the full ring buffer refused */
#define XPF_DP_CNT_SCREEN_ALARMS 73 /* screen hits passed: alarm-without-drop */
#define XPF_DP_CNT_MAX 74

/*
 * xpf_dp_events (ring buffer): session events for the RT_FLOW log, read
 * by the loader. INIT when a session is made under a policy that logs
 * session-init; CLOSE when the program removes an expired session whose
 * policy logs session-close (closes userspace makes it logs itself); DENY
 * when a logging policy denies or rejects a first packet. `flow` is the
 * forward key (the original tuple); the x* fields the forward direction's
 * rewrite (xflags XPF_DP_X_SRC: source to xsrc/xsport, XPF_DP_X_DST:
 * destination to xdst/xdport). Ingress and egress are the forward
 * direction's, whose zones are the session's. Counters (CLOSE only) are
 * [forward, reverse].
 */
#define XPF_DP_EVENTS_BYTES (256 * 1024)
#define XPF_DP_EV_INIT 1
#define XPF_DP_EV_CLOSE 2
#define XPF_DP_EV_DENY 3
#define XPF_DP_CLOSE_IDLE 0
#define XPF_DP_CLOSE_TCP_FIN 1
#define XPF_DP_CLOSE_TCP_RST 2
#define XPF_DP_CLOSE_POLICY 3 /* its policy is gone after a commit */
struct xpf_dp_event {
	__u8 kind;
	__u8 reason;
	__u8 xflags;
	__u8 pad;
	__u32 policy_id;
	__u32 snat_rule;
	__u32 dnat_rule;
	__u32 ingress_ifindex;
	__u32 egress_ifindex;
	__u32 xsrc;
	__u32 xdst;
	__u16 xsport;
	__u16 xdport;
	__u32 generation; /* low half of its session's: the snapshot naming it */
	__u64 created;
	__u64 at;
	__u64 packets[2];
	__u64 bytes[2];
	struct xpf_dp_flow flow;
	/* The reverse key: an IPv6 session's rewrite addresses (0 for DENY). */
	struct xpf_dp_flow twin;
};

/*
 * Pinned state (xpf_dp_sessions, xpf_dp_counters) outlives xpfd: a
 * restarted or upgraded xpfd takes it over when its pins are of this
 * version (crates/ebpf-loader pins them under dataplane-v<N>/). Bump it
 * whenever struct xpf_dp_flow, struct xpf_dp_session or the meaning of a
 * counter slot changes, even at equal size: a new xpfd then starts with
 * fresh maps instead of misreading old ones. Config maps are not pinned;
 * each load fills its own.
 */
#define XPF_DP_STATE_ABI 3

#endif
