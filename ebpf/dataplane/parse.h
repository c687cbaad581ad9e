// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Stage: parse. Mirrors crates/dataplane/src/stage/parse.rs: Ethernet
 * with at most one 802.1Q tag; an IPv4 header with a valid checksum, or
 * an IPv6 header and its extension chain; TCP/UDP/ICMP/ICMPv6 with the same length rules,
 * and a SYN's options with the same option-length rules (the MSS clamp
 * needs the option's place).
 *
 * IPv4 options are walked with the pipeline's length rules, for what the
 * screens need (source routes), and kept: the transport header is at
 * `l4` = l3 + IHL * 4, as the IPv6 one is past the extension chain, walked
 * as the pipeline walks it (xpf_dp_ext6). Nothing after the parse may
 * assume `l3 + 20` or `l3 + 40`.
 */
#ifndef XPF_DP_PARSE_H
#define XPF_DP_PARSE_H

#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_endian.h>
#include "dataplane/drop_reasons.h"

#define XPF_FRAG_NONE 0
#define XPF_FRAG_FIRST 1
#define XPF_FRAG_LATER 2

#define XPF_TCP_FIN 0x01
#define XPF_TCP_SYN 0x02
#define XPF_TCP_RST 0x04
#define XPF_TCP_ACK 0x10
#define XPF_TCP_URG 0x20

/* What later stages need of a packet; addresses and ports host order. */
struct xpf_pkt {
	__u32 l3; /* offset of the IP header: 14 or 18 */
	__u32 end; /* offset of the end of the IP packet */
	__u32 src;
	__u32 dst;
	__u16 sport; /* ICMP: xpf_icmp_key's source half (echo: the identifier) */
	__u16 dport; /* ICMP: its destination half (echo: the identifier again) */
	__u16 port; /* policy port: dport, or ICMP type << 8 | code */
	__u8 proto;
	__u8 ttl;
	__u8 frag;
	__u8 tcp_flags;
	__u8 icmp; /* 1: ICMP header present */
	__u8 icmp_type;
	__u8 echo;
	__u8 error;
	__u32 seq; /* TCP */
	__u32 ack;
	__u32 payload; /* TCP payload bytes */
	__u8 v6;
	__u8 nd; /* ICMPv6 neighbour/router discovery or MLD: link-scope */
	__u8 tcp; /* 1: TCP header parsed (tcp_flags are real) */
	/* IPv6 addresses as on the wire (src/dst above stay 0). */
	__u32 src6[4];
	__u32 dst6[4];
	__u32 l4; /* offset of the upper-layer header */
	__u32 frag_off; /* fragment offset in bytes */
	__u32 frag_id; /* the datagram's identification (IPv4: 16 bits; IPv6: 32) */
	__u8 source_route; /* IPv4 LSRR/SSRR, IPv6 routing header with segments left */
	__u8 ip_opts; /* IPv4 options the screens name: XPF_IPOPT_* */
	__u16 mss; /* a SYN's MSS option value */
	__u32 mss_off; /* offset of that value from l4; 0: no MSS option */
	/* TCP: the advertised window; a SYN's window scale (capped at 14). */
	__u16 window;
	__u8 wscale;
	__u8 has_wscale;
};

#define XPF_PARSED_IP 0
#define XPF_PARSED_KERNEL 1 /* ARP, non-IP */

static __always_inline __u16 xpf_ip_csum_ok(struct iphdr *ip)
{
	__u16 *w = (__u16 *)ip;
	__u32 acc = 0;

#pragma unroll
	for (int i = 0; i < 10; i++)
		acc += w[i];
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	return (__u16)acc == 0xffff;
}

/*
 * An option list (IPv4 header or TCP SYN): the header copied to the
 * stack and walked by bpf_loop, in a global function, so the verifier
 * checks one step once instead of every path through 40 bytes from every
 * caller's state. The length rules are the pipeline's
 * (crates/dataplane/src/parse/{ipv4,tcp}.rs): kind 0 ends the list, kind 1
 * is one byte, any other kind has a length of at least 2 that must stay
 * within the header, else the packet is malformed.
 */
#define XPF_OPTS_WSCALE 0x10 /* beside a window scale's shift: offered */

/* IPv4 options the screens name (crates/dataplane/src/parse/ipv4.rs OPT_*). */
#define XPF_IPOPT_RECORD_ROUTE 0x01
#define XPF_IPOPT_TIMESTAMP 0x02
#define XPF_IPOPT_SECURITY 0x04
#define XPF_IPOPT_STREAM 0x08

