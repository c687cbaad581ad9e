// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Stage: screen (crates/dataplane/src/stage/screen/): the ingress zone's
 * ids-option checks, right after the zone is known and before anything
 * else looks at the packet, later fragments included. The header checks
 * come first, in the pipeline's order; only a packet that passes them all
 * is counted by the rate checks, and then by every one that applies, so
 * the rates stay true when an earlier one already flagged it.
 *
 * `ip spoofing` runs between the header checks and the rates: the
 * kernel's route back to the source (bpf_fib_lookup, addresses swapped)
 * must leave through the ingress; no route, or a local, broadcast or
 * multicast answer, is spoofed. The pipeline's stage/screen/spoof.rs
 * gives the reasons and names the same exceptions.
 *
 * Rates are per CPU, as the pipeline's are per worker: the SYN rate per
 * zone, the ICMP and UDP rates per (zone, destination) and the SYN rates
 * per (zone, source) and (zone, destination) in an LRU table of the
 * pipeline's size. The LRU forgets the least recently seen address where
 * the pipeline forgets the one with the fewest packets this second: the
 * two differ only once more than XPF_DP_FLOOD_ENTRIES addresses are live.
 * The sweeps and port scans are dataplane/scan.h; limit-session, judged
 * when a session is to be made, dataplane/limit.h.
 */
#ifndef XPF_DP_SCREEN_H
#define XPF_DP_SCREEN_H

#include <bpf/bpf_helpers.h>
#include "xpf_dp_abi.h"
#include "dataplane/drop_reasons.h"
#include "dataplane/counters.h"
#include "dataplane/parse.h"
#include "dataplane/fib.h"
#include "dataplane/scan.h"

/* xpf_dp_screen_rates: a SYN above syn-flood alarm-threshold, counted and
 * passed (no drop reason is this high). */
#define XPF_DP_SCREEN_ALARM 0x100

/* Indexed buf * XPF_DP_SCREEN_ZONES + zone; the loader writes every slot. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XPF_DP_BUFS * XPF_DP_SCREEN_ZONES);
	__type(key, __u32);
	__type(value, struct xpf_dp_screen);
} xpf_dp_screens SEC(".maps");

/* This CPU's SYNs into each zone this second (the pipeline's `syn`). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XPF_DP_SCREEN_ZONES);
	__type(key, __u32);
	__type(value, struct xpf_dp_rate);
} xpf_dp_syn_rates SEC(".maps");

/* This CPU's ICMP, UDP and SYN packets per address this second. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, XPF_DP_FLOOD_ENTRIES);
	__type(key, struct xpf_dp_flood_key);
	__type(value, struct xpf_dp_rate);
} xpf_dp_floods SEC(".maps");

/* Counts a packet in `r`: this second's packets, this one included. */
static __always_inline __u32 xpf_dp_rate_count(struct xpf_dp_rate *r, __u64 second)
{
	if (r->second != second) {
		r->second = second;
		r->count = 0;
	}
	if (r->count != 0xffffffffu)
		r->count++;
	return r->count;
}

/* Counts a packet in `r`; true when it is above `limit` this second. */
static __always_inline int xpf_dp_rate_over(struct xpf_dp_rate *r, __u64 second, __u32 limit)
{
	return xpf_dp_rate_count(r, second) > limit;
}

