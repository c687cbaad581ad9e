// SPDX-License-Identifier: GPL-2.0 OR Apache-2.0
/*
 * Between the AF_XDP shim and the eBPF dataplane when they share a box
 * (per-interface fallback, dataplane/handoff.h): the shim tail-calls the
 * dataplane with every transit frame of an AF_XDP interface, and the
 * dataplane tail-calls the shim back with the flows that are the
 * pipeline's, marked by this word in the frame's XDP metadata. Only a
 * program writes metadata, so a frame off the wire never carries it.
 */
#ifndef XPF_HANDOFF_ABI_H
#define XPF_HANDOFF_ABI_H

#define XPF_HANDBACK_MAGIC 0x78706662 /* "xpfb" */

#endif
