// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Stage: replies the dataplane writes itself (crates/dataplane/src/stage/
 * reply.rs), byte for byte as the pipeline builds them: ICMP and ICMPv6
 * errors (time exceeded, administratively prohibited) quoting the original
 * IP packet up to 576 (IPv4) or 1280 (IPv6) bytes in all, and TCP RSTs;
 * DF (IPv4), TTL/hop limit 64, MACs swapped, sent back out of the ingress
 * (through the devmap: xpf_reply in xpf_xdp_dataplane.c).
 */
#ifndef XPF_DP_REPLY_H
#define XPF_DP_REPLY_H

#include <bpf/bpf_helpers.h>
#include "dataplane/parse.h"
#include "dataplane/rewrite.h"

#define XPF_REPLY_MAX_V4 576
#define XPF_QUOTE_MAX (XPF_REPLY_MAX_V4 - 28)
#define XPF_REPLY_MAX_V6 1280
#define XPF_QUOTE_MAX6 (XPF_REPLY_MAX_V6 - 48)

struct xpf_scratch {
	__u8 b[XPF_QUOTE_MAX6 + 8];
	__u8 hdr[64];
	__u8 l2[20];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xpf_scratch);
} xpf_dp_scratch SEC(".maps");

static __always_inline __u32 xpf_sum_add(__u32 acc, __u16 w)
{
	acc += w;
	return (acc & 0xffff) + (acc >> 16);
}

static __always_inline __u16 xpf_finish(__u32 acc)
{
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	return ~(__u16)acc;
}

static __always_inline void xpf_swap_macs(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u8 *eth = data;
	__u8 tmp[6];

	if ((void *)(eth + 12) > data_end)
		return;
	__builtin_memcpy(tmp, eth, 6);
	__builtin_memcpy(eth, eth + 6, 6);
	__builtin_memcpy(eth + 6, tmp, 6);
}

/* Checksum of the quote in the scratch buffer, for bpf_loop. */
struct xpf_sum {
	__u32 quote;
	__u32 acc;
};

static long xpf_sum_one(__u32 i, void *arg)
{
	struct xpf_sum *sm = arg;
	__u32 zero = 0;
	struct xpf_scratch *s = bpf_map_lookup_elem(&xpf_dp_scratch, &zero);
	__u64 at = (__u64)i * 2;

	if (!s || at >= sm->quote || at >= sizeof(s->b) - 1)
		return 1;
	__u8 *w = s->b + at;

	if (at + 1 == sm->quote) {
		/* An odd last byte counts as its word's high half. */
		sm->acc = xpf_sum_add(sm->acc, (__u16)w[0] << 8);
		return 1;
	}
	sm->acc = xpf_sum_add(sm->acc, ((__u16)w[0] << 8) | w[1]);
	return 0;
}

/* Rewrites the frame into an ICMP error; 0 on success, -1 if it cannot. */
/*
 * Turns the frame into L2 + `room` bytes of new headers + the first `quote`
 * bytes of its IP packet (kept in scratch for the checksum). The new
 * headers go in front, so the quoted packet stays where it is: XDP always
 * has headroom, while a frame veth made from an skb has too little
 * tailroom to grow into. Then the tail is trimmed to the quote.
 */
static __always_inline int xpf_room_in_front(struct xdp_md *ctx, struct xpf_scratch *s, __u32 l3,
					     int room, __u32 quote, __u32 cur)
{
	if (bpf_xdp_load_bytes(ctx, l3, s->b, quote))
		return -1;
	if (bpf_xdp_load_bytes(ctx, 0, s->l2, 18))
		return -1;
	if (bpf_xdp_adjust_head(ctx, -room))
		return -1;
	cur += room;
	if (bpf_xdp_adjust_tail(ctx, (int)(l3 + room + quote) - (int)cur))
		return -1;
	if (bpf_xdp_store_bytes(ctx, 0, s->l2, 14))
		return -1;
	if (l3 == 18 && bpf_xdp_store_bytes(ctx, 14, s->l2 + 14, 4))
		return -1;
	return 0;
}