/* The first header check the packet fails (a drop reason), or 0. */
static __always_inline __u32 xpf_dp_screen_check(struct xpf_dp_screen *s, struct xpf_pkt *p)
{
	__u32 c = s->checks;
	__u8 f = p->tcp_flags;
	__u8 opts = (c >> XPF_DP_SCR_IPOPT_SHIFT) & p->ip_opts;
	int icmp = p->proto == 1 || p->proto == 58;

	if ((c & XPF_DP_SCR_SOURCE_ROUTE) && p->source_route)
		return XPF_DROP_SCREEN_SOURCE_ROUTE;
	if (opts & XPF_IPOPT_RECORD_ROUTE)
		return XPF_DROP_SCREEN_RECORD_ROUTE;
	if (opts & XPF_IPOPT_TIMESTAMP)
		return XPF_DROP_SCREEN_TIMESTAMP;
	if (opts & XPF_IPOPT_SECURITY)
		return XPF_DROP_SCREEN_SECURITY_OPTION;
	if (opts & XPF_IPOPT_STREAM)
		return XPF_DROP_SCREEN_STREAM_OPTION;
	/* Junos: numbers above 137 were unassigned when the screen was made. */
	if ((c & XPF_DP_SCR_UNKNOWN_PROTOCOL) && p->proto > 137)
		return XPF_DROP_SCREEN_UNKNOWN_PROTOCOL;
	if ((c & XPF_DP_SCR_BLOCK_FRAG) && p->frag != XPF_FRAG_NONE)
		return XPF_DROP_SCREEN_BLOCK_FRAG;
	/* A later fragment without payload: the shape tear-drop tools send. */
	if ((c & XPF_DP_SCR_TEAR_DROP) && p->frag != XPF_FRAG_NONE && p->frag_off && p->end <= p->l4)
		return XPF_DROP_SCREEN_TEAR_DROP;
	if ((c & XPF_DP_SCR_ICMP_FRAGMENT) && icmp && p->frag != XPF_FRAG_NONE)
		return XPF_DROP_SCREEN_ICMP_FRAGMENT;
	if ((c & XPF_DP_SCR_ICMP_LARGE) && icmp && p->end - p->l3 > 1024)
		return XPF_DROP_SCREEN_ICMP_LARGE;
	/* The reassembled datagram would exceed 65535 bytes. */
	if ((c & XPF_DP_SCR_PING_DEATH) && icmp && p->frag != XPF_FRAG_NONE &&
	    p->frag_off + (p->end - p->l3) > 65535)
		return XPF_DROP_SCREEN_PING_DEATH;
	if (!p->tcp)
		return 0;
	/* Only a first fragment carries the TCP header. */
	if ((c & XPF_DP_SCR_SYN_FRAG) && (f & XPF_TCP_SYN) && p->frag == XPF_FRAG_FIRST)
		return XPF_DROP_SCREEN_SYN_FRAG;
	if ((c & XPF_DP_SCR_LAND) && (f & XPF_TCP_SYN)) {
		int same = p->v6 ? !((p->src6[0] ^ p->dst6[0]) | (p->src6[1] ^ p->dst6[1]) |
				     (p->src6[2] ^ p->dst6[2]) | (p->src6[3] ^ p->dst6[3]))
				  : p->src == p->dst;

		if (same)
			return XPF_DROP_SCREEN_LAND;
	}
	if ((c & XPF_DP_SCR_SYN_FIN) && (f & (XPF_TCP_SYN | XPF_TCP_FIN)) == (XPF_TCP_SYN | XPF_TCP_FIN))
		return XPF_DROP_SCREEN_SYN_FIN;
	/* PSH (0x08) counts as a flag; ECE and CWR do not. */
	if ((c & XPF_DP_SCR_TCP_NO_FLAG) &&
	    !(f & (XPF_TCP_SYN | XPF_TCP_FIN | XPF_TCP_RST | XPF_TCP_ACK | XPF_TCP_URG | 0x08)))
		return XPF_DROP_SCREEN_TCP_NO_FLAG;
	if ((c & XPF_DP_SCR_FIN_NO_ACK) && (f & (XPF_TCP_FIN | XPF_TCP_ACK)) == XPF_TCP_FIN)
		return XPF_DROP_SCREEN_FIN_NO_ACK;
	if ((c & XPF_DP_SCR_WINNUKE) && (f & XPF_TCP_URG) && p->dport == 139)
		return XPF_DROP_SCREEN_WINNUKE;
	return 0;
}

/*
 * Counts the packet against `flood` of its destination (of its source
 * when `src`): this second's packets, this one included; 0 when the LRU
 * took no entry.
 */