struct xpf_opt_walk {
	__u8 b[64]; /* the header, options from byte 20 */
	__u32 i; /* the next option */
	__u32 hl; /* header length */
	__u8 tcp; /* 1: TCP options (MSS), 0: IPv4 options (source routes) */
	__u8 bad;
	__u8 source_route;
	__u8 ip_opts; /* XPF_IPOPT_* */
	__u32 mss_off;
	__u32 mss;
	__u32 wscale; /* XPF_OPTS_WSCALE | the shift, when offered */
};

static long xpf_opt_step(__u64 n, void *arg)
{
	struct xpf_opt_walk *w = arg;
	__u32 i = w->i;

	if (i >= w->hl || i >= 60)
		return 1;
	__u8 kind = w->b[i & 63];

	if (kind == 0)
		return 1;
	if (kind == 1) {
		w->i = i + 1;
		return 0;
	}
	if (i + 1 >= w->hl) {
		w->bad = 1;
		return 1;
	}
	__u32 len = w->b[(i + 1) & 63];

	if (len < 2 || i + len > w->hl) {
		w->bad = 1;
		return 1;
	}
	if (w->tcp && kind == 2 && len == 4) {
		w->mss_off = i + 2;
		w->mss = ((__u32)w->b[(i + 2) & 63] << 8) | w->b[(i + 3) & 63];
	} else if (w->tcp && kind == 3 && len == 3) {
		__u32 shift = w->b[(i + 2) & 63];

		w->wscale = XPF_OPTS_WSCALE | (shift < 14 ? shift : 14);
	} else if (!w->tcp && (kind == 131 || kind == 137)) {
		w->source_route = 1;
	} else if (!w->tcp) {
		w->ip_opts |= kind == 7 ? XPF_IPOPT_RECORD_ROUTE : kind == 68 ? XPF_IPOPT_TIMESTAMP :
			      kind == 130 ? XPF_IPOPT_SECURITY : kind == 136 ? XPF_IPOPT_STREAM : 0;
	}
	w->i = i + len;
	return 0;
}

#define XPF_OPTS_BAD 0x80000000u

/*
 * The options of the `hl`-byte header (21..60) at frame offset `off`.
 * TCP (`tcp` 1): wscale << 24 | mss_off << 16 | mss (mss_off 0 without
 * an MSS option; wscale XPF_OPTS_WSCALE | shift when offered). IPv4:
 * XPF_IPOPT_* << 1 | 1 when a source route is among them, and the header
 * checksum is checked too. XPF_OPTS_BAD: malformed.
 */
__attribute__((noinline)) __u32 xpf_dp_options(struct xdp_md *ctx, __u32 off, __u32 hl, __u32 tcp)
{
	struct xpf_opt_walk w = {};
	__u32 acc = 0;

	__u64 n = hl & 63;

	if (!ctx || n > 60)
		return XPF_OPTS_BAD;
	/* Two bounds the verifier sees one by one, not folded into one test. */
	asm volatile("" : "+r"(n));
	if (n <= 20)
		return XPF_OPTS_BAD;
	if (bpf_xdp_load_bytes(ctx, off & 0xffff, w.b, n))
		return XPF_OPTS_BAD;
	w.i = 20;
	w.hl = hl;
	w.tcp = !!tcp;
	bpf_loop(40, xpf_opt_step, &w, 0);
	if (w.bad)
		return XPF_OPTS_BAD;
	if (tcp)
		return (w.wscale & 0x1f) << 24 | (w.mss_off & 0xff) << 16 | (w.mss & 0xffff);
	for (int i = 0; i < 30; i++) {
		if (2 * (__u32)i >= hl)
			break;
		acc += ((__u32)w.b[2 * i] << 8) | w.b[2 * i + 1];
	}
	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	if ((__u16)acc != 0xffff)
		return XPF_OPTS_BAD;
	return (__u32)w.ip_opts << 1 | w.source_route;
}

/* What an ICMP message that is neither echo nor a query is keyed by, above its type << 8 | code. */
#define XPF_ICMP_OTHER 0x4000

/*
 * The session key "ports" of an ICMP or ICMPv6 message that is not an
 * error, source << 16 | destination: icmp_key in
 * crates/dataplane/src/stage/parse.rs, which says why. Echo: the
 * identifier twice. Timestamp, information and address mask queries
 * (13..18): a request (id, id + k), its reply (id + k, id), k = 1, 2, 3.
 * Anything else: (tc, tc + XPF_ICMP_OTHER), tc = type << 8 | code, a flow
 * no packet answers.
 */
