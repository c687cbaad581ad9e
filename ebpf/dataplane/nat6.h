// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Stages: NAT of IPv6 (crates/dataplane/src/stage/nat.rs, whose
 * `destination`, `source` and `allocate` serve both families), and its
 * rewrite (stage/rewrite.rs with `v6`). The rules are the IPv4 stages'
 * (dnat.h, snat.h): contexts, ports, protocols and actions come from the
 * same rule slots, the IPv6 address ranges, pools and static prefixes
 * from the *6 maps beside them. Addresses are compared as {high, low}
 * 64-bit halves; the hashes take the pipeline's u128 arithmetic (the
 * source's halves XORed, the destination's low half), so both engines
 * pick the same address and port.
 *
 * A session entry keeps no IPv6 rewrite address of its own: it is its
 * twin's (the reverse key names the translated source as destination and
 * the translated destination as source), which xpf_translate6 writes.
 */
#ifndef XPF_DP_NAT6_H
#define XPF_DP_NAT6_H

#include <linux/ipv6.h>
#include <bpf/bpf_endian.h>

#include "dataplane/config.h"
#include "dataplane/parse.h"
#include "dataplane/session.h"
#include "dataplane/nat_match.h"
#include "dataplane/dnat.h"
#include "dataplane/snat.h"
#include "dataplane/rewrite.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XPF_DP_BUFS * XPF_DP_SNAT_RULES);
	__type(key, __u32);
	__type(value, struct xpf_dp_nat6_match);
} xpf_dp_snat6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XPF_DP_BUFS * XPF_DP_POOLS);
	__type(key, __u32);
	__type(value, struct xpf_dp_pool6);
} xpf_dp_pools6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XPF_DP_BUFS * XPF_DP_STATIC_RULES);
	__type(key, __u32);
	__type(value, struct xpf_dp_static6);
} xpf_dp_statics6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XPF_DP_BUFS * XPF_DP_DNAT_RULES);
	__type(key, __u32);
	__type(value, struct xpf_dp_dnat6);
} xpf_dp_dnat6 SEC(".maps");

/* An IPv6 address as a number: high and low 64 bits. */
struct xpf_a6 {
	__u64 hi;
	__u64 lo;
};

/*
 * Addresses kept by the program (packet metadata, map values, stack) are
 * 8-byte aligned: whole 64-bit loads and stores, fewer registers to spill.
 */
static __always_inline void xpf_a6_get(void *b, struct xpf_a6 *a)
{
	a->hi = bpf_be64_to_cpu(((__u64 *)b)[0]);
	a->lo = bpf_be64_to_cpu(((__u64 *)b)[1]);
}

static __always_inline void xpf_a6_put(void *b, __u64 hi, __u64 lo)
{
	((__u64 *)b)[0] = bpf_cpu_to_be64(hi);
	((__u64 *)b)[1] = bpf_cpu_to_be64(lo);
}

static __always_inline int xpf_a6_le(__u64 ahi, __u64 alo, __u64 bhi, __u64 blo)
{
	return ahi < bhi || (ahi == bhi && alo <= blo);
}

static __always_inline int xpf_in_ranges6(__u8 n, __u64 (*lo)[2], __u64 (*hi)[2], struct xpf_a6 *v)
{
	if (n == 0)
		return 1;
	if (n == XPF_DP_LIST_NONE)
		return 0;
#pragma unroll
	for (int i = 0; i < XPF_DP_LIST; i++)
		if (i < n && xpf_a6_le(lo[i][0], lo[i][1], v->hi, v->lo) && xpf_a6_le(v->hi, v->lo, hi[i][0], hi[i][1]))
			return 1;
	return 0;
}

/* The packet fields an IPv6 NAT rule matches on. */
struct xpf_nat6_key {
	struct xpf_a6 src;
	struct xpf_a6 dst;
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 pad[3];
};

