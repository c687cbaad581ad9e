// SPDX-License-Identifier: Apache-2.0
//! Helpers for the VM tests: build the appliance image, boot it with
//! `qa/vm/vm.sh` (the serial console is the spawned process's terminal),
//! and reach it as a user would.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use rexpect::session::{spawn_command, PtySession};

/// root's CLI prompt on a box with the factory host name.
pub const ROOT_PROMPT: &str = "root@xpf> ";

/// Whether the VM tests can run here (root, iproute2, `XPF_VM_SKIP`
/// unset, 10 GiB of free disk); says why not.
pub fn can_run(test: &str) -> bool {
    if !xpf_lab::can_run(test) {
        return false;
    }
    if std::env::var_os("XPF_VM_SKIP").is_some() {
        xpf_lab::skip(test, "XPF_VM_SKIP is set");
        return false;
    }
    // A host out of disk cannot run a guest: said, not waited on until a
    // timeout (a guest whose writes stall hangs rather than fails).
    if let Err(e) = enough_disk(&root(), MIN_FREE_DISK) {
        xpf_lab::skip(test, &e);
        return false;
    }
    true
}

/// Free disk a VM test wants before it starts: images, update releases
/// and scratch disks are written as it goes, and a guest whose writes
/// stall on a full host disk hangs until a timeout instead of failing.
const MIN_FREE_DISK: u64 = 10 << 30;

