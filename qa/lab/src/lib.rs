// SPDX-License-Identifier: Apache-2.0
//! Helpers for the lab tests: a network namespace per test, xpfd running in
//! it, and the `cli` binary. Tests need root; without it they say
//! `skipped: <why>` and return.
//!
//! The binaries come from the workspace's target directory (`just test`
//! builds them first); a missing binary fails the test with that advice.
//!
//! [`Lab`] is one namespace with xpfd and two veths; [`Topology`] is
//! client — firewall — server, for traffic through xpfd.

mod topology;

pub use topology::{
    has, lab_ready, started, wait_for_path, Dataplane, Topology, CONFIG, REST, REST_USER,
};

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Says loudly that a test did not run: on stderr (past the harness's
/// capture) and in `$XPF_SKIP_LOG`, which `just test` prints at the end.
pub fn skip(test: &str, why: &str) {
    use std::io::Write;
    let line = format!("skipped: {test}: {why}\n");
    let _ = std::io::stderr().write_all(line.as_bytes());
    if let Some(path) = std::env::var_os("XPF_SKIP_LOG") {
        if let Ok(mut f) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
        {
            let _ = f.write_all(line.as_bytes());
        }
    }
}

/// Whether the lab can run here; says why not.
pub fn can_run(test: &str) -> bool {
    if !nix_is_root() {
        skip(test, "needs root for network namespaces");
        return false;
    }
    if Command::new("ip").arg("-V").output().is_err() {
        skip(test, "iproute2 is not installed");
        return false;
    }
    true
}

fn nix_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

/// A built workspace binary (`xpfd`, `cli`).
pub fn binary(name: &str) -> PathBuf {
    // Test executables live in target/<profile>/deps; binaries one level up.
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(|d| d.parent())
        .expect("target directory");
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is not built: run `cargo build --workspace --bins` first (just test does)",
        path.display()
    );
    path
}

/// Runs a command, panicking with its output on failure.
pub fn sh(args: &[&str]) -> Output {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

static NEXT: AtomicU32 = AtomicU32::new(0);

/// How [`Lab::start_with`] starts xpfd.
#[derive(Debug, Default)]
pub struct Setup<'a> {
    /// Configuration committed on xpfd's first start.
    pub seed: Option<&'a str>,
    /// Shell commands run as root just before xpfd, in a private mount
    /// namespace inside the lab's network namespace: mounts that must not
    /// reach the host (xpfd then runs in that namespace too). `$XPF_LAB_DIR`
    /// is the lab's directory.
    pub private_mounts: Option<String>,
    /// More `xpfd run` arguments.
    pub args: Vec<OsString>,
}

/// A network namespace with two veth pairs (`ge-0-0-0`/`p0`,
/// `ge-0-0-1`/`p1`) and xpfd running in it; all removed on drop.
pub struct Lab {
    /// The namespace.
    pub ns: String,
    /// xpfd's state directory (and socket).
    pub dir: PathBuf,
    xpfd: Option<Child>,
}

impl Lab {
    /// Creates the namespace and starts xpfd, optionally seeded.
    pub fn start(seed: Option<&str>) -> Lab {
        Lab::start_with(Setup {
            seed,
            ..Setup::default()
        })
    }

