// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * XDP program of the eBPF fallback dataplane (issue 6; ARCHITECTURE.md,
 * "Packet path"): the pipeline of crates/dataplane in the kernel, for IPv4
 * TCP, UDP and ICMP, and IPv6 TCP, UDP and ICMPv6, NAT included. xpf_run
 * parses and finds the ingress zone, then hands over to xpf_dp_run4 or
 * xpf_dp_run6 (sessions) and xpf_dp_first4 or xpf_dp_first6 (new flows);
 * read top to bottom, they are the packet path, in the order of
 * crates/dataplane/src/pipeline.rs:
 *
 *  1. parse (dataplane/parse.h);
 *  2. ingress zone from the interface map (dataplane/config.h), and its
 *     screen (dataplane/screen.h), later fragments included;
 *  3. session lookup (dataplane/session.h), revalidated after a commit
 *     (dataplane/revalidate.h), TCP tracked (dataplane/tcp_track.h): a
 *     hit is rewritten (MSS clamped, dataplane/mss.h) and sent, and an ICMP
 *     error goes the way of the session it quotes (dataplane/icmp_error.h);
 *  4. on a miss: static and destination NAT (dataplane/dnat.h; IPv6:
 *     dataplane/nat6.h), traffic for the box (dataplane/host.h), SYN
 *     check, route and egress zone of the translated destination
 *     (dataplane/fib.h), first-match policy on it (dataplane/policy.h),
 *     the limit-session screen (dataplane/limit.h), source NAT
 *     (dataplane/snat.h, nat6.h), session create;
 *  5. rewrite (dataplane/rewrite.h), MSS clamp of SYNs (dataplane/mss.h)
 *     and redirect, or an ICMP time exceeded back out of the ingress
 *     (dataplane/reply.h).
 *
 * When AF_XDP serves some interfaces and this program the others (the
 * per-interface fallback), flows that enter and leave through AF_XDP
 * interfaces go back to the AF_XDP shim at step 4 (dataplane/handoff.h).
 *
 * Where a policy logs (`then log session-init/session-close`), session
 * creates, denies and closes go to a ring buffer as events for the
 * RT_FLOW log (dataplane/events.h).
 *
 * IPv4 options and IPv6 extension headers are walked as the pipeline
 * walks them (dataplane/parse.h): options are kept, and everything past
 * the IP header uses the real upper-layer offset (`l4`), never `l3 + 20`
 * or `l3 + 40`.
 *
 * What the pipeline does and this program does not (applications by
 * source port) is refused by the loader's compile: never forwarded
 * unchecked. Later fragments are screened, then follow their first
 * fragment's session (dataplane/fragment.h) or are dropped as
 * XPF_DROP_NON_FIRST_FRAGMENT.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "xpf_dp_abi.h"
#include "dataplane/drop_reasons.h"
#include "dataplane/counters.h"
#include "dataplane/config.h"
#include "dataplane/parse.h"
#include "dataplane/clock.h"
#include "dataplane/session.h"
#include "dataplane/revalidate.h"
#include "dataplane/tcp_track.h"
#include "dataplane/host.h"
#include "dataplane/policy.h"
#include "dataplane/dnat.h"
#include "dataplane/snat.h"
#include "dataplane/nat6.h"
#include "dataplane/rewrite.h"
#include "dataplane/fib.h"
#include "dataplane/reply.h"
#include "dataplane/icmp_error.h"
#include "dataplane/fragment.h"
#include "dataplane/events.h"
#include "dataplane/screen.h"
#include "dataplane/mss.h"
#include "dataplane/limit.h"
#include "dataplane/handoff.h"

_Static_assert(sizeof(struct xpf_dp_active) == 16, "xpf_dp_active");
_Static_assert(sizeof(struct xpf_dp_conf) == 72, "xpf_dp_conf");
_Static_assert(sizeof(struct xpf_dp_iface) == 48, "xpf_dp_iface");
_Static_assert(sizeof(struct xpf_dp_addr_lpm) == 12, "xpf_dp_addr_lpm");
_Static_assert(sizeof(struct xpf_dp_addr6_lpm) == 24, "xpf_dp_addr6_lpm");
_Static_assert(sizeof(struct xpf_dp_svc_lpm) == 12, "xpf_dp_svc_lpm");
_Static_assert(sizeof(struct xpf_dp_host_lpm) == 12, "xpf_dp_host_lpm");
_Static_assert(sizeof(struct xpf_dp_rule) == 24, "xpf_dp_rule");
_Static_assert(sizeof(struct xpf_dp_name_key) == 32, "xpf_dp_name_key");
_Static_assert(sizeof(struct xpf_dp_name) == 8, "xpf_dp_name");
_Static_assert(sizeof(struct xpf_dp_snat) == 136, "xpf_dp_snat");
_Static_assert(sizeof(struct xpf_dp_pool) == 40, "xpf_dp_pool");
_Static_assert(sizeof(struct xpf_dp_nat_match) == 108, "xpf_dp_nat_match");
_Static_assert(sizeof(struct xpf_dp_nat_ctx) == 32, "xpf_dp_nat_ctx");
_Static_assert(sizeof(struct xpf_dp_static) == 48, "xpf_dp_static");
_Static_assert(sizeof(struct xpf_dp_dnat) == 152, "xpf_dp_dnat");
_Static_assert(sizeof(struct xpf_dp_nat6_match) == 264, "xpf_dp_nat6_match");
_Static_assert(sizeof(struct xpf_dp_dnat6) == 288, "xpf_dp_dnat6");
_Static_assert(sizeof(struct xpf_dp_static6) == 88, "xpf_dp_static6");
_Static_assert(sizeof(struct xpf_dp_pool6) == 136, "xpf_dp_pool6");
_Static_assert(sizeof(struct xpf_dp_flow) == 48, "xpf_dp_flow");
_Static_assert(sizeof(struct xpf_dp_tcp) == 40, "xpf_dp_tcp");
_Static_assert(sizeof(struct xpf_dp_session) == 208, "xpf_dp_session");
_Static_assert(sizeof(struct xpf_dp_last) == 16, "xpf_dp_last");
_Static_assert(sizeof(struct xpf_dp_local6_key) == 20, "xpf_dp_local6_key");
_Static_assert(sizeof(struct xpf_dp_event) == 184, "xpf_dp_event");
_Static_assert(sizeof(struct xpf_dp_screen) == 60, "xpf_dp_screen");
_Static_assert(sizeof(struct xpf_dp_limit_key) == 20, "xpf_dp_limit_key");
_Static_assert(sizeof(struct xpf_dp_limit) == 16, "xpf_dp_limit");
_Static_assert(sizeof(struct xpf_dp_scan_key) == 36, "xpf_dp_scan_key");
_Static_assert(sizeof(struct xpf_dp_scan_window) == 192, "xpf_dp_scan_window");
_Static_assert(sizeof(struct xpf_dp_flood_key) == 20, "xpf_dp_flood_key");

