// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/* The interfaces xpf manages: where their sockets sit in xpf_xsks, and flags. */
#ifndef XPF_IFACES_MAP_H
#define XPF_IFACES_MAP_H

#include <bpf/bpf_helpers.h>
#include "xpf_shim_abi.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, XPF_MAX_IFACES);
	__type(key, __u32); /* ifindex */
	__type(value, struct xpf_iface);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} xpf_ifaces SEC(".maps");

#endif
