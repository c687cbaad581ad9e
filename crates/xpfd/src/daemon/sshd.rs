// SPDX-License-Identifier: Apache-2.0
//! OpenSSH's server as `system services ssh` says.
//!
//! xpfd renders the statement into an sshd configuration fragment (by
//! default `/etc/ssh/sshd_config.d/xpf.conf`, which Debian's sshd_config
//! includes before its own settings, so ours win) and tells sshd:
//!
//! | `system services ssh` | rendered | with systemd | without systemd |
//! |---|---|---|---|
//! | present | `Port`, `PermitRootLogin`, … | `systemctl reload-or-restart ssh` (starts it when stopped) | SIGHUP to the sshd of `/run/sshd.pid`, if one runs |
//! | absent | `DenyUsers *` | `systemctl stop ssh` | SIGHUP, so a running sshd lets nobody in |
//!
//! Mapping: `root-login allow|deny|deny-password` is `PermitRootLogin
//! yes|no|prohibit-password` (absent: `deny-password`, today's Junos
//! default); `protocol-version v2` needs nothing (OpenSSH speaks only
//! SSH-2); `max-sessions-per-connection` is `MaxSessions`;
//! `connection-limit` is `MaxStartups` (sshd's nearest knob: it limits
//! connections still authenticating); `rate-limit` has no sshd equivalent
//! and is noted in the file. Passwords are accepted, empty ones never.
//!
//! Only with `xpfd run --manage-sshd`; off by default.

use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use tokio::sync::Mutex;
use xpf_model::system::{RootLogin, Ssh};
use xpf_model::Model;

use super::file_error::FileError;

/// Where sshd writes its pid (Debian's `PidFile`).
const PID_FILE: &str = "/run/sshd.pid";
/// Debian's unit for sshd.
const UNIT: &str = "ssh.service";

/// Keeps sshd configured.
pub struct Sshd {
    /// The rendered file; `None`: sshd is not managed.
    path: Option<PathBuf>,
    /// What the last successful apply rendered (`None`: unknown, act).
    last: Mutex<Option<String>>,
}

/// Why sshd could not be made to follow the configuration.
#[derive(Debug, thiserror::Error)]
pub enum SshdError {
    /// Writing its configuration file.
    #[error(transparent)]
    File(#[from] FileError),
    /// systemctl did not run, or refused.
    #[error("systemctl {verb} {UNIT}: {why}")]
    Systemctl {
        /// reload-or-restart or stop.
        verb: &'static str,
        /// What it said.
        why: String,
    },
    /// A running sshd could not be told to reload.
    #[error("signalling sshd (pid {pid}): {source}")]
    Signal {
        /// Its pid.
        pid: nix::unistd::Pid,
        /// The system's answer.
        #[source]
        source: nix::errno::Errno,
    },
    /// The blocking task did not finish.
    #[error("the sshd task: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// A file operation's error, for `map_err`.
fn file_err(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> SshdError {
    FileError::of(what, path)
}

impl Sshd {
    /// `path`: `--sshd-config` when `--manage-sshd`, else `None`.
    pub fn new(path: Option<PathBuf>) -> Sshd {
        Sshd {
            path,
            last: Mutex::new(None),
        }
    }

    /// Renders `model`'s ssh service and tells sshd, unless nothing changed.
    pub async fn apply(&self, model: &Model) -> Result<(), SshdError> {
        let Some(path) = self.path.clone() else {
            return Ok(());
        };
        let ssh = model.system.services.ssh.clone();
        let text = render(ssh.as_ref());
        let mut last = self.last.lock().await;
        if last.as_deref() == Some(text.as_str()) {
            return Ok(());
        }
        // Whatever happens next, the file may no longer say what `last` says.
        *last = None;
        if let Some(n) = ssh.as_ref().and_then(|s| s.rate_limit) {
            tracing::warn!(
                "system services ssh rate-limit {n}: not applied, sshd has no such limit"
            );
        }
        let enabled = ssh.is_some();
        let written = text.clone();
        tokio::task::spawn_blocking(move || {
            write_file(&path, &written)?;
            tell_sshd(enabled)
        })
        .await??;
        *last = Some(text);
        Ok(())
    }
}

/// The sshd configuration fragment for `ssh` (`None`: the service is off).
pub fn render(ssh: Option<&Ssh>) -> String {
    let Some(ssh) = ssh else {
        return "# Written by xpfd: [edit system services ssh] is not configured.\n\
                # sshd is stopped; should it run anyway, nobody may log in.\n\
                DenyUsers *\n"
            .to_string();
    };
    let mut out = String::from(
        "# Written by xpfd from [edit system services ssh]; edits here are overwritten.\n",
    );
    let mut line = |l: String| {
        out.push_str(&l);
        out.push('\n');
    };
    line(format!("Port {}", ssh.port.unwrap_or(22)));
    let root = match ssh.root_login.unwrap_or(RootLogin::DenyPassword) {
        RootLogin::Allow => "yes",
        RootLogin::Deny => "no",
        RootLogin::DenyPassword => "prohibit-password",
    };
    line(format!("PermitRootLogin {root}"));
    line("PubkeyAuthentication yes".into());
    line("PasswordAuthentication yes".into());
    line("PermitEmptyPasswords no".into());
    if let Some(n) = ssh.max_sessions_per_connection {
        line(format!("MaxSessions {n}"));
    }
    if let Some(n) = ssh.connection_limit {
        line(format!("MaxStartups {n}"));
    }
    if let Some(n) = ssh.rate_limit {
        line(format!(
            "# rate-limit {n}: not applied (sshd has no per-minute connection limit)"
        ));
    }
    out
}

/// Writes `text` to `path` all at once (beside it, then renamed over it).
fn write_file(path: &Path, text: &str) -> Result<(), SshdError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(file_err("creating", dir))?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".xpfd-new");
    let tmp = PathBuf::from(tmp);
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(&tmp)
        .map_err(file_err("creating", &tmp))?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(file_err("writing", &tmp))?;
    std::fs::rename(&tmp, path).map_err(file_err("writing", path))
}

/// Makes sshd follow the new file: through systemd when it runs the
/// machine, else by signalling a running sshd.
fn tell_sshd(enabled: bool) -> Result<(), SshdError> {
    // sd_booted(3): systemd is the init system.
    if Path::new("/run/systemd/system").exists() {
        let verb = if enabled { "reload-or-restart" } else { "stop" };
        let out = Command::new("systemctl")
            .args([verb, UNIT])
            .output()
            .map_err(|e| SshdError::Systemctl {
                verb,
                why: format!("did not run: {e}"),
            })?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        // Stopping a unit that is not installed leaves sshd off: done.
        if !out.status.success() && (enabled || !stderr.contains("not loaded")) {
            return Err(SshdError::Systemctl {
                verb,
                why: stderr.trim().to_string(),
            });
        }
        tracing::info!("sshd: systemctl {verb} {UNIT}");
        return Ok(());
    }
    match running_sshd() {
        Some(pid) => {
            nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGHUP)
                .map_err(|source| SshdError::Signal { pid, source })?;
            tracing::info!(%pid, "sshd: told to reload (SIGHUP)");
        }
        None => {
            tracing::info!("sshd is not running; it reads the new configuration when it starts")
        }
    }
    Ok(())
}

