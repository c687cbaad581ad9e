// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Stage: parse. Mirrors crates/dataplane/src/stage/parse.rs: Ethernet
 * with at most one 802.1Q tag; an IPv4 header with a valid checksum, or
 * the fixed IPv6 header; TCP/UDP/ICMP/ICMPv6 with the same length rules.
 * IPv4 options and IPv6 extension headers are not walked: such packets are
 * XPF_DROP_UNSUPPORTED, except MLD behind its hop-by-hop header (`ext6`
 * with `nd`), which is link-scope and the kernel's.
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

/* What later stages need of a packet; addresses and ports host order. */
struct xpf_pkt {
	__u32 l3; /* offset of the IP header: 14 or 18 */
	__u32 end; /* offset of the end of the IP packet */
	__u32 src;
	__u32 dst;
	__u16 sport; /* ICMP echo: the identifier */
	__u16 dport; /* ICMP echo: the identifier again */
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
	__u8 ext6; /* IPv6 with an extension header (not walked) */
	__u8 pad;
	/* IPv6 addresses as on the wire (src/dst above stay 0). */
	__u32 src6[4];
	__u32 dst6[4];
	/* TCP: the advertised window; on a SYN its MSS and window scale. */
	__u16 window;
	__u16 mss;
	__u16 mss_off; /* offset of the MSS value in the frame; 0: none */
	__u8 wscale;
	__u8 has_wscale;
	__u16 opt_at; /* the option walk's place, and its end (the header's) */
	__u16 opt_end;
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
 * A SYN's options, as parse/tcp.rs reads them: MSS and window scale
 * (capped at 14); an option whose length is short or runs past the header
 * makes the packet malformed. `hl` is the checked TCP header length.
 */
__attribute__((noinline)) int xpf_parse_tcp_options(struct xdp_md *ctx, struct xpf_pkt *p, __u32 l4off, __u32 hl)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	if (!p)
		return -XPF_DROP_MALFORMED;
	/*
	 * The walk keeps its place and end in the packet record, not in
	 * registers: reloaded each round, they carry no range from the round
	 * before, so the verifier sees one state per round instead of one per
	 * path through the options.
	 */
	p->opt_at = 20;
	p->opt_end = hl;
	for (int n = 0; n < 40; n++) {
		__u32 i = p->opt_at;

		if (i >= p->opt_end)
			break;
		/* Masks, not range checks: the verifier needs the offset bounded. */
		__u8 *o = data + (l4off & 0x7ff) + (i & 63);

		if ((void *)(o + 2) > data_end) {
			/* Only an end or no-op option may be the packet's last byte. */
			if ((void *)(o + 1) > data_end || o[0] > 1)
				return -XPF_DROP_MALFORMED;
			break;
		}
		if (o[0] == 0)
			break;
		if (o[0] == 1) {
			p->opt_at = i + 1;
			continue;
		}
		__u32 len = o[1];

		if (len < 2 || i + len > p->opt_end)
			return -XPF_DROP_MALFORMED;
		if (o[0] == 2 && len == 4) {
			if ((void *)(o + 4) > data_end)
				return -XPF_DROP_MALFORMED;
			p->mss = ((__u16)o[2] << 8) | o[3];
			p->mss_off = l4off + i + 2;
		} else if (o[0] == 3 && len == 3) {
			if ((void *)(o + 3) > data_end)
				return -XPF_DROP_MALFORMED;
			p->wscale = o[2] < 14 ? o[2] : 14;
			p->has_wscale = 1;
		}
		p->opt_at = i + len;
	}
	return 0;
}

/* TCP, UDP, ICMP or ICMPv6 at `l4`, `l4len` bytes to the end of the packet. */
static __always_inline int xpf_parse_l4(struct xdp_md *ctx, struct xpf_pkt *p, __u8 *l4, __u32 l4len, void *data_end)
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
		if (p->tcp_flags & XPF_TCP_SYN)
			return xpf_parse_tcp_options(ctx, p, p->l3 + (p->v6 ? 40 : 20), hl);
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
		if (p->echo) {
			p->sport = (l4[4] << 8) | l4[5];
			p->dport = p->sport;
		}
		p->port = ((__u16)ty << 8) | l4[1];
	}
	return XPF_PARSED_IP;
}

/* MLD: ICMPv6 130-132 or 143 right after a hop-by-hop header. */
static __always_inline void xpf_parse_mld(struct xpf_pkt *p, __u8 *h, __u32 plen, void *data_end)
{
	if ((void *)(h + 8) > data_end || h[0] != 58)
		return;
	__u32 hl = ((__u32)h[1] + 1) * 8;
	__u8 *icmp = h + (hl & 0xff8); /* hl <= 2048: the mask only bounds it */

	if (hl + 8 > plen || (void *)(icmp + 8) > data_end)
		return;
	p->nd = (icmp[0] >= 130 && icmp[0] <= 132) || icmp[0] == 143;
}

/* The fixed IPv6 header; the payload length must fit the frame. */
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
	/* Hop-by-hop, routing, fragment, destination options. */
	if (p->proto == 0 || p->proto == 43 || p->proto == 44 || p->proto == 60) {
		p->ext6 = 1;
		if (p->proto == 0)
			xpf_parse_mld(p, (void *)(ip6 + 1), plen, data_end);
		return XPF_PARSED_IP;
	}
	return xpf_parse_l4(ctx, p, (void *)(ip6 + 1), plen, data_end);
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
	if (ip->ihl != 5)
		return -XPF_DROP_UNSUPPORTED;
	__u32 total = bpf_ntohs(ip->tot_len);

	if (total < 20 || total > len - l3)
		return -XPF_DROP_MALFORMED;
	if (!xpf_ip_csum_ok(ip))
		return -XPF_DROP_MALFORMED;
	__u16 frag = bpf_ntohs(ip->frag_off);

	if (frag & 0x8000)
		return -XPF_DROP_MALFORMED;
	p->l3 = l3;
	p->end = l3 + total;
	p->src = bpf_ntohl(ip->saddr);
	p->dst = bpf_ntohl(ip->daddr);
	p->proto = ip->protocol;
	p->ttl = ip->ttl;
	p->frag = (frag & 0x1fff) ? XPF_FRAG_LATER : (frag & 0x2000) ? XPF_FRAG_FIRST : XPF_FRAG_NONE;
	if (p->frag == XPF_FRAG_LATER)
		return XPF_PARSED_IP;

	return xpf_parse_l4(ctx, p, (void *)(ip + 1), total - 20, data_end);
}

#endif
