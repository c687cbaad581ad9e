// SPDX-License-Identifier: Apache-2.0
//! A file or directory operation that failed, with what and where: the one
//! I/O error the apply steps that write files (accounts, sshd) carry.

use std::path::{Path, PathBuf};

/// See the module docs.
#[derive(Debug, thiserror::Error)]
#[error("{what} {}: {source}", path.display())]
pub struct FileError {
    /// The operation (`creating`, `writing`, ...).
    pub what: &'static str,
    /// On what.
    pub path: PathBuf,
    /// The system's answer.
    #[source]
    pub source: std::io::Error,
}

impl FileError {
    /// For `map_err`: the error of `what` on `path`, in whatever error type
    /// takes a [`FileError`].
    pub fn of<E: From<FileError>>(
        what: &'static str,
        path: &Path,
    ) -> impl FnOnce(std::io::Error) -> E {
        let path = path.to_owned();
        move |source| E::from(FileError { what, path, source })
    }
}
