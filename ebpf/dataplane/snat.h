// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Stage: source NAT for a new session (crates/dataplane/src/stage/nat.rs,
 * `source` and `allocate`), after the policy. A static NAT rule whose
 * internal prefix holds the source wins, from any context, keeping the
 * port; then source rules are tried in order; interface NAT takes
 * the egress interface's first IPv4 address and ports 61000-65535, a pool
 * picks an address by a hash of the source and probes ports from a hash of
 * the flow until the reverse key is free. The hashes and the probe order
 * are the pipeline's, bit for bit, so both engines pick the same port.
 * Matches and the probes see the destination after destination NAT.
 */
#ifndef XPF_DP_SNAT_H
#define XPF_DP_SNAT_H

#include "dataplane/config.h"
#include "dataplane/parse.h"
#include "dataplane/session.h"
#include "dataplane/nat_match.h"
#include "dataplane/dnat.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XPF_DP_BUFS * XPF_DP_SNAT_RULES);
	__type(key, __u32);
	__type(value, struct xpf_dp_snat);
} xpf_dp_snat SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XPF_DP_BUFS * XPF_DP_POOLS);
	__type(key, __u32);
	__type(value, struct xpf_dp_pool);
} xpf_dp_pools SEC(".maps");

#define XPF_NAT_PROBES 256
#define XPF_IFACE_NAT_LO 61000
#define XPF_IFACE_NAT_HI 65535

struct xpf_snat_result {
	__u32 addr;
	__u16 port;
	__u8 done; /* 1: a translation */
	__u8 pad;
	__u32 rule; /* id of the matching rule, XPF_DP_NONE32 for none */
};

static __always_inline int xpf_snat_matches(struct xpf_dp_snat *r, struct xpf_nat_key *p, __u16 from, __u16 to)
{
	if (from >= 64 || to >= 64)
		return 0;
	if (!(r->from_zones & (1ull << from)) || !(r->to_zones & (1ull << to)))
		return 0;
	return xpf_nat_match(&r->m, p);
}

static __always_inline int xpf_taken(__u32 src, __u32 dst, __u16 sport, __u16 dport, __u8 proto)
{
	struct xpf_dp_flow k = { .src = src, .dst = dst, .sport = sport, .dport = dport, .proto = proto };

	return bpf_map_lookup_elem(&xpf_dp_sessions, &k) != 0;
}

/* Port probing state, for bpf_loop (verified once, not per probe). */
struct xpf_probe {
	__u32 dst;
	__u32 addr;
	__u32 start;
	__u32 range;
	__u16 dport;
	__u16 plo;
	__u16 port;
	__u8 proto;
	__u8 echo;
	__u8 found;
};

static long xpf_probe_one(__u32 i, void *arg)
{
	struct xpf_probe *pr = arg;
	__u16 port;

	if (!pr->range)
		return 1;
	port = pr->plo + (pr->start + i) % pr->range;
	/* The reverse key of an echo session carries the id twice. */
	if (!xpf_taken(pr->dst, pr->addr, pr->echo ? port : pr->dport, port, pr->proto)) {
		pr->port = port;
		pr->found = 1;
		return 1;
	}
	return 0;
}

/* Returns 0 or a drop reason; `res` holds the translation. `dst`/`dport`: after DNAT. */
static __always_inline int xpf_allocate(struct xpf_pkt *p, __u32 dst, __u16 dport, __u8 n, __u32 *lo, __u32 *hi,
					__u8 keep, __u16 plo, __u16 phi, struct xpf_snat_result *res)
{
	__u64 h = xpf_mix(p->src);
	__u32 pick, alo = 0, ahi = 0;

	if (n == 0 || n > XPF_DP_LIST)
		return XPF_DROP_NAT_NO_ADDRESS;
	pick = h % n;
#pragma unroll
	for (int i = 0; i < XPF_DP_LIST; i++)
		if (i == pick) {
			alo = lo[i];
			ahi = hi[i];
		}
	__u64 span = (__u64)ahi - alo + 1;
	__u32 addr = alo + (__u32)(h % span);

	res->addr = addr;
	res->done = 1;
	if (keep) {
		if (xpf_taken(dst, addr, dport, p->sport, p->proto))
			return XPF_DROP_NAT_EXHAUSTED;
		res->port = p->sport;
		return 0;
	}
	if (p->proto != 6 && p->proto != 17 && p->proto != 132 && !p->echo) {
		res->port = p->sport;
		return 0;
	}
	struct xpf_probe pr = {
		.dst = dst,
		.addr = addr,
		.dport = dport,
		.proto = p->proto,
		.echo = p->echo,
		.plo = plo,
		.range = (__u32)(phi - plo) + 1,
	};
	__u32 probes = pr.range < XPF_NAT_PROBES ? pr.range : XPF_NAT_PROBES;

	pr.start = xpf_mix(h ^ ((__u64)p->sport << 32) ^ dst) % pr.range;
	bpf_loop(probes, xpf_probe_one, &pr, 0);
	if (pr.found) {
		res->port = pr.port;
		return 0;
	}
	return XPF_DROP_NAT_EXHAUSTED;
}