static __always_inline int xpf_nat6_match(struct xpf_dp_nat_match *m, struct xpf_dp_nat6_match *m6,
					  struct xpf_nat6_key *k)
{
	return xpf_in_ranges6(m6->n_src, m6->src_lo, m6->src_hi, &k->src) &&
	       xpf_in_ranges6(m6->n_dst, m6->dst_lo, m6->dst_hi, &k->dst) &&
	       xpf_nat_match_l4(m, k->proto, k->sport, k->dport);
}

/* A translation of one side of an IPv6 session. */
struct xpf_nat6_result {
	__u8 addr[16] __attribute__((aligned(8))); /* as on the wire */
	__u16 port;
	__u8 done; /* 1: a translation */
	__u8 pad;
	__u32 rule; /* id of the deciding rule, XPF_DP_NONE32 for none */
};

/* A new IPv6 flow's translations, per CPU: off the 512-byte stack. */
struct xpf_nat6_work {
	struct xpf_nat6_result dn;
	struct xpf_nat6_result sn;
	struct xpf_dp_flow key; /* a reverse key the allocation probes */
	struct xpf_dp_pool6 iface_pool; /* interface NAT's one address */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xpf_nat6_work);
} xpf_dp_nat6_work SEC(".maps");

/* Destination NAT's input, and its first-match scans' state for bpf_loop. */
struct xpf_dnat6_scan {
	struct xpf_nat6_key pkt;
	__u32 buf;
	__u32 ifindex;
	__u32 found;
	__u16 zone;
	__u8 n_static;
	__u8 n_dnat;
};

static long xpf_static6_in_one(__u32 i, void *arg)
{
	struct xpf_dnat6_scan *sc = arg;
	__u32 idx = (sc->buf & 1) * XPF_DP_STATIC_RULES + (i & (XPF_DP_STATIC_RULES - 1));
	struct xpf_dp_static6 *s = bpf_map_lookup_elem(&xpf_dp_statics6, &idx);

	if (s && xpf_nat_ctx_match(&s->from, sc->zone, sc->ifindex) && (sc->pkt.dst.hi & s->mask[0]) == s->ext[0] &&
	    (sc->pkt.dst.lo & s->mask[1]) == s->ext[1]) {
		sc->found = i;
		return 1;
	}
	return 0;
}

static long xpf_dnat6_one(__u32 i, void *arg)
{
	struct xpf_dnat6_scan *sc = arg;
	__u32 idx = (sc->buf & 1) * XPF_DP_DNAT_RULES + (i & (XPF_DP_DNAT_RULES - 1));
	struct xpf_dp_dnat *d = bpf_map_lookup_elem(&xpf_dp_dnat, &idx);
	struct xpf_dp_dnat6 *d6 = bpf_map_lookup_elem(&xpf_dp_dnat6, &idx);

	if (d && d6 && xpf_nat_ctx_match(&d->from, sc->zone, sc->ifindex) && xpf_nat6_match(&d->m, &d6->m, &sc->pkt)) {
		sc->found = i;
		return 1;
	}
	return 0;
}

/*
 * Static (inbound) then destination NAT of an IPv6 flow, as
 * xpf_dp_dnat_run: `res` holds the destination and port after the stage.
 * `at` packs buf << 48 | zone << 32 | n_static6 << 8 | n_dnat. A global
 * function, verified once.
 */
__attribute__((noinline)) int xpf_dp_dnat6_run(struct xpf_pkt *p, __u64 at, __u32 ingress,
					       struct xpf_nat6_result *res)
{
	if (!p || !res)
		return 0;

	struct xpf_dnat6_scan sc = {
		.pkt = { .sport = p->sport, .dport = p->dport, .proto = p->proto },
		.buf = (at >> 48) & 1,
		.ifindex = ingress,
		.found = XPF_DP_NONE32,
		.zone = at >> 32,
		.n_static = at >> 8,
		.n_dnat = at,
	};
	struct xpf_a6 *dst = &sc.pkt.dst;
	__u32 idx;

