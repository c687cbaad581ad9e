// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Stage: ICMP and ICMPv6 errors (crates/dataplane/src/stage/icmp_error.rs). An
 * error is matched to the session of the packet it quotes; the quote
 * travelled the other way, so the error is rewritten as that session's
 * traffic in its own direction: the quote restored to what its sender
 * sent, the outer addresses translated likewise, TTL decremented.
 *
 * The pipeline recomputes the error's ICMP checksum over the whole message;
 * a verifier-bounded program cannot sum up to 1500 bytes, so this stage
 * updates it by the words it changed (RFC 1624), which gives the same
 * checksum for every error that arrived with a valid one. Options, in the
 * error's header or in the quoted one, are kept; the IPv4 header checksums
 * are recomputed over them, as the pipeline recomputes them.
 */
#ifndef XPF_DP_ICMP_ERROR_H
#define XPF_DP_ICMP_ERROR_H

#include "dataplane/parse.h"
#include "dataplane/rewrite.h"
#include "dataplane/reply.h"

/* The quoted IPv4 header and the first 8 bytes of what it carried. */
struct xpf_quote {
	__u8 *ip;
	__u8 *l4;
	__u32 hl; /* the quoted header's length, options included */
	__u32 l4off; /* frame offset of `l4` */
};

/* Finds the quote of error `p`; 0, or a negative drop reason. */
static __always_inline int xpf_quote_of(struct xdp_md *ctx, struct xpf_pkt *p, struct xpf_quote *q)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 at = p->l4 + 8; /* past the error's own options and ICMP header */

	if (p->l4 > XPF_L4_MAX)
		return -XPF_DROP_MALFORMED;
	__u8 *in = data + at;

	if (at + 20 > p->end || (void *)(in + 20) > data_end)
		return -XPF_DROP_MALFORMED;
	if ((in[0] >> 4) != 4 || (in[0] & 0x0f) < 5)
		return -XPF_DROP_MALFORMED;
	__u32 hl = (in[0] & 0x0f) * 4;
	__u8 *l4 = in + hl;

	if (at + hl + 8 > p->end || (void *)(l4 + 8) > data_end)
		return -XPF_DROP_MALFORMED;
	q->ip = in;
	q->l4 = l4;
	q->hl = hl;
	q->l4off = at + hl;
	return 0;
}

/*
 * Adds the `n` option bytes (hl - 20) of an IPv4 header at frame offset
 * `off` to checksum `acc`, read through the scratch buffer: a loop of
 * variable length over packet pointers is more than the verifier takes.
 * 0, or -1 when they cannot be read.
 */
static __always_inline int xpf_opts_sum(struct xdp_md *ctx, __u32 off, __u32 n, __u32 *acc)
{
	__u32 zero = 0;
	struct xpf_scratch *s;

	if (!(n & 0x3f))
		return 0;
	asm volatile("" : "+r"(n));
	/* 1..64 in a form the verifier follows, even spilled. */
	n = ((n - 1) & 0x3f) + 1;
	s = bpf_map_lookup_elem(&xpf_dp_scratch, &zero);
	if (!s || bpf_xdp_load_bytes(ctx, off & 0xffff, s->hdr, n))
		return -1;
#pragma unroll
	for (int i = 0; i < 20; i++) {
		if (2 * i >= n)
			break;
		*acc = xpf_sum_add(*acc, xpf_get16(s->hdr + 2 * i));
	}
	return 0;
}

/*
 * The key of this direction's session: the quote's own key reversed. A
 * quoted ICMP message is keyed as it was when it passed (xpf_icmp_key).
 */
static __always_inline void xpf_quote_key(struct xpf_quote *q, struct xpf_dp_flow *k)
{
	__u8 proto = q->ip[9];

	__builtin_memset(k, 0, sizeof(*k));
	k->src = xpf_get32(q->ip + 16);
	k->dst = xpf_get32(q->ip + 12);
	k->proto = proto;
	if (proto == 6 || proto == 17 || proto == 132) {
		k->sport = xpf_get16(q->l4 + 2);
		k->dport = xpf_get16(q->l4);
	} else if (proto == 1 || proto == 58) {
		__u32 qk = xpf_icmp_key(0, q->l4[0], q->l4[1], xpf_get16(q->l4 + 4));

		k->sport = qk;
		k->dport = qk >> 16;
	}
}

/* Adds the words of `n` bytes at `b` (n even, checked by the caller). */
static __always_inline __u32 xpf_sum_words(__u32 acc, __u8 *b, int n, int negate)
{
#pragma unroll
	for (int i = 0; i < 10; i++) {
		if (2 * i >= n)
			break;
		__u16 w = xpf_get16(b + 2 * i);

		acc = xpf_sum_add(acc, negate ? (__u16)~w : w);
	}
	return acc;
}

