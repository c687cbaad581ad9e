// SPDX-License-Identifier: Apache-2.0
//! `request system software add|rollback` and `show system software`: the
//! update agent over [`xpf_update`].
//!
//! An add verifies the signed manifest with the release key built into the
//! image, refuses a downgrade or a version that may not update from this
//! one, stages and checks every artifact on /var, writes the inactive slot,
//! checks the committed configuration with the new version's own `xpfd
//! check`, and only then installs the new UKI with boot tries.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use xpf_config::print_statements;
use xpf_update::{disk, Manifest, Progress, Slots, Source, Version};

use super::supervisor::Supervisor;

/// A field of /etc/os-release (IMAGE_ID, IMAGE_VERSION, …).
pub(super) fn os_release(key: &str) -> Option<String> {
    let text = std::fs::read_to_string("/etc/os-release").ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .map(|v| v.trim_matches('"').to_string())
}

/// Where a long-running request says how far it has got.
pub type Say = std::sync::Arc<dyn Fn(&str) + Send + Sync>;

/// The release public key the image carries.
pub const RELEASE_KEY: &str = "/usr/share/xpf/keys/release.pub";

pub(super) fn state_dir(sup: &Supervisor) -> PathBuf {
    sup.state_dir.join("update")
}

pub(super) fn running_version() -> Result<Version, String> {
    os_release("IMAGE_VERSION")
        .ok_or("not booted from an xpf image (no IMAGE_VERSION)")?
        .parse()
}

/// `request system software add <source> [reboot] [no-validate]`.
pub async fn add(sup: &Supervisor, words: &[&str], say: Say) -> Result<String, String> {
    let Some(source) = words.first() else {
        return Err("request system software add: which release? (an https URL or a path)".into());
    };
    let reboot = words.contains(&"reboot");
    let validate = !words.contains(&"no-validate");
    let config = active_config(sup).await;
    let source = Source::parse(source);
    let state = state_dir(sup);
    let slots = Slots::detect(&state).map_err(|e| e.to_string())?;
    let outcome = tokio::task::spawn_blocking(move || {
        let outcome = install(&slots, &source, &state, &config, validate, &*say);
        slots.record(&match &outcome {
            Ok(v) => format!("{v} installed; it boots next\n"),
            Err(e) => format!("refused or failed: {e}\n"),
        });
        outcome
    })
    .await
    .map_err(|e| format!("the update task failed: {e}"))?;
    let version = outcome?;
    let mut out = format!(
        "Installed xpf {version} in the other slot; it boots next (3 tries before the current version comes back).\n"
    );
    if reboot {
        out.push_str("Rebooting now.\n");
        reboot_soon();
    } else {
        out.push_str("Reboot to activate it (request system reboot).\n");
    }
    Ok(out)
}

fn install(
    slots: &Slots,
    source: &Source,
    state: &Path,
    config: &str,
    validate: bool,
    say: Progress,
) -> Result<String, String> {
    let manifest = verified_manifest(source, say)?;
    manifest
        .allows(&running_version()?, false)
        .map_err(|e| e.to_string())?;
    install_verified(slots, source, &manifest, state, config, validate, say)
}

/// The channel's manifest, its signature checked with the release key.
pub(super) fn verified_manifest(source: &Source, say: Progress) -> Result<Manifest, String> {
    say(&format!("Fetching the signed manifest from {source}"));
    let key = std::fs::read_to_string(RELEASE_KEY)
        .map_err(|e| format!("the release key {RELEASE_KEY}: {e}"))?;
    let manifest = source
        .manifest()
        .and_then(|m| m.verify(&key))
        .map_err(|e| e.to_string())?;
    say(&format!(
        "The manifest of xpf {} verifies with the release key",
        manifest.version
    ));
    Ok(manifest)
}

