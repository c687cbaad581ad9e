// SPDX-License-Identifier: Apache-2.0
//! Whole-file replacement that remembers what it replaced.

use std::io::Write as _;
use std::path::{Path, PathBuf};

/// A file could not be read, written or linked.
#[derive(Debug, thiserror::Error)]
#[error("{op} {}: {source}", path.display())]
pub struct FileError {
    /// What was being done.
    pub op: &'static str,
    /// To which file.
    pub path: PathBuf,
    /// The error.
    pub source: std::io::Error,
}

fn err<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> FileError + 'a {
    move |source| FileError {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// What a path held before it was replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Was {
    Missing,
    File(Vec<u8>),
    Link(PathBuf),
}

/// A replaced path and what it held, to put back.
#[derive(Debug)]
pub struct Saved {
    path: PathBuf,
    was: Was,
}

impl Saved {
    /// The path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Puts the old contents back.
    pub fn restore(&self) -> Result<(), FileError> {
        match &self.was {
            Was::Missing => match std::fs::remove_file(&self.path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(err("removing", &self.path)(e))
                }
                _ => Ok(()),
            },
            Was::File(bytes) => write(&self.path, bytes),
            Was::Link(target) => link(&self.path, target),
        }
    }
}

fn save(path: &Path) -> Result<Saved, FileError> {
    let was = match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Was::Missing,
        Err(e) => return Err(err("reading", path)(e)),
        Ok(m) if m.file_type().is_symlink() => {
            Was::Link(std::fs::read_link(path).map_err(err("reading", path))?)
        }
        Ok(_) => Was::File(std::fs::read(path).map_err(err("reading", path))?),
    };
    Ok(Saved {
        path: path.to_path_buf(),
        was,
    })
}

/// The temporary name beside `path` that is renamed over it.
fn temporary(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".xpf-new");
    path.with_file_name(name)
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(err("creating", dir))?;
    }
    let tmp = temporary(path);
    let mut f = std::fs::File::create(&tmp).map_err(err("writing", &tmp))?;
    f.write_all(bytes).map_err(err("writing", &tmp))?;
    f.sync_all().map_err(err("writing", &tmp))?;
    std::fs::rename(&tmp, path).map_err(err("replacing", path))
}

fn link(path: &Path, target: &Path) -> Result<(), FileError> {
    let tmp = temporary(path);
    let _ = std::fs::remove_file(&tmp);
    std::os::unix::fs::symlink(target, &tmp).map_err(err("linking", &tmp))?;
    std::fs::rename(&tmp, path).map_err(err("replacing", path))
}

/// Writes `text` over `path` whole; what it held before.
pub fn replace(path: &Path, text: &str) -> Result<Saved, FileError> {
    let saved = save(path)?;
    write(path, text.as_bytes())?;
    Ok(saved)
}

/// Points the symlink `path` at `target`; what it held before.
pub fn replace_link(path: &Path, target: &Path) -> Result<Saved, FileError> {
    let saved = save(path)?;
    link(path, target)?;
    Ok(saved)
}
