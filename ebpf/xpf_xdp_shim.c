// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * XDP shim of the AF_XDP dataplane (ARCHITECTURE.md, "Packet path").
 *
 * Host-bound and non-IP traffic goes to the kernel (XDP_PASS): ARP, routing
 * protocols, SSH to the box. Transit traffic is redirected to the AF_XDP
 * socket of the receiving (interface, queue), where a worker runs the
 * pipeline. With no socket bound the redirect falls back to XDP_PASS, so an
 * interface whose worker is not running still works as a plain host port.
 *
 * Where AF_XDP could not start on some interfaces and the eBPF dataplane
 * runs there (per-interface fallback), transit frames are tail-called
 * into that dataplane first (xpf_handoff): it keeps the flows that touch
 * its interfaces and tail-calls the rest into xpf_xdp_shim_handback
 * (xpf_handoff_abi.h).
 * Kernel forwarding is on then, for the dataplane's route lookups, so a
 * handed-back frame with no socket to go to is dropped, never passed.
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>

#include "xpf_shim_abi.h"
#include "xpf_handoff_abi.h"
#include "lib/counters_map.h"
#include "lib/host_admit.h"
#include "lib/ifaces_map.h"
#include "lib/local_addr.h"
#include "lib/parse.h"
#include "lib/xsk_map.h"

/* Keep the ABI header honest: src/abi.rs asserts the same numbers. */
_Static_assert(sizeof(struct xpf_iface) == 8, "struct xpf_iface size");
_Static_assert(sizeof(struct xpf_local_addr_key) == 20, "struct xpf_local_addr_key size");
_Static_assert(__builtin_offsetof(struct xpf_local_addr_key, addr) == 4, "addr offset");
_Static_assert(sizeof(struct xpf_host_key) == 12, "struct xpf_host_key size");

/* Slot 0: the eBPF dataplane, while it serves some of the interfaces. */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} xpf_handoff SEC(".maps");

/* To the socket of the receiving (interface, queue); `or_else` without one. */
static __always_inline int xpf_to_worker(struct xdp_md *ctx, struct xpf_iface *iface, __u64 or_else)
{
	long ret;

	if (ctx->rx_queue_index >= XPF_MAX_QUEUES) {
		xpf_count(XPF_CNT_NO_SOCKET);
		return or_else;
	}
	ret = bpf_redirect_map(&xpf_xsks, iface->xsk_base + ctx->rx_queue_index, or_else);
	xpf_count(ret == XDP_REDIRECT ? XPF_CNT_REDIRECT : XPF_CNT_NO_SOCKET);
	return ret;
}

static __always_inline int xpf_pass(__u32 counter)
{
	xpf_count(counter);
	return XDP_PASS;
}

static __always_inline int xpf_is_nat_port(__u16 port)
{
	return port >= XPF_NAT_PORT_LO && port <= XPF_NAT_PORT_HI;
}

/*
 * Whether an ICMP error quotes a packet an interface-NAT session sent: its
 * quoted source port (or echo request id) is in the NAT range. Such an
 * error (a PMTU "fragmentation needed", say) belongs to the flow behind
 * the NAT, not to the box. Quoted IPv6 is read without extension headers.
 */
static __always_inline int xpf_quotes_nat(__u8 *icmp, void *data_end, int v6)
{
	__u8 *quote = icmp + 8;
	__u8 *ql4;
	__u8 qproto;

	if (v6) {
		struct ipv6hdr *q6 = (void *)quote;

		if ((void *)(q6 + 1) > data_end)
			return 0;
		qproto = q6->nexthdr;
		ql4 = (__u8 *)(q6 + 1);
	} else {
		struct iphdr *q4 = (void *)quote;

		if ((void *)(q4 + 1) > data_end || q4->ihl < 5)
			return 0;
		qproto = q4->protocol;
		ql4 = quote + q4->ihl * 4;
	}
	if ((void *)(ql4 + 8) > data_end)
		return 0;
	if (qproto == IPPROTO_TCP || qproto == IPPROTO_UDP)
		return xpf_is_nat_port(((__u16)ql4[0] << 8) | ql4[1]);
	/* A quoted echo request: type 8 (ICMP) or 128 (ICMPv6). */
	if ((qproto == IPPROTO_ICMP && !v6 && ql4[0] == 8) ||
	    (qproto == IPPROTO_ICMPV6 && v6 && ql4[0] == 128))
		return xpf_is_nat_port(((__u16)ql4[4] << 8) | ql4[5]);
	return 0;
}

/*
 * Whether a packet for the box's own address answers an interface-NAT
 * session: TCP/UDP to a port in the NAT range, an echo reply whose id is
 * in it, or an ICMP error about a packet such a session sent. `l4` points
 * just past a plain IPv4 or IPv6 header.
 */
