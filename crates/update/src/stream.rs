// SPDX-License-Identifier: Apache-2.0
//! Copying an artifact while checking it: bytes are hashed and counted as
//! they pass, and the result is compared with the signed manifest at the
//! end.

use std::io::{Read, Write};

use sha2::{Digest, Sha256};

use crate::error::UpdateError;

/// Copies `from` to `to`, checking `size` bytes and their sha256.
/// `to` of `None` only checks.
pub fn copy_checked(
    name: &str,
    mut from: impl Read,
    mut to: Option<&mut dyn Sink>,
    size: u64,
    sha256: &str,
) -> Result<(), UpdateError> {
    let mut hash = Sha256::new();
    let mut got = 0u64;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = from
            .read(&mut buf)
            .map_err(|e| UpdateError::io("reading", name, e))?;
        if n == 0 {
            break;
        }
        got += n as u64;
        if got > size {
            return Err(UpdateError::Size {
                file: name.into(),
                want: size,
                got,
            });
        }
        hash.update(&buf[..n]);
        if let Some(to) = to.as_deref_mut() {
            to.put(&buf[..n])?;
        }
    }
    if got != size {
        return Err(UpdateError::Size {
            file: name.into(),
            want: size,
            got,
        });
    }
    let hex = hex(&hash.finalize());
    if hex != sha256 {
        return Err(UpdateError::Checksum {
            file: name.into(),
            want: sha256.into(),
            got: hex,
        });
    }
    Ok(())
}

/// Lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// sha256 of everything `from` yields, hex, and its length.
pub fn sha256_of(name: &str, mut from: impl Read) -> Result<(String, u64), UpdateError> {
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut len = 0u64;
    loop {
        let n = from
            .read(&mut buf)
            .map_err(|e| UpdateError::io("reading", name, e))?;
        if n == 0 {
            return Ok((hex(&hash.finalize()), len));
        }
        len += n as u64;
        hash.update(&buf[..n]);
    }
}

/// Where checked bytes go.
pub trait Sink {
    /// Takes the next bytes.
    fn put(&mut self, bytes: &[u8]) -> Result<(), UpdateError>;
}

/// A block device or file written in order, skipping runs of zeros (a
/// partition image is mostly padding; the file system never reads past its
/// end, so what lies there does not matter).
pub struct SparseWriter<W: Write + std::io::Seek> {
    inner: W,
    name: String,
}

impl<W: Write + std::io::Seek> SparseWriter<W> {
    /// Wraps `inner`, named in errors as `name`.
    pub fn new(inner: W, name: impl Into<String>) -> Self {
        SparseWriter {
            inner,
            name: name.into(),
        }
    }

    /// The writer, flushed.
    pub fn finish(mut self) -> Result<W, UpdateError> {
        self.inner
            .flush()
            .map_err(|e| UpdateError::io("writing", &self.name, e))?;
        Ok(self.inner)
    }
}

impl<W: Write + std::io::Seek> Sink for SparseWriter<W> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), UpdateError> {
        const BLOCK: usize = 64 << 10;
        for chunk in bytes.chunks(BLOCK) {
            let r = if chunk.iter().all(|b| *b == 0) {
                self.inner
                    .seek(std::io::SeekFrom::Current(chunk.len() as i64))
                    .map(drop)
            } else {
                self.inner.write_all(chunk)
            };
            r.map_err(|e| UpdateError::io("writing", &self.name, e))?;
        }
        Ok(())
    }
}

impl Sink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) -> Result<(), UpdateError> {
        self.extend_from_slice(bytes);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flipped_byte_or_a_short_file_is_refused() {
        let data = b"xpf release".to_vec();
        let (sum, len) = sha256_of("d", &data[..]).unwrap_or_default();
        let mut out = Vec::new();
        copy_checked("d", &data[..], Some(&mut out), len, &sum).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out, data);
        let mut bad = data.clone();
        bad[3] ^= 1;
        let e = copy_checked("d", &bad[..], None, len, &sum).err();
        assert!(matches!(e, Some(UpdateError::Checksum { .. })), "{e:?}");
        let e = copy_checked("d", &data[..5], None, len, &sum).err();
        assert!(matches!(e, Some(UpdateError::Size { .. })), "{e:?}");
    }

    #[test]
    fn zero_runs_are_skipped_not_written() {
        let mut data = vec![0u8; 200 << 10];
        data[(150 << 10) + 7] = 9;
        let mut file = std::io::Cursor::new(vec![0xffu8; 200 << 10]);
        let mut w = SparseWriter::new(&mut file, "f");
        w.put(&data).unwrap_or_else(|e| panic!("{e}"));
        drop(w);
        let v = file.into_inner();
        assert_eq!(v[0], 0xff, "a zero block is skipped");
        assert_eq!(v[(150 << 10) + 7], 9);
        assert_eq!(v[128 << 10], 0, "the block with data is written whole");
    }
}
