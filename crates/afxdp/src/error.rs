// SPDX-License-Identifier: Apache-2.0
//! The crate's error type: each variant names the interface, map or step.

use std::io;

/// Why the dataplane could not start (or a shim operation failed).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration is unusable.
    #[error("afxdp configuration: {0}")]
    Config(String),
    /// The interface does not exist or its queues cannot be read.
    #[error("interface {name}: {source}")]
    Interface {
        /// The interface.
        name: String,
        /// The cause.
        source: io::Error,
    },
    /// Loading the XDP shim object (the verifier log is in the source).
    #[error("loading the XDP shim: {0}")]
    Load(#[from] aya::EbpfError),
    /// Loading or attaching the XDP program.
    #[error("XDP program on {iface}: {source}")]
    Program {
        /// The interface, or "-" for the load itself.
        iface: String,
        /// The cause.
        source: aya::programs::ProgramError,
    },
    /// A BPF map is missing or an update failed.
    #[error("BPF map {map}: {source}")]
    Map {
        /// The map's name.
        map: &'static str,
        /// The cause.
        source: aya::maps::MapError,
    },
    /// A BPF map named in the object is missing.
    #[error("BPF map {0} is missing from the shim object")]
    MissingMap(&'static str),
    /// An AF_XDP socket step failed.
    #[error("AF_XDP {step} on {iface} queue {queue}: {source}")]
    Socket {
        /// The interface.
        iface: String,
        /// The queue.
        queue: u32,
        /// What was being done (umem, fq_cq, rx_tx, map_rx, map_tx, bind).
        step: &'static str,
        /// The errno.
        source: io::Error,
    },
    /// Allocating the UMEM area.
    #[error("mapping a {bytes}-byte UMEM: {source}")]
    Umem {
        /// Size asked for.
        bytes: usize,
        /// The cause.
        source: io::Error,
    },
    /// Starting a worker thread.
    #[error("spawning worker {worker}: {source}")]
    Spawn {
        /// The worker.
        worker: usize,
        /// The cause.
        source: io::Error,
    },
}

impl Error {
    /// The interface this failure is about, when it is about one: the
    /// others may still run AF_XDP (xpfd's per-interface fallback).
    pub fn interface(&self) -> Option<&str> {
        match self {
            Error::Interface { name, .. } => Some(name),
            Error::Socket { iface, .. } => Some(iface),
            Error::Program { iface, .. } if iface != "-" => Some(iface),
            _ => None,
        }
    }
}

/// xdpilone's errno as an io::Error, which carries the message.
pub(crate) fn errno(e: xdpilone::Errno) -> io::Error {
    io::Error::from_raw_os_error(e.get_raw())
}