	xpf_a6_get(p->src6, &sc.pkt.src);
	xpf_a6_get(p->dst6, dst);
	__builtin_memcpy(res->addr, p->dst6, 16);
	res->port = p->dport;
	res->done = 0;
	res->rule = XPF_DP_NONE32;
	bpf_loop(sc.n_static < XPF_DP_STATIC_RULES ? sc.n_static : XPF_DP_STATIC_RULES, xpf_static6_in_one, &sc, 0);
	if (sc.found < XPF_DP_STATIC_RULES) {
		idx = sc.buf * XPF_DP_STATIC_RULES + sc.found;
		struct xpf_dp_static6 *s = bpf_map_lookup_elem(&xpf_dp_statics6, &idx);

		if (!s)
			return 0;
		xpf_a6_put(res->addr, s->in[0] | (dst->hi & ~s->mask[0]), s->in[1] | (dst->lo & ~s->mask[1]));
		res->rule = s->id;
		res->done = 1;
		return 0;
	}
	bpf_loop(sc.n_dnat < XPF_DP_DNAT_RULES ? sc.n_dnat : XPF_DP_DNAT_RULES, xpf_dnat6_one, &sc, 0);
	if (sc.found >= XPF_DP_DNAT_RULES)
		return 0;
	idx = sc.buf * XPF_DP_DNAT_RULES + sc.found;
	struct xpf_dp_dnat *d = bpf_map_lookup_elem(&xpf_dp_dnat, &idx);
	struct xpf_dp_dnat6 *d6 = bpf_map_lookup_elem(&xpf_dp_dnat6, &idx);

	/* `off`, or a pool of the other family: the rule decides, untranslated. */
	if (!d || !d6 || d6->action != XPF_DP_DNAT_POOL)
		return 0;
	xpf_a6_put(res->addr, d6->addr[0], d6->addr[1]);
	if (d6->has_port && (p->proto == 6 || p->proto == 17 || p->proto == 132))
		res->port = d6->port;
	res->rule = d->id;
	res->done = 1;
	return 0;
}

/* Whether the reverse key (src6 = `dst`, dst6 = `addr`) is a session's. */
static __always_inline int xpf_taken6(__u8 *dst, __u8 *addr, __u16 sport, __u16 dport, __u8 proto)
{
	__u32 zero = 0;
	struct xpf_nat6_work *nw = bpf_map_lookup_elem(&xpf_dp_nat6_work, &zero);

	/* No scratch: taken, so no port is handed out unchecked. */
	if (!nw)
		return 1;
	struct xpf_dp_flow *k = &nw->key;

	__builtin_memset(k, 0, sizeof(*k));
	k->v6 = 1;
	k->sport = sport;
	k->dport = dport;
	k->proto = proto;
	__builtin_memcpy(k->src6, dst, 16);
	__builtin_memcpy(k->dst6, addr, 16);
	return bpf_map_lookup_elem(&xpf_dp_sessions, k) != 0;
}

/* Port probing state, for bpf_loop. */
struct xpf_probe6 {
	__u8 dst[16] __attribute__((aligned(8)));
	__u8 addr[16];
	__u32 start;
	__u32 range;
	__u16 dport;
	__u16 plo;
	__u16 port;
	__u8 proto;
	__u8 echo;
	__u8 found;
	__u8 pad[3];
};

static long xpf_probe6_one(__u32 i, void *arg)
{
	struct xpf_probe6 *pr = arg;
	__u16 port;

	if (!pr->range)
		return 1;
	port = pr->plo + (pr->start + i) % pr->range;
	/* The reverse key of an echo session carries the id twice. */
	if (!xpf_taken6(pr->dst, pr->addr, pr->echo ? port : pr->dport, port, pr->proto)) {
		pr->port = port;
		pr->found = 1;
		return 1;
	}
	return 0;
}

