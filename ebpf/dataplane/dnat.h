// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Stage: destination NAT for a new session (crates/dataplane/src/stage/nat.rs,
 * `destination`), before the host stage, the route and the policy, which
 * all see the translated destination, as on Junos. Static NAT rules come
 * first, in order: the first whose context holds the ingress and whose
 * external prefix holds the destination maps it into the internal prefix,
 * keeping the host bits and the port. Then destination rules, in order:
 * the first matching one decides; `off` means no translation, a pool
 * gives its address and, for TCP/UDP/SCTP, its port if it has one.
 */
#ifndef XPF_DP_DNAT_H
#define XPF_DP_DNAT_H

#include "dataplane/config.h"
#include "dataplane/parse.h"
#include "dataplane/nat_match.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XPF_DP_BUFS * XPF_DP_STATIC_RULES);
	__type(key, __u32);
	__type(value, struct xpf_dp_static);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xpf_dp_statics SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XPF_DP_BUFS * XPF_DP_DNAT_RULES);
	__type(key, __u32);
	__type(value, struct xpf_dp_dnat);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xpf_dp_dnat SEC(".maps");

struct xpf_dnat_result {
	__u32 addr;
	__u16 port;
	__u8 done; /* 1: a translation */
	__u8 pad;
	__u32 rule; /* id of the translating rule */
};

/* The stage's input, and its first-match scans' state for bpf_loop. */
struct xpf_dnat_scan {
	struct xpf_nat_key pkt;
	__u32 buf;
	__u32 ifindex;
	__u32 found;
	__u16 zone;
	__u8 n_static;
	__u8 n_dnat;
};

static long xpf_static_in_one(__u32 i, void *arg)
{
	struct xpf_dnat_scan *sc = arg;
	__u32 idx = (sc->buf & 1) * XPF_DP_STATIC_RULES + (i & (XPF_DP_STATIC_RULES - 1));
	struct xpf_dp_static *s = bpf_map_lookup_elem(&xpf_dp_statics, &idx);

	if (s && xpf_nat_ctx_match(&s->from, sc->zone, sc->ifindex) && (sc->pkt.dst & s->mask) == s->ext) {
		sc->found = i;
		return 1;
	}
	return 0;
}

static long xpf_dnat_one(__u32 i, void *arg)
{
	struct xpf_dnat_scan *sc = arg;
	__u32 idx = (sc->buf & 1) * XPF_DP_DNAT_RULES + (i & (XPF_DP_DNAT_RULES - 1));
	struct xpf_dp_dnat *d = bpf_map_lookup_elem(&xpf_dp_dnat, &idx);

	if (d && xpf_nat_ctx_match(&d->from, sc->zone, sc->ifindex) && xpf_nat_match(&d->m, &sc->pkt)) {
		sc->found = i;
		return 1;
	}
	return 0;
}

/*
 * Fills `res`: the destination and port after the stage, `done` when they
 * are translated. `at` packs buf << 48 | zone << 32 | n_static << 8 |
 * n_dnat (five arguments at most). A global function, so the verifier
 * checks it once and the caller's paths do not multiply by its outcomes;
 * its pointer arguments are therefore checked for NULL.
 */
__attribute__((noinline)) int xpf_dp_dnat_run(struct xpf_pkt *p, __u64 at, __u32 ingress,
					      struct xpf_dnat_result *res)
{
	if (!p || !res)
		return 0;

	struct xpf_dnat_scan sc = {
		.pkt = { .src = p->src, .dst = p->dst, .sport = p->sport, .dport = p->dport, .proto = p->proto },
		.buf = (at >> 48) & 1,
		.ifindex = ingress,
		.found = XPF_DP_NONE32,
		.zone = at >> 32,
		.n_static = at >> 8,
		.n_dnat = at,
	};
	struct xpf_nat_key *k = &sc.pkt;
	__u32 idx;

	res->addr = k->dst;
	res->port = k->dport;
	res->done = 0;
	res->rule = XPF_DP_NONE32;
	bpf_loop(sc.n_static < XPF_DP_STATIC_RULES ? sc.n_static : XPF_DP_STATIC_RULES, xpf_static_in_one, &sc, 0);
	if (sc.found < XPF_DP_STATIC_RULES) {
		idx = sc.buf * XPF_DP_STATIC_RULES + sc.found;
		struct xpf_dp_static *s = bpf_map_lookup_elem(&xpf_dp_statics, &idx);

		if (!s)
			return 0;
		res->addr = s->in | (k->dst & ~s->mask);
		res->rule = s->id;
		res->done = 1;
		return 0;
	}
	bpf_loop(sc.n_dnat < XPF_DP_DNAT_RULES ? sc.n_dnat : XPF_DP_DNAT_RULES, xpf_dnat_one, &sc, 0);
	if (sc.found >= XPF_DP_DNAT_RULES)
		return 0;
	idx = sc.buf * XPF_DP_DNAT_RULES + sc.found;
	struct xpf_dp_dnat *d = bpf_map_lookup_elem(&xpf_dp_dnat, &idx);

	if (!d || d->action != XPF_DP_DNAT_POOL)
		return 0;
	res->addr = d->addr;
	/* Only TCP, UDP and SCTP have a port to give; ICMP echo keeps its id. */
	if (d->has_port && (k->proto == 6 || k->proto == 17 || k->proto == 132))
		res->port = d->port;
	res->rule = d->id;
	res->done = 1;
	return 0;
}

#endif
