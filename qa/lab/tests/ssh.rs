// SPDX-License-Identifier: Apache-2.0
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking
//! OpenSSH into the CLI: configured users become Linux accounts that log in
//! with their key or password and land in `cli`, held to their class; a
//! user without a password cannot log in with an empty one; accounts xpf
//! did not create are not taken over; removing a user removes its account;
//! without `system services ssh` nobody logs in.
//!
//! The machine running the test keeps its accounts: xpfd and sshd run in a
//! private mount namespace (inside the lab's network namespace) where /etc
//! is a copy and /home, /root, /run and /var/log are empty tmpfs. There the
//! lab's directory is /run/xpf, so the CLI that sshd starts finds xpfd's
//! socket at its default path, as on the appliance.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use xpf_lab::{binary, can_run, sh, Lab, Setup};

const TEST: &str = "openssh_logs_in_to_the_cli";
/// SHA-512-crypt of "Hello world!" (the SHA-crypt specification's example).
const HASH: &str = "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1";
const PASSWORD: &str = "Hello world!";

/// The test's files (keys, sshd's configuration, the /etc copy), removed on drop.
struct Work(PathBuf);

impl Drop for Work {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A process killed on drop.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The host's account files, to compare before and after.
fn host_accounts() -> Vec<(String, Vec<u8>)> {
    ["passwd", "shadow", "group", "gshadow", "shells"]
        .iter()
        .map(|f| {
            let p = format!("/etc/{f}");
            let bytes = std::fs::read(&p).unwrap_or_default();
            (p, bytes)
        })
        .collect()
}

fn keygen(path: &Path, comment: &str) -> String {
    sh(&[
        "ssh-keygen",
        "-q",
        "-t",
        "ed25519",
        "-N",
        "",
        "-C",
        comment,
        "-f",
        path.to_str().unwrap(),
    ]);
    let mut public = path.as_os_str().to_owned();
    public.push(".pub");
    std::fs::read_to_string(public).unwrap().trim().to_string()
}

/// How a login attempt authenticates.
enum Auth<'a> {
    Key(&'a Path),
    Password(&'a str),
    /// Nothing but SSH's `none` method: what an empty password would pass.
    Nothing,
}

struct Ssh<'a> {
    lab: &'a Lab,
    work: &'a Path,
}

impl Ssh<'_> {
    /// `ssh -p PORT USER@127.0.0.1 COMMAND` from the lab's namespace:
    /// (success, stdout and stderr).
    fn run(&self, port: u16, user: &str, auth: Auth, command: &str) -> (bool, String) {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.lab.ns, "ssh", "-F", "/dev/null"])
            .args(["-p", &port.to_string()])
            .args(["-o", "StrictHostKeyChecking=no"])
            .args(["-o", "UserKnownHostsFile=/dev/null"])
            .args(["-o", "ConnectTimeout=5", "-o", "LogLevel=ERROR"])
            .args(["-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none"]);
        match auth {
            Auth::Key(key) => {
                cmd.args(["-o", "BatchMode=yes", "-i"]).arg(key);
            }
            Auth::Password(p) => {
                // The client asks the askpass program, which prints $PASSWORD.
                cmd.args(["-o", "PreferredAuthentications=password"])
                    .args(["-o", "NumberOfPasswordPrompts=1"])
                    .env("SSH_ASKPASS", self.work.join("askpass"))
                    .env("SSH_ASKPASS_REQUIRE", "force")
                    .env("PASSWORD", p);
            }
            Auth::Nothing => {
                cmd.args(["-o", "BatchMode=yes", "-o", "PubkeyAuthentication=no"])
                    .args(["-o", "PasswordAuthentication=no"])
                    .args(["-o", "KbdInteractiveAuthentication=no"]);
            }
        }
        let out = cmd
            .arg(format!("{user}@127.0.0.1"))
            .arg(command)
            .stdin(Stdio::null())
            .output()
            .expect("ssh runs");
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        (out.status.success(), text)
    }

    /// Retries `run` until its output contains `want` (sshd re-executes
    /// itself on SIGHUP and is briefly not listening).
    fn until(&self, port: u16, user: &str, key: &Path, want: &str) -> String {
        let t = Instant::now();
        loop {
            let (_, out) = self.run(port, user, Auth::Key(key), "show version");
            if out.contains(want) {
                return out;
            }
            assert!(
                t.elapsed() < Duration::from_secs(15),
                "ssh {user} on port {port}: no {want:?} in:\n{out}\nsshd log:\n{}\nxpfd log:\n{}",
                std::fs::read_to_string(self.work.join("sshd.log")).unwrap_or_default(),
                self.lab.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// Runs `program args…` in xpfd's namespaces; its standard output.
fn inside(lab: &Lab, program: &str, args: &[&str]) -> String {
    let out = lab
        .enter(program)
        .args(args)
        .output()
        .expect("nsenter runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn passwd_line(lab: &Lab, user: &str) -> Option<String> {
    inside(lab, "cat", &["/etc/passwd"])
        .lines()
        .find(|l| l.starts_with(&format!("{user}:")))
        .map(str::to_string)
}

#[test]
fn openssh_logs_in_to_the_cli() {
    if !can_run(TEST) {
        return;
    }
    for tool in ["/usr/sbin/sshd", "/usr/bin/ssh", "/usr/bin/ssh-keygen"] {
        if !Path::new(tool).exists() {
            xpf_lab::skip(
                TEST,
                &format!("{tool} is not installed (openssh-server, openssh-client)"),
            );
            return;
        }
    }
    let host_before = host_accounts();

    let work = Work(std::env::temp_dir().join(format!("xpfssh-{}", std::process::id())));
    let w = work.0.as_path();
    let _ = std::fs::remove_dir_all(w);
    std::fs::create_dir_all(w.join("bin")).unwrap();
    for d in [w.to_path_buf(), w.join("bin")] {
        // Users' shells live here: they must be able to reach them.
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let cli = w.join("bin/cli");
    std::fs::copy(binary("cli"), &cli).unwrap();
    sh(&["cp", "-a", "/etc", w.join("etc").to_str().unwrap()]);
    keygen(&w.join("host_key"), "sshlab");
    let alice_key = w.join("alice");
    let alice_pub = keygen(&alice_key, "alice@xpf-lab");
    let bob_key = w.join("bob");
    let bob_pub = keygen(&bob_key, "bob@xpf-lab");
    std::fs::write(
        w.join("askpass"),
        "#!/bin/sh\nprintf '%s\\n' \"$PASSWORD\"\n",
    )
    .unwrap();
    std::fs::set_permissions(w.join("askpass"), std::fs::Permissions::from_mode(0o755)).unwrap();
    // sshd's main configuration includes what xpfd renders. No PAM: its
    // session modules need what containers often lack; xpfd's accounts
    // work with and without it.
    let rendered = w.join("xpf.conf");
    std::fs::write(
        w.join("sshd_config"),
        format!(
            "Include {}\nHostKey {}\nPidFile /run/sshd.pid\nUsePAM no\n\
             AuthorizedKeysFile .ssh/authorized_keys\nLogLevel VERBOSE\n",
            rendered.display(),
            w.join("host_key").display()
        ),
    )
    .unwrap();

    let mounts = format!(
        "mount --bind {etc} /etc\n\
         for d in /home /run /var/log; do mount -t tmpfs -o mode=0755 tmpfs $d; done\n\
         mount -t tmpfs -o mode=0700 tmpfs /root\n\
         mkdir -p /run/sshd /run/xpf\n\
         chmod 0755 \"$XPF_LAB_DIR\"\n\
         mount --bind \"$XPF_LAB_DIR\" /run/xpf",
        etc = w.join("etc").display()
    );
    let lab = Lab::start_with(Setup {
        seed: Some("system { host-name sshlab; }\n"),
        private_mounts: Some(mounts),
        args: vec![
            "--manage-accounts".into(),
            "--manage-sshd".into(),
            "--sshd-config".into(),
            rendered.clone().into(),
            "--cli-path".into(),
            cli.clone().into(),
        ],
    });
    let rendered_text = std::fs::read_to_string(&rendered).unwrap_or_default();
    assert!(
        rendered_text.contains("DenyUsers *"),
        "{rendered_text}\n{}",
        lab.log()
    );
    let sshd = Killed(
        lab.enter("/usr/sbin/sshd")
            .arg("-D")
            .arg("-f")
            .arg(w.join("sshd_config"))
            .arg("-E")
            .arg(w.join("sshd.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(w.join("sshd.stderr")).unwrap())
            .spawn()
            .expect("sshd starts"),
    );
    let ssh = Ssh { lab: &lab, work: w };

    // Users with a key, a password, nothing; ssh on port 2222.
    let (ok, out) = lab.cli(&format!(
        "configure; edit system login; \
         set user alice uid 2001; set user alice class super-user; \
         set user alice authentication ssh-ed25519 \"{alice_pub}\"; \
         set user bob uid 2002; set user bob class read-only; \
         set user bob authentication ssh-ed25519 \"{bob_pub}\"; \
         set user carol uid 2003; set user carol class operator; \
         set user dave uid 2004; set user dave class read-only; \
         set user dave authentication encrypted-password \"{HASH}\"; \
         top; set system services ssh port 2222; set system services ssh root-login deny; commit"
    ));
    assert!(
        ok && out.contains("commit complete"),
        "{out}\n{}",
        lab.log()
    );

    // The key logs alice in to the CLI, as herself.
    let out = ssh.until(2222, "alice", &alice_key, "Hostname: sshlab");
    assert!(
        !out.contains("sshlab> "),
        "one command prints no prompt: {out}"
    );
    let (_, out) = ssh.run(
        2222,
        "alice",
        Auth::Key(&alice_key),
        "show version; show version",
    );
    assert!(out.contains("alice@sshlab> show version"), "{out}");
    let (ok, out) = ssh.run(
        2222,
        "alice",
        Auth::Key(&alice_key),
        "configure; set applications application ssh-app protocol tcp destination-port 2200; commit",
    );
    assert!(ok && out.contains("commit complete"), "{out}");

    // The account: marked, the CLI its shell, the key in place, in group xpf.
    assert_eq!(
        passwd_line(&lab, "alice"),
        Some(format!(
            "alice:x:2001:2001:xpf-managed:/home/alice:{}",
            cli.display()
        ))
    );
    assert_eq!(
        inside(
            &lab,
            "stat",
            &[
                "-c",
                "%a %U",
                "/home/alice/.ssh",
                "/home/alice/.ssh/authorized_keys"
            ]
        ),
        "700 alice\n600 alice\n"
    );
    let keys = inside(&lab, "cat", &["/home/alice/.ssh/authorized_keys"]);
    assert!(keys.contains(&alice_pub), "{keys}");
    let group = inside(&lab, "getent", &["group", "xpf"]);
    assert!(group.contains("alice") && group.contains("bob"), "{group}");

    // read-only: looks, but may not configure.
    let (ok, out) = ssh.run(2222, "bob", Auth::Key(&bob_key), "show version; configure");
    assert!(!ok && out.contains("Hostname: sshlab"), "{out}");
    assert!(out.contains("not allowed"), "{out}");
    // The wrong key is refused.
    let (ok, out) = ssh.run(2222, "bob", Auth::Key(&alice_key), "show version");
    assert!(!ok && out.contains("Permission denied"), "{out}");

    // A password logs dave in; carol, who has none, gets in with nothing.
    let (ok, out) = ssh.run(
        2222,
        "dave",
        Auth::Password(PASSWORD),
        "show version; show version",
    );
    assert!(ok && out.contains("dave@sshlab>"), "{out}");
    for (user, auth) in [
        ("carol", Auth::Nothing),
        ("carol", Auth::Password("")),
        ("dave", Auth::Password("wrong")),
    ] {
        let (ok, out) = ssh.run(2222, user, auth, "show version");
        assert!(!ok && out.contains("Permission denied"), "{user}: {out}");
    }
    let shadow = inside(&lab, "getent", &["shadow", "carol"]);
    assert!(shadow.starts_with("carol:*:"), "{shadow}");

    // An account xpf did not create is not taken over, and the commit that
    // asked for it changes nothing, not even the interfaces applied before.
    let daemon = passwd_line(&lab, "daemon");
    let (ok, out) = lab.cli(
        "configure; set system login user daemon class read-only; \
         set interfaces ge-0/0/0 unit 0 family inet address 10.5.0.1/24; commit; rollback 0",
    );
    assert!(!ok && out.contains("was not created by xpf"), "{out}");
    assert_eq!(passwd_line(&lab, "daemon"), daemon);
    let addrs = lab.addresses("ge-0-0-0");
    assert!(
        !addrs.iter().any(|a| a.starts_with("10.5.0.1/")),
        "{addrs:?}"
    );

    // Removing a user removes the account and its home.
    let (ok, out) = lab.cli("configure; delete system login user alice; commit");
    assert!(ok, "{out}");
    assert_eq!(passwd_line(&lab, "alice"), None);
    assert!(!lab
        .enter("test")
        .args(["-e", "/home/alice"])
        .status()
        .unwrap()
        .success());
    let (ok, out) = ssh.run(2222, "alice", Auth::Key(&alice_key), "show version");
    assert!(!ok, "{out}");

    // Without the service, sshd (back on port 22) lets nobody in.
    let (ok, out) = lab.cli("configure; delete system services ssh; commit");
    assert!(ok, "{out}");
    let out = ssh.until(22, "bob", &bob_key, "Permission denied");
    assert!(!out.contains("Hostname"), "{out}");

    drop(sshd);
    drop(lab);
    assert!(
        host_accounts() == host_before,
        "the host's account files changed"
    );
    assert!(!Path::new("/home/alice").exists());
}
