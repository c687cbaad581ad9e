// SPDX-License-Identifier: Apache-2.0
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking
//! Signed over-the-air updates, end to end: two image versions are built,
//! the newer is published (plus a copy signed by another key and a copy
//! with a flipped byte), update-server serves them over HTTPS on the host,
//! and the older version, booted in QEMU, is driven on its console:
//!
//! - wrong-key: a manifest signed by another key is refused, nothing written;
//! - tampered-artifact: a flipped byte is refused, nothing written;
//! - power-cut: QEMU is killed while the other slot is being written; the
//!   old version boots again, nothing was made bootable, and a retried add
//!   reuses what was downloaded and succeeds;
//! - happy-path: `request system software add … reboot` comes up on the new
//!   version in slot B with its configuration;
//! - rollback-command: `request system software rollback reboot` brings the
//!   old version back in slot A;
//! - bad-version-rollback: a version whose xpfd never starts is installed,
//!   fails its health check on each of its three tries, and the old version
//!   boots again by itself; `show system software` says so and why;
//! - auto-update: `set system software auto-update channel …` committed,
//!   the box fetches, installs and reboots into the new version by itself;
//! - installer: `xpf-installer` writes the image to an empty disk with a
//!   bootstrap configuration, and that disk boots with it; booted with a
//!   second empty disk, it installs itself there with
//!   `request system install disk`, and that disk boots with the committed
//!   configuration.
//!
//! Prints `PASS <name>` or `FAIL <name>: <why>` per scenario, the download
//! size of the update and the time from `add` to the new version's login.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Instant;

use xpf_vm::{can_run, in_ns, root, Vm, ROOT_PROMPT};

const TEST: &str = "signed_updates_install_refuse_and_roll_back";
const OLD: &str = "2026.11.1";
const NEW: &str = "2026.11.2";
/// Built with `XPF_IMAGE_FAULT=xpfd-fails`.
const BAD: &str = "2026.11.3";
const PROMPT: &str = ROOT_PROMPT;
/// Management, and client → server forwarding to time an update by.
const BOOTSTRAP: &str = "
interfaces {
    fxp0 { unit 0 { family inet { address 10.0.2.15/24; } } }
    ge-0/0/0 { unit 0 { family inet { address 10.99.1.1/24; } } }
    ge-0/0/1 { unit 0 { family inet { address 10.99.2.1/24; } } }
}
security {
    policies {
        from-zone trust to-zone untrust {
            policy out { match { source-address any; destination-address any; application any; } then { permit; } }
        }
    }
    zones {
        security-zone trust { interfaces { ge-0/0/0.0; } }
        security-zone untrust { interfaces { ge-0/0/1.0; } }
    }
}
";

/// Waits until a client ping crosses the VM; whether it did within `secs`.
fn forwards_within(secs: u64) -> bool {
    let until = Instant::now() + std::time::Duration::from_secs(secs);
    while Instant::now() < until {
        if in_ns("xpfvm-client", &["ping", "-c", "1", "-W", "1", "10.99.2.2"]) {
            return true;
        }
    }
    false
}

