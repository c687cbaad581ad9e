// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * XDP programs of the forwarding benchmark (qa/bench/src/forwarding.rs).
 *
 * bench_gen:      the generator. Run with BPF_PROG_TEST_RUN and
 *                 BPF_F_TEST_XDP_LIVE_FRAMES on the generator's veth: every
 *                 run writes a fresh Ethernet/IPv4/UDP header (the kernel
 *                 recycles pages that came back rewritten by the forwarder),
 *                 picks one of FLOWS destination ports and transmits (XDP_TX).
 * bench_drop:     the sink; the veth counts rx_queue_0_xdp_packets.
 * bench_redirect: mode (d), the limit: rewrite the MACs and redirect to
 *                 REDIRECT_IFINDEX, no lookup.
 * bench_router:   mode (f), a bare XDP router: bpf_fib_lookup for the
 *                 egress and the neighbour's MAC, TTL decrement with an
 *                 incremental checksum, redirect; no state, no policy.
 */
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#ifndef AF_INET
#define AF_INET 2
#endif

#define HDR_LEN 42 /* Ethernet 14 + IPv4 20 + UDP 8 */

volatile const __u8 TEMPLATE[HDR_LEN] = {};
volatile const __u32 FLOWS = 1;
volatile const __u16 BASE_PORT = 10000;
volatile const __u32 REDIRECT_IFINDEX = 0;
volatile const __u8 REDIRECT_MACS[12] = {}; /* destination, then source */

SEC("xdp")
int bench_gen(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;

	if (data + HDR_LEN > end)
		return XDP_ABORTED;
#pragma unroll
	for (int i = 0; i < HDR_LEN; i++)
		data[i] = TEMPLATE[i];
	__u32 flows = FLOWS;
	__u16 port = BASE_PORT;
	if (flows > 1)
		port += bpf_get_prandom_u32() % flows;
	/* UDP destination port, network order; the UDP checksum is 0 (none). */
	data[36] = port >> 8;
	data[37] = port & 0xff;
	return XDP_TX;
}

SEC("xdp")
int bench_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("xdp")
int bench_redirect(struct xdp_md *ctx)
{
	__u8 *data = (void *)(long)ctx->data;
	__u8 *end = (void *)(long)ctx->data_end;

	if (data + 14 > end)
		return XDP_DROP;
#pragma unroll
	for (int i = 0; i < 12; i++)
		data[i] = REDIRECT_MACS[i];
	return bpf_redirect(REDIRECT_IFINDEX, 0);
}

SEC("xdp")
int bench_router(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct bpf_fib_lookup fib = {};

	if ((void *)(ip + 1) > end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || ip->ttl <= 1)
		return XDP_PASS;
	fib.family = AF_INET;
	fib.tos = ip->tos;
	fib.l4_protocol = ip->protocol;
	fib.tot_len = bpf_ntohs(ip->tot_len);
	fib.ipv4_src = ip->saddr;
	fib.ipv4_dst = ip->daddr;
	fib.ifindex = ctx->ingress_ifindex;
	if (bpf_fib_lookup(ctx, &fib, sizeof(fib), 0) != BPF_FIB_LKUP_RET_SUCCESS)
		return XDP_PASS;
	/* TTL is the high byte of its 16-bit word: the checksum grows by 0x0100. */
	__u32 sum = (__u32)ip->check + bpf_htons(0x0100);
	ip->check = (__u16)(sum + (sum >> 16));
	ip->ttl--;
	__builtin_memcpy(eth->h_dest, fib.dmac, ETH_ALEN);
	__builtin_memcpy(eth->h_source, fib.smac, ETH_ALEN);
	return bpf_redirect(fib.ifindex, 0);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
