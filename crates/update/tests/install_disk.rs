// SPDX-License-Identifier: Apache-2.0
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking
//! `request system install disk`, on disk image files with the real sfdisk,
//! losetup and mkfs.ext4 (root): the new disk gets the source's partitions
//! and slots, /var grown to its end and made fresh from the factory copy,
//! and the configuration for first boot.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use xpf_update::disk::{install_running, Table, BOOTSTRAP_ON_VAR, VAR_PARTITION};

const MIB: u64 = 1 << 20;

fn sh(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A small disk laid out as the image is: ESP, slot A, slot B (empty), /var.
fn source_disk(path: &Path) {
    let f = std::fs::File::create(path).unwrap();
    f.set_len(64 * MIB).unwrap();
    let mut sfdisk = Command::new("sfdisk")
        .args(["--quiet"])
        .arg(path)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    sfdisk
        .stdin
        .take()
        .unwrap()
        .write_all(
            b"label: gpt\n\
              size=8MiB, type=uefi, name=esp\n\
              size=16MiB, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name=xpf_2026.11.1\n\
              size=4MiB, type=2C7357ED-EBD2-46D9-AEC1-23D437EC2BF5, name=xpf_2026.11.1\n\
              size=16MiB, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name=_empty\n\
              size=4MiB, type=2C7357ED-EBD2-46D9-AEC1-23D437EC2BF5, name=_empty\n\
              type=4D21B016-B534-45C2-A9FB-5C16E091FD2D, name=xpf-var\n",
        )
        .unwrap();
    assert!(sfdisk.wait().unwrap().success());
    // Recognisable bytes in slot A's root, and a last byte in the ESP.
    let t = Table::read(path).unwrap();
    let mut f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    let root = t.partition(2).unwrap();
    f.seek(SeekFrom::Start(root.start + 4096)).unwrap();
    f.write_all(b"slot A's erofs").unwrap();
    let esp = t.partition(1).unwrap();
    f.seek(SeekFrom::Start(esp.start + esp.size - 1)).unwrap();
    f.write_all(b"!").unwrap();
}

fn read_at(path: &Path, at: u64, len: usize) -> Vec<u8> {
    let mut f = std::fs::File::open(path).unwrap();
    f.seek(SeekFrom::Start(at)).unwrap();
    let mut buf = vec![0u8; len];
    f.read_exact(&mut buf).unwrap();
    buf
}

#[test]
fn the_running_system_installs_on_another_disk() {
    const TEST: &str = "the_running_system_installs_on_another_disk";
    if !xpf_lab::can_run(TEST) {
        return;
    }
    for t in ["sfdisk", "losetup", "mkfs.ext4"] {
        if Command::new("sh")
            .args(["-c", &format!("command -v {t}")])
            .output()
            .map(|o| !o.status.success())
            .unwrap_or(true)
        {
            xpf_lab::skip(TEST, &format!("{t} is not installed"));
            return;
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("usb.raw");
    source_disk(&source);
    let factory = dir.path().join("factory-var");
    std::fs::create_dir_all(factory.join("lib/overlay/etc/upper")).unwrap();
    std::fs::write(factory.join("lib/marker"), "factory").unwrap();
    let target = dir.path().join("disk.raw");
    // Old contents that must not show through the copy.
    std::fs::write(&target, vec![0xa5u8; (64 * MIB) as usize]).unwrap();
    std::fs::OpenOptions::new()
        .write(true)
        .open(&target)
        .unwrap()
        .set_len(1200 * MIB)
        .unwrap();

    // Too small a disk is refused before anything is written.
    let small = dir.path().join("small.raw");
    std::fs::File::create(&small)
        .unwrap()
        .set_len(8 * MIB)
        .unwrap();
    let e = install_running(&source, &small, &factory, None, &|_| {}).unwrap_err();
    assert!(e.to_string().contains("the appliance needs"), "{e}");
    // So is the disk the system runs from.
    let e = install_running(&source, &source, &factory, None, &|_| {}).unwrap_err();
    assert!(e.to_string().contains("runs from"), "{e}");

    let said = std::sync::Mutex::new(Vec::new());
    install_running(
        &source,
        &target,
        &factory,
        Some("system { host-name installed; }\n"),
        &|l| said.lock().unwrap().push(l.to_string()),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let said = said.into_inner().unwrap();
    assert!(
        said.iter()
            .any(|l| l.starts_with("Copying partition 2 (xpf_2026.11.1): 100%")),
        "{said:?}"
    );

    let from = Table::read(&source).unwrap();
    let to = Table::read(&target).unwrap();
    for n in 1..=5 {
        let (a, b) = (from.partition(n).unwrap(), to.partition(n).unwrap());
        assert_eq!(
            (a.start, a.size, &a.name),
            (b.start, b.size, &b.name),
            "partition {n}"
        );
    }
    let var = to.partition(VAR_PARTITION).unwrap();
    assert_eq!(var.name, "xpf-var");
    assert!(
        var.start + var.size > 1190 * MIB,
        "/var takes the new disk's rest: {var:?}"
    );
    let root = to.partition(2).unwrap();
    assert_eq!(read_at(&target, root.start + 4096, 14), b"slot A's erofs");
    assert_eq!(read_at(&target, root.start, 1), [0], "zeros are copied too");
    let esp = to.partition(1).unwrap();
    assert_eq!(read_at(&target, esp.start + esp.size - 1, 1), b"!");

    let lo = xpf_update::disk::PartitionLoop::open(&target, VAR_PARTITION).unwrap();
    let mnt = dir.path().join("mnt");
    std::fs::create_dir_all(&mnt).unwrap();
    sh(Command::new("mount").arg(lo.device()).arg(&mnt));
    let marker = std::fs::read_to_string(mnt.join("lib/marker"));
    let boot = std::fs::read_to_string(mnt.join(BOOTSTRAP_ON_VAR));
    let upper = mnt.join("lib/overlay/etc/upper").is_dir();
    let label = sh(Command::new("blkid")
        .args(["-s", "LABEL", "-o", "value"])
        .arg(lo.device()));
    sh(Command::new("umount").arg(&mnt));
    assert_eq!(marker.unwrap(), "factory");
    assert!(boot.unwrap().contains("host-name installed"));
    assert!(upper);
    assert_eq!(label.trim(), "xpf-var");
}