/* First-match scan of the source NAT rules, for bpf_loop. */
struct xpf_rule_scan {
	struct xpf_nat_key pkt;
	__u32 buf;
	__u32 found;
	__u16 from;
	__u16 to;
};

static long xpf_scan_one(__u32 i, void *arg)
{
	struct xpf_rule_scan *sc = arg;
	__u32 idx = (sc->buf & 1) * XPF_DP_SNAT_RULES + (i & (XPF_DP_SNAT_RULES - 1));
	struct xpf_dp_snat *c = bpf_map_lookup_elem(&xpf_dp_snat, &idx);

	if (c && xpf_snat_matches(c, &sc->pkt, sc->from, sc->to)) {
		sc->found = i;
		return 1;
	}
	return 0;
}

/* Static NAT's reverse mapping: the first rule whose internal prefix holds `addr`. */
struct xpf_static_out_scan {
	__u32 buf;
	__u32 addr;
	__u32 found;
};

static long xpf_static_out_one(__u32 i, void *arg)
{
	struct xpf_static_out_scan *sc = arg;
	__u32 idx = (sc->buf & 1) * XPF_DP_STATIC_RULES + (i & (XPF_DP_STATIC_RULES - 1));
	struct xpf_dp_static *s = bpf_map_lookup_elem(&xpf_dp_statics, &idx);

	if (s && (sc->addr & s->mask) == s->in) {
		sc->found = i;
		return 1;
	}
	return 0;
}

static __always_inline int xpf_dp_snat_run(__u32 buf, struct xpf_dp_conf *conf, struct xpf_pkt *p, __u32 dst,
					   __u16 dport, __u16 from, __u16 to, __u32 egress,
					   struct xpf_snat_result *res)
{
	struct xpf_static_out_scan so = { .buf = buf, .addr = p->src, .found = XPF_DP_NONE32 };

	res->rule = XPF_DP_NONE32;
	bpf_loop(conf->n_static < XPF_DP_STATIC_RULES ? conf->n_static : XPF_DP_STATIC_RULES, xpf_static_out_one,
		 &so, 0);
	if (so.found < XPF_DP_STATIC_RULES) {
		__u32 sidx = buf * XPF_DP_STATIC_RULES + so.found;
		struct xpf_dp_static *s = bpf_map_lookup_elem(&xpf_dp_statics, &sidx);

		if (s) {
			res->addr = s->ext | (p->src & ~s->mask);
			res->port = p->sport;
			res->done = 1;
			res->rule = s->id;
			return 0;
		}
	}

	struct xpf_rule_scan sc = {
		.buf = buf,
		.pkt = { .src = p->src, .dst = dst, .sport = p->sport, .dport = dport, .proto = p->proto },
		.from = from,
		.to = to,
		.found = XPF_DP_NONE32,
	};
	struct xpf_dp_snat *r = 0;
	__u32 idx;

	bpf_loop(conf->n_snat < XPF_DP_SNAT_RULES ? conf->n_snat : XPF_DP_SNAT_RULES, xpf_scan_one, &sc, 0);
	if (sc.found < XPF_DP_SNAT_RULES) {
		idx = buf * XPF_DP_SNAT_RULES + sc.found;
		r = bpf_map_lookup_elem(&xpf_dp_snat, &idx);
	}
	if (!r)
		return 0;
	res->rule = r->id;
	if (r->action == XPF_DP_SNAT_OFF)
		return 0;
	if (r->action == XPF_DP_SNAT_IFACE) {
		struct xpf_dp_iface *e = xpf_dp_iface(buf, egress);
		__u32 a[XPF_DP_LIST] = {};

		if (!e || !e->addr4)
			return XPF_DROP_NAT_NO_ADDRESS;
		a[0] = e->addr4;
		return xpf_allocate(p, dst, dport, 1, a, a, 0, XPF_IFACE_NAT_LO, XPF_IFACE_NAT_HI, res);
	}
	__u32 pidx = buf * XPF_DP_POOLS + (r->pool & (XPF_DP_POOLS - 1));
	struct xpf_dp_pool *pool = bpf_map_lookup_elem(&xpf_dp_pools, &pidx);

	if (!pool)
		return XPF_DROP_NAT_NO_ADDRESS;
	return xpf_allocate(p, dst, dport, pool->n, pool->lo, pool->hi, pool->keep_ports, pool->port_lo,
			    pool->port_hi, res);
}

#endif
