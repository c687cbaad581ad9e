// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/* The box's own addresses, filled by userspace from the interface config. */
#ifndef XPF_LOCAL_ADDR_MAP_H
#define XPF_LOCAL_ADDR_MAP_H

#include <bpf/bpf_helpers.h>
#include "xpf_shim_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 4096);
	__type(key, struct xpf_local_addr_key);
	__type(value, __u8);
	/* LPM tries must be created with BPF_F_NO_PREALLOC. */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xpf_local_addrs SEC(".maps");

#endif