static __always_inline int xpf_icmp_error(struct xdp_md *ctx, struct xpf_pkt *p, __u8 ty, __u8 code, __u32 src)
{
	__u32 zero = 0;
	struct xpf_scratch *s = bpf_map_lookup_elem(&xpf_dp_scratch, &zero);
	__u32 l3 = p->l3 == 18 ? 18 : 14;
	__u32 quote = p->end - p->l3;
	__u32 cur = bpf_xdp_get_buff_len(ctx);
	__u8 *hdr;
	__u32 acc = 0;

	if (!s)
		return -1;
	hdr = s->hdr;
	__builtin_memset(hdr, 0, sizeof(s->hdr));
	if (quote > XPF_QUOTE_MAX)
		quote = XPF_QUOTE_MAX;
	if (quote < 20)
		return -1;
	if (xpf_room_in_front(ctx, s, l3, 28, quote, cur))
		return -1;

	/* IP header: 0x45, length, DF, TTL 64, proto 1, checksum. */
	__u16 tot = 28 + quote;

	hdr[0] = 0x45;
	hdr[2] = tot >> 8;
	hdr[3] = tot;
	hdr[6] = 0x40;
	hdr[8] = 64;
	hdr[9] = 1;
	hdr[12] = src >> 24;
	hdr[13] = src >> 16;
	hdr[14] = src >> 8;
	hdr[15] = src;
	hdr[16] = p->src >> 24;
	hdr[17] = p->src >> 16;
	hdr[18] = p->src >> 8;
	hdr[19] = p->src;
#pragma unroll
	for (int i = 0; i < 10; i++)
		acc = xpf_sum_add(acc, ((__u16)hdr[2 * i] << 8) | hdr[2 * i + 1]);
	xpf_put16(hdr + 10, xpf_finish(acc));

	/* ICMP: type, code, checksum over the header and the quote. */
	hdr[20] = ty;
	hdr[21] = code;
	acc = xpf_sum_add(0, ((__u16)ty << 8) | code);
	struct xpf_sum sm = { .quote = quote, .acc = acc };

	bpf_loop(XPF_QUOTE_MAX / 2, xpf_sum_one, &sm, 0);
	acc = sm.acc;
	xpf_put16(hdr + 22, xpf_finish(acc));
	if (bpf_xdp_store_bytes(ctx, l3, hdr, 28))
		return -1;

	xpf_swap_macs(ctx);
	return 0;
}

/* RFC 793 reset generation: the RST's sequence, ack and flags. */
static __always_inline __u8 xpf_rst_numbers(struct xpf_pkt *p, __u32 *seq, __u32 *ack)
{
	if (p->tcp_flags & XPF_TCP_ACK) {
		*seq = p->ack;
		*ack = 0;
		return XPF_TCP_RST;
	}
	*seq = 0;
	*ack = p->seq + p->payload + !!(p->tcp_flags & XPF_TCP_SYN) + !!(p->tcp_flags & XPF_TCP_FIN);
	return XPF_TCP_RST | XPF_TCP_ACK;
}

/* Rewrites the frame into the RST answering a TCP segment; 0 on success. */
static __always_inline int xpf_tcp_rst(struct xdp_md *ctx, struct xpf_pkt *p)
{
	__u32 zero = 0;
	struct xpf_scratch *s = bpf_map_lookup_elem(&xpf_dp_scratch, &zero);
	__u32 l3 = p->l3 == 18 ? 18 : 14;
	__u32 cur = bpf_xdp_get_buff_len(ctx);
	__u32 seq, ack, acc = 0;
	__u8 flags, *h;

	if (!s)
		return -1;
	h = s->hdr;
	__builtin_memset(h, 0, sizeof(s->hdr));
	flags = xpf_rst_numbers(p, &seq, &ack);
	h[0] = 0x45;
	h[3] = 40;
	h[6] = 0x40;
	h[8] = 64;
	h[9] = 6;
	xpf_put32(h + 12, p->dst);
	xpf_put32(h + 16, p->src);
#pragma unroll
	for (int i = 0; i < 10; i++)
		acc = xpf_sum_add(acc, ((__u16)h[2 * i] << 8) | h[2 * i + 1]);
	xpf_put16(h + 10, xpf_finish(acc));

	__u8 *t = h + 20;

	xpf_put16(t, p->dport);
	xpf_put16(t + 2, p->sport);
	xpf_put32(t + 4, seq);
	xpf_put32(t + 8, ack);
	t[12] = 5 << 4;
	t[13] = flags;
	/* Pseudo header: addresses, protocol, TCP length. */
	acc = (p->dst >> 16) + (p->dst & 0xffff) + (p->src >> 16) + (p->src & 0xffff) + 6 + 20;
#pragma unroll
	for (int i = 0; i < 10; i++)
		acc = xpf_sum_add(acc, ((__u16)t[2 * i] << 8) | t[2 * i + 1]);
	xpf_put16(t + 16, xpf_finish(acc));
	if (bpf_xdp_adjust_tail(ctx, (int)(l3 + 40) - (int)cur))
		return -1;
	if (bpf_xdp_store_bytes(ctx, l3, h, 40))
		return -1;
	xpf_swap_macs(ctx);
	return 0;
}

