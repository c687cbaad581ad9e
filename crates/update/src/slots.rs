// SPDX-License-Identifier: Apache-2.0
//! The A/B slots of the disk the appliance booted from, and the unified
//! kernel images on its ESP that select between them.
//!
//! The partition table is fixed by the image: 1 ESP, 2/3 root and verity
//! of slot A, 4/5 of slot B, 6 /var. Each UKI's `roothash=` names the
//! GPT partition UUIDs of its slot's root and verity, so a slot becomes
//! bootable when its partitions carry those UUIDs and its UKI is on the
//! ESP. systemd-boot's boot counting (`name+TRIES.efi`) retries a new
//! version and falls back to the previous one when its tries run out.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::disk::tool;
use crate::error::UpdateError;
use crate::manifest::{ArtifactKind, Manifest};
use crate::progress::{Meter, Progress};
use crate::source::{open, Source};
use crate::stream::{copy_checked, SparseWriter};

/// Tries a new version gets before systemd-boot gives up on it.
pub const TRIES: u32 = 3;

const LOADER_GUID: &str = "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f";

/// One of the two root slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    /// Partitions 2 (root) and 3 (verity).
    A,
    /// Partitions 4 (root) and 5 (verity).
    B,
}

impl Slot {
    /// The root partition's number.
    pub fn root(self) -> u32 {
        match self {
            Slot::A => 2,
            Slot::B => 4,
        }
    }

    /// The verity partition's number.
    pub fn verity(self) -> u32 {
        self.root() + 1
    }

    /// The other slot.
    pub fn other(self) -> Slot {
        match self {
            Slot::A => Slot::B,
            Slot::B => Slot::A,
        }
    }

    /// From the root partition's number.
    pub fn from_partition(n: u32) -> Option<Slot> {
        match n {
            2 => Some(Slot::A),
            4 => Some(Slot::B),
            _ => None,
        }
    }
}

impl std::fmt::Display for Slot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Slot::A => "A",
            Slot::B => "B",
        })
    }
}

/// A slot as `show system software` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlotInfo {
    /// Which.
    pub slot: Slot,
    /// Its root partition's GPT label (`xpf_<version>`, `_empty`).
    pub label: String,
    /// Whether it is the running one.
    pub booted: bool,
}

/// A unified kernel image on the ESP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uki {
    /// Its file name.
    pub file: String,
    /// The name without the boot counter: systemd-boot's entry id.
    pub id: String,
    /// Tries left, when it is still being counted (`+N`); `Some(0)` is a
    /// version that failed; `None` a blessed (good) one.
    pub tries_left: Option<u32>,
    /// Whether systemd-boot started this boot from it.
    pub booted: bool,
}

/// Splits `name+LEFT[-DONE].efi` into the entry id and tries left.
pub fn parse_uki_name(file: &str) -> Option<(String, Option<u32>)> {
    let stem = file.strip_suffix(".efi")?;
    if let Some((base, counter)) = stem.rsplit_once('+') {
        let left = counter.split('-').next().unwrap_or_default();
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let done_ok = counter.split('-').nth(1).is_none_or(digits);
        if digits(left) && done_ok && counter.split('-').count() <= 2 {
            return Some((format!("{base}.efi"), left.parse().ok()));
        }
    }
    Some((file.to_string(), None))
}

/// The booted disk's slots and ESP.
#[derive(Debug, Clone)]
pub struct Slots {
    disk: String,
    booted: Slot,
    esp: PathBuf,
    state: PathBuf,
    booted_entry: Option<String>,
}

impl Slots {
    /// Finds the disk the root came from; `state` holds staged downloads
    /// and the last outcome.
    pub fn detect(state: &Path) -> Result<Slots, UpdateError> {
        let (booted, part) = booted_root()?;
        let link = std::fs::read_link(Path::new("/sys/class/block").join(&part))
            .map_err(|e| UpdateError::io("reading", format!("/sys/class/block/{part}"), e))?;
        let disk = link
            .parent()
            .and_then(Path::file_name)
            .map(|s| s.to_string_lossy().into_owned())
            .ok_or_else(|| UpdateError::NotAppliance(format!("no disk above {part}")))?;
        let esp = ["/efi", "/boot"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.join("EFI/Linux").is_dir())
            .ok_or_else(|| UpdateError::NotAppliance("no ESP with EFI/Linux mounted".into()))?;
        std::fs::create_dir_all(state).map_err(|e| UpdateError::io("creating", state, e))?;
        Ok(Slots {
            disk,
            booted,
            esp,
            state: state.to_path_buf(),
            booted_entry: loader_entry_selected(),
        })
    }

    /// The running slot.
    pub fn booted(&self) -> Slot {
        self.booted
    }

