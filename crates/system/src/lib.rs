// SPDX-License-Identifier: Apache-2.0
//! The box's own basics, as `system` says: the kernel host name
//! (`host-name`), the resolver (`domain-name`, `domain-search`,
//! `name-server`) and the time zone (`time-zone`).
//!
//! [`Settings::of`] reads them from the model; [`System::apply`] makes the
//! box match, writing each file whole (a temporary file renamed over it)
//! and remembering what it replaced, so that [`System::undo`] puts the box
//! back when a later step of the commit fails. Paths are under a root
//! (`/` on the appliance; a directory in tests).

mod files;
mod hostname;
mod resolver;
mod timezone;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

pub use files::FileError;
pub use resolver::render as render_resolv_conf;

/// What `system` asks of the box itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// `host-name`; `None` leaves the kernel's alone.
    pub host_name: Option<String>,
    /// `domain-name`.
    pub domain_name: Option<String>,
    /// `domain-search`, in order.
    pub domain_search: Vec<String>,
    /// `name-server`, in order.
    pub name_servers: Vec<IpAddr>,
    /// `time-zone`; UTC when not set, as on Junos.
    pub time_zone: String,
}

impl Settings {
    /// The settings a model asks for.
    pub fn of(model: &xpf_model::Model) -> Settings {
        let s = &model.system;
        Settings {
            host_name: s.host_name.clone(),
            domain_name: s.domain_name.clone(),
            domain_search: s.domain_search.clone(),
            name_servers: s.name_servers.clone(),
            time_zone: s.time_zone.clone().unwrap_or_else(|| "UTC".into()),
        }
    }
}

/// Why the box could not be made to match.
#[derive(Debug, thiserror::Error)]
pub enum SystemError {
    /// A time zone the box has no data for.
    #[error("[edit system time-zone] unknown time zone '{0}'")]
    UnknownTimeZone(String),
    /// A host name the kernel refuses.
    #[error("[edit system host-name] the kernel refused host name '{name}': {why}")]
    HostName {
        /// The name.
        name: String,
        /// What the kernel said.
        why: nix::Error,
    },
    /// Writing one of the files.
    #[error(transparent)]
    File(#[from] FileError),
}

/// What an apply replaced, for [`System::undo`].
#[derive(Debug, Default)]
struct Before {
    files: Vec<files::Saved>,
    host_name: Option<String>,
}

/// Keeps the box's basics as configured.
pub struct System {
    /// `None`: not managed (`xpfd run` without `--manage-system`).
    root: Option<PathBuf>,
    /// Whether the kernel host name is set (off in tests without their own
    /// UTS namespace).
    set_kernel_name: bool,
    before: Mutex<Option<Before>>,
}

impl System {
    /// Manages the files under `root` (and the kernel host name when
    /// `set_kernel_name`); `None`: does nothing.
    pub fn new(root: Option<PathBuf>, set_kernel_name: bool) -> System {
        System {
            root,
            set_kernel_name,
            before: Mutex::new(None),
        }
    }

    /// Whether anything is managed.
    pub fn managed(&self) -> bool {
        self.root.is_some()
    }

    /// Starts a commit: forgets what an earlier apply replaced (so
    /// [`System::undo`] only ever undoes this commit's apply) and checks
    /// what can be checked before anything changes: the time zone.
    pub fn prepare(&self, s: &Settings) -> Result<(), SystemError> {
        *self.before.lock().unwrap_or_else(|e| e.into_inner()) = None;
        match &self.root {
            Some(root) => timezone::check(root, &s.time_zone),
            None => Ok(()),
        }
    }

    /// Makes the box match `s`; on error, what changed is put back.
    pub fn apply(&self, s: &Settings) -> Result<(), SystemError> {
        let Some(root) = &self.root else {
            return Ok(());
        };
        self.prepare(s)?;
        let mut before = Before::default();
        let result = self.apply_steps(root, s, &mut before);
        if result.is_err() {
            restore(&before, self.set_kernel_name);
        } else {
            *self.before.lock().unwrap_or_else(|e| e.into_inner()) = Some(before);
        }
        result
    }