static __always_inline int xpf_is_nat_reply(__u8 proto, void *l4, void *data_end, int v6)
{
	__u16 port;

	if (proto == IPPROTO_TCP || proto == IPPROTO_UDP) {
		__u16 *ports = l4;

		if ((void *)(ports + 2) > data_end)
			return 0;
		port = bpf_ntohs(ports[1]);
	} else if ((proto == IPPROTO_ICMP && !v6) || (proto == IPPROTO_ICMPV6 && v6)) {
		__u8 *icmp = l4;

		if ((void *)(icmp + 8) > data_end)
			return 0;
		/* Errors: unreachable, time exceeded, parameter problem (and
		 * ICMPv6's packet too big). */
		if (v6 ? icmp[0] >= 1 && icmp[0] <= 4 :
			 icmp[0] == 3 || icmp[0] == 11 || icmp[0] == 12)
			return xpf_quotes_nat(icmp, data_end, v6);
		/* Echo reply: type 0 (ICMP) or 129 (ICMPv6); the id follows the checksum. */
		if (icmp[0] != (v6 ? 129 : 0))
			return 0;
		port = ((__u16)icmp[4] << 8) | icmp[5];
	} else {
		return 0;
	}
	return xpf_is_nat_port(port);
}

SEC("xdp")
int xpf_xdp_shim(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	__u32 ifindex = ctx->ingress_ifindex;
	struct xpf_iface *iface;
	void *l3 = data;
	int local = 0;
	int nat_reply = 0;
	int later_fragment = 0;
	void *l4 = data_end;
	__u8 l4proto = 0;
	int v6 = 0;
	__u16 proto;

	iface = bpf_map_lookup_elem(&xpf_ifaces, &ifindex);
	if (!iface)
		return xpf_pass(XPF_CNT_PASS_UNMANAGED);

	proto = xpf_parse_eth(data, data_end, &l3);
	if (proto == 0)
		return xpf_pass(XPF_CNT_PASS_MALFORMED);
	if (proto != ETH_P_IP && proto != ETH_P_IPV6)
		return xpf_pass(XPF_CNT_PASS_NON_IP);
	/*
	 * Broadcast and multicast (ARP aside, above): DHCP, VRRP, OSPF, IPv6
	 * neighbour discovery. The box does not route multicast, so these are
	 * the kernel's.
	 */
	if (xpf_eth_is_group(data, data_end))
		return xpf_pass(XPF_CNT_PASS_LINK_SCOPE);

	if (proto == ETH_P_IP) {
		struct iphdr *ip = l3;

		if ((void *)(ip + 1) > data_end)
			return xpf_pass(XPF_CNT_PASS_MALFORMED);
		local = xpf_is_local_v4(ip->daddr);
		if (local && ip->ihl == 5 && !(ip->frag_off & bpf_htons(0x3fff)))
			nat_reply = xpf_is_nat_reply(ip->protocol, ip + 1, data_end, 0);
		l4 = (void *)ip + ip->ihl * 4;
		l4proto = ip->protocol;
		later_fragment = (ip->frag_off & bpf_htons(0x1fff)) != 0;
	} else if (proto == ETH_P_IPV6) {
		struct ipv6hdr *ip6 = l3;

		if ((void *)(ip6 + 1) > data_end)
			return xpf_pass(XPF_CNT_PASS_MALFORMED);
		/* fe80::/10 is never routed: neighbour discovery and friends. */
		if (ip6->daddr.in6_u.u6_addr8[0] == 0xfe &&
		    (ip6->daddr.in6_u.u6_addr8[1] & 0xc0) == 0x80)
			return xpf_pass(XPF_CNT_PASS_LINK_SCOPE);
		local = xpf_is_local_v6(&ip6->daddr);
		if (local)
			nat_reply = xpf_is_nat_reply(ip6->nexthdr, ip6 + 1, data_end, 1);
		l4 = ip6 + 1;
		l4proto = ip6->nexthdr;
		v6 = 1;
	}

	if (local && !nat_reply && !(iface->flags & XPF_IFACE_REDIRECT_HOST)) {
		if (!xpf_host_admits(iface, ifindex, l4proto, l4, data_end, v6, later_fragment)) {
			xpf_count(XPF_CNT_HOST_DENIED);
			return XDP_DROP;
		}
		return xpf_pass(XPF_CNT_PASS_HOST);
	}

	/* The eBPF dataplane, when it shares the box, sees transit first. */
	bpf_tail_call(ctx, &xpf_handoff, 0);
	return xpf_to_worker(ctx, iface, XDP_PASS);
}

/*
 * The eBPF dataplane's way back (xpf_handoff_abi.h): it tail-calls this
 * entry, not the one above, with a frame whose flow is the pipeline's. The
 * entry point is the mark, so nothing is written into the frame and no
 * helper beyond the tail call is needed; no frame off the wire reaches it,
 * since only the dataplane's program array holds it.
 */
SEC("xdp")
int xpf_xdp_shim_handback(struct xdp_md *ctx)
{
	__u32 ifindex = ctx->ingress_ifindex;
	struct xpf_iface *iface = bpf_map_lookup_elem(&xpf_ifaces, &ifindex);

	if (!iface)
		return XDP_DROP;
	return xpf_to_worker(ctx, iface, XDP_DROP);
}

/*
 * The SPDX line's GPL-2.0 half, told to the kernel: it knows only GPL-family
 * strings, and GPL-only helpers need one.
 */
char _license[] SEC("license") = "GPL";