/* A session entry under construction: too big for the 512-byte stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xpf_dp_session);
} xpf_dp_new_session SEC(".maps");

/*
 * The parsed packet, per CPU to leave the 512-byte stack to the stages,
 * beside what the CPU remembers of its last ingress interface.
 */
struct xpf_cpu {
	struct xpf_pkt pkt;
	struct xpf_dp_zone_memo zone;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xpf_cpu);
} xpf_dp_pkt SEC(".maps");

/* xpf_dp_run4's answer when no session took the packet: judge it as new. */
#define XPF_MISS (-1)
/* xpf_dp_run6's for an ICMPv6 error: xpf_icmp6_error_in, called from the top. */
#define XPF_ERROR6 (-2)

struct xpf_out {
	__u32 reason;
	__u32 ifindex;
	__u32 reply; /* a reply of our own, sent back out of the ingress */
};

static __always_inline int xpf_drop(struct xpf_out *o, __u32 reason)
{
	o->reason = reason;
	return XDP_DROP;
}

/*
 * A frame no session here takes and that cannot start one (an ICMP
 * error, a later fragment): from an AF_XDP interface, it belongs to one
 * of the pipeline's flows (dataplane/handoff.h); else it is dropped.
 */
static __always_inline int xpf_no_session(struct xdp_md *ctx, struct xpf_out *o, __u32 reason)
{
	if (xpf_dp_afxdp_serves(ctx->ingress_ifindex))
		return XPF_HANDBACK;
	return xpf_drop(o, reason);
}

/* Writes MACs and redirects to `ifindex`. */
static __always_inline int xpf_send(struct xdp_md *ctx, struct xpf_out *o, __u32 ifindex, __u8 *smac, __u8 *dmac)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	long rc;

	if ((void *)(eth + 1) > data_end)
		return xpf_drop(o, XPF_DROP_MALFORMED);
	__builtin_memcpy(eth->h_dest, dmac, 6);
	__builtin_memcpy(eth->h_source, smac, 6);
	rc = bpf_redirect_map(&xpf_dp_tx, ifindex, 0);
	if (rc != XDP_REDIRECT)
		return xpf_drop(o, XPF_DROP_REDIRECT_FAILED);
	o->ifindex = ifindex;
	return XDP_REDIRECT;
}

/*
 * Sends a reply the program wrote (MACs already swapped) back out of the
 * ingress. Through the devmap rather than XDP_TX: on veth, XDP_TX of a
 * frame that arrived as an skb never reached the peer (kernel 6.18), while
 * a redirect to the same device does, as forwarded frames do.
 */
static __always_inline int xpf_reply(struct xpf_out *o, __u32 ingress)
{
	long rc = bpf_redirect_map(&xpf_dp_tx, ingress, 0);

	if (rc != XDP_REDIRECT)
		return xpf_drop(o, XPF_DROP_REDIRECT_FAILED);
	o->ifindex = ingress;
	o->reply = 1;
	return XDP_REDIRECT;
}

static __always_inline int xpf_time_exceeded(struct xdp_md *ctx, struct xpf_out *o, struct xpf_dp_iface *iface,
					     struct xpf_pkt *p, __u32 ingress)
{
	if (!iface->addr4 || xpf_icmp_error(ctx, p, 11, 0, iface->addr4))
		return xpf_drop(o, XPF_DROP_TTL_EXPIRED);
	return xpf_reply(o, ingress);
}

/* TTL expiry on a session: the ingress interface's address answers. */
static __always_inline int xpf_session_time_exceeded(struct xdp_md *ctx, struct xpf_out *o, struct xpf_pkt *p,
						     __u32 buf, __u32 ingress)
{
	struct xpf_dp_iface *iface = xpf_dp_iface(buf, ingress);

	if (!iface)
		return xpf_drop(o, XPF_DROP_NO_CONFIG);
	return xpf_time_exceeded(ctx, o, iface, p, ingress);
}

