// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/* Per-CPU verdict counters of the shim; indices in xpf_shim_abi.h. */
#ifndef XPF_COUNTERS_MAP_H
#define XPF_COUNTERS_MAP_H

#include <bpf/bpf_helpers.h>
#include "xpf_shim_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XPF_CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xpf_shim_counters SEC(".maps");

static __always_inline void xpf_count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&xpf_shim_counters, &idx);

	/* Per-CPU slot: no other CPU writes it, a plain add is enough. */
	if (v)
		*v += 1;
}

#endif