/// Whether the file system holding `dir` has `bytes` free; says how much
/// it has when not.
pub fn enough_disk(dir: &Path, bytes: u64) -> Result<(), String> {
    let out = Command::new("df")
        .args(["--output=avail", "-B1"])
        .arg(dir)
        .output()
        .map_err(|e| format!("df: {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let free: u64 = text
        .lines()
        .nth(1)
        .and_then(|l| l.trim().parse().ok())
        .ok_or_else(|| format!("df {}: cannot read {text:?}", dir.display()))?;
    if free < bytes {
        return Err(format!(
            "only {} GiB free on {}: the VM tests want {} GiB (images, releases, scratch disks)",
            free >> 30,
            dir.display(),
            bytes >> 30
        ));
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests fail by panicking
mod tests {
    use super::*;

    /// `just run` rebuilds an image older than its sources (vm.sh stale).
    #[test]
    fn an_image_older_than_its_sources_is_stale() {
        let dir = tempfile::tempdir().unwrap();
        let image = dir.path().join("xpf.raw");
        std::fs::write(&image, b"").unwrap();
        let stale = |when: &str| {
            let touched = Command::new("touch")
                .args(["-d", when])
                .arg(&image)
                .status()
                .unwrap();
            assert!(touched.success());
            Command::new(root().join("qa/vm/vm.sh"))
                .arg("stale")
                .arg(&image)
                .status()
                .unwrap()
                .success()
        };
        assert!(stale("2000-01-01"), "an image from 2000 is stale");
        assert!(
            !stale("2999-01-01"),
            "an image newer than every source is not"
        );
    }

    #[test]
    fn a_full_disk_is_named_not_waited_on() {
        assert!(enough_disk(&root(), 1).is_ok());
        let e = enough_disk(&root(), u64::MAX).unwrap_err();
        assert!(
            e.contains("GiB free on") && e.contains("the VM tests want"),
            "{e}"
        );
    }
}

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// What building the image reported.
#[derive(Debug)]
pub struct Built {
    /// The image version (`build/VERSION`).
    pub version: String,
    /// The image's apparent size in bytes.
    pub size: u64,
    /// The build's wall time; `None` when an existing image was reused.
    pub took: Option<Duration>,
}

/// Builds the image unless one exists (`XPF_VM_REBUILD=1` forces it).
pub fn build_image() -> Result<Built, String> {
    let root = root();
    let image = root.join("build/xpf.raw");
    let mut took = None;
    if !image.exists() || std::env::var_os("XPF_VM_REBUILD").is_some() {
        let start = Instant::now();
        let out = Command::new(root.join("image/build.sh"))
            .current_dir(&root)
            .output()
            .map_err(|e| format!("image/build.sh: {e}"))?;
        if !out.status.success() {
            let tail = |b: &[u8]| {
                let s = String::from_utf8_lossy(b).into_owned();
                let lines: Vec<&str> = s.lines().collect();
                lines[lines.len().saturating_sub(40)..].join("\n")
            };
            return Err(format!(
                "image/build.sh failed:\n{}\n{}",
                tail(&out.stdout),
                tail(&out.stderr)
            ));
        }
        took = Some(start.elapsed());
    }
    let version = std::fs::read_to_string(root.join("build/VERSION"))
        .map_err(|e| format!("build/VERSION: {e}"))?
        .trim()
        .to_string();
    let size = std::fs::metadata(&image)
        .map_err(|e| format!("{}: {e}", image.display()))?
        .len();
    Ok(Built {
        version,
        size,
        took,
    })
}

/// A booted appliance: QEMU with its serial console on a pty.
pub struct Vm {
    /// The serial console.
    pub console: PtySession,
    /// When QEMU was started.
    pub started: Instant,
    /// QEMU is already gone (a power cut): dropping has nothing to stop.
    stopped: bool,
}

impl Vm {
    /// Boots the image; `qemu_args` are extra QEMU arguments.
    pub fn boot(qemu_args: &str) -> Result<Vm, String> {
        let mut cmd = Command::new(root().join("qa/vm/vm.sh"));
        // The tests build the images they boot (build_image): vm.sh must
        // not rebuild one behind their back.
        cmd.arg("up")
            .env("XPF_VM_QEMU_ARGS", qemu_args)
            .env("XPF_VM_STALE", "keep")
            .env("TERM", "vt100");
        let console = spawn_command(cmd, Some(300_000)).map_err(|e| format!("vm.sh up: {e}"))?;
        Ok(Vm {
            console,
            started: Instant::now(),
            stopped: false,
        })
    }

    /// Boots the disk the last VM left behind, as it was left.
    pub fn boot_again(qemu_args: &str) -> Result<Vm, String> {
        std::env::set_var("XPF_VM_KEEP_DISK", "1");
        let vm = Vm::boot(qemu_args);
        std::env::remove_var("XPF_VM_KEEP_DISK");
        vm
    }

    /// Kills QEMU outright, as a power cut would stop the box.
    pub fn power_cut(&mut self) -> Result<(), String> {
        let status = Command::new(root().join("qa/vm/vm.sh"))
            .arg("power-cut")
            .status()
            .map_err(|e| format!("vm.sh power-cut: {e}"))?;
        self.stopped = true;
        if status.success() {
            Ok(())
        } else {
            Err(format!("vm.sh power-cut: {status}"))
        }
    }

    /// Waits for `text` on the console (within the session's timeout).
    pub fn expect(&mut self, text: &str) -> Result<String, String> {
        self.console
            .exp_string(text)
            .map_err(|e| format!("console: expected {text:?}: {e}"))
    }

    /// Waits for the login prompt and logs root in to the CLI.
    pub fn login_root(&mut self) -> Result<(), String> {
        self.expect("xpf login:")?;
        self.line("root")?;
        self.expect(ROOT_PROMPT).map(drop)
    }

    /// Runs a CLI line; its output up to the next `prompt`.
    pub fn cli(&mut self, line: &str, prompt: &str) -> Result<String, String> {
        self.line(line)?;
        self.expect(prompt)
    }

    /// Types a line on the console.
    pub fn line(&mut self, text: &str) -> Result<(), String> {
        self.console
            .send_line(text)
            .map(drop)
            .map_err(|e| format!("console: {e}"))
    }
}

impl Drop for Vm {
    fn drop(&mut self) {
        if self.stopped {
            return;
        }
        let _ = Command::new(root().join("qa/vm/vm.sh"))
            .arg("down")
            .status();
    }
}

/// Runs a command in one of the VM's host-side namespaces; its success.
pub fn in_ns(ns: &str, args: &[&str]) -> bool {
    Command::new("ip")
        .args(["netns", "exec", ns])
        .args(args)
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}