/*
 * Answers go back out of the ingress, to the MAC the packet came from, when
 * no route leads back; -1 when the frame has no Ethernet header.
 */
static __always_inline int xpf_back_the_way_in(struct xdp_md *ctx, __u32 ingress,
					       struct xpf_route *back)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return -1;
	back->ifindex = ingress;
	__builtin_memcpy(back->smac, eth->h_dest, 6);
	__builtin_memcpy(back->dmac, eth->h_source, 6);
	return 0;
}

/* A rejecting policy: a TCP RST, else ICMP administratively prohibited. */
static __always_inline int xpf_reject(struct xdp_md *ctx, struct xpf_out *o, struct xpf_pkt *p, __u32 ingress)
{
	int err = p->proto == 6 ? xpf_tcp_rst(ctx, p) : xpf_icmp_error(ctx, p, 3, 13, p->dst);

	if (err)
		return xpf_drop(o, XPF_DROP_POLICY_REJECT);
	return xpf_reply(o, ingress);
}

/* xpf_time_exceeded for IPv6, from the ingress interface's first address. */
static __always_inline int xpf_time_exceeded6(struct xdp_md *ctx, struct xpf_out *o, struct xpf_dp_iface *iface,
					      struct xpf_pkt *p, __u32 ingress)
{
	__u32 *a = (__u32 *)iface->addr6;

	if (!(a[0] | a[1] | a[2] | a[3]) || xpf_icmp6_error(ctx, p, 3, 0, iface->addr6))
		return xpf_drop(o, XPF_DROP_TTL_EXPIRED);
	return xpf_reply(o, ingress);
}

/* Hop limit expiry on an IPv6 session: the ingress interface answers. */
static __always_inline int xpf_session_time_exceeded6(struct xdp_md *ctx, struct xpf_out *o, struct xpf_pkt *p,
						      __u32 buf, __u32 ingress)
{
	struct xpf_dp_iface *iface = xpf_dp_iface(buf, ingress);

	if (!iface)
		return xpf_drop(o, XPF_DROP_NO_CONFIG);
	return xpf_time_exceeded6(ctx, o, iface, p, ingress);
}

/* xpf_reject for IPv6: a TCP RST, else ICMPv6 administratively prohibited. */
static __always_inline int xpf_reject6(struct xdp_md *ctx, struct xpf_out *o, struct xpf_pkt *p, __u32 ingress)
{
	int err = p->proto == 6 ? xpf_tcp_rst6(ctx, p) : xpf_icmp6_error(ctx, p, 1, 1, p->dst6);

	if (err)
		return xpf_drop(o, XPF_DROP_POLICY_REJECT);
	return xpf_reply(o, ingress);
}

/*
 * Sends a rewritten IPv4 packet of session entry `s` its way, asking the
 * kernel for the neighbour when the session was made without it.
 */
static __always_inline int xpf_send_session4(struct xdp_md *ctx, struct xpf_out *o, struct xpf_pkt *p,
					     struct xpf_dp_session *s)
{
	if (!(s->mac_flags & XPF_DP_MAC_OK)) {
		/* The neighbour was unknown when the session was made: ask again. */
		struct xpf_route r = {};
		__u32 dst = (s->xflags & XPF_DP_X_DST) ? s->xdst : p->dst;
		__u32 src = (s->xflags & XPF_DP_X_SRC) ? s->xsrc : p->src;

		if (xpf_fib(ctx, s->ingress_ifindex, src, dst, p->proto, &r) != XPF_ROUTE_OK)
			return xpf_drop(o, XPF_DROP_NO_NEIGHBOUR);
		__builtin_memcpy(s->smac, r.smac, 6);
		__builtin_memcpy(s->dmac, r.dmac, 6);
		s->mac_flags |= XPF_DP_MAC_OK;
	}
	return xpf_send(ctx, o, s->egress_ifindex, s->smac, s->dmac);
}

/*
 * Rewrites a packet of a session (entry `s`, this direction) and sends it;
 * `mss`: the tcp-mss clamp (0: none).
 */
static __always_inline int xpf_forward(struct xdp_md *ctx, struct xpf_out *o, struct xpf_pkt *p,
				       struct xpf_dp_session *s, __u16 mss)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + (p->l3 == 18 ? 18 : 14);
	__u32 off = p->l4; /* past any options */

	if ((void *)(ip + 1) > data_end || off > XPF_L4_MAX)
		return xpf_drop(o, XPF_DROP_MALFORMED);
	__u8 *l4 = data + off;

	if ((void *)(l4 + 8) > data_end)
		return xpf_drop(o, XPF_DROP_MALFORMED);
	xpf_translate(ip, l4, data_end, p, s);
	xpf_decrement_ttl(ip);
	xpf_dp_mss_clamp(l4, data_end, p, mss);
	return xpf_send_session4(ctx, o, p, s);
}

static __always_inline __u64 xpf_proto_timeout(struct xpf_dp_conf *c, __u8 proto)
{
	switch (proto) {
	case 6:
		return c->tcp_established;
	case 17:
		return c->udp;
	case 1:
	case 58:
		return c->icmp;
	default:
		return c->other;
	}
}