    /// Creates the namespace and starts xpfd as `setup` says.
    pub fn start_with(setup: Setup) -> Lab {
        let ns = format!(
            "xpflab-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::SeqCst)
        );
        let dir = std::env::temp_dir().join(&ns);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("state dir");
        sh(&["ip", "netns", "add", &ns]);
        let mut lab = Lab {
            ns,
            dir,
            xpfd: None,
        };
        for (port, peer) in [("ge-0-0-0", "p0"), ("ge-0-0-1", "p1")] {
            sh(&[
                "ip", "-n", &lab.ns, "link", "add", port, "type", "veth", "peer", "name", peer,
            ]);
        }
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &lab.ns]);
        if let Some(script) = &setup.private_mounts {
            // unshare and sh exec in place: the child's pid ends up xpfd's.
            cmd.args(["unshare", "--mount", "--propagation", "private"])
                .args(["sh", "-ec", &format!("{script}\nexec \"$@\""), "xpf-lab"])
                .env("XPF_LAB_DIR", &lab.dir);
        }
        cmd.arg(binary("xpfd")).arg("run");
        cmd.arg("--state-dir").arg(lab.dir.join("state"));
        cmd.arg("--socket").arg(lab.socket());
        cmd.args(&setup.args);
        if let Some(text) = setup.seed {
            let f = lab.dir.join("seed.conf");
            std::fs::write(&f, text).expect("seed");
            cmd.arg("--config").arg(f);
        }
        cmd.stdout(Stdio::null())
            .stderr(std::fs::File::create(lab.dir.join("xpfd.log")).expect("log"));
        lab.xpfd = Some(cmd.spawn().expect("xpfd starts"));
        let t = Instant::now();
        while !lab.socket().exists() {
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "xpfd did not start:\n{}",
                lab.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        lab
    }

    /// xpfd's process id.
    pub fn xpfd_pid(&self) -> u32 {
        self.xpfd.as_ref().map(Child::id).expect("xpfd runs")
    }

    /// A command that runs in xpfd's network and mount namespaces (see
    /// [`Setup::private_mounts`]).
    pub fn enter(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut cmd = Command::new("nsenter");
        cmd.arg(format!("--target={}", self.xpfd_pid()))
            .args(["--mount", "--net", "--"])
            .arg(program);
        cmd
    }

    /// The management socket.
    pub fn socket(&self) -> PathBuf {
        self.dir.join("xpfd.sock")
    }

    /// xpfd's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("xpfd.log")).unwrap_or_default()
    }

    /// `cli -c "..."`: (exit success, output).
    pub fn cli(&self, script: &str) -> (bool, String) {
        let out = Command::new(binary("cli"))
            .env("XPF_SOCKET", self.socket())
            .args(["-c", script])
            .output()
            .expect("cli runs");
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        (out.status.success(), text)
    }

    /// `ip -j -d addr` of the namespace, parsed.
    pub fn links(&self) -> Vec<serde_json::Value> {
        let out = sh(&["ip", "-n", &self.ns, "-j", "-d", "addr"]);
        serde_json::from_slice(&out.stdout).expect("ip -j output")
    }

    /// One link's JSON object.
    pub fn link(&self, name: &str) -> Option<serde_json::Value> {
        self.links().into_iter().find(|l| l["ifname"] == name)
    }

    /// The addresses (`addr/len`) of a link.
    pub fn addresses(&self, name: &str) -> Vec<String> {
        self.link(name)
            .map(|l| {
                l["addr_info"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|a| format!("{}/{}", a["local"].as_str().unwrap_or(""), a["prefixlen"]))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Runs `ip -n NS ...`.
    pub fn ip(&self, args: &[&str]) -> Output {
        let mut all = vec!["ip", "-n", self.ns.as_str()];
        all.extend_from_slice(args);
        sh(&all)
    }

    /// Waits up to `secs` for `f` to hold.
    pub fn wait(&self, secs: u64, what: &str, mut f: impl FnMut() -> bool) {
        let t = Instant::now();
        while !f() {
            assert!(
                t.elapsed() < Duration::from_secs(secs),
                "timed out waiting for {what}\nxpfd log:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some(mut c) = self.xpfd.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        let _ = Command::new("ip").args(["netns", "del", &self.ns]).output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether the kernel can make 802.1Q VLAN interfaces.
pub fn kernel_has_vlans() -> bool {
    let ns = format!("xpfvlan-{}", std::process::id());
    let ok = Command::new("ip")
        .args(["netns", "add", &ns])
        .status()
        .is_ok_and(|s| s.success())
        && Command::new("ip")
            .args(["-n", &ns, "link", "add", "d0", "type", "dummy"])
            .status()
            .is_ok_and(|s| s.success())
        && Command::new("ip")
            .args([
                "-n", &ns, "link", "add", "link", "d0", "name", "d0.5", "type", "vlan", "id", "5",
            ])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    let _ = Command::new("ip").args(["netns", "del", &ns]).output();
    ok
}
