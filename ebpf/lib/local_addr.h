// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/* Is a destination address one of the box's own? */
#ifndef XPF_LOCAL_ADDR_H
#define XPF_LOCAL_ADDR_H

#include "local_addr_map.h"

static __always_inline int xpf_is_local_v4(__be32 daddr)
{
	struct xpf_local_addr_key key = {
		.prefixlen = 128,
		/* ::ffff:0:0/96, the IPv4-mapped prefix */
		.addr = { [10] = 0xff, [11] = 0xff },
	};

	__builtin_memcpy(&key.addr[12], &daddr, sizeof(daddr));
	return bpf_map_lookup_elem(&xpf_local_addrs, &key) != NULL;
}

static __always_inline int xpf_is_local_v6(const struct in6_addr *daddr)
{
	struct xpf_local_addr_key key = { .prefixlen = 128 };

	__builtin_memcpy(key.addr, daddr, sizeof(key.addr));
	return bpf_map_lookup_elem(&xpf_local_addrs, &key) != NULL;
}

#endif