/* A new session's idle timeout: the application's, else the protocol's. */
static __always_inline __u64 xpf_session_timeout(struct xpf_dp_conf *conf, __u8 proto, __u32 timeout_s)
{
	if (timeout_s == XPF_DP_NONE32)
		return ~0ull / 2;
	if (timeout_s)
		return (__u64)timeout_s * 1000000000ull;
	return xpf_proto_timeout(conf, proto);
}

/* xpf_nat_failed for IPv6's translations. */
static __always_inline int xpf_nat6_failed(struct xpf_out *o, __u32 buf, struct xpf_nat6_result *dn,
					   struct xpf_nat6_result *nat)
{
	if (dn->done)
		xpf_dp_nat_hit(buf, dn->rule, 1);
	if (nat->done)
		xpf_dp_nat_hit(buf, nat->rule, 1);
	return xpf_drop(o, XPF_DROP_SESSION_KEY_TAKEN);
}

/* A session that could not be made: its translations count as failed. */
static __always_inline int xpf_nat_failed(struct xpf_out *o, __u32 buf, struct xpf_dnat_result *dn,
					  struct xpf_snat_result *nat)
{
	if (dn->done)
		xpf_dp_nat_hit(buf, dn->rule, 1);
	if (nat->done)
		xpf_dp_nat_hit(buf, nat->rule, 1);
	return xpf_drop(o, XPF_DROP_SESSION_KEY_TAKEN);
}

/*
 * Ends the session found under key `k` (entry `s`, forward entry `fwd`)
 * for `why` (XPF_DP_CLOSE_*): logs the close if its policy asks, and
 * removes both entries.
 */
static __always_inline void xpf_close(struct xpf_dp_flow *k, struct xpf_dp_session *s, struct xpf_dp_session *fwd,
				      __u8 why, __u64 now)
{
	if (fwd->mac_flags & XPF_DP_F_LOG_CLOSE) {
		struct xpf_dp_session *rev = s->dir ? s : bpf_map_lookup_elem(&xpf_dp_sessions, &fwd->twin);

		xpf_dp_event_session(XPF_DP_EV_CLOSE, why, s->dir ? &s->twin : k, fwd, rev, now);
	}
	/* The forward entry goes through limit.h: it gives back its counts. */
	__u32 marks = fwd->mac_flags & XPF_DP_F_LIMITS;

	if (s->dir) {
		xpf_dp_remove_forward(&s->twin, marks);
		bpf_map_delete_elem(&xpf_dp_sessions, k);
	} else {
		bpf_map_delete_elem(&xpf_dp_sessions, &s->twin);
		xpf_dp_remove_forward(k, marks);
	}
}

/*
 * Whether the session a packet found under key `k` (entry `s`, forward
 * entry `fwd`, 0 when half evicted) ends here: expired, half evicted, or
 * its policy gone after a commit. Ended, it is closed and the packet is
 * judged as new.
 */
static __always_inline int xpf_session_ends(struct xpf_dp_flow *k, struct xpf_dp_session *s,
					    struct xpf_dp_session *fwd, __u32 buf, struct xpf_dp_conf *conf,
					    __u64 now)
{
	if (!fwd) {
		bpf_map_delete_elem(&xpf_dp_sessions, k);
		return 1;
	}
	if (fwd->expires <= now) {
		xpf_close(k, s, fwd, xpf_dp_close_reason(fwd), now);
		return 1;
	}
	if (!xpf_dp_revalidate(buf, conf, fwd)) {
		xpf_close(k, s, fwd, XPF_DP_CLOSE_POLICY, now);
		return 1;
	}
	return 0;
}

/*
 * A packet of a live session, either family: TCP tracked, counted, the
 * timer restarted, a first fragment remembered. 0, or the drop reason.
 */
static __always_inline int xpf_session_hit(struct xpf_pkt *p, struct xpf_dp_flow *k, struct xpf_dp_session *s,
					   struct xpf_dp_session *fwd, struct xpf_dp_conf *conf, __u32 len,
					   __u64 now)
{
	if (p->proto == 6) {
		int bad = xpf_tcp_track(&fwd->tcp, s->dir, p, conf->sequence_check);

		if (bad)
			return bad;
	}
	s->packets += 1;
	s->bytes += len;
	fwd->expires = now + xpf_dp_timeout(conf, fwd);
	xpf_dp_count(XPF_DP_CNT_HITS);
	if (p->ttl > 1)
		xpf_dp_frag_remember(p, k, now);
	return 0;
}

/*
 * Sends a rewritten IPv6 packet of session entry `s` (its addresses at
 * `ip6`, translated) its way, asking for the neighbour if unknown.
 */
static __always_inline int xpf_send_session6(struct xdp_md *ctx, struct xpf_out *o, struct xpf_pkt *p,
					     struct xpf_dp_session *s, struct ipv6hdr *ip6)
{
	if (!(s->mac_flags & XPF_DP_MAC_OK)) {
		struct xpf_route r = {};

		if (xpf_fib6(ctx, s->ingress_ifindex, (__u32 *)&ip6->saddr, (__u32 *)&ip6->daddr, p->proto, &r) !=
		    XPF_ROUTE_OK)
			return xpf_drop(o, XPF_DROP_NO_NEIGHBOUR);
		__builtin_memcpy(s->smac, r.smac, 6);
		__builtin_memcpy(s->dmac, r.dmac, 6);
		s->mac_flags |= XPF_DP_MAC_OK;
	}
	return xpf_send(ctx, o, s->egress_ifindex, s->smac, s->dmac);
}

