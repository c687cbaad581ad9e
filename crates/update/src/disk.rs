// SPDX-License-Identifier: Apache-2.0
//! Putting the appliance on another disk: `request system install disk`
//! (from the running system, booted from removable media) and the helpers
//! `xpf-installer` shares with it.
//!
//! The new disk gets the running disk's partition table with /var grown to
//! its end, byte copies of the ESP and of every slot that holds a version,
//! and a fresh /var made from the factory copy the image carries
//! ([`FACTORY_VAR`]): a new box, not a clone of this one's host keys,
//! machine-id and logs. The committed configuration can ride along as the
//! bootstrap xpfd commits on first boot.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::UpdateError;
use crate::progress::{Meter, Progress};

/// The /var partition's number in the image's fixed layout.
pub const VAR_PARTITION: u32 = 6;
/// Where xpfd looks for an installer-placed bootstrap, relative to /var.
pub const BOOTSTRAP_ON_VAR: &str = "lib/xpf/bootstrap.conf";
/// /var as the image was built (see image/mkosi.postinst.chroot).
pub const FACTORY_VAR: &str = "/usr/share/factory/var";
/// /var never starts smaller than the image made it.
const VAR_MIN: u64 = 1 << 30;

/// Runs `cmd`; its trimmed output, or what it said on failure.
pub(crate) fn tool(name: &'static str, cmd: &mut Command) -> Result<String, UpdateError> {
    let out = cmd.output().map_err(|e| UpdateError::Tool {
        tool: name,
        reason: e.to_string(),
    })?;
    if !out.status.success() {
        return Err(UpdateError::Tool {
            tool: name,
            reason: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// One partition of an `sfdisk --dump`.
#[derive(Debug, Clone, PartialEq)]
pub struct Partition {
    /// Its number.
    pub number: u32,
    /// First byte.
    pub start: u64,
    /// Length in bytes.
    pub size: u64,
    /// The GPT name (`PARTLABEL`).
    pub name: String,
    /// The dump's fields after the device, as sfdisk reads them back.
    fields: Vec<String>,
}

/// A disk's GPT, as `sfdisk --dump` prints it.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    header: Vec<String>,
    /// Its partitions, in order.
    pub partitions: Vec<Partition>,
}

impl Table {
    /// Reads the partition table of `disk` (a device or an image file).
    pub fn read(disk: &Path) -> Result<Table, UpdateError> {
        Table::parse(&tool(
            "sfdisk",
            Command::new("sfdisk").arg("--dump").arg(disk),
        )?)
    }

    /// Parses an `sfdisk --dump`.
    pub fn parse(dump: &str) -> Result<Table, UpdateError> {
        let mut header = Vec::new();
        let mut partitions = Vec::new();
        for line in dump.lines().map(str::trim).filter(|l| !l.is_empty()) {
            let Some((dev, rest)) = line.split_once(" : ") else {
                header.push(line.to_string());
                continue;
            };
            let bad = || UpdateError::Tool {
                tool: "sfdisk",
                reason: format!("cannot read the dump line {line:?}"),
            };
            let digits = dev.len() - dev.trim_end_matches(|c: char| c.is_ascii_digit()).len();
            let number = dev[dev.len() - digits..].parse().map_err(|_| bad())?;
            let fields: Vec<String> = rest.split(", ").map(str::to_string).collect();
            let value = |key: &str| {
                fields
                    .iter()
                    .find_map(|f| f.strip_prefix(key)?.strip_prefix('='))
                    .map(|v| v.trim().to_string())
            };
            let sectors = |key: &str| -> Result<u64, UpdateError> {
                value(key)
                    .and_then(|v| v.parse::<u64>().ok())
                    .map(|s| s * 512)
                    .ok_or_else(bad)
            };
            partitions.push(Partition {
                number,
                start: sectors("start")?,
                size: sectors("size")?,
                name: value("name")
                    .map(|n| n.trim_matches('"').to_string())
                    .unwrap_or_default(),
                fields,
            });
        }
        Ok(Table { header, partitions })
    }

    /// Partition `n`.
    pub fn partition(&self, n: u32) -> Result<&Partition, UpdateError> {
        self.partitions
            .iter()
            .find(|p| p.number == n)
            .ok_or_else(|| UpdateError::Tool {
                tool: "sfdisk",
                reason: format!("the disk has no partition {n}"),
            })
    }

    /// This table for another disk: a new disk id, no fixed last sector,
    /// and the last partition (/var) taking whatever the disk has left.
    pub fn for_new_disk(&self) -> String {
        let mut out = String::new();
        for h in &self.header {
            let key = h.split(':').next().unwrap_or_default().trim();
            if !matches!(key, "label-id" | "device" | "last-lba") {
                out.push_str(h);
                out.push('\n');
            }
        }
        let last = self.partitions.iter().map(|p| p.number).max();
        for p in &self.partitions {
            let fields: Vec<&str> = p
                .fields
                .iter()
                .map(String::as_str)
                .filter(|f| Some(p.number) != last || !f.starts_with("size="))
                .collect();
            out.push_str(&format!("{} : {}\n", p.number, fields.join(", ")));
        }
        out
    }
}

/// A loop device over one partition of a disk or disk image: no partition
/// device nodes needed, so it works on files and without udev.
pub struct PartitionLoop(PathBuf);

impl PartitionLoop {
    /// Partition `n` of `disk`.
    pub fn open(disk: &Path, n: u32) -> Result<PartitionLoop, UpdateError> {
        let p = Table::read(disk)?.partition(n)?.clone();
        let dev = tool(
            "losetup",
            Command::new("losetup")
                .args(["--find", "--show"])
                .arg(format!("--offset={}", p.start))
                .arg(format!("--sizelimit={}", p.size))
                .arg(disk),
        )?;
        Ok(PartitionLoop(dev.into()))
    }

    /// The loop device.
    pub fn device(&self) -> &Path {
        &self.0
    }
}

impl Drop for PartitionLoop {
    fn drop(&mut self) {
        let _ = Command::new("losetup").arg("-d").arg(&self.0).status();
    }
}

/// Writes `text` to [`BOOTSTRAP_ON_VAR`] on the /var partition of `disk`.
pub fn place_bootstrap(disk: &Path, text: &str) -> Result<(), UpdateError> {
    let var = PartitionLoop::open(disk, VAR_PARTITION)?;
    with_mounted(var.device(), |mnt| {
        let file = mnt.join(BOOTSTRAP_ON_VAR);
        if let Some(dir) = file.parent() {
            std::fs::create_dir_all(dir).map_err(|e| UpdateError::io("creating", dir, e))?;
        }
        std::fs::write(&file, text).map_err(|e| UpdateError::io("writing", &file, e))
    })
}

fn with_mounted<T>(
    dev: &Path,
    f: impl FnOnce(&Path) -> Result<T, UpdateError>,
) -> Result<T, UpdateError> {
    let mnt = std::env::temp_dir().join(format!("xpf-install-{}", std::process::id()));
    std::fs::create_dir_all(&mnt).map_err(|e| UpdateError::io("creating", &mnt, e))?;
    tool("mount", Command::new("mount").arg(dev).arg(&mnt))?;
    let out = f(&mnt);
    let unmounted = tool("umount", Command::new("umount").arg(&mnt));
    let _ = std::fs::remove_dir(&mnt);
    let out = out?;
    unmounted?;
    Ok(out)
}

/// The disk a name like `sdb`, `/dev/sdb` or a disk image path means.
pub fn target_path(name: &str) -> PathBuf {
    if name.contains('/') {
        PathBuf::from(name)
    } else {
        Path::new("/dev").join(name)
    }
}

/// Refuses a target that is the boot disk or is in use.
fn check_target(source_disk: &Path, target: &Path) -> Result<(), UpdateError> {
    let canon = |p: &Path| std::fs::canonicalize(p).map_err(|e| UpdateError::io("finding", p, e));
    let (from, to) = (canon(source_disk)?, canon(target)?);
    if from == to {
        return Err(UpdateError::Refused(format!(
            "{} is the disk this system runs from",
            target.display()
        )));
    }
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    let to = to.to_string_lossy();
    if let Some(m) = mounts.lines().find(|l| l.starts_with(to.as_ref())) {
        return Err(UpdateError::Refused(format!(
            "{} is in use: {}",
            target.display(),
            m.split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" on ")
        )));
    }
    Ok(())
}

/// The size of a disk or disk image, open as `file`.
pub fn size_of(path: &Path, file: &mut File) -> Result<u64, UpdateError> {
    let end = file
        .seek(SeekFrom::End(0))
        .map_err(|e| UpdateError::io("sizing", path, e))?;
    file.rewind()
        .map_err(|e| UpdateError::io("sizing", path, e))?;
    Ok(end)
}

/// Installs the running system on `target`: the partition table of
/// `source_disk` with /var grown to the end, the ESP and each slot holding
/// a version copied byte for byte, a fresh /var from `factory_var`, and
/// `bootstrap` (the committed configuration) for first boot.
pub fn install_running(
    source_disk: &Path,
    target: &Path,
    factory_var: &Path,
    bootstrap: Option<&str>,
    say: Progress,
) -> Result<(), UpdateError> {
    check_target(source_disk, target)?;
    if !factory_var.is_dir() {
        return Err(UpdateError::NotAppliance(format!(
            "no factory /var at {}",
            factory_var.display()
        )));
    }
    let table = Table::read(source_disk)?;
    let var = table.partition(VAR_PARTITION)?;
    let mut out = OpenOptions::new()
        .write(true)
        .open(target)
        .map_err(|e| UpdateError::io("opening", target, e))?;
    let have = size_of(target, &mut out)?;
    let need = var.start + VAR_MIN + (1 << 20);
    if have < need {
        return Err(UpdateError::Refused(format!(
            "{} holds {} MiB; the appliance needs {} MiB",
            target.display(),
            have >> 20,
            need >> 20
        )));
    }
    say(&format!("Partitioning {}", target.display()));
    let mut sfdisk = Command::new("sfdisk")
        .args(["--quiet", "--wipe", "always"])
        .arg(target)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| UpdateError::Tool {
            tool: "sfdisk",
            reason: e.to_string(),
        })?;
    if let Some(mut input) = sfdisk.stdin.take() {
        input
            .write_all(table.for_new_disk().as_bytes())
            .map_err(|e| UpdateError::io("writing the partition table of", target, e))?;
    }
    let done = sfdisk
        .wait_with_output()
        .map_err(|e| UpdateError::io("partitioning", target, e))?;
    if !done.status.success() {
        return Err(UpdateError::Tool {
            tool: "sfdisk",
            reason: String::from_utf8_lossy(&done.stderr).trim().to_string(),
        });
    }
    let mut from =
        File::open(source_disk).map_err(|e| UpdateError::io("opening", source_disk, e))?;
    for p in table
        .partitions
        .iter()
        .filter(|p| p.number != VAR_PARTITION && p.name != "_empty")
    {
        let what = format!("Copying partition {} ({})", p.number, p.name);
        copy_extent(&mut from, &mut out, p, Meter::new(what, p.size, 0, say))
            .map_err(|e| UpdateError::io("copying to", target, e))?;
    }
    out.sync_all()
        .map_err(|e| UpdateError::io("syncing", target, e))?;
    drop(out);
    say("Making a fresh /var from the factory copy");
    let var = PartitionLoop::open(target, VAR_PARTITION)?;
    tool(
        "mkfs.ext4",
        Command::new("mkfs.ext4")
            .args(["-q", "-F", "-L", "xpf-var", "-d"])
            .arg(factory_var)
            .arg(var.device()),
    )?;
    drop(var);
    if let Some(text) = bootstrap {
        say("Placing the configuration for first boot");
        place_bootstrap(target, text)?;
    }
    Ok(())
}

/// Copies one partition's bytes to the same place on `to`, zero blocks
/// included (the target disk's old contents must not show through).
fn copy_extent(from: &mut File, to: &mut File, p: &Partition, meter: Meter) -> std::io::Result<()> {
    from.seek(SeekFrom::Start(p.start))?;
    to.seek(SeekFrom::Start(p.start))?;
    let mut reader = meter.reader(from.take(p.size));
    let copied = std::io::copy(&mut reader, to)?;
    if copied != p.size {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("partition {} ended after {copied} bytes", p.number),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DUMP: &str = "label: gpt
label-id: 7A1C2A0E-5A49-4E4B-9D22-1F4C3B5E6D7F
device: /dev/vda
unit: sectors
first-lba: 2048
last-lba: 16777182
sector-size: 512

/dev/vda1 : start=        2048, size=     1048576, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=1B1D6F3A-0000-4000-8000-000000000001, name=\"esp\"
/dev/vda2 : start=     1050624, size=     4194304, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, uuid=AAAAAAAA-0000-4000-8000-000000000002, name=\"xpf_2026.11.1\"
/dev/vda6 : start=    12713984, size=     4063199, type=4D21B016-B534-45C2-A9FB-5C16E091FD2D, uuid=1B1D6F3A-0000-4000-8000-000000000006, name=\"xpf-var\"
";

    #[test]
    fn a_dump_reads_back_and_grows_var_on_the_new_disk() {
        let t = Table::parse(DUMP).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(t.partitions.len(), 3);
        let root = t.partition(2).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(root.start, 1_050_624 * 512);
        assert_eq!(root.size, 4_194_304 * 512);
        assert_eq!(root.name, "xpf_2026.11.1");
        let script = t.for_new_disk();
        assert!(!script.contains("label-id") && !script.contains("last-lba"));
        assert!(!script.contains("/dev/vda"), "{script}");
        assert!(script.contains("2 : start=     1050624, size=     4194304,"));
        let var = script.lines().last().unwrap_or_default();
        assert!(var.starts_with("6 : start=    12713984, type="), "{var}");
        assert!(var.contains("name=\"xpf-var\""), "{var}");
        assert!(t.partition(4).is_err());
    }

    #[test]
    fn device_names_are_read_as_a_user_types_them() {
        assert_eq!(target_path("vdb"), Path::new("/dev/vdb"));
        assert_eq!(target_path("/dev/sdb"), Path::new("/dev/sdb"));
        assert_eq!(target_path("./disk.img"), Path::new("./disk.img"));
    }
}
