// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * What the three NAT stages share: a rule's match on addresses, ports and
 * protocol (crates/dataplane/src/snapshot/nat.rs, `Match`), a rule-set's
 * `from` context (`Ctx`), and the pipeline's hash.
 */
#ifndef XPF_DP_NAT_MATCH_H
#define XPF_DP_NAT_MATCH_H

#include "xpf_dp_abi.h"

/* The packet fields a NAT rule matches on. */
struct xpf_nat_key {
	__u32 src;
	__u32 dst;
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 pad[3];
};

static __always_inline __u64 xpf_mix(__u64 x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	return x;
}

static __always_inline int xpf_in_ranges32(__u8 n, __u32 *lo, __u32 *hi, __u32 v)
{
	if (n == 0)
		return 1;
	if (n == XPF_DP_LIST_NONE)
		return 0;
#pragma unroll
	for (int i = 0; i < XPF_DP_LIST; i++)
		if (i < n && lo[i] <= v && v <= hi[i])
			return 1;
	return 0;
}

static __always_inline int xpf_in_ranges16(__u8 n, __u16 *lo, __u16 *hi, __u16 v)
{
	if (n == 0)
		return 1;
#pragma unroll
	for (int i = 0; i < XPF_DP_LIST; i++)
		if (i < n && lo[i] <= v && v <= hi[i])
			return 1;
	return 0;
}

/* The protocol and port part of a match, which both families share. */
static __always_inline int xpf_nat_match_l4(struct xpf_dp_nat_match *m, __u8 proto, __u16 sport, __u16 dport)
{
	int proto_ok = m->n_proto == 0;

#pragma unroll
	for (int i = 0; i < XPF_DP_LIST; i++)
		if (i < m->n_proto && m->protos[i] == proto)
			proto_ok = 1;
	return proto_ok && xpf_in_ranges16(m->n_sport, m->sport_lo, m->sport_hi, sport) &&
	       xpf_in_ranges16(m->n_dport, m->dport_lo, m->dport_hi, dport);
}

static __always_inline int xpf_nat_match(struct xpf_dp_nat_match *m, struct xpf_nat_key *k)
{
	return xpf_in_ranges32(m->n_src, m->src_lo, m->src_hi, k->src) &&
	       xpf_in_ranges32(m->n_dst, m->dst_lo, m->dst_hi, k->dst) &&
	       xpf_nat_match_l4(m, k->proto, k->sport, k->dport);
}

static __always_inline int xpf_nat_ctx_match(struct xpf_dp_nat_ctx *c, __u16 zone, __u32 ifindex)
{
	if (c->any)
		return 1;
	if (zone < 64 && (c->zones & (1ull << zone)))
		return 1;
#pragma unroll
	for (int i = 0; i < XPF_DP_LIST; i++)
		if (i < c->n_ifaces && c->ifaces[i] == ifindex)
			return 1;
	return 0;
}

#endif