    /// `/dev/<disk>`.
    pub fn disk_device(&self) -> PathBuf {
        Path::new("/dev").join(&self.disk)
    }

    /// The device of partition `n` of the boot disk.
    pub fn partition_device(&self, n: u32) -> Result<PathBuf, UpdateError> {
        let dir = Path::new("/sys/class/block").join(&self.disk);
        let entries =
            std::fs::read_dir(&dir).map_err(|e| UpdateError::io("listing", dir.clone(), e))?;
        for e in entries.flatten() {
            let num = std::fs::read_to_string(e.path().join("partition")).unwrap_or_default();
            if num.trim() == n.to_string() {
                return Ok(Path::new("/dev").join(e.file_name()));
            }
        }
        Err(UpdateError::NotAppliance(format!(
            "{} has no partition {n}",
            self.disk
        )))
    }

    fn label(&self, n: u32) -> String {
        let Ok(dev) = self.partition_device(n) else {
            return String::new();
        };
        let name = dev
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        std::fs::read_to_string(format!("/sys/class/block/{name}/uevent"))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("PARTNAME=").map(str::to_string))
            .unwrap_or_default()
    }

    /// Both slots.
    pub fn info(&self) -> Vec<SlotInfo> {
        [Slot::A, Slot::B]
            .into_iter()
            .map(|slot| SlotInfo {
                slot,
                label: self.label(slot.root()),
                booted: slot == self.booted,
            })
            .collect()
    }

    fn linux_dir(&self) -> PathBuf {
        self.esp.join("EFI/Linux")
    }

    /// The UKIs on the ESP.
    pub fn ukis(&self) -> Vec<Uki> {
        let mut out: Vec<Uki> = std::fs::read_dir(self.linux_dir())
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let file = e.file_name().to_string_lossy().into_owned();
                let (id, tries_left) = parse_uki_name(&file)?;
                let booted = self.booted_entry.as_deref() == Some(id.as_str());
                Some(Uki {
                    file,
                    id,
                    tries_left,
                    booted,
                })
            })
            .collect();
        out.sort_by(|a, b| a.file.cmp(&b.file));
        out
    }

    /// Where downloads are staged.
    pub fn staging(&self) -> PathBuf {
        self.state.join("staging")
    }

    /// The last update's outcome, as recorded.
    pub fn last_outcome(&self) -> Option<String> {
        std::fs::read_to_string(self.state.join("last-outcome")).ok()
    }

    /// Records an outcome for `show system software`.
    pub fn record(&self, outcome: &str) {
        let _ = std::fs::write(self.state.join("last-outcome"), outcome);
    }

    /// Downloads every artifact of `manifest` from `source` into staging
    /// and checks each against the signed manifest. Nothing outside the
    /// staging directory changes. An artifact already staged and good (an
    /// earlier try that stopped later) is kept; a partial one is resumed.
    pub fn stage(
        &self,
        source: &Source,
        manifest: &Manifest,
        say: Progress,
    ) -> Result<PathBuf, UpdateError> {
        let dir = self.staging().join(&manifest.version);
        std::fs::create_dir_all(&dir).map_err(|e| UpdateError::io("creating", &dir, e))?;
        // Other versions' leftovers only take space on /var.
        if let Ok(entries) = std::fs::read_dir(self.staging()) {
            for e in entries.flatten().filter(|e| e.path() != dir) {
                let _ = std::fs::remove_dir_all(e.path());
            }
        }
        for a in &manifest.artifacts {
            let dest = dir.join(&a.file);
            let check = |dest: &Path| {
                copy_checked(
                    &a.file,
                    open(dest)?,
                    None,
                    a.compressed_size,
                    &a.compressed_sha256,
                )
            };
            let whole = std::fs::metadata(&dest).is_ok_and(|m| m.len() == a.compressed_size);
            if whole && check(&dest).is_ok() {
                say(&format!("{}: already downloaded and checked", a.file));
                continue;
            }
            let relative = format!("{}/{}", manifest.directory, a.file);
            source.download(&relative, &dest, a.compressed_size, say)?;
            if let Err(e) = check(&dest) {
                // A bad file must not be resumed from next time.
                let _ = std::fs::remove_file(&dest);
                return Err(e);
            }
        }
        say("Every artifact matches the signed manifest");
        Ok(dir)
    }

    /// Writes a staged release to the inactive slot and installs its UKI
    /// with boot tries. `validate` gets the new root, mounted read-only,
    /// before the UKI makes it bootable.
    pub fn install(
        &self,
        manifest: &Manifest,
        staged: &Path,
        validate: &dyn Fn(&Path) -> Result<(), String>,
        say: Progress,
    ) -> Result<(), UpdateError> {
        let target = self.booted.other();
        // The inactive slot's old UKI goes first: its slot is about to change.
        for uki in self.ukis().iter().filter(|u| !u.booted) {
            let p = self.linux_dir().join(&uki.file);
            std::fs::remove_file(&p).map_err(|e| UpdateError::io("removing", p, e))?;
        }
        for (kind, n) in [
            (ArtifactKind::Root, target.root()),
            (ArtifactKind::RootVerity, target.verity()),
        ] {
            let a = manifest.artifact(kind)?;
            let dev = self.partition_device(n)?;
            let file = OpenOptions::new()
                .write(true)
                .open(&dev)
                .map_err(|e| UpdateError::io("opening", &dev, e))?;
            let mut writer = SparseWriter::new(file, dev.display().to_string());
            let decoder = zstd::stream::read::Decoder::new(open(&staged.join(&a.file))?)
                .map_err(|e| UpdateError::io("decompressing", staged.join(&a.file), e))?;
            let what = format!("Writing {} to slot {target} ({})", a.file, dev.display());
            let decoder = Meter::new(what, a.size, 0, say).reader(decoder);
            copy_checked(&a.file, decoder, Some(&mut writer), a.size, &a.sha256)?;
            writer
                .finish()?
                .sync_all()
                .map_err(|e| UpdateError::io("syncing", &dev, e))?;
            if let Some(uuid) = &a.partition_uuid {
                self.sfdisk(&["--part-uuid"], n, uuid)?;
            }
            if let Some(label) = &a.label {
                self.sfdisk(&["--part-label"], n, label)?;
            }
        }
        say("Checking the committed configuration against the new version");
        self.check_new_root(target, validate)?;
        let uki = manifest.artifact(ArtifactKind::Uki)?;
        let name = format!("xpf_{}+{TRIES}.efi", manifest.version);
        say(&format!("Installing the boot entry {name}"));
        let tmp = self.linux_dir().join(format!(".{name}.tmp"));
        let mut bytes = Vec::new();
        let decoder = zstd::stream::read::Decoder::new(open(&staged.join(&uki.file))?)
            .map_err(|e| UpdateError::io("decompressing", staged.join(&uki.file), e))?;
        copy_checked(&uki.file, decoder, Some(&mut bytes), uki.size, &uki.sha256)?;
        let mut f = File::create(&tmp).map_err(|e| UpdateError::io("creating", &tmp, e))?;
        f.write_all(&bytes)
            .and_then(|()| f.sync_all())
            .map_err(|e| UpdateError::io("writing", &tmp, e))?;
        // The rename is the commit point: until here the old version boots.
        let dest = self.linux_dir().join(&name);
        std::fs::rename(&tmp, &dest).map_err(|e| UpdateError::io("installing", &dest, e))?;
        // The entry must survive a power cut right after this returns.
        File::open(self.linux_dir())
            .and_then(|d| d.sync_all())
            .map_err(|e| UpdateError::io("syncing", dest, e))?;
        let _ = std::fs::remove_dir_all(staged);
        Ok(())
    }

    fn sfdisk(&self, what: &[&str], n: u32, value: &str) -> Result<(), UpdateError> {
        tool(
            "sfdisk",
            Command::new("sfdisk")
                .args(["--no-reread", "--no-tell-kernel"])
                .args(what)
                .arg(self.disk_device())
                .arg(n.to_string())
                .arg(value),
        )
        .map(drop)
    }

    /// Mounts the new root read-only and lets `validate` look at it.
    fn check_new_root(
        &self,
        target: Slot,
        validate: &dyn Fn(&Path) -> Result<(), String>,
    ) -> Result<(), UpdateError> {
        let dev = self.partition_device(target.root())?;
        let mnt = self.state.join("new-root");
        std::fs::create_dir_all(&mnt).map_err(|e| UpdateError::io("creating", &mnt, e))?;
        tool(
            "mount",
            Command::new("mount")
                .args(["-t", "erofs", "-o", "ro"])
                .arg(&dev)
                .arg(&mnt),
        )?;
        let verdict = validate(&mnt);
        let _ = Command::new("umount").arg(&mnt).status();
        verdict.map_err(|e| {
            UpdateError::Refused(format!(
                "the committed configuration does not pass the new version's check:\n{e}"
            ))
        })
    }

    /// Makes the other slot's version the one that boots: the running
    /// version's UKI is marked as failed (no tries left) and the other's
    /// counter is cleared.
    pub fn rollback(&self) -> Result<String, UpdateError> {
        let ukis = self.ukis();
        let other = ukis
            .iter()
            .find(|u| !u.booted)
            .ok_or_else(|| UpdateError::Refused("no other version is installed".into()))?;
        let current = ukis.iter().find(|u| u.booted).ok_or_else(|| {
            UpdateError::NotAppliance("the booted kernel image is not on the ESP".into())
        })?;
        let dir = self.linux_dir();
        let good = &other.id;
        if other.file != *good {
            std::fs::rename(dir.join(&other.file), dir.join(good))
                .map_err(|e| UpdateError::io("renaming", dir.join(&other.file), e))?;
        }
        let stem = current.id.trim_end_matches(".efi");
        let bad = format!("{stem}+0.efi");
        std::fs::rename(dir.join(&current.file), dir.join(&bad))
            .map_err(|e| UpdateError::io("renaming", dir.join(&current.file), e))?;
        Ok(format!(
            "{} will boot next; {} is marked as not to be booted",
            good, current.id
        ))
    }
}

