// SPDX-License-Identifier: Apache-2.0
//! The crate's error type.

use crate::compile::CompileError;

/// What went wrong loading, filling or reading the eBPF dataplane.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The object could not be loaded (maps created, BTF, relocations).
    #[error("loading the eBPF dataplane object: {0}")]
    Load(#[from] aya::EbpfError),
    /// Verifying, loading or attaching the program.
    #[error("XDP program ({what}): {source}")]
    Program {
        /// What was being done.
        what: String,
        /// The cause.
        #[source]
        source: aya::programs::ProgramError,
    },
    /// A map operation failed.
    #[error("map {map}: {source}")]
    Map {
        /// The map.
        map: &'static str,
        /// The cause.
        #[source]
        source: aya::maps::MapError,
    },
    /// The object lacks a map or program this crate expects.
    #[error("{0} missing from the eBPF dataplane object")]
    Missing(&'static str),
    /// The snapshot cannot be expressed in the maps.
    #[error(transparent)]
    Compile(#[from] CompileError),
    /// A link pinned by an earlier process could not be taken over (its
    /// interface is gone, or it is not this program's kind of link).
    #[error("taking over the XDP link pinned at {}: {source}", path.display())]
    Adopt {
        /// The link's pin.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A system call or file operation.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

pub(crate) fn map_err(map: &'static str) -> impl Fn(aya::maps::MapError) -> Error {
    move |source| Error::Map { map, source }
}
