// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/* Just enough parsing to find the L3 destination: Ethernet, up to two VLAN tags. */
#ifndef XPF_PARSE_H
#define XPF_PARSE_H

#include <linux/if_ether.h>
#include <bpf/bpf_endian.h>

struct xpf_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

/*
 * Returns the EtherType after any 802.1Q/802.1ad tags and sets *l3 to the
 * start of the network header, or returns 0 when the frame is truncated.
 */
static __always_inline __u16 xpf_parse_eth(void *data, void *data_end, void **l3)
{
	struct ethhdr *eth = data;
	__u16 proto;
	void *cur;

	if ((void *)(eth + 1) > data_end)
		return 0;
	proto = bpf_ntohs(eth->h_proto);
	cur = eth + 1;

#pragma unroll
	for (int i = 0; i < 2; i++) {
		struct xpf_vlan_hdr *vh = cur;

		if (proto != ETH_P_8021Q && proto != ETH_P_8021AD)
			break;
		if ((void *)(vh + 1) > data_end)
			return 0;
		proto = bpf_ntohs(vh->proto);
		cur = vh + 1;
	}
	*l3 = cur;
	return proto;
}

/* Group (broadcast or multicast) destination MAC: never transit here. */
static __always_inline int xpf_eth_is_group(void *data, void *data_end)
{
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return 0;
	return eth->h_dest[0] & 1;
}

#endif