/// The running slot, or `None` off an A/B appliance (a lab, a container).
pub fn booted_slot() -> Option<Slot> {
    booted_root().ok().map(|(slot, _)| slot)
}

/// The running slot and the name of its root's data partition: the lower
/// numbered of the partitions backing the dm-verity device mounted at `/`.
fn booted_root() -> Result<(Slot, String), UpdateError> {
    let mountinfo = std::fs::read_to_string("/proc/self/mountinfo")
        .map_err(|e| UpdateError::io("reading", "/proc/self/mountinfo", e))?;
    let dev =
        root_device(&mountinfo).ok_or_else(|| UpdateError::NotAppliance("no root mount".into()))?;
    let slaves = Path::new("/sys/dev/block").join(&dev).join("slaves");
    let mut parts: Vec<(u32, String)> = std::fs::read_dir(&slaves)
        .map_err(|_| UpdateError::NotAppliance("the root is not on dm-verity".into()))?
        .filter_map(|e| {
            let e = e.ok()?;
            let n = std::fs::read_to_string(e.path().join("partition")).ok()?;
            Some((
                n.trim().parse().ok()?,
                e.file_name().to_string_lossy().into(),
            ))
        })
        .collect();
    parts.sort();
    let (number, part) = parts
        .first()
        .cloned()
        .ok_or_else(|| UpdateError::NotAppliance("the root has no partition".into()))?;
    let slot = Slot::from_partition(number).ok_or_else(|| {
        UpdateError::NotAppliance(format!("the root is partition {number}, not 2 or 4"))
    })?;
    Ok((slot, part))
}

