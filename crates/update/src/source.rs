// SPDX-License-Identifier: Apache-2.0
//! Where a release comes from: an HTTPS channel URL or a directory.
//!
//! Trust comes from the manifest's minisign signature, checked against the
//! key built into the image, and from the sha256 sums it signs; TLS only
//! keeps the transfer private. So a self-signed update server is accepted,
//! as it is the common case for a server on the management network.

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::UpdateError;
use crate::manifest::{SignedManifest, SIGNED_MANIFEST};

/// A channel: `https://server:8443/stable/`, `file:///srv/xpf/stable` or a path.
#[derive(Debug, Clone)]
pub enum Source {
    /// Over HTTPS (or HTTP).
    Url(String),
    /// A local directory.
    Dir(PathBuf),
}

impl Source {
    /// Reads what the user typed.
    pub fn parse(s: &str) -> Source {
        if s.starts_with("https://") || s.starts_with("http://") {
            Source::Url(s.trim_end_matches('/').to_string())
        } else {
            Source::Dir(PathBuf::from(s.strip_prefix("file://").unwrap_or(s)))
        }
    }

    fn client() -> Result<reqwest::blocking::Client, UpdateError> {
        reqwest::blocking::Client::builder()
            .danger_accept_invalid_certs(true)
            .connect_timeout(Duration::from_secs(20))
            .timeout(None)
            .build()
            .map_err(|e| UpdateError::Fetch {
                url: String::new(),
                reason: e.to_string(),
            })
    }

    /// The channel's signed manifest (not yet verified).
    pub fn manifest(&self) -> Result<SignedManifest, UpdateError> {
        let text = match self {
            Source::Url(base) => {
                let url = format!("{base}/{SIGNED_MANIFEST}");
                let resp = Self::client()?
                    .get(&url)
                    .send()
                    .and_then(|r| r.error_for_status())
                    .map_err(|e| UpdateError::Fetch {
                        url: url.clone(),
                        reason: e.to_string(),
                    })?;
                resp.text().map_err(|e| UpdateError::Fetch {
                    url,
                    reason: e.to_string(),
                })?
            }
            Source::Dir(dir) => {
                let p = dir.join(SIGNED_MANIFEST);
                std::fs::read_to_string(&p).map_err(|e| UpdateError::io("reading", p, e))?
            }
        };
        SignedManifest::parse(&text)
    }

    /// Copies `relative` (under the channel) to `dest`, resuming a partial
    /// `dest` with a range request.
    pub fn download(&self, relative: &str, dest: &Path) -> Result<(), UpdateError> {
        match self {
            Source::Dir(dir) => {
                let from = dir.join(relative);
                std::fs::copy(&from, dest).map_err(|e| UpdateError::io("copying", from, e))?;
                Ok(())
            }
            Source::Url(base) => {
                let url = format!("{base}/{relative}");
                let have = std::fs::metadata(dest).map(|m| m.len()).unwrap_or(0);
                let mut req = Self::client()?.get(&url);
                if have > 0 {
                    req = req.header("Range", format!("bytes={have}-"));
                }
                let fetch_err = |e: reqwest::Error| UpdateError::Fetch {
                    url: url.clone(),
                    reason: e.to_string(),
                };
                let mut resp = req
                    .send()
                    .and_then(|r| r.error_for_status())
                    .map_err(fetch_err)?;
                let resumed = resp.status() == reqwest::StatusCode::PARTIAL_CONTENT;
                let mut file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(resumed)
                    .write(true)
                    .truncate(!resumed)
                    .open(dest)
                    .map_err(|e| UpdateError::io("opening", dest, e))?;
                let mut buf = vec![0u8; 1 << 20];
                loop {
                    let n = resp.read(&mut buf).map_err(|e| UpdateError::Fetch {
                        url: url.clone(),
                        reason: e.to_string(),
                    })?;
                    if n == 0 {
                        break;
                    }
                    file.write_all(&buf[..n])
                        .map_err(|e| UpdateError::io("writing", dest, e))?;
                }
                file.sync_all()
                    .map_err(|e| UpdateError::io("syncing", dest, e))
            }
        }
    }
}

/// Opens a staged file.
pub(crate) fn open(path: &Path) -> Result<File, UpdateError> {
    File::open(path).map_err(|e| UpdateError::io("opening", path, e))
}