static __always_inline __u32 xpf_dp_flood_count(struct xpf_pkt *p, __u32 zone, __u8 flood, int src, __u64 second)
{
	struct xpf_dp_flood_key k = {};
	struct xpf_dp_rate *r;

	k.zone = zone;
	k.flood = flood;
	k.v6 = p->v6;
	if (p->v6)
		__builtin_memcpy(k.addr, src ? p->src6 : p->dst6, 16);
	else
		k.addr[0] = src ? p->src : p->dst;
	r = bpf_map_lookup_elem(&xpf_dp_floods, &k);
	if (!r) {
		struct xpf_dp_rate fresh = { .second = second };

		bpf_map_update_elem(&xpf_dp_floods, &k, &fresh, BPF_NOEXIST);
		r = bpf_map_lookup_elem(&xpf_dp_floods, &k);
		if (!r)
			return 0;
	}
	return xpf_dp_rate_count(r, second);
}

/* ip spoofing: 1 when the route back to the source does not leave through
 * `ingress` (stage/screen/spoof.rs; the kernel's local table answers for
 * the box's own addresses, subnet broadcasts and loopback). */
static __always_inline int xpf_dp_spoofed(struct xdp_md *ctx, struct xpf_pkt *p, __u32 ingress)
{
	struct xpf_route r = {};
	int rc;

	if (p->v6) {
		__u32 hi = bpf_ntohl(p->src6[0]);
		int any = !(p->src6[0] | p->src6[1] | p->src6[2] | p->src6[3]);
		int loopback = !(p->src6[0] | p->src6[1] | p->src6[2]) && p->src6[3] == bpf_htonl(1);

		/* :: claims no address; fe80::/10 is on every link. */
		if (any || (hi >> 22) == 0x3fa)
			return 0;
		if ((hi >> 24) == 0xff || loopback)
			return 1;
		rc = xpf_fib6(ctx, ingress, p->dst6, p->src6, p->proto, &r);
	} else {
		if (p->src == 0)
			return 0;
		/* Multicast, limited broadcast, loopback: never a sender's. */
		if ((p->src >> 28) == 0xe || p->src == 0xffffffffu || (p->src >> 24) == 127)
			return 1;
		rc = xpf_fib(ctx, ingress, p->dst, p->src, p->proto, &r);
	}
	return rc == XPF_ROUTE_NONE || r.ifindex != ingress;
}

/*
 * The first rate check the packet fails, or 0; every one counts it. A SYN
 * above the alarm threshold that nothing drops is XPF_DP_SCREEN_ALARM.
 */
static __always_inline __u32 xpf_dp_screen_rates(struct xpf_dp_screen *s, struct xpf_pkt *p, __u32 zone)
{
	__u64 now = bpf_ktime_get_ns();
	__u64 second = now / 1000000000ull;
	__u32 hit = 0, scan, alarm = 0;
	int syn = p->tcp && (p->tcp_flags & (XPF_TCP_SYN | XPF_TCP_ACK)) == XPF_TCP_SYN;

	if (s->syn_flood != XPF_DP_NONE32 && syn) {
		struct xpf_dp_rate *r = bpf_map_lookup_elem(&xpf_dp_syn_rates, &zone);

		if (r && xpf_dp_rate_over(r, second, s->syn_flood))
			hit = XPF_DROP_SCREEN_SYN_FLOOD;
	}
	if (syn && s->syn_src != XPF_DP_NONE32) {
		if (xpf_dp_flood_count(p, zone, XPF_DP_FLOOD_SYN_SRC, 1, second) > s->syn_src && !hit)
			hit = XPF_DROP_SCREEN_SYN_FLOOD_SOURCE;
	}
	/* One count per destination serves its threshold and the alarm. */
	if (syn && (s->syn_dst != XPF_DP_NONE32 || s->syn_alarm != XPF_DP_NONE32)) {
		__u32 n = xpf_dp_flood_count(p, zone, XPF_DP_FLOOD_SYN_DST, 0, second);

		if (s->syn_dst != XPF_DP_NONE32 && n > s->syn_dst && !hit)
			hit = XPF_DROP_SCREEN_SYN_FLOOD_DESTINATION;
		alarm = s->syn_alarm != XPF_DP_NONE32 && n > s->syn_alarm;
	}
	if ((p->proto == 1 || p->proto == 58) && s->icmp_flood != XPF_DP_NONE32) {
		if (xpf_dp_flood_count(p, zone, XPF_DP_FLOOD_ICMP, 0, second) > s->icmp_flood && !hit)
			hit = XPF_DROP_SCREEN_ICMP_FLOOD;
	} else if (p->proto == 17 && s->udp_flood != XPF_DP_NONE32) {
		if (xpf_dp_flood_count(p, zone, XPF_DP_FLOOD_UDP, 0, second) > s->udp_flood && !hit)
			hit = XPF_DROP_SCREEN_UDP_FLOOD;
	}
	scan = xpf_dp_scan(p, s, zone, now);
	if (!hit)
		hit = scan;
	return hit ? hit : alarm ? XPF_DP_SCREEN_ALARM : 0;
}