/// `major:minor` of the file system mounted at `/`.
fn root_device(mountinfo: &str) -> Option<String> {
    mountinfo.lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.get(4) == Some(&"/")).then(|| f.get(2).map(|s| s.to_string()))?
    })
}

/// systemd-boot's `LoaderEntrySelected`: the entry this boot came from.
fn loader_entry_selected() -> Option<String> {
    let raw = std::fs::read(format!(
        "/sys/firmware/efi/efivars/LoaderEntrySelected-{LOADER_GUID}"
    ))
    .ok()?;
    let units: Vec<u16> = raw
        .get(4..)?
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|u| *u != 0)
        .collect();
    String::from_utf16(&units).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uki_names_carry_the_boot_counter() {
        assert_eq!(
            parse_uki_name("xpf_2026.12.1+3.efi"),
            Some(("xpf_2026.12.1.efi".into(), Some(3)))
        );
        assert_eq!(
            parse_uki_name("xpf_2026.12.1+0-3.efi"),
            Some(("xpf_2026.12.1.efi".into(), Some(0)))
        );
        assert_eq!(
            parse_uki_name("xpf_2026.12.1.efi"),
            Some(("xpf_2026.12.1.efi".into(), None))
        );
        // A '+' that is part of the name is not a counter.
        assert_eq!(
            parse_uki_name("xpf-6.12.117+deb13-amd64.efi"),
            Some(("xpf-6.12.117+deb13-amd64.efi".into(), None))
        );
        assert_eq!(parse_uki_name("notes.txt"), None);
    }

    #[test]
    fn the_root_mount_names_its_device() {
        let mi = "22 1 254:0 / / ro,relatime - erofs /dev/mapper/root ro\n\
                  23 22 253:6 / /var rw - ext4 /dev/vda6 rw\n";
        assert_eq!(root_device(mi).as_deref(), Some("254:0"));
    }

    #[test]
    fn slots_pair_their_partitions() {
        assert_eq!(Slot::A.root(), 2);
        assert_eq!(Slot::B.verity(), 5);
        assert_eq!(Slot::A.other(), Slot::B);
        assert_eq!(Slot::from_partition(4), Some(Slot::B));
        assert_eq!(Slot::from_partition(6), None);
    }
}
