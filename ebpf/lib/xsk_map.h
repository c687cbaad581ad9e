// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/* The AF_XDP sockets, one per (interface, queue); see XPF_MAX_QUEUES. */
#ifndef XPF_XSK_MAP_H
#define XPF_XSK_MAP_H

#include <bpf/bpf_helpers.h>
#include "xpf_shim_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, XPF_XSKMAP_SIZE);
	__type(key, __u32);
	__type(value, __u32);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xpf_xsks SEC(".maps");

#endif