/* Sends a packet of an IPv6 session: NAT, hop limit, MSS clamp, neighbour, redirect. */
static __always_inline int xpf_forward6(struct xdp_md *ctx, struct xpf_out *o, struct xpf_pkt *p,
					struct xpf_dp_session *s, __u16 mss)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ipv6hdr *ip6 = data + (p->l3 == 18 ? 18 : 14);
	__u32 l4 = p->l4; /* past any extension headers */

	if ((void *)(ip6 + 1) > data_end || l4 > XPF_L4_MAX)
		return xpf_drop(o, XPF_DROP_MALFORMED);
	/* No header checksum in IPv6: NAT changes the upper layer's only. */
	if (s->xflags)
		xpf_translate6(ip6, data + l4, data_end, p, s);
	ip6->hop_limit--;
	xpf_dp_mss_clamp(data + l4, data_end, p, mss);
	return xpf_send_session6(ctx, o, p, s, ip6);
}

/*
 * An ICMPv6 error (crates/dataplane/src/stage/icmp_error.rs): matched to
 * the session of the packet it quotes and sent that session's way,
 * translated (dataplane/icmp_error.h), hop limit decremented (Packet Too
 * Big reaches the sender: path MTU discovery works). Without a session it
 * is the kernel's when addressed to the box, else dropped. A global
 * function: its stack is not added to the session path's.
 */
__attribute__((noinline)) int xpf_icmp6_error_in(struct xdp_md *ctx, struct xpf_out *o, __u32 buf, struct xpf_pkt *p)
{
	if (!ctx || !o || !p)
		return XDP_DROP;
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 l4 = p->l4; /* the ICMPv6 header, past any extension headers */
	struct xpf_work *w = xpf_work();

	if (!w)
		return xpf_drop(o, XPF_DROP_NO_CONFIG);
	if (l4 > XPF_L4_MAX)
		return xpf_drop(o, XPF_DROP_MALFORMED);
	__u8 *icmp = data + l4;
	struct ipv6hdr *in = (void *)(icmp + 8);
	__u8 *q = (void *)(in + 1);

	/* The quoted IPv6 header and 8 bytes of what follows it. */
	if (l4 + 56 > p->end || (void *)(q + 8) > data_end)
		return xpf_drop(o, XPF_DROP_MALFORMED);
	struct xpf_dp_flow *k = &w->k;

	/* The quote travelled the other way: its reverse is this direction's key. */
	__builtin_memset(k, 0, sizeof(*k));
	k->v6 = 1;
	__builtin_memcpy(k->src6, &in->daddr, 16);
	__builtin_memcpy(k->dst6, &in->saddr, 16);
	k->proto = in->nexthdr;
	if (k->proto == 6 || k->proto == 17 || k->proto == 132) {
		k->sport = (q[2] << 8) | q[3];
		k->dport = (q[0] << 8) | q[1];
	} else if (k->proto == 1 || k->proto == 58) {
		__u32 qk = xpf_icmp_key(1, q[0], q[1], (q[4] << 8) | q[5]);

		k->sport = qk;
		k->dport = qk >> 16;
	}
	struct xpf_dp_session *s = bpf_map_lookup_elem(&xpf_dp_sessions, k);

	if (!s)
		return xpf_dp_is_local6(buf, p) ? XDP_PASS : xpf_no_session(ctx, o, XPF_DROP_ICMP_ERROR_NO_SESSION);
	if (p->ttl <= 1)
		return xpf_drop(o, XPF_DROP_TTL_EXPIRED);
	int err = xpf_icmp6_error_rewrite(ctx, p, icmp, (__u8 *)in, k, &s->twin);

	if (err)
		return xpf_drop(o, -err);
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	struct ipv6hdr *ip6 = data + (p->l3 == 18 ? 18 : 14);

	if ((void *)(ip6 + 1) > data_end)
		return xpf_drop(o, XPF_DROP_MALFORMED);
	return xpf_send_session6(ctx, o, p, s, ip6);
}

/*
 * An IPv4 ICMP error (dataplane/icmp_error.h): matched to the session of
 * the packet it quotes and sent that session's way, translated. Without a
 * session it is the kernel's when addressed to the box, else dropped. A
 * global function: its stack is not added to the first packet's path.
 */