/* Source NAT's rule scans' state. */
struct xpf_snat6_scan {
	struct xpf_nat6_key pkt; /* destination and port after destination NAT */
	__u32 buf;
	__u32 found;
	__u16 from;
	__u16 to;
};

/* The scans', then the allocation's: one after the other, in one slot. */
union xpf_snat6_state {
	struct xpf_snat6_scan sc;
	struct xpf_probe6 pr;
};

static long xpf_static6_out_one(__u32 i, void *arg)
{
	struct xpf_snat6_scan *sc = arg;
	__u32 idx = (sc->buf & 1) * XPF_DP_STATIC_RULES + (i & (XPF_DP_STATIC_RULES - 1));
	struct xpf_dp_static6 *s = bpf_map_lookup_elem(&xpf_dp_statics6, &idx);

	if (s && (sc->pkt.src.hi & s->mask[0]) == s->in[0] && (sc->pkt.src.lo & s->mask[1]) == s->in[1]) {
		sc->found = i;
		return 1;
	}
	return 0;
}

static long xpf_snat6_one(__u32 i, void *arg)
{
	struct xpf_snat6_scan *sc = arg;
	__u32 idx = (sc->buf & 1) * XPF_DP_SNAT_RULES + (i & (XPF_DP_SNAT_RULES - 1));
	struct xpf_dp_snat *c = bpf_map_lookup_elem(&xpf_dp_snat, &idx);
	struct xpf_dp_nat6_match *c6 = bpf_map_lookup_elem(&xpf_dp_snat6, &idx);

	if (!c || !c6 || sc->from >= 64 || sc->to >= 64)
		return 0;
	if (!(c->from_zones & (1ull << sc->from)) || !(c->to_zones & (1ull << sc->to)))
		return 0;
	if (xpf_nat6_match(&c->m, c6, &sc->pkt)) {
		sc->found = i;
		return 1;
	}
	return 0;
}

/*
 * An address of `pool` picked by the source's hash `h`, then a port whose
 * reverse key is free (nat.rs `allocate`); `st` holds the scans' state on
 * entry (destination after destination NAT) and the probes' after. 0 or
 * a drop reason.
 */
static __always_inline int xpf_allocate6(struct xpf_pkt *p, union xpf_snat6_state *st, __u64 h,
					 struct xpf_dp_pool6 *pool, __u8 keep, __u16 plo, __u16 phi,
					 struct xpf_nat6_result *res)
{
	__u8 n = pool->n;

	if (n == 0 || n > XPF_DP_LIST)
		return XPF_DROP_NAT_NO_ADDRESS;
	__u64 pick = h % n;

	/* pick < n <= XPF_DP_LIST (4): a mask clang cannot fold, for the verifier. */
	asm volatile("%[v] &= 3" : [v] "+r"(pick));
	__u64 lhi = pool->lo[pick][0], llo = pool->lo[pick][1];
	__u64 hhi = pool->hi[pick][0], hlo = pool->hi[pick][1];
	/* span = hi - lo + 1 in 128 bits; a span above 2^64 leaves h whole. */
	__u64 slo = hlo - llo;
	__u64 shi = hhi - lhi - (hlo < llo);

	slo += 1;
	shi += slo == 0;
	__u64 off = (shi || !slo) ? h : h % slo;
	__u64 alo = llo + off;
	__u64 ahi = lhi + (alo < off);

	xpf_a6_put(res->addr, ahi, alo);
	res->done = 1;

	/* The scans' destination becomes the probes'. */
	__u64 dhi = st->sc.pkt.dst.hi, dlo = st->sc.pkt.dst.lo;
	__u16 dport = st->sc.pkt.dport;
	struct xpf_probe6 *pr = &st->pr;