    fn apply_steps(
        &self,
        root: &Path,
        s: &Settings,
        before: &mut Before,
    ) -> Result<(), SystemError> {
        before.files.push(files::replace(
            &root.join("etc/resolv.conf"),
            &resolver::render(s),
        )?);
        before.files.extend(timezone::apply(root, &s.time_zone)?);
        if let Some(name) = &s.host_name {
            before.files.push(files::replace(
                &root.join("etc/hostname"),
                &format!("{name}\n"),
            )?);
            if self.set_kernel_name {
                before.host_name = Some(hostname::set(name)?);
            }
        }
        Ok(())
    }

    /// Puts back what the last apply replaced (a later commit step
    /// failed). Once; later calls do nothing.
    pub fn undo(&self) {
        let before = self.before.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(b) = before {
            restore(&b, self.set_kernel_name);
        }
    }
}

fn restore(b: &Before, set_kernel_name: bool) {
    for f in b.files.iter().rev() {
        if let Err(e) = f.restore() {
            tracing::error!("putting back {}: {e}", f.path().display());
        }
    }
    if let (true, Some(name)) = (set_kernel_name, &b.host_name) {
        if let Err(e) = hostname::set(name) {
            tracing::error!("putting back the host name {name}: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            host_name: Some("fw1".into()),
            domain_name: Some("example.net".into()),
            domain_search: vec!["a.example".into(), "b.example".into()],
            name_servers: vec![
                "192.0.2.53".parse().expect("ip"),
                "2001:db8::53".parse().expect("ip"),
            ],
            time_zone: "Europe/Berlin".into(),
        }
    }

    fn root_with_zones() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        for z in ["UTC", "Europe/Berlin"] {
            let p = dir.path().join("usr/share/zoneinfo").join(z);
            std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
            std::fs::write(&p, "TZif").expect("zone");
        }
        std::fs::create_dir_all(dir.path().join("etc")).expect("etc");
        std::fs::write(dir.path().join("etc/resolv.conf"), "nameserver 10.0.0.1\n").expect("old");
        dir
    }

    #[test]
    fn apply_writes_the_files_and_undo_puts_them_back() {
        let dir = root_with_zones();
        let sys = System::new(Some(dir.path().to_path_buf()), false);
        sys.apply(&settings()).expect("applies");
        let resolv = std::fs::read_to_string(dir.path().join("etc/resolv.conf")).expect("resolv");
        assert!(resolv.contains("domain example.net\n"), "{resolv}");
        assert!(
            resolv.contains("search example.net a.example b.example\n"),
            "{resolv}"
        );
        assert!(
            resolv.contains("nameserver 192.0.2.53\nnameserver 2001:db8::53\n"),
            "{resolv}"
        );
        let link = std::fs::read_link(dir.path().join("etc/localtime")).expect("link");
        assert_eq!(link, Path::new("../usr/share/zoneinfo/Europe/Berlin"));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("etc/timezone")).expect("tz"),
            "Europe/Berlin\n"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("etc/hostname")).expect("hostname"),
            "fw1\n"
        );
        sys.undo();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("etc/resolv.conf")).expect("resolv"),
            "nameserver 10.0.0.1\n"
        );
        assert!(!dir.path().join("etc/localtime").exists());
        assert!(!dir.path().join("etc/hostname").exists());
    }

    #[test]
    fn an_unknown_time_zone_is_refused_and_changes_nothing() {
        let dir = root_with_zones();
        let sys = System::new(Some(dir.path().to_path_buf()), false);
        for bad in ["Mars/Olympus", "../../etc/passwd", ""] {
            let mut s = settings();
            s.time_zone = bad.into();
            let e = sys.apply(&s).expect_err(bad).to_string();
            assert!(
                e.starts_with("[edit system time-zone] unknown time zone"),
                "{e}"
            );
        }
        assert_eq!(
            std::fs::read_to_string(dir.path().join("etc/resolv.conf")).expect("resolv"),
            "nameserver 10.0.0.1\n"
        );
    }

    /// A commit that fails before this step must not undo the previous
    /// commit's apply.
    #[test]
    fn undo_only_undoes_the_current_commit() {
        let dir = root_with_zones();
        let sys = System::new(Some(dir.path().to_path_buf()), false);
        sys.apply(&settings()).expect("first commit");
        sys.prepare(&settings()).expect("second commit starts");
        sys.undo();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("etc/hostname")).expect("hostname"),
            "fw1\n"
        );
    }

    #[test]
    fn unmanaged_does_nothing() {
        let sys = System::new(None, false);
        assert!(!sys.managed());
        sys.apply(&settings()).expect("nothing to do");
    }
}
