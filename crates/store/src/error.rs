// SPDX-License-Identifier: Apache-2.0
//! The error type of the store.

use std::path::PathBuf;

/// Everything that can go wrong while reading or writing the configuration store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database file could not be opened, created or initialised.
    #[error("cannot open configuration store {path}")]
    Open {
        /// The path that was given to [`Store::open`](crate::Store::open).
        path: PathBuf,
        /// What redb reported.
        #[source]
        source: redb::Error,
    },

    /// A database operation on an already open store failed.
    #[error("configuration store: {op} failed")]
    Db {
        /// The store operation that was running (e.g. `"commit"`).
        op: &'static str,
        /// What redb reported.
        #[source]
        source: redb::Error,
    },

    /// `rollback n` was asked for, but fewer than `n + 1` revisions exist.
    #[error("rollback {n} does not exist: {available} revision(s) stored")]
    NoSuchRollback {
        /// The rollback number that was asked for.
        n: u32,
        /// How many revisions are stored (rollback `0..available` exist).
        available: u32,
    },

    /// A rollback number above [`MAX_ROLLBACK`](crate::MAX_ROLLBACK) was asked for.
    #[error("rollback {0} is out of range 0..={max}", max = crate::MAX_ROLLBACK)]
    RollbackOutOfRange(u32),

    /// The database was written by a newer (or unknown) version of the store.
    #[error("configuration store schema version {found} is not supported (this build supports {supported})")]
    UnsupportedSchema {
        /// The version recorded in the file.
        found: u64,
        /// The version this build reads and writes.
        supported: u64,
    },

    /// The stored data breaks an invariant the store itself maintains; the file was changed by
    /// something other than this crate.
    #[error("configuration store is inconsistent: {0}")]
    Inconsistent(String),
}

/// Attaches the name of the running operation to a redb error.
pub(crate) trait Ctx<T> {
    /// Converts any redb error into [`StoreError::Db`] tagged with `op`.
    fn ctx(self, op: &'static str) -> Result<T, StoreError>;
}

impl<T, E: Into<redb::Error>> Ctx<T> for Result<T, E> {
    fn ctx(self, op: &'static str) -> Result<T, StoreError> {
        self.map_err(|e| StoreError::Db {
            op,
            source: e.into(),
        })
    }
}
