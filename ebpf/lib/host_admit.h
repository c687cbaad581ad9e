// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * host-inbound-traffic in the shim: which packets for the box the kernel
 * gets. The same rules as the pipeline's host stage
 * (crates/dataplane/src/stage/host.rs) and the eBPF dataplane's
 * dataplane/host.h: answers to the box's own traffic (TCP segments with
 * ACK, ICMP errors and echo replies), IPv6 neighbour discovery, and what
 * the interface's zone allows; everything else is dropped.
 */
#ifndef XPF_HOST_ADMIT_H
#define XPF_HOST_ADMIT_H

#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include "xpf_shim_abi.h"

#define XPF_TCP_ACK 0x10

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 65536);
	__type(key, struct xpf_host_key);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xpf_host_rules SEC(".maps");

static __always_inline __u32 xpf_host_rule(__u32 ifindex, __u8 proto, __u16 port)
{
	struct xpf_host_key k = {
		.prefixlen = 56,
		.ifindex = { ifindex >> 24, ifindex >> 16, ifindex >> 8, ifindex },
		.proto = proto,
		.port = { port >> 8, port },
	};
	__u32 *v = bpf_map_lookup_elem(&xpf_host_rules, &k);

	return v ? *v : 0;
}

/*
 * Whether the kernel gets a packet for the box. `l4` points just past the
 * IP header, `proto` is the protocol there; `later_fragment`: a fragment
 * that is not the first (its datagram needs the first one, judged here,
 * to be reassembled).
 */
static __always_inline int xpf_host_admits(const struct xpf_iface *iface, __u32 ifindex,
					   __u8 proto, void *l4, void *data_end, int v6,
					   int later_fragment)
{
	__u16 sport = 0, port = 0;

	if (iface->flags & XPF_IFACE_HOST_ANY)
		return 1;
	if (later_fragment)
		return 1;
	if (proto == IPPROTO_TCP) {
		__u8 *tcp = l4;

		if ((void *)(tcp + 14) > data_end)
			return 0;
		if (tcp[13] & XPF_TCP_ACK)
			return 1;
		sport = ((__u16)tcp[0] << 8) | tcp[1];
		port = ((__u16)tcp[2] << 8) | tcp[3];
	} else if (proto == IPPROTO_UDP) {
		__u8 *udp = l4;

		if ((void *)(udp + 4) > data_end)
			return 0;
		sport = ((__u16)udp[0] << 8) | udp[1];
		port = ((__u16)udp[2] << 8) | udp[3];
	} else if (proto == IPPROTO_ICMP && !v6) {
		__u8 *icmp = l4;

		if ((void *)(icmp + 1) > data_end)
			return 0;
		port = icmp[0];
		/* Echo reply, unreachable, source quench, redirect, time exceeded, parameter problem. */
		if (port == 0 || port == 3 || port == 4 || port == 5 || port == 11 || port == 12)
			return 1;
	} else if (proto == IPPROTO_ICMPV6 && v6) {
		__u8 *icmp = l4;

		if ((void *)(icmp + 1) > data_end)
			return 0;
		port = icmp[0];
		/* Errors, echo reply, neighbour and router discovery. */
		if (port < 128 || port == 129 || (port >= 133 && port <= 137))
			return 1;
	}
	if (xpf_host_rule(ifindex, proto, port))
		return 1;
	return (xpf_host_rule(ifindex, proto, sport) & XPF_HOST_EITHER) != 0;
}

#endif
