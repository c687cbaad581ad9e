// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Stage: route and transmit. bpf_fib_lookup answers the egress interface
 * and the neighbour's MAC from the kernel's own tables (the reference asks
 * its Fib, which xpfd mirrors from the same tables); bpf_redirect_map over
 * a devmap of the snapshot's interfaces sends the frame. The kernel only
 * answers when forwarding is enabled on the ingress interface.
 */
#ifndef XPF_DP_FIB_H
#define XPF_DP_FIB_H

#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xpf_dp_abi.h"

#ifndef AF_INET
#define AF_INET 2
#endif

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, XPF_DP_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} xpf_dp_tx SEC(".maps");

#define XPF_ROUTE_NONE 0
#define XPF_ROUTE_OK 1 /* egress and MACs known */
#define XPF_ROUTE_NO_NEIGH 2 /* egress known, neighbour not resolved */

struct xpf_route {
	__u32 ifindex;
	__u8 smac[6];
	__u8 dmac[6];
};

static __always_inline int xpf_fib(struct xdp_md *ctx, __u32 ingress, __u32 src, __u32 dst, __u8 proto,
				   struct xpf_route *r)
{
	struct bpf_fib_lookup f = {};
	int rc;

	f.family = AF_INET;
	f.l4_protocol = proto;
	f.ipv4_src = bpf_htonl(src);
	f.ipv4_dst = bpf_htonl(dst);
	f.ifindex = ingress;
	rc = bpf_fib_lookup(ctx, &f, sizeof(f), 0);
	if (rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH)
		return XPF_ROUTE_NONE;
	r->ifindex = f.ifindex;
	__builtin_memcpy(r->smac, f.smac, 6);
	__builtin_memcpy(r->dmac, f.dmac, 6);
	return rc == BPF_FIB_LKUP_RET_SUCCESS ? XPF_ROUTE_OK : XPF_ROUTE_NO_NEIGH;
}

#endif