/// Stages, writes and checks a verified release in the other slot, and
/// makes it the next boot.
pub(super) fn install_verified(
    slots: &Slots,
    source: &Source,
    manifest: &Manifest,
    state: &Path,
    config: &str,
    validate: bool,
    say: Progress,
) -> Result<String, String> {
    tracing::info!(
        version = manifest.version,
        "update: verified manifest, staging"
    );
    let staged = slots
        .stage(source, manifest, say)
        .map_err(|e| e.to_string())?;
    tracing::info!(
        version = manifest.version,
        "update: staged and checked, writing the other slot"
    );
    let config_file = state.join("active.conf");
    std::fs::write(&config_file, config).map_err(|e| e.to_string())?;
    let check = |root: &Path| -> Result<(), String> {
        if !validate {
            return Ok(());
        }
        let out = std::process::Command::new(root.join("usr/bin/xpfd"))
            .arg("check")
            .arg(&config_file)
            .output()
            .map_err(|e| format!("running the new xpfd: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned()
                + &String::from_utf8_lossy(&out.stdout))
        }
    };
    slots
        .install(manifest, &staged, &check, say)
        .map_err(|e| e.to_string())?;
    tracing::info!(version = manifest.version, "update: installed, boots next");
    Ok(manifest.version.clone())
}

/// `request system install disk <device>`: the running system, with a
/// fresh /var and the committed configuration, on another disk (a box
/// booted from removable media installs itself this way).
pub async fn install_disk(sup: &Supervisor, device: &str, say: Say) -> Result<String, String> {
    let slots = Slots::detect(&state_dir(sup)).map_err(|e| e.to_string())?;
    let source = slots.disk_device();
    let target = disk::target_path(device);
    let config = active_config(sup).await;
    let shown = target.clone();
    tokio::task::spawn_blocking(move || {
        disk::install_running(
            &source,
            &target,
            Path::new(disk::FACTORY_VAR),
            Some(&config),
            &*say,
        )
    })
    .await
    .map_err(|e| format!("the install task failed: {e}"))?
    .map_err(|e| e.to_string())?;
    Ok(format!(
        "Installed xpf {} on {} with the committed configuration.
Remove the installation media and reboot (request system reboot).
",
        running_version().map(|v| v.to_string()).unwrap_or_default(),
        shown.display()
    ))
}

pub(super) async fn active_config(sup: &Supervisor) -> String {
    let db = sup.db.lock().await;
    let mut text = String::new();
    print_statements(&db.active().statements, 0, &mut text);
    text
}

/// `request system software rollback [reboot]`.
pub async fn rollback(sup: &Supervisor, words: &[&str]) -> Result<String, String> {
    let slots = Slots::detect(&state_dir(sup)).map_err(|e| e.to_string())?;
    let said = slots.rollback().map_err(|e| e.to_string())?;
    slots.record(&format!("rollback requested: {said}\n"));
    let mut out = format!("{said}.\n");
    if words.contains(&"reboot") {
        out.push_str("Rebooting now.\n");
        reboot_soon();
    } else {
        out.push_str("Reboot to activate it (request system reboot).\n");
    }
    Ok(out)
}

/// `show system software`.
pub async fn show(sup: &Supervisor) -> Result<String, String> {
    let slots = Slots::detect(&state_dir(sup)).map_err(|e| e.to_string())?;
    let mut out = String::new();
    let _ = writeln!(out, "Slot  Version                     Booted");
    for s in slots.info() {
        let version = s.label.strip_prefix("xpf_").unwrap_or(&s.label);
        let _ = writeln!(
            out,
            "{:<5} {:<27} {}",
            s.slot,
            if version == "_empty" {
                "(empty)"
            } else {
                version
            },
            if s.booted { "yes" } else { "" }
        );
    }
    let _ = writeln!(out, "\nBoot entries (systemd-boot):");
    for u in slots.ukis() {
        let state = match u.tries_left {
            None => "good".to_string(),
            Some(0) => "failed: not booted again (tries used up or rolled back)".into(),
            Some(n) => format!("on trial, {n} tries left"),
        };
        let _ = writeln!(
            out,
            "  {}{}  {state}",
            u.id,
            if u.booted { " (booted)" } else { "" }
        );
    }
    let policy = super::auto_update::policy(sup).await;
    let _ = write!(
        out,
        "\n{}",
        super::auto_update::describe(sup, policy.as_ref())
    );
    if let Some(last) = slots.last_outcome() {
        let _ = write!(out, "\nLast update: {last}");
    }
    // Written by xpf-health on a version that failed (/var is shared).
    if let Ok(failure) = std::fs::read_to_string(state_dir(sup).join("last-health-failure")) {
        let _ = write!(out, "Last failed health check: {failure}");
    }
    Ok(out)
}

pub(super) fn reboot_soon() {
    tokio::spawn(async {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        let _ = tokio::process::Command::new("systemctl")
            .arg("reboot")
            .status()
            .await;
    });
}