	__builtin_memset(pr, 0, sizeof(*pr));
	xpf_a6_put(pr->dst, dhi, dlo);
	xpf_a6_put(pr->addr, ahi, alo);
	pr->dport = dport;
	pr->proto = p->proto;
	pr->echo = p->echo;
	pr->plo = plo;
	pr->range = (__u32)(phi - plo) + 1;
	if (keep) {
		if (xpf_taken6(pr->dst, pr->addr, dport, p->sport, p->proto))
			return XPF_DROP_NAT_EXHAUSTED;
		res->port = p->sport;
		return 0;
	}
	if (p->proto != 6 && p->proto != 17 && p->proto != 132 && !p->echo) {
		res->port = p->sport;
		return 0;
	}
	__u32 probes = pr->range < XPF_NAT_PROBES ? pr->range : XPF_NAT_PROBES;

	pr->start = xpf_mix(h ^ ((__u64)p->sport << 32) ^ dlo) % pr->range;
	bpf_loop(probes, xpf_probe6_one, pr, 0);
	if (pr->found) {
		res->port = pr->port;
		return 0;
	}
	return XPF_DROP_NAT_EXHAUSTED;
}

/*
 * Source NAT of a new IPv6 flow, as xpf_dp_snat_run: `dn` holds the
 * destination after destination NAT; `bz` = buf << 32 | from zone << 16 |
 * to zone. Returns 0 or a drop reason; `res->rule` names the deciding
 * rule either way. A global function, verified once; its state is kept
 * small, as it stacks on the first packet's frame.
 */
__attribute__((noinline)) int xpf_dp_snat6_run(struct xpf_pkt *p, struct xpf_nat6_result *dn, __u64 bz,
					       __u32 egress, struct xpf_nat6_result *res)
{
	if (!p || !dn || !res)
		return 0;
	__u32 buf = (bz >> 32) & 1;
	__u32 zero = 0;
	struct xpf_dp_conf *conf = bpf_map_lookup_elem(&xpf_dp_conf, &buf);
	struct xpf_nat6_work *nw = bpf_map_lookup_elem(&xpf_dp_nat6_work, &zero);
	union xpf_snat6_state st = {};
	struct xpf_snat6_scan *sc = &st.sc;
	__u32 idx;

	res->done = 0;
	res->rule = XPF_DP_NONE32;
	if (!conf || !nw)
		return 0;
	sc->pkt.sport = p->sport;
	sc->pkt.dport = dn->port;
	sc->pkt.proto = p->proto;
	sc->buf = buf;
	sc->found = XPF_DP_NONE32;
	sc->from = bz >> 16;
	sc->to = bz;
	xpf_a6_get(p->src6, &sc->pkt.src);
	xpf_a6_get(dn->addr, &sc->pkt.dst);
	bpf_loop(conf->n_static6 < XPF_DP_STATIC_RULES ? conf->n_static6 : XPF_DP_STATIC_RULES, xpf_static6_out_one,
		 sc, 0);
	if (sc->found < XPF_DP_STATIC_RULES) {
		idx = buf * XPF_DP_STATIC_RULES + sc->found;
		struct xpf_dp_static6 *s = bpf_map_lookup_elem(&xpf_dp_statics6, &idx);

		if (s) {
			xpf_a6_put(res->addr, s->ext[0] | (sc->pkt.src.hi & ~s->mask[0]),
				   s->ext[1] | (sc->pkt.src.lo & ~s->mask[1]));
			res->port = p->sport;
			res->done = 1;
			res->rule = s->id;
			return 0;
		}
	}
	bpf_loop(conf->n_snat < XPF_DP_SNAT_RULES ? conf->n_snat : XPF_DP_SNAT_RULES, xpf_snat6_one, sc, 0);
	if (sc->found >= XPF_DP_SNAT_RULES)
		return 0;
	idx = buf * XPF_DP_SNAT_RULES + sc->found;
	struct xpf_dp_snat *r = bpf_map_lookup_elem(&xpf_dp_snat, &idx);

	if (!r)
		return 0;
	res->rule = r->id;
	if (r->action == XPF_DP_SNAT_OFF)
		return 0;
	__u64 h = xpf_mix(sc->pkt.src.hi ^ sc->pkt.src.lo);

	if (r->action == XPF_DP_SNAT_IFACE) {
		/* The egress interface's first address as a one-address pool. */
		struct xpf_dp_iface *e = xpf_dp_iface(buf, egress);
		struct xpf_dp_pool6 *one = &nw->iface_pool;
		struct xpf_a6 a;

		if (!e)
			return XPF_DROP_NAT_NO_ADDRESS;
		xpf_a6_get(e->addr6, &a);
		if (!(a.hi | a.lo))
			return XPF_DROP_NAT_NO_ADDRESS;
		__builtin_memset(one, 0, sizeof(*one));
		one->n = 1;
		one->lo[0][0] = a.hi;
		one->lo[0][1] = a.lo;
		one->hi[0][0] = a.hi;
		one->hi[0][1] = a.lo;
		return xpf_allocate6(p, &st, h, one, 0, XPF_IFACE_NAT_LO, XPF_IFACE_NAT_HI, res);
	}
	__u32 pidx = buf * XPF_DP_POOLS + (r->pool & (XPF_DP_POOLS - 1));
	struct xpf_dp_pool *pool = bpf_map_lookup_elem(&xpf_dp_pools, &pidx);
	struct xpf_dp_pool6 *pool6 = bpf_map_lookup_elem(&xpf_dp_pools6, &pidx);

	if (!pool || !pool6)
		return XPF_DROP_NAT_NO_ADDRESS;
	return xpf_allocate6(p, &st, h, pool6, pool->keep_ports, pool->port_lo, pool->port_hi, res);
}

