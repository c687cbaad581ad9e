// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Stage: traffic for the box (crates/dataplane/src/stage/host.rs). A packet
 * to one of the box's IPv4 or IPv6 addresses, a broadcast or a multicast
 * goes to the kernel only when the ingress interface's host-inbound-traffic
 * accepts it.
 * Rules live in an LPM trie over (buf, ifindex, proto, port) whose ranges
 * the loader cut into prefixes.
 */
#ifndef XPF_DP_HOST_H
#define XPF_DP_HOST_H

#include "dataplane/config.h"
#include "dataplane/parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 65536);
	__type(key, struct xpf_dp_host_lpm);
	__type(value, __u32);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} xpf_dp_host SEC(".maps");

static __always_inline __u32 xpf_dp_host_rule(__u32 buf, __u32 ifindex, __u8 proto, __u16 port)
{
	__u32 set = (buf << 24) | ifindex;
	struct xpf_dp_host_lpm k = {
		.prefixlen = 56,
		.set = { set >> 24, set >> 16, set >> 8, set },
		.proto = proto,
		.port = { port >> 8, port },
	};
	__u32 *v = bpf_map_lookup_elem(&xpf_dp_host, &k);

	return v ? *v : 0;
}

#define XPF_HOST_TRANSIT 0
#define XPF_HOST_KERNEL 1
#define XPF_HOST_DENIED 2

/* Whether host-inbound-traffic admits a packet for the box. */
static __always_inline int xpf_dp_host_admit(__u32 buf, __u32 ifindex, struct xpf_dp_iface *iface, struct xpf_pkt *p,
					     int local)
{
	/*
	 * Neighbour discovery and MLD are part of running IPv6 and need no
	 * host-inbound statement, as on Junos; errors and echo replies answer
	 * the box's own traffic.
	 */
	if (p->icmp && (p->nd || p->error || (p->echo && (p->icmp_type == 0 || p->icmp_type == 129))))
		return XPF_HOST_KERNEL;
	if (p->proto == 6 && (p->tcp_flags & XPF_TCP_ACK) && local)
		return XPF_HOST_KERNEL;
	if (iface->host_any)
		return XPF_HOST_KERNEL;
	__u16 port = p->icmp ? p->port >> 8 : p->dport;

	if (xpf_dp_host_rule(buf, ifindex, p->proto, port))
		return XPF_HOST_KERNEL;
	if (xpf_dp_host_rule(buf, ifindex, p->proto, p->sport) & XPF_DP_HOST_EITHER)
		return XPF_HOST_KERNEL;
	return XPF_HOST_DENIED;
}

static __always_inline int xpf_dp_is_local(__u32 buf, __u32 addr)
{
	struct xpf_dp_local_key lk = { .buf = buf, .addr = addr };

	return bpf_map_lookup_elem(&xpf_dp_local, &lk) != 0;
}

static __always_inline int xpf_dp_host_run(__u32 buf, __u32 ifindex, struct xpf_dp_iface *iface,
					   struct xpf_pkt *p)
{
	int local = xpf_dp_is_local(buf, p->dst);
	int bcast = p->dst == 0xffffffff || (p->dst >> 28) == 0xe;

#pragma unroll
	for (int i = 0; i < XPF_DP_LIST; i++)
		if (i < iface->n_bcast && iface->bcast4[i] == p->dst)
			bcast = 1;
	if (!local && !bcast)
		return XPF_HOST_TRANSIT;
	return xpf_dp_host_admit(buf, ifindex, iface, p, local);
}

static __always_inline int xpf_dp_is_local6(__u32 buf, struct xpf_pkt *p)
{
	struct xpf_dp_local6_key lk = { .buf = buf };

	__builtin_memcpy(lk.addr, p->dst6, 16);
	return bpf_map_lookup_elem(&xpf_dp_local6, &lk) != 0;
}

/* IPv6 for the box: its addresses and multicast (ff00::/8), as host.rs. */
static __always_inline int xpf_dp_host_run6(__u32 buf, __u32 ifindex, struct xpf_dp_iface *iface,
					    struct xpf_pkt *p)
{
	int local = xpf_dp_is_local6(buf, p);
	int mcast = ((__u8 *)p->dst6)[0] == 0xff;

	if (!local && !mcast)
		return XPF_HOST_TRANSIT;
	return xpf_dp_host_admit(buf, ifindex, iface, p, local);
}

#endif