/*
 * The words of the error's ICMP message the rewrite may change: the
 * quote's checksum and addresses, its first 8 transport bytes, and a
 * quoted TCP checksum when the quote reaches it.
 */
static __always_inline __u32 xpf_quote_words(__u32 acc, struct xpf_quote *q, __u8 *tcp_csum, int negate)
{
	acc = xpf_sum_words(acc, q->ip + 10, 10, negate);
	acc = xpf_sum_words(acc, q->l4, 8, negate);
	if (tcp_csum)
		acc = xpf_sum_words(acc, tcp_csum, 2, negate);
	return acc;
}

/* A 16-bit field of the quote, and the quoted checksum when it has one. */
static __always_inline void xpf_quote_port(__u8 *f, __u16 new, __u8 *csum)
{
	__u16 old = xpf_get16(f);

	if (old == new)
		return;
	xpf_put16(f, new);
	if (csum)
		xpf_put16(csum, xpf_csum16(xpf_get16(csum), old, new));
}

/*
 * Rewrites error `p` (quote `q`, found by key `k`) as the session's
 * traffic: `quote` is the key its sender knew (the twin of the entry `k`
 * found). Returns the outer addresses written, for the route.
 */
static __always_inline int xpf_icmp_error_rewrite(struct xdp_md *ctx, struct xpf_pkt *p, struct xpf_quote *q,
						  struct xpf_dp_flow *k, struct xpf_dp_flow *quote, __u32 *out_src,
						  __u32 *out_dst)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 l3 = p->l3 == 18 ? 18 : 14;
	__u32 at = p->l4; /* the ICMP header, past any options */
	struct iphdr *ip = data + l3;
	__u8 *l4 = q->l4;
	__u8 proto = q->ip[9];
	__u8 *csum = 0;
	__u32 outer = 0, inner = 0;

	if (at > XPF_L4_MAX)
		return -XPF_DROP_MALFORMED;
	__u8 *icmp = data + at;

	if ((void *)(ip + 1) > data_end || (void *)(icmp + 8) > data_end || (void *)(l4 + 8) > data_end)
		return -XPF_DROP_MALFORMED;
	/* Options are not rewritten: their sums, for both header checksums. */
	if (xpf_opts_sum(ctx, l3 + 20, at - l3 - 20, &outer) ||
	    xpf_opts_sum(ctx, q->l4off - q->hl + 20, q->hl - 20, &inner))
		return -XPF_DROP_MALFORMED;
	if (proto == 6) {
		if (q->l4off + 18 <= p->end && (void *)(l4 + 18) <= data_end)
			csum = l4 + 16;
	} else if (proto == 17) {
		if (xpf_get16(l4 + 6))
			csum = l4 + 6;
	} else if (proto == 1 || proto == 58) {
		csum = l4 + 2;
	}
	__u32 acc = (__u16)~xpf_get16(icmp + 2);

	acc = xpf_quote_words(acc, q, proto == 6 ? csum : 0, 1);

	/* The quote: addresses, its header checksum, transport checksum, ports. */
	__u32 old_src = k->dst, old_dst = k->src;

	xpf_put32(q->ip + 12, quote->src);
	xpf_put32(q->ip + 16, quote->dst);
	xpf_put16(q->ip + 10, 0);
	xpf_put16(q->ip + 10, xpf_finish(xpf_sum_words(inner, q->ip, 20, 0)));
	if (csum && proto != 1) {
		__u16 v = xpf_csum_addr(xpf_get16(csum), old_src, quote->src);

		xpf_put16(csum, xpf_csum_addr(v, old_dst, quote->dst));
	}
	if ((proto == 1 || proto == 58) && (l4[0] == 0 || l4[0] == 8 || l4[0] == 128 || l4[0] == 129)) {
		xpf_quote_port(l4 + 4, quote->sport, csum);
	} else if (proto == 6 || proto == 17 || proto == 132) {
		xpf_quote_port(l4, quote->sport, csum);
		xpf_quote_port(l4 + 2, quote->dport, csum);
	}
	acc = xpf_quote_words(acc, q, proto == 6 ? csum : 0, 0);
	xpf_put16(icmp + 2, xpf_finish(acc));

	/* The outer header: sent to the quote's sender, from its peer. */
	__u32 src = p->src, dst = p->dst;

	if (dst == old_src)
		dst = quote->src;
	if (src == old_dst)
		src = quote->dst;
	xpf_put32((__u8 *)&ip->saddr, src);
	xpf_put32((__u8 *)&ip->daddr, dst);
	ip->ttl--;
	ip->check = 0;
	xpf_put16((__u8 *)&ip->check, xpf_finish(xpf_sum_words(outer, (__u8 *)ip, 20, 0)));
	*out_src = src;
	*out_dst = dst;
	return 0;
}

