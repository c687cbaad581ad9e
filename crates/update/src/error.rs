// SPDX-License-Identifier: Apache-2.0
//! What can go wrong with an update, each naming what and where.

use std::path::PathBuf;

/// One failed step of publishing, fetching, verifying or installing.
#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    /// Reading or writing a local file or device.
    #[error("{what} {path}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The file or device.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// Fetching over HTTPS.
    #[error("fetching {url}: {reason}")]
    Fetch {
        /// The URL.
        url: String,
        /// Why it failed.
        reason: String,
    },
    /// The manifest does not parse.
    #[error("the manifest is malformed: {0}")]
    Manifest(String),
    /// The signature does not verify with the appliance's release key.
    #[error("the manifest's signature does not verify with this appliance's release key ({0}): refusing the update")]
    Signature(String),
    /// An artifact's bytes are not those the manifest signed.
    #[error(
        "{file}: sha256 {got} does not match the signed manifest's {want}: refusing the update"
    )]
    Checksum {
        /// The artifact.
        file: String,
        /// What the manifest says.
        want: String,
        /// What arrived.
        got: String,
    },
    /// An artifact's size is not the manifest's.
    #[error("{file}: {got} bytes, the signed manifest says {want}: refusing the update")]
    Size {
        /// The artifact.
        file: String,
        /// What the manifest says.
        want: u64,
        /// What arrived.
        got: u64,
    },
    /// The version may not be installed from this one.
    #[error("{0}")]
    Refused(String),
    /// The machine is not an A/B xpf appliance (a lab, a container).
    #[error("not an xpf A/B appliance: {0}")]
    NotAppliance(String),
    /// A tool (sfdisk) failed.
    #[error("{tool}: {reason}")]
    Tool {
        /// The tool.
        tool: &'static str,
        /// Its complaint.
        reason: String,
    },
}

impl UpdateError {
    pub(crate) fn io(what: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        UpdateError::Io {
            what,
            path: path.into(),
            source,
        }
    }
}