/*
 * An IPv6 address of the header to `new`, and the upper-layer checksum at
 * `csum` (0: none) by the words that changed, lowest first as the
 * pipeline's update_addr; UDP's checksum is never left 0.
 */
static __always_inline void xpf_set_addr6(__u8 *a, __u8 *csum, __u8 proto, __u8 *new)
{
	__u16 c = csum ? xpf_get16(csum) : 0;
	int changed = 0;

#pragma unroll
	for (int i = 7; i >= 0; i--) {
		__u16 o = xpf_get16(a + 2 * i), n = xpf_get16(new + 2 * i);

		if (o != n) {
			c = xpf_csum16(c, o, n);
			xpf_put16(a + 2 * i, n);
			changed = 1;
		}
	}
	if (csum && changed)
		xpf_patch_l4(csum, proto, c);
}

/*
 * Applies one direction's translation (entry `s`) to an IPv6 packet:
 * addresses from the twin, ports as xpf_translate. A later fragment has
 * no transport header: addresses only, no checksum.
 */
static __always_inline void xpf_translate6(struct ipv6hdr *ip6, __u8 *l4, void *end, struct xpf_pkt *p,
					   struct xpf_dp_session *s)
{
	int later = p->frag == XPF_FRAG_LATER;
	__u8 *csum = 0;

	if (!later) {
		if (p->proto == 6 && (void *)(l4 + 18) <= end)
			csum = l4 + 16;
		else if (p->proto == 17 && (void *)(l4 + 8) <= end)
			csum = l4 + 6;
		else if (p->proto == 58 && (void *)(l4 + 8) <= end)
			csum = l4 + 2;
	}
	if (s->xflags & XPF_DP_X_SRC) {
		xpf_set_addr6((__u8 *)&ip6->saddr, csum, p->proto, s->twin.dst6);
		if (!later && (void *)(l4 + 8) <= end && (!p->echo || s->xsport != p->sport))
			xpf_set_port(l4, end, p, 1, s->xsport);
	}
	if (s->xflags & XPF_DP_X_DST) {
		xpf_set_addr6((__u8 *)&ip6->daddr, csum, p->proto, s->twin.src6);
		if (!later && (void *)(l4 + 8) <= end && (!p->echo || s->xdport != p->dport))
			xpf_set_port(l4, end, p, 0, s->xdport);
	}
}

#endif