__attribute__((noinline)) int xpf_icmp_error_in(struct xdp_md *ctx, struct xpf_out *o, __u32 buf, struct xpf_pkt *p)
{
	struct xpf_quote q = {};

	if (!ctx || !o || !p)
		return XDP_DROP;
	struct xpf_work *w = xpf_work();
	int err = xpf_quote_of(ctx, p, &q);

	if (err)
		return xpf_drop(o, -err);
	if (!w)
		return xpf_drop(o, XPF_DROP_NO_CONFIG);
	xpf_quote_key(&q, &w->k);
	struct xpf_dp_session *s = bpf_map_lookup_elem(&xpf_dp_sessions, &w->k);

	if (!s)
		return xpf_dp_is_local(buf, p->dst) ? XDP_PASS : xpf_no_session(ctx, o, XPF_DROP_ICMP_ERROR_NO_SESSION);
	if (p->ttl <= 1)
		return xpf_drop(o, XPF_DROP_TTL_EXPIRED);
	__u32 src, dst;

	err = xpf_icmp_error_rewrite(ctx, p, &q, &w->k, &s->twin, &src, &dst);
	if (err)
		return xpf_drop(o, -err);
	if (!(s->mac_flags & XPF_DP_MAC_OK)) {
		struct xpf_route r = {};

		if (xpf_fib(ctx, s->ingress_ifindex, src, dst, 1, &r) != XPF_ROUTE_OK)
			return xpf_drop(o, XPF_DROP_NO_NEIGHBOUR);
		__builtin_memcpy(s->smac, r.smac, 6);
		__builtin_memcpy(s->dmac, r.dmac, 6);
		s->mac_flags |= XPF_DP_MAC_OK;
	}
	return xpf_send(ctx, o, s->egress_ifindex, s->smac, s->dmac);
}

#include "dataplane/first.h"

/* A later IPv6 fragment: the way its first went, addresses translated. */
static __always_inline int xpf_later_fragment6(struct xdp_md *ctx, struct xpf_out *o, struct xpf_pkt *p,
					       __u32 len)
{
	struct xpf_dp_session *s = xpf_dp_frag_follow(p, xpf_dp_now());

	if (!s)
		return xpf_no_session(ctx, o, XPF_DROP_NON_FIRST_FRAGMENT);
	/* RFC 4443 2.4: no ICMPv6 error about a non-first fragment here. */
	if (p->ttl <= 1)
		return xpf_drop(o, XPF_DROP_TTL_EXPIRED);
	s->packets += 1;
	s->bytes += len;
	return xpf_forward6(ctx, o, p, s, 0);
}

/*
 * IPv6, after the ingress zone: link-scope and box traffic to the kernel,
 * sessions, then XPF_MISS for a new flow (xpf_dp_first6). A global
 * function, verified once on its own, with its own stack beside IPv4's.
 * `bi` = buf << 32 | ingress ifindex.
 */
__attribute__((noinline)) int xpf_dp_run6(struct xdp_md *ctx, struct xpf_out *o, struct xpf_pkt *p, __u64 bi,
					  __u32 len)
{
	if (!ctx || !o || !p)
		return XDP_DROP;
	__u32 buf = (bi >> 32) & 1;
	__u32 ingress = (__u32)bi;
	struct xpf_dp_conf *conf = bpf_map_lookup_elem(&xpf_dp_conf, &buf);
	__u8 *d = (__u8 *)p->dst6;

	if (!conf)
		return xpf_drop(o, XPF_DROP_NO_CONFIG);
	/* fe80::/10 is never routed: the kernel's, as the AF_XDP shim has it. */
	if (d[0] == 0xfe && (d[1] & 0xc0) == 0x80)
		return XDP_PASS;
	if (p->frag == XPF_FRAG_LATER)
		return xpf_later_fragment6(ctx, o, p, len);
	/* Its own global function, beside this one's frame rather than on it. */
	if (p->error)
		return XPF_ERROR6;

	struct xpf_work *w = xpf_work();

	if (!w)
		return xpf_drop(o, XPF_DROP_NO_CONFIG);
	struct xpf_dp_flow *k = &w->k;

	__builtin_memset(k, 0, sizeof(*k));
	xpf_flow_of(p, k);
	struct xpf_dp_session *s = bpf_map_lookup_elem(&xpf_dp_sessions, k);

	if (s) {
		struct xpf_dp_session *fwd = s;
		__u64 now = xpf_dp_now();

		if (s->dir)
			fwd = bpf_map_lookup_elem(&xpf_dp_sessions, &s->twin);
		if (!xpf_session_ends(k, s, fwd, buf, conf, now)) {
			int bad = xpf_session_hit(p, k, s, fwd, conf, len, now);

			if (bad)
				return xpf_drop(o, bad);
			int reset = xpf_dp_reset_ends(conf, fwd);
			/* The interface (a hash lookup) only for the rare answer. */
			int act = p->ttl <= 1 ? xpf_session_time_exceeded6(ctx, o, p, buf, ingress) :
						xpf_forward6(ctx, o, p, s, conf->mss);

			if (reset)
				xpf_close(k, s, fwd, XPF_DP_CLOSE_TCP_RST, now);
			return act;
		}
	}
	xpf_dp_count(XPF_DP_CNT_MISSES);
	return XPF_MISS;
}

/* The first packet of an IPv6 flow (xpf_first6), a global function as xpf_dp_first4. */
__attribute__((noinline)) int xpf_dp_first6(struct xdp_md *ctx, struct xpf_out *o, struct xpf_pkt *p, __u64 bi,
					    __u32 len)
{
	if (!ctx || !o || !p)
		return XDP_DROP;
	__u32 buf = (bi >> 32) & 1;
	__u32 ingress = (__u32)bi;
	struct xpf_dp_conf *conf = bpf_map_lookup_elem(&xpf_dp_conf, &buf);
	struct xpf_dp_iface *iface = xpf_dp_iface(buf, ingress);

	if (!conf || !iface)
		return xpf_drop(o, XPF_DROP_NO_CONFIG);
	return xpf_first6(ctx, o, buf, conf, iface, ingress, p, len);
}