static __always_inline __u32 xpf_icmp_key(__u8 v6, __u8 ty, __u8 code, __u16 id)
{
	__u16 s, d;

	if (v6 ? (ty == 128 || ty == 129) : (ty == 0 || ty == 8)) {
		s = id;
		d = id;
	} else if (!v6 && ty >= 13 && ty <= 18) {
		__u16 k = (ty - 11) >> 1;

		s = ty & 1 ? id : (__u16)(id + k);
		d = ty & 1 ? (__u16)(id + k) : id;
	} else {
		s = ((__u16)ty << 8) | code;
		d = s + XPF_ICMP_OTHER;
	}
	return (__u32)s << 16 | d;
}

/* TCP, UDP, ICMP or ICMPv6 at `l4`, `l4len` bytes to the end of the packet. */
static __always_inline int xpf_parse_l4(struct xdp_md *ctx, struct xpf_pkt *p, __u8 *l4, __u32 l4len,
					void *data_end)
{
	if (p->proto == 6) {
		if (l4len < 20 || (void *)(l4 + 20) > data_end)
			return -XPF_DROP_MALFORMED;
		__u32 hl = (l4[12] >> 4) * 4;

		if (hl < 20 || hl > l4len)
			return -XPF_DROP_MALFORMED;
		p->sport = (l4[0] << 8) | l4[1];
		p->dport = (l4[2] << 8) | l4[3];
		p->port = p->dport;
		p->tcp_flags = l4[13];
		p->window = (l4[14] << 8) | l4[15];
		p->seq = ((__u32)l4[4] << 24) | ((__u32)l4[5] << 16) | ((__u32)l4[6] << 8) | l4[7];
		p->ack = ((__u32)l4[8] << 24) | ((__u32)l4[9] << 16) | ((__u32)l4[10] << 8) | l4[11];
		p->payload = l4len - hl;
		p->tcp = 1;
		/* Options only on SYNs, the only segments carrying MSS (tcp.rs). */
		if ((p->tcp_flags & XPF_TCP_SYN) && hl > 20) {
			__u32 m = xpf_dp_options(ctx, p->l4, hl, 1);

			if (m == XPF_OPTS_BAD)
				return -XPF_DROP_MALFORMED;
			p->mss_off = (m >> 16) & 0xff;
			p->mss = m;
			p->has_wscale = !!((m >> 24) & XPF_OPTS_WSCALE);
			p->wscale = (m >> 24) & 0xf;
		}
	} else if (p->proto == 17) {
		if (l4len < 8 || (void *)(l4 + 8) > data_end)
			return -XPF_DROP_MALFORMED;
		__u32 ulen = (l4[4] << 8) | l4[5];

		/* A first fragment's UDP length covers the whole datagram. */
		if (p->frag != XPF_FRAG_FIRST && (ulen < 8 || ulen > l4len))
			return -XPF_DROP_MALFORMED;
		p->sport = (l4[0] << 8) | l4[1];
		p->dport = (l4[2] << 8) | l4[3];
		p->port = p->dport;
	} else if ((p->proto == 1 && !p->v6) || (p->proto == 58 && p->v6)) {
		if (l4len < 8 || (void *)(l4 + 8) > data_end)
			return -XPF_DROP_MALFORMED;
		__u8 ty = l4[0];

		p->icmp = 1;
		p->icmp_type = ty;
		if (p->v6) {
			p->echo = ty == 128 || ty == 129;
			p->error = ty < 128;
			/* Neighbour and router discovery, MLD (crates/dataplane parse.rs). */
			p->nd = (ty >= 130 && ty <= 137) || ty == 143;
		} else {
			p->echo = ty == 0 || ty == 8;
			p->error = ty == 3 || ty == 4 || ty == 5 || ty == 11 || ty == 12;
		}
		if (!p->error) {
			__u32 k = xpf_icmp_key(p->v6, ty, l4[1], (l4[4] << 8) | l4[5]);

			p->sport = k >> 16;
			p->dport = k;
		}
		p->port = ((__u16)ty << 8) | l4[1];
	}
	return XPF_PARSED_IP;
}