/* Adds an IPv6 address (16 bytes as on the wire) to a checksum. */
static __always_inline __u32 xpf_sum_addr6(__u32 acc, __u8 *a)
{
#pragma unroll
	for (int i = 0; i < 8; i++)
		acc = xpf_sum_add(acc, ((__u16)a[2 * i] << 8) | a[2 * i + 1]);
	return acc;
}

/*
 * xpf_icmp_error for IPv6: ICMPv6 type/code from `src` (16 bytes as on the
 * wire), the checksum over the pseudo header too.
 */
static __always_inline int xpf_icmp6_error(struct xdp_md *ctx, struct xpf_pkt *p, __u8 ty, __u8 code, void *src)
{
	__u32 zero = 0;
	struct xpf_scratch *s = bpf_map_lookup_elem(&xpf_dp_scratch, &zero);
	__u32 l3 = p->l3 == 18 ? 18 : 14;
	__u32 quote = p->end - p->l3;
	__u32 cur = bpf_xdp_get_buff_len(ctx);
	__u8 *hdr;
	__u32 acc;

	if (!s)
		return -1;
	hdr = s->hdr;
	__builtin_memset(hdr, 0, sizeof(s->hdr));
	if (quote > XPF_QUOTE_MAX6)
		quote = XPF_QUOTE_MAX6;
	if (quote < 40)
		return -1;
	/* Addresses first: `src` may be the parsed packet's, which stays put. */
	__builtin_memcpy(hdr + 8, src, 16);
	__builtin_memcpy(hdr + 24, p->src6, 16);
	if (xpf_room_in_front(ctx, s, l3, 48, quote, cur))
		return -1;

	__u16 plen = 8 + quote;

	hdr[0] = 0x60;
	hdr[4] = plen >> 8;
	hdr[5] = plen;
	hdr[6] = 58;
	hdr[7] = 64;
	hdr[40] = ty;
	hdr[41] = code;
	/* Pseudo header: addresses, upper-layer length, next header. */
	acc = xpf_sum_addr6(0, hdr + 8);
	acc = xpf_sum_addr6(acc, hdr + 24);
	acc = xpf_sum_add(acc, plen);
	acc = xpf_sum_add(acc, 58);
	acc = xpf_sum_add(acc, ((__u16)ty << 8) | code);
	struct xpf_sum sm = { .quote = quote, .acc = acc };

	bpf_loop(XPF_QUOTE_MAX6 / 2, xpf_sum_one, &sm, 0);
	xpf_put16(hdr + 42, xpf_finish(sm.acc));
	if (bpf_xdp_store_bytes(ctx, l3, hdr, 48))
		return -1;

	xpf_swap_macs(ctx);
	return 0;
}

/* xpf_tcp_rst for IPv6. */
static __always_inline int xpf_tcp_rst6(struct xdp_md *ctx, struct xpf_pkt *p)
{
	__u32 zero = 0;
	struct xpf_scratch *s = bpf_map_lookup_elem(&xpf_dp_scratch, &zero);
	__u32 l3 = p->l3 == 18 ? 18 : 14;
	__u32 cur = bpf_xdp_get_buff_len(ctx);
	__u32 seq, ack, acc;
	__u8 flags, *h;

	if (!s)
		return -1;
	h = s->hdr;
	__builtin_memset(h, 0, sizeof(s->hdr));
	flags = xpf_rst_numbers(p, &seq, &ack);
	h[0] = 0x60;
	h[5] = 20;
	h[6] = 6;
	h[7] = 64;
	__builtin_memcpy(h + 8, p->dst6, 16);
	__builtin_memcpy(h + 24, p->src6, 16);

	__u8 *t = h + 40;

	xpf_put16(t, p->dport);
	xpf_put16(t + 2, p->sport);
	xpf_put32(t + 4, seq);
	xpf_put32(t + 8, ack);
	t[12] = 5 << 4;
	t[13] = flags;
	acc = xpf_sum_addr6(0, h + 8);
	acc = xpf_sum_addr6(acc, h + 24);
	acc = xpf_sum_add(acc, 6 + 20);
#pragma unroll
	for (int i = 0; i < 10; i++)
		acc = xpf_sum_add(acc, ((__u16)t[2 * i] << 8) | t[2 * i + 1]);
	xpf_put16(t + 16, xpf_finish(acc));
	if (bpf_xdp_adjust_tail(ctx, (int)(l3 + 60) - (int)cur))
		return -1;
	if (bpf_xdp_store_bytes(ctx, l3, h, 60))
		return -1;
	xpf_swap_macs(ctx);
	return 0;
}

#endif
