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
#ifndef AF_INET6
#define AF_INET6 10
#endif

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(max_entries, XPF_DP_MAX_IFACES);
	__type(key, __u32);
	__type(value, struct bpf_devmap_val);
} xpf_dp_tx SEC(".maps");

/*
 * Per-CPU scratch for what the stages would otherwise keep on the 512-byte
 * stack, which every inlined copy would take again: the FIB lookup's
 * parameters and the session keys of a packet. One packet at a time runs
 * on a CPU, and XDP does not nest.
 */
struct xpf_work {
	struct bpf_fib_lookup fib;
	struct xpf_dp_flow k; /* the packet's session key */
	struct xpf_dp_flow kf; /* a new session's forward key */
	struct xpf_dp_flow kr; /* and reverse key */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xpf_work);
} xpf_dp_work SEC(".maps");

static __always_inline struct xpf_work *xpf_work(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&xpf_dp_work, &zero);
}

#define XPF_ROUTE_NONE 0
#define XPF_ROUTE_OK 1 /* egress and MACs known */
#define XPF_ROUTE_NO_NEIGH 2 /* egress known, neighbour not resolved */

struct xpf_route {
	__u32 ifindex;
	__u8 smac[6];
	__u8 dmac[6];
};

/* Looks `f` up and reads the egress and MACs into `r`. */
static __always_inline int xpf_fib_run(struct xdp_md *ctx, struct bpf_fib_lookup *f, struct xpf_route *r)
{
	int rc = bpf_fib_lookup(ctx, f, sizeof(*f), 0);

	if (rc != BPF_FIB_LKUP_RET_SUCCESS && rc != BPF_FIB_LKUP_RET_NO_NEIGH)
		return XPF_ROUTE_NONE;
	r->ifindex = f->ifindex;
	__builtin_memcpy(r->smac, f->smac, 6);
	__builtin_memcpy(r->dmac, f->dmac, 6);
	return rc == BPF_FIB_LKUP_RET_SUCCESS ? XPF_ROUTE_OK : XPF_ROUTE_NO_NEIGH;
}

static __always_inline int xpf_fib(struct xdp_md *ctx, __u32 ingress, __u32 src, __u32 dst, __u8 proto,
				   struct xpf_route *r)
{
	struct xpf_work *w = xpf_work();
	struct bpf_fib_lookup *f;

	if (!w)
		return XPF_ROUTE_NONE;
	f = &w->fib;
	__builtin_memset(f, 0, sizeof(*f));
	f->family = AF_INET;
	f->l4_protocol = proto;
	f->ipv4_src = bpf_htonl(src);
	f->ipv4_dst = bpf_htonl(dst);
	f->ifindex = ingress;
	return xpf_fib_run(ctx, f, r);
}

/* xpf_fib for IPv6; addresses as on the wire. */
static __always_inline int xpf_fib6(struct xdp_md *ctx, __u32 ingress, __u32 *src, __u32 *dst, __u8 proto,
				    struct xpf_route *r)
{
	struct xpf_work *w = xpf_work();
	struct bpf_fib_lookup *f;

	if (!w)
		return XPF_ROUTE_NONE;
	f = &w->fib;
	__builtin_memset(f, 0, sizeof(*f));
	f->family = AF_INET6;
	f->l4_protocol = proto;
	__builtin_memcpy(f->ipv6_src, src, 16);
	__builtin_memcpy(f->ipv6_dst, dst, 16);
	f->ifindex = ingress;
	return xpf_fib_run(ctx, f, r);
}

#endif