/* An IPv6 address of an error to `new`: the quote's with its checksum. */
static __always_inline void xpf_quote_addr6(__u8 *a, __u8 *new, __u8 *csum)
{
#pragma unroll
	for (int i = 7; i >= 0; i--) {
		__u16 o = xpf_get16(a + 2 * i), n = xpf_get16(new + 2 * i);

		if (o != n) {
			xpf_put16(a + 2 * i, n);
			if (csum)
				xpf_put16(csum, xpf_csum16(xpf_get16(csum), o, n));
		}
	}
}

static __always_inline int xpf_same6(__u8 *a, __u8 *b)
{
	return xpf_get32(a) == xpf_get32(b) && xpf_get32(a + 4) == xpf_get32(b + 4) &&
	       xpf_get32(a + 8) == xpf_get32(b + 8) && xpf_get32(a + 12) == xpf_get32(b + 12);
}

/* Adds (or takes out) the 16 words of two IPv6 addresses at `b`. */
static __always_inline __u32 xpf_sum_addrs6(__u32 acc, __u8 *b, int negate)
{
	acc = xpf_sum_words(acc, b, 16, negate);
	return xpf_sum_words(acc, b + 16, 16, negate);
}

/*
 * Rewrites ICMPv6 error `p` (found by key `k`) as the session's traffic,
 * as xpf_icmp_error_rewrite: the quote (its IPv6 header at `in`, 8 bytes
 * of what follows checked) restored to `quote`, the outer addresses
 * translated, hop limit decremented. The pipeline sums the message anew;
 * this updates the checksum by the words it changed, pseudo-header
 * included: the same for every error that came with a valid one.
 */
static __always_inline int xpf_icmp6_error_rewrite(struct xdp_md *ctx, struct xpf_pkt *p, __u8 *icmp, __u8 *in,
						   struct xpf_dp_flow *k, struct xpf_dp_flow *quote)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *ip6 = data + (p->l3 == 18 ? 18 : 14);
	__u8 *l4 = in + 40;
	__u8 proto = in[6];
	__u8 *csum = 0;

	if ((void *)(ip6 + 40) > data_end || (void *)(icmp + 8) > data_end || (void *)(l4 + 8) > data_end)
		return -XPF_DROP_MALFORMED;
	if (proto == 6) {
		if ((void *)(l4 + 18) <= data_end && (__u32)((void *)(l4 + 18) - data) <= p->end)
			csum = l4 + 16;
	} else if (proto == 17 || proto == 1 || proto == 58) {
		csum = l4 + (proto == 17 ? 6 : 2);
	}
	__u32 acc = (__u16)~xpf_get16(icmp + 2);

	acc = xpf_sum_addrs6(acc, ip6 + 8, 1);
	acc = xpf_sum_addrs6(acc, in + 8, 1);
	acc = xpf_sum_words(acc, l4, 8, 1);
	if (proto == 6 && csum)
		acc = xpf_sum_words(acc, csum, 2, 1);

	/* The quote: addresses (ICMPv4's checksum has none), then ports or id. */
	__u8 *acsum = proto == 1 ? 0 : csum;

	xpf_quote_addr6(in + 8, quote->src6, acsum);
	xpf_quote_addr6(in + 24, quote->dst6, acsum);
	if ((proto == 1 || proto == 58) && (l4[0] == 0 || l4[0] == 8 || l4[0] == 128 || l4[0] == 129)) {
		xpf_quote_port(l4 + 4, quote->sport, csum);
	} else if (proto == 6 || proto == 17 || proto == 132) {
		xpf_quote_port(l4, quote->sport, csum);
		xpf_quote_port(l4 + 2, quote->dport, csum);
	}

	/* The outer header: sent to the quote's sender, from its peer. */
	if (xpf_same6(ip6 + 24, k->dst6))
		__builtin_memcpy(ip6 + 24, quote->src6, 16);
	if (xpf_same6(ip6 + 8, k->src6))
		__builtin_memcpy(ip6 + 8, quote->dst6, 16);
	ip6[7]--;

	acc = xpf_sum_addrs6(acc, ip6 + 8, 0);
	acc = xpf_sum_addrs6(acc, in + 8, 0);
	acc = xpf_sum_words(acc, l4, 8, 0);
	if (proto == 6 && csum)
		acc = xpf_sum_words(acc, csum, 2, 0);
	xpf_put16(icmp + 2, xpf_finish(acc));
	return 0;
}

#endif
