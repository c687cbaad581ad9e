// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Drop reasons: the numbers of xpf_dataplane::DropReason (verdict.rs), one
 * list; crates/ebpf-loader checks this file against the Rust enum. 56 and
 * up are the eBPF path's own (xpf_ebpf_loader::EBPF_ONLY_REASONS).
 */
#ifndef XPF_DP_DROP_REASONS_H
#define XPF_DP_DROP_REASONS_H

#define XPF_DROP_MALFORMED 1
#define XPF_DROP_NO_ZONE 2
#define XPF_DROP_HOST_INBOUND_DENIED 3
#define XPF_DROP_NO_ROUTE 4
#define XPF_DROP_POLICY_DENY 20
#define XPF_DROP_POLICY_REJECT 21
#define XPF_DROP_DEFAULT_DENY 22
#define XPF_DROP_TCP_NOT_SYN 30
#define XPF_DROP_TCP_OUT_OF_WINDOW 31
#define XPF_DROP_TCP_INVALID 32
#define XPF_DROP_SESSION_TABLE_FULL 40
#define XPF_DROP_NAT_EXHAUSTED 41
#define XPF_DROP_NAT_NO_ADDRESS 42
#define XPF_DROP_SESSION_KEY_TAKEN 43
#define XPF_DROP_ICMP_ERROR_NO_SESSION 50
#define XPF_DROP_NON_FIRST_FRAGMENT 51
#define XPF_DROP_TTL_EXPIRED 52
/* eBPF only */
#define XPF_DROP_UNSUPPORTED 56
#define XPF_DROP_NO_NEIGHBOUR 57
#define XPF_DROP_REDIRECT_FAILED 58
#define XPF_DROP_NO_CONFIG 59

#endif