/*
 * Runs zone `bz & 0xffff`'s screen (of config buffer `bz >> 16`) on a
 * packet received on `ingress`: a drop reason, or 0 to go on.
 * `alarm-without-drop` counts a hit and goes on, as does a SYN above the
 * alarm threshold. A global function, verified once on its own, off the
 * IPv4 and IPv6 paths' budgets.
 */
__attribute__((noinline)) int xpf_dp_screen(struct xdp_md *ctx, struct xpf_pkt *p, __u32 bz, __u32 ingress)
{
	__u32 zone = bz & 0xffff;
	__u32 idx = ((bz >> 16) & 1) * XPF_DP_SCREEN_ZONES + zone;
	struct xpf_dp_screen *s;
	__u32 hit;

	if (!p || zone >= XPF_DP_SCREEN_ZONES)
		return 0;
	s = bpf_map_lookup_elem(&xpf_dp_screens, &idx);
	if (!s || !s->on)
		return 0;
	hit = xpf_dp_screen_check(s, p);
	/* A route lookup: only for packets the header checks passed. */
	if (!hit && (s->checks & XPF_DP_SCR_SPOOFING) && xpf_dp_spoofed(ctx, p, ingress))
		hit = XPF_DROP_SCREEN_IP_SPOOFING;
	if (!hit)
		hit = xpf_dp_screen_rates(s, p, zone);
	if (hit == XPF_DP_SCREEN_ALARM || (hit && s->alarm_only)) {
		xpf_dp_count(XPF_DP_CNT_SCREEN_ALARMS);
		return 0;
	}
	return hit;
}

/*
 * Learns interface `ifindex` of buffer `bi >> 32` into `m` for generation
 * `gen`: its zone, and whether the zone screens. Off the hot path, and a
 * global function so that its lookup keys do not grow the caller's stack.
 */
__attribute__((noinline)) int xpf_dp_zone_learn(struct xpf_dp_zone_memo *m, __u64 gen, __u64 bi)
{
	__u32 buf = (bi >> 32) & 1;
	struct xpf_dp_iface *iface;
	struct xpf_dp_screen *s;
	__u32 idx;

	if (!m)
		return 0;
	iface = xpf_dp_iface(buf, (__u32)bi);
	m->generation = gen;
	m->ifindex = (__u32)bi;
	m->zone = iface ? iface->zone : XPF_DP_NO_ZONE;
	m->screened = 0;
	if (m->zone < XPF_DP_SCREEN_ZONES) {
		idx = buf * XPF_DP_SCREEN_ZONES + m->zone;
		s = bpf_map_lookup_elem(&xpf_dp_screens, &idx);
		m->screened = s && s->on;
	}
	return 0;
}

#endif