/* A later fragment (dataplane/fragment.h): the way its first fragment went. */
static __always_inline int xpf_later_fragment(struct xdp_md *ctx, struct xpf_out *o, struct xpf_pkt *p, __u32 len)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + (p->l3 == 18 ? 18 : 14);
	struct xpf_dp_session *s = xpf_dp_frag_follow(p, xpf_dp_now());

	if (!s)
		return xpf_no_session(ctx, o, XPF_DROP_NON_FIRST_FRAGMENT);
	/* RFC 1122 3.2.2: no ICMP error about a non-first fragment. */
	if (p->ttl <= 1)
		return xpf_drop(o, XPF_DROP_TTL_EXPIRED);
	if ((void *)(ip + 1) > data_end)
		return xpf_drop(o, XPF_DROP_MALFORMED);
	s->packets += 1;
	s->bytes += len;
	/* Addresses only: no transport header to fix in a later fragment. */
	if (s->xflags & XPF_DP_X_SRC)
		xpf_set_ip_addr(ip, 1, p->src, s->xsrc);
	if (s->xflags & XPF_DP_X_DST)
		xpf_set_ip_addr(ip, 0, p->dst, s->xdst);
	xpf_decrement_ttl(ip);
	return xpf_send_session4(ctx, o, p, s);
}

/*
 * IPv4, after the ingress zone: sessions, then XPF_MISS for a new flow
 * (xpf_dp_first4). A global function, verified once on its own, with its
 * own stack beside IPv6's.
 * `bi` = buf << 32 | ingress ifindex.
 */
__attribute__((noinline)) int xpf_dp_run4(struct xdp_md *ctx, struct xpf_out *o, struct xpf_pkt *p, __u64 bi,
					  __u32 len)
{
	if (!ctx || !o || !p)
		return XDP_DROP;
	__u32 buf = (bi >> 32) & 1;
	__u32 ingress = (__u32)bi;
	struct xpf_dp_conf *conf = bpf_map_lookup_elem(&xpf_dp_conf, &buf);

	if (!conf)
		return xpf_drop(o, XPF_DROP_NO_CONFIG);
	if (p->frag == XPF_FRAG_LATER)
		return xpf_later_fragment(ctx, o, p, len);
	if (p->error)
		return xpf_icmp_error_in(ctx, o, buf, p);

	struct xpf_work *w = xpf_work();

	if (!w)
		return xpf_drop(o, XPF_DROP_NO_CONFIG);
	struct xpf_dp_flow *k = &w->k;

	__builtin_memset(k, 0, sizeof(*k));
	xpf_flow_of(p, k);
	struct xpf_dp_session *s = bpf_map_lookup_elem(&xpf_dp_sessions, k);

	if (s) {
		struct xpf_dp_session *fwd = s;
		__u64 now = xpf_dp_now();

		if (s->dir)
			fwd = bpf_map_lookup_elem(&xpf_dp_sessions, &s->twin);
		if (!xpf_session_ends(k, s, fwd, buf, conf, now)) {
			int bad = xpf_session_hit(p, k, s, fwd, conf, len, now);

			if (bad)
				return xpf_drop(o, bad);
			int reset = xpf_dp_reset_ends(conf, fwd);
			/* The interface (a hash lookup) only for the rare answer. */
			int act = p->ttl <= 1 ? xpf_session_time_exceeded(ctx, o, p, buf, ingress) :
						xpf_forward(ctx, o, p, s, conf->mss);

			if (reset)
				xpf_close(k, s, fwd, XPF_DP_CLOSE_TCP_RST, now);
			return act;
		}
	}
	xpf_dp_count(XPF_DP_CNT_MISSES);
	return XPF_MISS;
}

/*
 * The first packet of an IPv4 flow (xpf_first), in a global function of
 * its own called from the top: its frame and the session path's are never
 * stacked, which keeps the deepest call chain within the 512-byte limit.
 */
__attribute__((noinline)) int xpf_dp_first4(struct xdp_md *ctx, struct xpf_out *o, struct xpf_pkt *p, __u64 bi,
					    __u32 len)
{
	if (!ctx || !o || !p)
		return XDP_DROP;
	__u32 buf = (bi >> 32) & 1;
	__u32 ingress = (__u32)bi;
	struct xpf_dp_conf *conf = bpf_map_lookup_elem(&xpf_dp_conf, &buf);
	struct xpf_dp_iface *iface = xpf_dp_iface(buf, ingress);

	if (!conf || !iface)
		return xpf_drop(o, XPF_DROP_NO_CONFIG);
	return xpf_first(ctx, o, buf, conf, iface, ingress, p, len);
}