/*
 * The IPv6 extension chain (hop-by-hop 0, routing 43, fragment 44,
 * destination options 60), walked as crates/dataplane/src/parse/ipv6.rs
 * walks it: at most XPF_EXT6_MAX headers, each within the payload length
 * (else malformed, as is a second fragment header or a chain that does not
 * end by then); a routing header with segments left is a source route; a
 * fragment header gives the fragment state, and a later fragment ends the
 * walk (it carries no upper-layer header).
 *
 * One header per call of a global function, from a loop of global calls:
 * the verifier checks a step once, and the walk's state (frame offsets up
 * to 40 + 8 * 2048 past the IPv6 header) is memory, not paths to follow.
 */
#define XPF_EXT6_MAX 8

/*
 * Above any upper-layer offset a walk can give (18 + 40 + 7 * 2048 + 8),
 * and small enough that a packet pointer at that offset plus a header
 * stays within the verifier's 64 KiB packet range: bounds every `l4` used
 * as a packet offset.
 */
#define XPF_L4_MAX 0x3fff

struct xpf_ext6_walk {
	__u32 off; /* frame offset of the header at hand */
	__u32 end; /* frame offset of the end of the IPv6 packet */
	__u32 frag_off;
	__u32 frag_id; /* the fragment header's identification */
	__u8 proto; /* the type of the header at hand */
	__u8 frag; /* XPF_FRAG_* */
	__u8 source_route;
	__u8 pad;
};

static __always_inline int xpf_ext6_type(__u8 proto)
{
	return proto == 0 || proto == 43 || proto == 44 || proto == 60;
}

/* One header: 0 to walk on, 1 at the end of the chain, or -malformed. */
__attribute__((noinline)) int xpf_dp_ext6_step(struct xdp_md *ctx, struct xpf_ext6_walk *w)
{
	__u8 h[8] = {};

	if (!ctx || !w)
		return -XPF_DROP_MALFORMED;
	__u32 off = w->off;
	__u8 proto = w->proto;

	if (!xpf_ext6_type(proto))
		return 1;
	if (off > 0xffff || off + 8 > w->end)
		return -XPF_DROP_MALFORMED;
	if (bpf_xdp_load_bytes(ctx, off, h, 8))
		return -XPF_DROP_MALFORMED;
	if (proto == 44) {
		__u32 fo = (((__u32)h[2] << 8) | h[3]) & 0xfff8;

		if (w->frag != XPF_FRAG_NONE)
			return -XPF_DROP_MALFORMED;
		w->frag_off = fo;
		w->frag_id = ((__u32)h[4] << 24) | ((__u32)h[5] << 16) | ((__u32)h[6] << 8) | h[7];
		w->frag = fo ? XPF_FRAG_LATER : XPF_FRAG_FIRST;
		w->proto = h[0];
		w->off = off + 8;
		return fo ? 1 : 0;
	}
	__u32 len = ((__u32)h[1] + 1) * 8;

	if (off + len > w->end)
		return -XPF_DROP_MALFORMED;
	if (proto == 43 && h[3])
		w->source_route = 1;
	w->proto = h[0];
	w->off = off + len;
	return 0;
}

/* Walks `p`'s chain from `p->l4`: the upper layer's protocol and offset. */
__attribute__((noinline)) int xpf_dp_ext6(struct xdp_md *ctx, struct xpf_pkt *p)
{
	struct xpf_ext6_walk w = {};
	int r = 0;

	if (!ctx || !p)
		return -XPF_DROP_MALFORMED;
	w.off = p->l4;
	w.end = p->end;
	w.proto = p->proto;
	for (int i = 0; i < XPF_EXT6_MAX; i++) {
		r = xpf_dp_ext6_step(ctx, &w);
		if (r)
			break;
	}
	/* Still walking after XPF_EXT6_MAX headers: "extension chain too long". */
	if (r <= 0)
		return r < 0 ? r : -XPF_DROP_MALFORMED;
	p->proto = w.proto;
	p->l4 = w.off;
	p->frag = w.frag;
	p->frag_off = w.frag_off;
	p->frag_id = w.frag_id;
	p->source_route = w.source_route;
	return 0;
}

/* The IPv6 header and its extension chain; the payload length must fit the frame. */
static __always_inline int xpf_parse6(struct xdp_md *ctx, void *data, void *data_end, __u32 l3, __u32 len,
				      struct xpf_pkt *p)
{
	struct ipv6hdr *ip6 = data + l3;

	if ((void *)(ip6 + 1) > data_end)
		return -XPF_DROP_MALFORMED;
	if (ip6->version != 6)
		return -XPF_DROP_MALFORMED;
	__u32 plen = bpf_ntohs(ip6->payload_len);

