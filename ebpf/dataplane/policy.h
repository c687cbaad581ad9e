// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Stage: policy (crates/dataplane/src/snapshot/policy.rs, classify.rs).
 * The same first-match classifier by bit-vector intersection: per policy
 * set, three LPM tries (source, destination, protocol+port) map a key to
 * the bit set of rules covering it; the lowest bit of the AND is the first
 * rule that matches. The loader cuts each dimension into elementary
 * intervals and each interval into prefixes, so the longest prefix is
 * exactly the interval. A set holds at most 64 rules.
 */
#ifndef XPF_DP_POLICY_H
#define XPF_DP_POLICY_H

#include "dataplane/config.h"
#include "dataplane/counters.h"
#include "dataplane/parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XPF_DP_BUFS * 4096);
	__type(key, struct xpf_dp_pair_key);
	__type(value, __u32);
} xpf_dp_pairs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 262144);
	__type(key, struct xpf_dp_addr_lpm);
	__type(value, __u64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} xpf_dp_src4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 262144);
	__type(key, struct xpf_dp_addr_lpm);
	__type(value, __u64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} xpf_dp_dst4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 65536);
	__type(key, struct xpf_dp_addr6_lpm);
	__type(value, __u64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} xpf_dp_src6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 65536);
	__type(key, struct xpf_dp_addr6_lpm);
	__type(value, __u64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} xpf_dp_dst6 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 262144);
	__type(key, struct xpf_dp_svc_lpm);
	__type(value, __u64);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} xpf_dp_svc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XPF_DP_BUFS * XPF_DP_MAX_POLICIES);
	__type(key, struct xpf_dp_rule_key);
	__type(value, struct xpf_dp_rule);
} xpf_dp_rules SEC(".maps");

static __always_inline __u64 xpf_dp_addr_bits(void *trie, __u32 set, __u32 addr)
{
	struct xpf_dp_addr_lpm k = {
		.prefixlen = 64,
		.set = { set >> 24, set >> 16, set >> 8, set },
		.addr = { addr >> 24, addr >> 16, addr >> 8, addr },
	};
	__u64 *v = bpf_map_lookup_elem(trie, &k);

	return v ? *v : 0;
}

static __always_inline __u64 xpf_dp_addr6_bits(void *trie, __u32 set, __u32 *addr)
{
	struct xpf_dp_addr6_lpm k = {
		.prefixlen = 160,
		.set = { set >> 24, set >> 16, set >> 8, set },
	};

	__builtin_memcpy(k.addr, addr, 16);
	__u64 *v = bpf_map_lookup_elem(trie, &k);

	return v ? *v : 0;
}

static __always_inline __u64 xpf_dp_svc_bits(__u32 set, __u8 proto, __u16 port)
{
	struct xpf_dp_svc_lpm k = {
		.prefixlen = 56,
		.set = { set >> 24, set >> 16, set >> 8, set },
		.proto = proto,
		.port = { port >> 8, port },
	};
	__u64 *v = bpf_map_lookup_elem(&xpf_dp_svc, &k);

	return v ? *v : 0;
}

/* Index of the lowest set bit of a non-zero word. */
static __always_inline __u32 xpf_lowest_bit(__u64 x)
{
	__u32 n = 0;

	if (!(x & 0xffffffffull)) { n += 32; x >>= 32; }
	if (!(x & 0xffff)) { n += 16; x >>= 16; }
	if (!(x & 0xff)) { n += 8; x >>= 8; }
	if (!(x & 0xf)) { n += 4; x >>= 4; }
	if (!(x & 0x3)) { n += 2; x >>= 2; }
	if (!(x & 0x1)) n += 1;
	return n;
}

/* The first rule of a set matching the packet, or 0. `dst`, `port`: after destination NAT. */
static __always_inline struct xpf_dp_rule *xpf_dp_first(__u32 set, struct xpf_pkt *p, __u32 dst, __u16 port)
{
	__u64 bits = xpf_dp_addr_bits(&xpf_dp_src4, set, p->src);

	if (!bits)
		return 0;
	bits &= xpf_dp_addr_bits(&xpf_dp_dst4, set, dst);
	if (!bits)
		return 0;
	bits &= xpf_dp_svc_bits(set, p->proto, port);
	if (!bits)
		return 0;
	struct xpf_dp_rule_key k = { .set = set, .idx = xpf_lowest_bit(bits) };

	return bpf_map_lookup_elem(&xpf_dp_rules, &k);
}

/* xpf_dp_first for IPv6; `dst` (as on the wire), `port`: after destination NAT. */
static __always_inline struct xpf_dp_rule *xpf_dp_policy_first6(__u32 set, struct xpf_pkt *p, __u32 *dst, __u16 port)
{
	__u64 bits = xpf_dp_addr6_bits(&xpf_dp_src6, set, p->src6);

	if (!bits)
		return 0;
	bits &= xpf_dp_addr6_bits(&xpf_dp_dst6, set, dst);
	if (!bits)
		return 0;
	bits &= xpf_dp_svc_bits(set, p->proto, port);
	if (!bits)
		return 0;
	struct xpf_dp_rule_key k = { .set = set, .idx = xpf_lowest_bit(bits) };

	return bpf_map_lookup_elem(&xpf_dp_rules, &k);
}

static __always_inline struct xpf_dp_rule *xpf_dp_policy6(__u32 buf, struct xpf_dp_conf *conf, __u16 from,
							  __u16 to, struct xpf_pkt *p, __u32 *dst, __u16 port)
{
	struct xpf_dp_pair_key pk = { .buf = buf, .from = from, .to = to };
	__u32 *set = bpf_map_lookup_elem(&xpf_dp_pairs, &pk);
	struct xpf_dp_rule *r = 0;

	if (set)
		r = xpf_dp_policy_first6(*set, p, dst, port);
	if (!r && conf->global_set != XPF_DP_SET_NONE)
		r = xpf_dp_policy_first6(conf->global_set, p, dst, port);
	return r;
}

/* The zone pair's first match, then global's; 0 for the default policy. */
static __always_inline struct xpf_dp_rule *xpf_dp_policy(__u32 buf, struct xpf_dp_conf *conf, __u16 from,
							 __u16 to, struct xpf_pkt *p, __u32 dst, __u16 port)
{
	struct xpf_dp_pair_key pk = { .buf = buf, .from = from, .to = to };
	__u32 *set = bpf_map_lookup_elem(&xpf_dp_pairs, &pk);
	struct xpf_dp_rule *r = 0;

	if (set)
		r = xpf_dp_first(*set, p, dst, port);
	if (!r && conf->global_set != XPF_DP_SET_NONE)
		r = xpf_dp_first(conf->global_set, p, dst, port);
	return r;
}

#endif
