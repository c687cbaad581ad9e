// SPDX-License-Identifier: Apache-2.0
//! The pipeline stages, one file each, in the order a packet meets them.
//! Each has one entry point (`run`, or a name saying what it decides).

pub(crate) mod conntrack;
pub(crate) mod fragment;
pub(crate) mod host;
pub(crate) mod icmp_error;
pub(crate) mod nat;
pub(crate) mod parse;
pub(crate) mod reply;
pub(crate) mod rewrite;
pub(crate) mod screen;