fn sh(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Builds `version` unless its image is there and the build directory
/// still holds its split files.
fn build(version: &str) {
    build_with(version, None);
}

fn build_with(version: &str, fault: Option<&str>) {
    let r = root();
    let current = std::fs::read_to_string(r.join("build/VERSION")).unwrap_or_default();
    let raw = r.join(format!("build/xpf_{version}.raw"));
    // OLD only needs its disk image; the others are published from the
    // split files of the latest build. XPF_VM_REBUILD=1 rebuilds all.
    let have = raw.exists() && (version == OLD || current.trim() == version);
    if have && std::env::var_os("XPF_VM_REBUILD").is_none() {
        return;
    }
    let mut cmd = Command::new(r.join("image/build.sh"));
    cmd.arg(version).current_dir(&r);
    if let Some(f) = fault {
        cmd.env("XPF_IMAGE_FAULT", f);
    }
    sh(&mut cmd);
}

fn update_server() -> PathBuf {
    root().join("target/release/update-server")
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn flip_a_byte(file: &Path) {
    let mut bytes = std::fs::read(file).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x01;
    std::fs::write(file, bytes).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    sh(Command::new("cp").arg("-a").arg(from).arg(to));
}

struct Report {
    failed: Vec<String>,
}

impl Report {
    fn check(&mut self, name: &str, result: Result<(), String>) {
        match result {
            Ok(()) => eprintln!("PASS {name}"),
            Err(why) => {
                eprintln!("FAIL {name}: {why}");
                self.failed.push(name.to_string());
            }
        }
    }
}

fn slot_b_untouched(vm: &mut Vm) -> Result<(), String> {
    let out = vm.cli("show system software", PROMPT)?;
    let slot_b = out
        .lines()
        .find(|l| l.starts_with("B "))
        .ok_or(format!("no slot B in: {out}"))?;
    if !slot_b.contains("(empty)") {
        return Err(format!("slot B changed: {slot_b}"));
    }
    if out.matches(".efi").count() != 1 {
        return Err(format!("the ESP gained a boot entry:\n{out}"));
    }
    Ok(())
}

#[test]
fn signed_updates_install_refuse_and_roll_back() {
    if !can_run(TEST) {
        return;
    }
    let r = root();
    build(OLD);
    build(NEW);
    let ota = r.join("build/ota");
    let _ = std::fs::remove_dir_all(&ota);
    let releases = ota.join("releases");
    std::fs::create_dir_all(&releases).unwrap();
    let key = r.join("image/keys/release.key");
    let publish = |key: &Path, channel: &str| {
        sh(Command::new(update_server())
            .arg("publish")
            .arg("--key")
            .arg(key)
            .args(["--channel", channel, "--dir"])
            .arg(&releases)
            .arg(r.join("build")))
    };
    eprintln!("{}", publish(&key, "stable").trim());
    sh(Command::new(update_server())
        .args(["keygen", "--dir"])
        .arg(ota.join("other-key")));
    publish(&ota.join("other-key/release.key"), "wrongkey");
    copy_dir(&releases.join("stable"), &releases.join("tampered"));
    flip_a_byte(&releases.join(format!("tampered/{NEW}/root.raw.zst")));
    // The faulty version last: each build replaces build/image.
    build_with(BAD, Some("xpfd-fails"));
    publish(&key, "bad");
    let manifest = std::fs::read_to_string(releases.join("stable/manifest.signed")).unwrap();
    let download: u64 = manifest
        .split("compressed_size")
        .skip(1)
        .filter_map(|s| {
            s.trim_start_matches(['\\', '"', ':', ' '])
                .split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum();
    let _server = Server(
        Command::new(update_server())
            .arg("serve")
            .arg("--dir")
            .arg(&releases)
            .args(["--listen", "127.0.0.1:8443"])
            .spawn()
            .unwrap(),
    );
    let conf = ota.join("bootstrap.conf");
    std::fs::write(&conf, BOOTSTRAP).unwrap();
    std::env::set_var(
        "XPF_VM_IMAGE",
        r.join(format!("build/xpf_{OLD}.raw")).as_os_str(),
    );
    let mut vm = Vm::boot(&format!(
        "-fw_cfg name=opt/io.systemd.credentials/xpf.bootstrap,file={}",
        conf.display()
    ))
    .unwrap();
    vm.login_root().unwrap();
    let version = vm.cli("show version", PROMPT).unwrap();
    assert!(
        version.contains(&format!("xpf image {OLD}, slot A")),
        "{version}"
    );

    let mut report = Report { failed: Vec::new() };
    // QEMU's user network: the host's 127.0.0.1 is 10.0.2.2 from the guest.
    let server = "https://10.0.2.2:8443";
    report.check(
        "wrong-key",
        (|| {
            let out = vm.cli(
                &format!("request system software add {server}/wrongkey"),
                PROMPT,
            )?;
            if !out.contains("does not verify") {
                return Err(format!("not refused for its signature: {out}"));
            }
            slot_b_untouched(&mut vm)
        })(),
    );
    report.check(
        "tampered-artifact",
        (|| {
            let out = vm.cli(
                &format!("request system software add {server}/tampered"),
                PROMPT,
            )?;
            if !out.contains("does not match") {
                return Err(format!("not refused for its checksum: {out}"));
            }
            slot_b_untouched(&mut vm)
        })(),
    );
    let qemu_args = format!(
        "-fw_cfg name=opt/io.systemd.credentials/xpf.bootstrap,file={}",
        conf.display()
    );
    report.check(
        "power-cut",
        (|| {
            vm.line(&format!("request system software add {server}/stable"))?;
            vm.expect("to slot B")?;
            vm.expect("30%")?;
            vm.power_cut()?;
            vm = Vm::boot_again(&qemu_args)?;
            vm.login_root()?;
            let v = vm.cli("show version", PROMPT)?;
            if !v.contains(&format!("xpf image {OLD}, slot A")) {
                return Err(format!("not back on {OLD} in slot A: {v}"));
            }
            slot_b_untouched(&mut vm)?;
            let out = vm.cli(
                &format!("request system software add {server}/stable"),
                PROMPT,
            )?;
            if !out.contains("already downloaded and checked")
                || !out.contains(&format!("Installed xpf {NEW}"))
            {
                return Err(format!(
                    "the retried update did not resume and succeed:\n{out}"
                ));
            }
            Ok(())
        })(),
    );
    let started = Instant::now();
    let mut forwarding = None;
    report.check(
        "happy-path",
        (|| {
            vm.line(&format!(
                "request system software add {server}/stable reboot"
            ))?;
            vm.expect(&format!("Installed xpf {NEW}"))?;
            vm.expect("xpf login:")?;
            if !forwards_within(120) {
                return Err(format!("{NEW} does not forward client to server"));
            }
            forwarding = Some(started.elapsed());
            vm.line("root")?;
            vm.expect(PROMPT)?;
            let v = vm.cli("show version", PROMPT)?;
            if !v.contains(&format!("xpf image {NEW}, slot B")) {
                return Err(format!("not on {NEW} in slot B: {v}"));
            }
            let c = vm.cli("show configuration interfaces fxp0", PROMPT)?;
            if !c.contains("10.0.2.15/24") {
                return Err(format!("the configuration did not carry over: {c}"));
            }
            Ok(())
        })(),
    );
    report.check(
        "rollback-command",
        (|| {
            vm.line("request system software rollback reboot")?;
            vm.login_root()?;
            let v = vm.cli("show version", PROMPT)?;
            if !v.contains(&format!("xpf image {OLD}, slot A")) {
                return Err(format!("not back on {OLD} in slot A: {v}"));
            }
            Ok(())
        })(),
    );
    report.check(
        "bad-version-rollback",
        (|| {
            vm.line(&format!("request system software add {server}/bad reboot"))?;
            vm.expect(&format!("Installed xpf {BAD}"))?;
            // Three tries, each failing its health check and rebooting.
            for _ in 0..3 {
                vm.expect("rebooting to use up a try")?;
            }
            vm.expect("health: good")?;
            // getty may have printed its prompt before the health check
            // said so: an empty line makes it print a fresh one.
            vm.line("")?;
            vm.login_root()?;
            let v = vm.cli("show version", PROMPT)?;
            if !v.contains(&format!("xpf image {OLD}, slot A")) {
                return Err(format!("not back on {OLD} in slot A: {v}"));
            }
            let s = vm.cli("show system software", PROMPT)?;
            if !s.contains(&format!("xpf {BAD} failed its health check"))
                || !s.contains("xpfd.service is not active")
            {
                return Err(format!("show system software does not say why:\n{s}"));
            }
            Ok(())
        })(),
    );
    report.check(
        "auto-update",
        (|| {
            vm.cli("configure", "root@xpf# ")?;
            vm.cli(
                &format!("set system software auto-update channel {server}/stable"),
                "root@xpf# ",
            )?;
            vm.cli("commit and-quit", PROMPT)?;
            // Within a tick it fetches, installs and reboots by itself.
            vm.login_root()?;
            let v = vm.cli("show version", PROMPT)?;
            if !v.contains(&format!("xpf image {NEW}, slot B")) {
                return Err(format!("auto-update did not bring {NEW} in slot B: {v}"));
            }
            let s = vm.cli("show system software", PROMPT)?;
            if !s.contains(&format!("Auto-update: {server}/stable every 1440 minutes")) {
                return Err(format!(
                    "show system software does not show the policy:\n{s}"
                ));
            }
            Ok(())
        })(),
    );
    drop(vm);
    report.check(
        "installer",
        (|| {
            let disk = ota.join("empty-disk.raw");
            let f = std::fs::File::create(&disk).map_err(|e| e.to_string())?;
            f.set_len(8 << 30).map_err(|e| e.to_string())?;
            let conf = ota.join("installed.conf");
            std::fs::write(
                &conf,
                "interfaces { fxp0 { unit 0 { description installed-by-xpf-installer; family inet { address 10.0.2.15/24; } } } }\n",
            )
            .map_err(|e| e.to_string())?;
            let out = Command::new(r.join("target/release/xpf-installer"))
                .arg("--image")
                .arg(r.join(format!("build/xpf_{OLD}.raw")))
                .arg("--target")
                .arg(&disk)
                .arg("--bootstrap")
                .arg(&conf)
                .output()
                .map_err(|e| e.to_string())?;
            if !out.status.success() {
                return Err(String::from_utf8_lossy(&out.stderr).into_owned());
            }
            std::env::set_var("XPF_VM_IMAGE", disk.as_os_str());
            // A second, empty disk: the running system installs itself on it.
            let second = ota.join("second-disk.raw");
            let f = std::fs::File::create(&second).map_err(|e| e.to_string())?;
            f.set_len(8 << 30).map_err(|e| e.to_string())?;
            let mut vm = Vm::boot(&format!(
                "-drive if=virtio,format=raw,file={}",
                second.display()
            ))?;
            vm.login_root()?;
            let c = vm.cli("show configuration interfaces fxp0", PROMPT)?;
            if !c.contains("installed-by-xpf-installer") {
                return Err(format!("the installer's bootstrap is not committed: {c}"));
            }
            vm.cli("configure", "root@xpf# ")?;
            vm.cli("set system host-name installed-from-cli", "root@xpf# ")?;
            vm.cli("commit and-quit", "root@installed-from-cli> ")?;
            vm.line("request system install disk vdb")?;
            vm.expect("Everything on it is erased")?;
            let out = vm.cli("yes", "root@installed-from-cli> ")?;
            if !out.contains("Copying partition 2") || !out.contains(&format!("Installed xpf {OLD} on /dev/vdb")) {
                return Err(format!("request system install disk did not install:\n{out}"));
            }
            drop(vm);
            std::env::set_var("XPF_VM_IMAGE", second.as_os_str());
            let mut vm = Vm::boot("")?;
            // The CLI's prompt carries the committed host name (the login
            // prompt may come before xpfd has set it).
            vm.expect("login:")?;
            vm.line("root")?;
            vm.expect("root@installed-from-cli> ")?;
            let v = vm.cli("show version", "root@installed-from-cli> ")?;
            if !v.contains(&format!("xpf image {OLD}, slot A")) {
                return Err(format!("the disk installed from the CLI runs something else: {v}"));
            }
            Ok(())
        })(),
    );
    eprintln!(
        "ota: update download {} MB; request system software add to the new version forwarding {} (TCG)",
        download / 1_000_000,
        forwarding.map_or("-".into(), |d| format!("{:.0} s", d.as_secs_f64())),
    );
    assert!(report.failed.is_empty(), "failed: {:?}", report.failed);
}
