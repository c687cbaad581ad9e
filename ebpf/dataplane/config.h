// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * The snapshot in maps: which buffer is live, its scalars, interfaces with
 * their zones, the box's own addresses (IPv4 and IPv6). A new configuration is written to
 * the idle buffer and made live by one write of xpf_dp_active, so a packet
 * sees one snapshot from its first lookup to its last.
 */
#ifndef XPF_DP_CONFIG_H
#define XPF_DP_CONFIG_H

#include <bpf/bpf_helpers.h>
#include "xpf_dp_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct xpf_dp_active);
} xpf_dp_active SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, XPF_DP_BUFS);
	__type(key, __u32);
	__type(value, struct xpf_dp_conf);
} xpf_dp_conf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XPF_DP_BUFS * XPF_DP_MAX_IFACES);
	__type(key, struct xpf_dp_if_key);
	__type(value, struct xpf_dp_iface);
} xpf_dp_ifaces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XPF_DP_BUFS * 4096);
	__type(key, struct xpf_dp_local_key);
	__type(value, __u32);
} xpf_dp_local SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XPF_DP_BUFS * 4096);
	__type(key, struct xpf_dp_local6_key);
	__type(value, __u32);
} xpf_dp_local6 SEC(".maps");

static __always_inline struct xpf_dp_iface *xpf_dp_iface(__u32 buf, __u32 ifindex)
{
	struct xpf_dp_if_key k = { .buf = buf, .ifindex = ifindex };

	return bpf_map_lookup_elem(&xpf_dp_ifaces, &k);
}

/*
 * What this CPU knows of the interface it last saw a packet from, as of
 * the snapshot generation it learnt it in: NAPI hands packets over in
 * bursts per interface, so most packets skip the hash lookup. A commit
 * changes the generation, and the loader only ever writes the idle buffer.
 */
struct xpf_dp_zone_memo {
	__u64 generation;
	__u32 ifindex;
	__u16 zone; /* XPF_DP_NO_ZONE: none */
	__u8 screened; /* 1: the zone has a screen profile */
	__u8 pad;
};

#endif