	if (plen + 40 > len - l3)
		return -XPF_DROP_MALFORMED;
	p->v6 = 1;
	p->l3 = l3;
	p->end = l3 + 40 + plen;
	__builtin_memcpy(p->src6, &ip6->saddr, 16);
	__builtin_memcpy(p->dst6, &ip6->daddr, 16);
	p->proto = ip6->nexthdr;
	p->ttl = ip6->hop_limit;
	p->l4 = l3 + 40;
	if (!xpf_ext6_type(p->proto))
		return xpf_parse_l4(ctx, p, (void *)(ip6 + 1), plen, data_end);

	int r = xpf_dp_ext6(ctx, p);

	if (r)
		return r;
	if (p->frag == XPF_FRAG_LATER)
		return XPF_PARSED_IP;
	/* The walk kept l4 within the packet; packet pointers are taken anew after the call. */
	__u32 l4 = p->l4;

	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (l4 > XPF_L4_MAX || l4 > p->end)
		return -XPF_DROP_MALFORMED;
	return xpf_parse_l4(ctx, p, data + l4, p->end - l4, data_end);
}

/* Returns XPF_PARSED_* or a negative drop reason. */
static __always_inline int xpf_parse(struct xdp_md *ctx, struct xpf_pkt *p)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u32 len = data_end - data;
	__u16 proto;
	__u32 l3 = sizeof(*eth);

	if ((void *)(eth + 1) > data_end)
		return -XPF_DROP_MALFORMED;
	proto = bpf_ntohs(eth->h_proto);
	if (proto == ETH_P_8021Q) {
		__be16 *inner = (void *)(eth + 1);

		if ((void *)(inner + 2) > data_end)
			return -XPF_DROP_MALFORMED;
		proto = bpf_ntohs(inner[1]);
		l3 = 18;
	}
	if (proto == ETH_P_ARP) {
		__u8 *a = data + l3;

		if ((void *)(a + 28) > data_end)
			return -XPF_DROP_MALFORMED;
		if (a[0] != 0 || a[1] != 1 || a[2] != 8 || a[3] != 0 || a[4] != 6 || a[5] != 4)
			return -XPF_DROP_MALFORMED;
		return XPF_PARSED_KERNEL;
	}
	if (proto == ETH_P_IPV6)
		return xpf_parse6(ctx, data, data_end, l3, len, p);
	if (proto != ETH_P_IP)
		return XPF_PARSED_KERNEL;

	struct iphdr *ip = data + l3;

	if ((void *)(ip + 1) > data_end)
		return -XPF_DROP_MALFORMED;
	if (ip->version != 4 || ip->ihl < 5)
		return -XPF_DROP_MALFORMED;
	__u32 hl = ip->ihl * 4;
	__u32 total = bpf_ntohs(ip->tot_len);

	if (total < hl || total > len - l3)
		return -XPF_DROP_MALFORMED;
	if (hl == 20 && !xpf_ip_csum_ok(ip))
		return -XPF_DROP_MALFORMED;
	if (hl > 20) {
		__u32 o = xpf_dp_options(ctx, l3, hl, 0);

		if (o == XPF_OPTS_BAD)
			return -XPF_DROP_MALFORMED;
		p->source_route = o & 1;
		p->ip_opts = (o >> 1) & 0x0f;
	}
	__u16 frag = bpf_ntohs(ip->frag_off);

	if (frag & 0x8000)
		return -XPF_DROP_MALFORMED;
	p->l3 = l3;
	p->l4 = l3 + hl;
	p->end = l3 + total;
	p->src = bpf_ntohl(ip->saddr);
	p->dst = bpf_ntohl(ip->daddr);
	p->proto = ip->protocol;
	p->ttl = ip->ttl;
	p->frag_off = (frag & 0x1fff) * 8;
	p->frag = (frag & 0x1fff) ? XPF_FRAG_LATER : (frag & 0x2000) ? XPF_FRAG_FIRST : XPF_FRAG_NONE;
	p->frag_id = bpf_ntohs(ip->id);
	if (p->frag == XPF_FRAG_LATER)
		return XPF_PARSED_IP;
	/* Past the options (hl <= 60); packet pointers anew after the walk's call. */
	__u32 l4 = (l3 + hl) & 0x7f;

	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	return xpf_parse_l4(ctx, p, data + l4, total - hl, data_end);
}

#endif
