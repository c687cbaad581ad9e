// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Stage: rewrite (crates/dataplane/src/stage/rewrite.rs): NAT addresses and
 * ports, TTL decrement, each with the pipeline's incremental checksum
 * update (RFC 1624, same word order, same UDP zero rules) so the bytes
 * come out identical.
 */
#ifndef XPF_DP_REWRITE_H
#define XPF_DP_REWRITE_H

#include "dataplane/parse.h"

static __always_inline __u16 xpf_csum16(__u16 csum, __u16 old, __u16 new)
{
	__u32 acc = (__u32)(__u16)~csum + (__u16)~old + new;

	acc = (acc & 0xffff) + (acc >> 16);
	acc = (acc & 0xffff) + (acc >> 16);
	return ~(__u16)acc;
}

static __always_inline __u16 xpf_csum_addr(__u16 csum, __u32 old, __u32 new)
{
	if ((old & 0xffff) != (new & 0xffff))
		csum = xpf_csum16(csum, old & 0xffff, new & 0xffff);
	if ((old >> 16) != (new >> 16))
		csum = xpf_csum16(csum, old >> 16, new >> 16);
	return csum;
}

static __always_inline __u16 xpf_get16(__u8 *b)
{
	return ((__u16)b[0] << 8) | b[1];
}

static __always_inline void xpf_put16(__u8 *b, __u16 v)
{
	b[0] = v >> 8;
	b[1] = v;
}

static __always_inline __u32 xpf_get32(__u8 *b)
{
	return ((__u32)b[0] << 24) | ((__u32)b[1] << 16) | ((__u32)b[2] << 8) | b[3];
}

static __always_inline void xpf_put32(__u8 *b, __u32 v)
{
	b[0] = v >> 24;
	b[1] = v >> 16;
	b[2] = v >> 8;
	b[3] = v;
}

/* The L4 checksum covering addresses and ports: TCP 16, UDP 6; ICMP none. */
static __always_inline int xpf_l4_csum_off(__u8 proto)
{
	return proto == 6 ? 16 : proto == 17 ? 6 : -1;
}

static __always_inline void xpf_patch_l4(__u8 *c, __u8 proto, __u16 new)
{
	if (proto == 17 && new == 0)
		new = 0xffff;
	xpf_put16(c, new);
}

/* `ip` and `l4` are checked: 20 bytes of IP, 20 (TCP) or 8 bytes of L4. */
/* An IPv4 address in the IP header, and the header checksum; 0: unchanged. */
static __always_inline int xpf_set_ip_addr(struct iphdr *ip, int source, __u32 old, __u32 new)
{
	__u8 *a = source ? (__u8 *)&ip->saddr : (__u8 *)&ip->daddr;
	__u8 *ipc = (__u8 *)&ip->check;

	if (old == new)
		return 0;
	xpf_put32(a, new);
	xpf_put16(ipc, xpf_csum_addr(xpf_get16(ipc), old, new));
	return 1;
}

static __always_inline void xpf_set_addr(struct iphdr *ip, __u8 *l4, void *end, struct xpf_pkt *p, int source,
					 __u32 new)
{
	__u32 old = source ? p->src : p->dst;

	if (!xpf_set_ip_addr(ip, source, old, new) || p->frag == XPF_FRAG_LATER)
		return;
	if (p->proto == 6) {
		if ((void *)(l4 + 18) > end)
			return;
		xpf_patch_l4(l4 + 16, 6, xpf_csum_addr(xpf_get16(l4 + 16), old, new));
	} else if (p->proto == 17) {
		__u16 c = xpf_get16(l4 + 6);

		if (c != 0)
			xpf_patch_l4(l4 + 6, 17, xpf_csum_addr(c, old, new));
	}
}

static __always_inline void xpf_set_port(__u8 *l4, void *end, struct xpf_pkt *p, int source, __u16 new)
{
	__u8 *f, *c;
	__u16 old;

	if (p->proto == 6 || p->proto == 17) {
		f = l4 + (source ? 0 : 2);
		c = l4 + (p->proto == 6 ? 16 : 6);
	} else if ((p->proto == 1 || p->proto == 58) && p->echo) {
		f = l4 + 4;
		c = l4 + 2;
	} else {
		return;
	}
	/* The caller checked 8 bytes of L4; TCP's checksum sits further in. */
	if ((void *)(l4 + 18) > end && p->proto == 6)
		return;
	if ((void *)(f + 2) > end || (void *)(c + 2) > end)
		return;
	old = xpf_get16(f);
	if (old == new)
		return;
	xpf_put16(f, new);
	/* IPv4 UDP may go without a checksum; IPv6 UDP may not. */
	if (p->proto == 17 && !p->v6 && xpf_get16(c) == 0)
		return;
	xpf_patch_l4(c, p->proto, xpf_csum16(xpf_get16(c), old, new));
}

/* Applies one direction's translation (xpf_dp_session x*). */
static __always_inline void xpf_translate(struct iphdr *ip, __u8 *l4, void *end, struct xpf_pkt *p,
					  struct xpf_dp_session *s)
{
	if (s->xflags & XPF_DP_X_SRC) {
		xpf_set_addr(ip, l4, end, p, 1, s->xsrc);
		if (!p->echo || s->xsport != p->sport)
			xpf_set_port(l4, end, p, 1, s->xsport);
	}
	if (s->xflags & XPF_DP_X_DST) {
		xpf_set_addr(ip, l4, end, p, 0, s->xdst);
		if (!p->echo || s->xdport != p->dport)
			xpf_set_port(l4, end, p, 0, s->xdport);
	}
}

static __always_inline void xpf_decrement_ttl(struct iphdr *ip)
{
	__u8 *w = (__u8 *)&ip->ttl;
	__u16 old = xpf_get16(w);
	__u16 new = old - 0x0100;
	__u8 *c = (__u8 *)&ip->check;

	xpf_put16(w, new);
	xpf_put16(c, xpf_csum16(xpf_get16(c), old, new));
}

#endif