/// The pid in sshd's pid file, if that process is still an sshd.
fn running_sshd() -> Option<nix::unistd::Pid> {
    let pid: i32 = std::fs::read_to_string(PID_FILE)
        .ok()?
        .trim()
        .parse()
        .ok()?;
    // Never 0, 1 or negative: kill(2) would signal groups or everyone.
    if pid <= 1 {
        return None;
    }
    let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
    (comm.trim() == "sshd").then(|| nix::unistd::Pid::from_raw(pid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_service_renders_as_sshd_settings() {
        let ssh = Ssh {
            root_login: Some(RootLogin::Deny),
            protocol_versions: vec!["v2".into()],
            port: Some(2222),
            max_sessions_per_connection: Some(4),
            connection_limit: Some(20),
            rate_limit: Some(5),
        };
        let text = render(Some(&ssh));
        for l in [
            "Port 2222",
            "PermitRootLogin no",
            "PasswordAuthentication yes",
            "PermitEmptyPasswords no",
            "MaxSessions 4",
            "MaxStartups 20",
            "# rate-limit 5: not applied",
        ] {
            assert!(text.contains(&format!("\n{l}")), "{l}:\n{text}");
        }
        let text = render(Some(&Ssh::default()));
        assert!(text.contains("\nPort 22\n"), "{text}");
        assert!(
            text.contains("\nPermitRootLogin prohibit-password\n"),
            "{text}"
        );
        assert!(!text.contains("MaxSessions"), "{text}");
        let allow = Ssh {
            root_login: Some(RootLogin::Allow),
            ..Ssh::default()
        };
        assert!(render(Some(&allow)).contains("\nPermitRootLogin yes\n"));
    }

    #[test]
    fn without_the_service_nobody_logs_in() {
        let text = render(None);
        assert!(text.lines().any(|l| l == "DenyUsers *"), "{text}");
        assert!(!text.contains("Port"), "{text}");
    }

    #[test]
    fn files_are_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sshd_config.d/xpf.conf");
        write_file(&path, "Port 1\n").unwrap();
        write_file(&path, "Port 2\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "Port 2\n");
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1
        );
    }
}