static __always_inline int xpf_run(struct xdp_md *ctx, struct xpf_out *o)
{
	__u32 zero = 0;
	struct xpf_cpu *cpu = bpf_map_lookup_elem(&xpf_dp_pkt, &zero);
	__u32 ingress = ctx->ingress_ifindex;
	/* Not an xdp.frags program: every frame is one linear buffer. */
	__u32 len = ctx->data_end - ctx->data;

	if (!cpu)
		return xpf_drop(o, XPF_DROP_NO_CONFIG);
	struct xpf_pkt *p = &cpu->pkt;
	struct xpf_dp_zone_memo *m = &cpu->zone;

	__builtin_memset(p, 0, sizeof(*p));
	int rc = xpf_parse(ctx, p);

	if (rc < 0)
		return xpf_drop(o, -rc);
	if (rc == XPF_PARSED_KERNEL)
		return XDP_PASS;

	struct xpf_dp_active *a = bpf_map_lookup_elem(&xpf_dp_active, &zero);

	if (!a)
		return xpf_drop(o, XPF_DROP_NO_CONFIG);
	__u32 buf = a->buf & 1;
	struct xpf_dp_conf *conf = bpf_map_lookup_elem(&xpf_dp_conf, &buf);

	if (!conf || conf->generation == 0)
		return xpf_drop(o, XPF_DROP_NO_CONFIG);
	if (m->generation != conf->generation || m->ifindex != ingress)
		xpf_dp_zone_learn(m, conf->generation, (__u64)buf << 32 | ingress);
	if (m->zone == XPF_DP_NO_ZONE)
		return xpf_drop(o, XPF_DROP_NO_ZONE);
	int screened = m->screened ? xpf_dp_screen(ctx, p, buf << 16 | m->zone, ingress) : 0;

	if (screened)
		return xpf_drop(o, screened);
	__u64 bi = (__u64)buf << 32 | ingress;

	if (p->v6) {
		int act6 = xpf_dp_run6(ctx, o, p, bi, len);

		if (act6 == XPF_ERROR6)
			return xpf_icmp6_error_in(ctx, o, buf, p);
		return act6 == XPF_MISS ? xpf_dp_first6(ctx, o, p, bi, len) : act6;
	}
	int act = xpf_dp_run4(ctx, o, p, bi, len);

	return act == XPF_MISS ? xpf_dp_first4(ctx, o, p, bi, len) : act;
}

SEC("xdp")
int xpf_xdp_dataplane(struct xdp_md *ctx)
{
	struct xpf_out o = {};
	__u32 zero = 0;
	int act = xpf_run(ctx, &o);

	if (act == XPF_HANDBACK) {
		xpf_dp_hand_back(ctx);
		act = xpf_drop(&o, XPF_DROP_HANDBACK_FAILED);
	}
	struct xpf_dp_last *last = bpf_map_lookup_elem(&xpf_dp_last, &zero);

	switch (act) {
	case XDP_DROP:
		xpf_dp_count(o.reason < 64 ? o.reason : 0);
		break;
	case XDP_PASS:
		xpf_dp_count(XPF_DP_CNT_TO_KERNEL);
		break;
	default:
		xpf_dp_count(o.reply ? XPF_DP_CNT_REPLIES : XPF_DP_CNT_FORWARDED);
	}
	if (last) {
		/* A reply reads as XDP_TX: what it is, whatever sent it. */
		last->action = o.reply ? XDP_TX : act;
		last->ifindex = o.ifindex;
		last->reason = o.reason;
	}
	return act;
}

/*
 * The sweep: closes the sessions whose idle timer ran out and that no
 * packet came back for (a packet closes an expired session itself), with
 * the close events their policies ask for, as the pipeline's workers
 * sweep theirs, and reconciles the limit-session counts with the sessions
 * it walked (dataplane/limit.h). The loader runs it through BPF_PROG_TEST_RUN every second:
 * one pass over the table in the kernel, where walking it from userspace
 * costs two system calls an entry under xpfd's forwarding lock.
 */
struct xpf_sweep {
	__u64 now;
	__u32 closed;
	__u32 overflow; /* the limit-session tally missed a session */
};

static long xpf_sweep_one(void *map, struct xpf_dp_flow *key, struct xpf_dp_session *s,
			  struct xpf_sweep *w)
{
	struct xpf_dp_flow k;

	/* Each session once, by its forward entry; the reverse goes with it. */
	if (s->dir)
		return 0;
	if (s->expires > w->now) {
		if (s->mac_flags & XPF_DP_F_LIMITS)
			xpf_dp_limit_seen(key, s->mac_flags, &w->overflow);
		return 0;
	}
	__builtin_memcpy(&k, key, sizeof(k));
	xpf_close(&k, s, s, xpf_dp_close_reason(s), w->now);
	w->closed++;
	return 0;
}

SEC("xdp")
int xpf_xdp_sweep(struct xdp_md *ctx)
{
	/* Counts are stamped by the precise clock (dataplane/limit.h). */
	__u64 start = bpf_ktime_get_ns();
	struct xpf_sweep w = { .now = xpf_dp_now() };
	__u32 zero = 0;
	struct xpf_dp_last *last = bpf_map_lookup_elem(&xpf_dp_last, &zero);

	bpf_for_each_map_elem(&xpf_dp_sessions, xpf_sweep_one, &w, 0);
	/* limit-session counts the LRU's evictions leaked (dataplane/limit.h). */
	struct xpf_limit_fix fix = { .start = start, .overflow = w.overflow };

	bpf_for_each_map_elem(&xpf_dp_limits, xpf_dp_limit_fix, &fix, 0);
	bpf_for_each_map_elem(&xpf_dp_limit_tally, xpf_dp_limit_untally, 0, 0);
	/* How many closed, for the loader (this CPU's record). */
	if (last) {
		last->action = XDP_DROP;
		last->reason = w.closed;
	}
	return XDP_DROP;
}

/*
 * The SPDX line's GPL-2.0 half, told to the kernel: it knows only GPL-family
 * strings, and GPL-only helpers need one.
 */
char _license[] SEC("license") = "GPL";
