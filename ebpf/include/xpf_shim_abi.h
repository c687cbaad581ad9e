// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * The contract between the XDP shim and userspace (crate xpf-afxdp,
 * src/abi.rs mirrors every item here; its tests read this file and fail when
 * the two disagree). Change both sides together; never reuse a retired
 * counter index, mark it retired instead.
 */
#ifndef XPF_SHIM_ABI_H
#define XPF_SHIM_ABI_H

#include <linux/types.h>

/* Indices into the per-CPU counter array xpf_shim_counters. */
#define XPF_CNT_PASS_NON_IP	0 /* ARP, LLDP, anything that is not IPv4/IPv6 */
#define XPF_CNT_PASS_HOST	1 /* destination is one of the box's own addresses */
#define XPF_CNT_PASS_MALFORMED	2 /* truncated headers: the kernel counts and drops */
#define XPF_CNT_PASS_UNMANAGED	3 /* interface not in xpf_ifaces */
#define XPF_CNT_REDIRECT	4 /* handed to an AF_XDP socket */
#define XPF_CNT_NO_SOCKET	5 /* transit, but no socket bound on that queue: kernel */
#define XPF_CNT_PASS_LINK_SCOPE	6 /* broadcast/multicast frames, IPv6 link-local: NDP, DHCP, VRRP */
#define XPF_CNT_HOST_DENIED	7 /* for the box, refused by host-inbound-traffic: dropped */
#define XPF_CNT_MAX		8

/* Flags in struct xpf_iface.flags. */
/* Send host-bound traffic to the workers too (the pipeline then decides,
 * per host-inbound-traffic, what reaches the kernel). */
#define XPF_IFACE_REDIRECT_HOST	(1U << 0)
/* host-inbound-traffic accepts everything on this interface. */
#define XPF_IFACE_HOST_ANY	(1U << 1)

/* Values in xpf_host_rules: the port (or ICMP type) matches the destination
 * port; with EITHER, the source port too (peering protocols). */
#define XPF_HOST_PORT		1
#define XPF_HOST_EITHER		2

/* Queues per interface the XSKMAP has room for; an interface's slot i owns
 * XSKMAP keys [i * XPF_MAX_QUEUES, (i + 1) * XPF_MAX_QUEUES). */
/*
 * Interface source NAT translates to ports in this range, outside the
 * kernel's ephemeral ports (xpfd keeps net.ipv4.ip_local_port_range below
 * it): replies to the box's own address on these ports (and echo replies
 * with such an id) belong to a NAT session, so the shim redirects them to
 * the workers instead of passing them to the kernel.
 */
#define XPF_NAT_PORT_LO		61000
#define XPF_NAT_PORT_HI		65535

#define XPF_MAX_QUEUES		64
#define XPF_MAX_IFACES		64
#define XPF_XSKMAP_SIZE		(XPF_MAX_QUEUES * XPF_MAX_IFACES)

/* Value of xpf_ifaces, keyed by ifindex (__u32). */
struct xpf_iface {
	__u32 xsk_base;	/* first XSKMAP key of this interface */
	__u32 flags;	/* XPF_IFACE_* */
};

/*
 * Key of the LPM trie xpf_local_addrs. IPv4 is stored IPv4-mapped
 * (::ffff:a.b.c.d, prefix 96 + len) so one trie serves both families.
 */
struct xpf_local_addr_key {
	__u32 prefixlen;
	__u8 addr[16];
};

/*
 * Key of the LPM trie xpf_host_rules: (ifindex, protocol, port or ICMP
 * type), big-endian, ranges cut into prefixes by userspace; a full-length
 * lookup is prefixlen 56.
 */
struct xpf_host_key {
	__u32 prefixlen;
	__u8 ifindex[4];
	__u8 proto;
	__u8 port[2];
	__u8 pad;
};

#endif /* XPF_SHIM_ABI_H */
