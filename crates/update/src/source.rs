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
use crate::progress::{Meter, Progress};

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

    /// Copies `relative` (under the channel), `total` bytes, to `dest`,
    /// resuming a partial `dest` with a range request.
    pub fn download(
        &self,
        relative: &str,
        dest: &Path,
        total: u64,
        say: Progress,
    ) -> Result<(), UpdateError> {
        let what = format!("Downloading {relative}");
        match self {
            Source::Dir(dir) => {
                let from = dir.join(relative);
                let mut reader = Meter::new(what, total, 0, say).reader(open(&from)?);
                let mut file =
                    File::create(dest).map_err(|e| UpdateError::io("creating", dest, e))?;
                std::io::copy(&mut reader, &mut file)
                    .map_err(|e| UpdateError::io("copying", from, e))?;
                file.sync_all()
                    .map_err(|e| UpdateError::io("syncing", dest, e))
            }
            Source::Url(base) => {
                let url = format!("{base}/{relative}");
                let mut have = std::fs::metadata(dest).map(|m| m.len()).unwrap_or(0);
                if have >= total {
                    // Longer than it can be, or whole but refused by the
                    // caller's check: either way, from the start.
                    have = 0;
                }
                let mut req = Self::client()?.get(&url);
                if have > 0 {
                    req = req.header("Range", format!("bytes={have}-"));
                }
                let fetch_err = |e: reqwest::Error| UpdateError::Fetch {
                    url: url.clone(),
                    reason: e.to_string(),
                };
                let resp = req
                    .send()
                    .and_then(|r| r.error_for_status())
                    .map_err(fetch_err)?;
                let resumed = have > 0 && resp.status() == reqwest::StatusCode::PARTIAL_CONTENT;
                let mut file = std::fs::OpenOptions::new()
                    .create(true)
                    .append(resumed)
                    .write(true)
                    .truncate(!resumed)
                    .open(dest)
                    .map_err(|e| UpdateError::io("opening", dest, e))?;
                let done = if resumed { have } else { 0 };
                let mut body = Meter::new(what, total, done, say).reader(resp);
                let mut buf = vec![0u8; 1 << 20];
                loop {
                    let n = body.read(&mut buf).map_err(|e| UpdateError::Fetch {
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

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Url(url) => f.write_str(url),
            Source::Dir(dir) => write!(f, "{}", dir.display()),
        }
    }
}

/// Opens a staged file.
pub(crate) fn open(path: &Path) -> Result<File, UpdateError> {
    File::open(path).map_err(|e| UpdateError::io("opening", path, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::BufRead;
    use std::net::TcpListener;

    /// Serves `body` twice over plain HTTP: the first answer breaks off
    /// half way, the second honours a range. Returns each request's
    /// `Range` header.
    fn flaky_server(body: Vec<u8>) -> (String, std::thread::JoinHandle<Vec<Option<String>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
        let addr = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        let server = std::thread::spawn(move || {
            let mut ranges = Vec::new();
            for attempt in 0..2 {
                let Ok((stream, _)) = listener.accept() else {
                    break;
                };
                let mut reader = std::io::BufReader::new(&stream);
                let mut range = None;
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("range: ") {
                        range = Some(v.trim().to_string());
                    }
                    line.clear();
                }
                let mut out = &stream;
                let from = range
                    .as_deref()
                    .and_then(|r| r.strip_prefix("bytes="))
                    .and_then(|r| r.trim_end_matches('-').parse::<usize>().ok())
                    .unwrap_or(0);
                let head = if from > 0 {
                    format!(
                        "HTTP/1.1 206 Partial Content\r\nContent-Length: {}\r\nContent-Range: bytes {from}-{}/{}\r\nConnection: close\r\n\r\n",
                        body.len() - from,
                        body.len() - 1,
                        body.len()
                    )
                } else {
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                };
                let rest = &body[from..];
                let sent = if attempt == 0 {
                    &rest[..rest.len() / 2]
                } else {
                    rest
                };
                let _ = out.write_all(head.as_bytes());
                let _ = out.write_all(sent);
                let _ = out.flush();
                ranges.push(range);
            }
            ranges
        });
        (format!("http://{addr}"), server)
    }

    #[test]
    fn an_interrupted_download_resumes_where_it_stopped() {
        let body: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
        let (url, server) = flaky_server(body.clone());
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let dest = dir.path().join("root.raw.zst");
        let source = Source::parse(&url);
        let total = body.len() as u64;
        let first = source.download("root.raw.zst", &dest, total, &crate::progress::quiet);
        assert!(first.is_err(), "a broken-off answer is an error");
        let partial = std::fs::metadata(&dest).map(|m| m.len()).unwrap_or(0);
        assert!(partial > 0 && partial < total, "kept {partial} bytes");
        source
            .download("root.raw.zst", &dest, total, &crate::progress::quiet)
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(std::fs::read(&dest).unwrap_or_default(), body);
        let ranges = server.join().unwrap_or_default();
        assert_eq!(ranges, [None, Some(format!("bytes={partial}-"))]);
    }
}
