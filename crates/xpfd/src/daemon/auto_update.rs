// SPDX-License-Identifier: Apache-2.0
//! `system software auto-update`: a box that installs newer releases of
//! its channel by itself, inside its maintenance window.
//!
//! Every `check-interval` while the window is open (and at once when the
//! policy is committed or its channel changes), the channel's manifest is
//! fetched and verified. A newer version that may update this one is
//! installed exactly as `request system software add` installs it (the
//! committed configuration checked against it first), then the box
//! reboots into it unless `no-reboot`. A version that already failed its
//! health check here is not tried again: that takes an operator.

use std::sync::Arc;
use std::time::{Duration, Instant};

use xpf_model::system::AutoUpdate;
use xpf_update::{Slots, Source, Version};

use super::clock;
use super::software::{self, state_dir};
use super::supervisor::Supervisor;

/// How often the policy and the window are looked at.
const TICK: Duration = Duration::from_secs(15);
/// Where the last check's outcome is kept, under the update state.
pub const LAST_CHECK: &str = "auto-update-last-check";

/// What one check decided.
#[derive(Debug, PartialEq, Eq)]
pub enum Decision {
    /// Nothing newer.
    UpToDate,
    /// Install this version.
    Install,
    /// This version failed its health check here before.
    FailedBefore,
}

/// Whether the channel's `offered` version is one to install on a box
/// running `running`; `failure` is the last health failure recorded.
pub fn decide(offered: &Version, running: &Version, failure: Option<&str>) -> Decision {
    if offered <= running {
        Decision::UpToDate
    } else if failure.is_some_and(|f| f.starts_with(&format!("xpf {offered} "))) {
        Decision::FailedBefore
    } else {
        Decision::Install
    }
}

/// The committed policy, if any.
pub async fn policy(sup: &Supervisor) -> Option<AutoUpdate> {
    sup.active
        .read()
        .await
        .as_ref()
        .and_then(|m| m.system.auto_update.clone())
}

/// Runs for the daemon's life, acting on whatever policy is committed.
pub async fn keep_checking(sup: Arc<Supervisor>) {
    let mut last: Option<(Instant, String)> = None;
    loop {
        tokio::time::sleep(TICK).await;
        let Some(policy) = policy(&sup).await else {
            last = None;
            continue;
        };
        if policy.window.is_some_and(|w| !w.contains(clock::now())) {
            continue;
        }
        let due = last.as_ref().is_none_or(|(at, channel)| {
            *channel != policy.channel
                || at.elapsed() >= Duration::from_secs(u64::from(policy.check_minutes) * 60)
        });
        if !due {
            continue;
        }
        last = Some((Instant::now(), policy.channel.clone()));
        let outcome = check(&sup, &policy).await;
        let line = match &outcome {
            Ok(said) => said.clone(),
            Err(e) => format!("failed: {e}"),
        };
        tracing::info!(
            channel = policy.channel,
            outcome = line,
            "auto-update check"
        );
        let _ = std::fs::write(
            state_dir(&sup).join(LAST_CHECK),
            format!("{}: {line}\n", clock::format(clock::now())),
        );
        if matches!(outcome, Ok(ref s) if s.starts_with("installed")) && policy.reboot {
            tracing::info!("auto-update: rebooting into the new version");
            software::reboot_soon();
        }
    }
}

/// One check: fetch, verify, decide, and install when newer.
async fn check(sup: &Supervisor, policy: &AutoUpdate) -> Result<String, String> {
    let state = state_dir(sup);
    let config = software::active_config(sup).await;
    let source = Source::parse(&policy.channel);
    tokio::task::spawn_blocking(move || {
        let slots = Slots::detect(&state).map_err(|e| e.to_string())?;
        let log = |line: &str| tracing::debug!("auto-update: {line}");
        let manifest = software::verified_manifest(&source, &log)?;
        let running = software::running_version()?;
        let offered: Version = manifest.version.parse()?;
        let failure = std::fs::read_to_string(state.join("last-health-failure")).ok();
        match decide(&offered, &running, failure.as_deref()) {
            Decision::UpToDate => return Ok(format!("up to date ({running})")),
            Decision::FailedBefore => {
                return Ok(format!(
                    "{offered} failed its health check here; not retried by itself"
                ))
            }
            Decision::Install => {}
        }
        manifest
            .allows(&running, false)
            .map_err(|e| e.to_string())?;
        let outcome =
            software::install_verified(&slots, &source, &manifest, &state, &config, true, &log);
        slots.record(&match &outcome {
            Ok(v) => format!("{v} installed by auto-update; it boots next\n"),
            Err(e) => format!("auto-update refused or failed: {e}\n"),
        });
        outcome.map(|v| format!("installed {v}"))
    })
    .await
    .map_err(|e| format!("the check task failed: {e}"))?
}

/// `show system software`'s lines about the policy and its last check.
pub fn describe(sup: &Supervisor, policy: Option<&AutoUpdate>) -> String {
    let Some(p) = policy else {
        return "Auto-update: off\n".into();
    };
    let window = match p.window {
        Some(w) => format!(
            "{:02}:{:02} UTC for {} minutes",
            w.start_minute / 60,
            w.start_minute % 60,
            w.minutes
        ),
        None => "any time".into(),
    };
    let mut out = format!(
        "Auto-update: {} every {} minutes, window {window}{}\n",
        p.channel,
        p.check_minutes,
        if p.reboot { "" } else { ", no reboot" }
    );
    if let Ok(last) = std::fs::read_to_string(state_dir(sup).join(LAST_CHECK)) {
        out.push_str(&format!("Last check: {last}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> Version {
        s.parse().unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn only_a_newer_version_that_never_failed_here_is_installed() {
        let running = v("2026.11.1");
        assert_eq!(decide(&v("2026.11.1"), &running, None), Decision::UpToDate);
        assert_eq!(decide(&v("2026.10.9"), &running, None), Decision::UpToDate);
        assert_eq!(decide(&v("2026.11.2"), &running, None), Decision::Install);
        let failed = "xpf 2026.11.2 failed its health check at 2026-11-22 10:00:00 UTC: x";
        assert_eq!(
            decide(&v("2026.11.2"), &running, Some(failed)),
            Decision::FailedBefore
        );
        assert_eq!(
            decide(&v("2026.11.20"), &running, Some(failed)),
            Decision::Install,
            "another version is not held against"
        );
    }
}
