// SPDX-License-Identifier: Apache-2.0
//! System events for `system syslog`, with Junos' tags, facilities and
//! severities: commits, configuration-mode logins and logouts, failed
//! logins. Whoever sees the event records it here; the syslog task
//! delivers what it takes with the session records.
//!
//! | tag | facility | severity | when |
//! |---|---|---|---|
//! | `UI_COMMIT` | authorization | notice | a commit is requested |
//! | `UI_COMMIT_COMPLETED` | authorization | notice | it is recorded |
//! | `UI_DBASE_LOGIN_EVENT` | authorization | notice | `configure` |
//! | `UI_DBASE_LOGOUT_EVENT` | authorization | notice | leaving it |
//! | `UI_AUTH_EVENT` | authorization | warning | a password login is refused (gRPC, REST) |

use std::collections::VecDeque;
use std::sync::Mutex;

/// One event, ready to be formatted per destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SystemEvent {
    /// Nanoseconds since the epoch.
    pub time: u64,
    /// The Junos tag (`UI_COMMIT`).
    pub tag: &'static str,
    /// The `system syslog` facility that takes it.
    pub facility: &'static str,
    /// Its severity.
    pub severity: &'static str,
    /// The message after the tag.
    pub text: String,
}

impl SystemEvent {
    /// The syslog PRI: facility code × 8 + severity code (RFC 5424).
    pub fn pri(&self) -> u8 {
        let facility = match self.facility {
            "kernel" => 0,
            "user" => 1,
            "daemon" => 3,
            "authorization" => 4,
            _ => 1,
        };
        let severity = match self.severity {
            "emergency" => 0,
            "alert" => 1,
            "critical" => 2,
            "error" => 3,
            "warning" => 4,
            "notice" => 5,
            "info" => 6,
            _ => 7,
        };
        facility * 8 + severity
    }
}

/// Events kept for the syslog task at most: a stalled task must not make
/// xpfd grow; the oldest go first.
const CAPACITY: usize = 4096;

static QUEUE: Mutex<VecDeque<SystemEvent>> = Mutex::new(VecDeque::new());

/// Records an event for `system syslog`.
pub fn record(tag: &'static str, facility: &'static str, severity: &'static str, text: String) {
    tracing::info!(tag, "{text}");
    let mut q = QUEUE.lock().unwrap_or_else(|e| e.into_inner());
    if q.len() >= CAPACITY {
        q.pop_front();
    }
    q.push_back(SystemEvent {
        time: super::clock::now(),
        tag,
        facility,
        severity,
        text,
    });
}

/// Everything recorded since the last call.
pub fn take() -> Vec<SystemEvent> {
    QUEUE
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .drain(..)
        .collect()
}

/// `UI_COMMIT`: `user` asked for `operation` (`commit`, `commit confirmed`).
pub fn commit_requested(user: &str, operation: &str, comment: &str) {
    let comment = if comment.is_empty() { "none" } else { comment };
    record(
        "UI_COMMIT",
        "authorization",
        "notice",
        format!("User '{user}' requested '{operation}' operation (comment: {comment})"),
    );
}

/// `UI_COMMIT_COMPLETED`.
pub fn commit_completed() {
    record(
        "UI_COMMIT_COMPLETED",
        "authorization",
        "notice",
        "commit complete".into(),
    );
}

/// `UI_DBASE_LOGIN_EVENT` / `UI_DBASE_LOGOUT_EVENT`.
pub fn configuration_mode(user: &str, entering: bool) {
    if entering {
        record(
            "UI_DBASE_LOGIN_EVENT",
            "authorization",
            "notice",
            format!("User '{user}' entering configuration mode"),
        );
    } else {
        record(
            "UI_DBASE_LOGOUT_EVENT",
            "authorization",
            "notice",
            format!("User '{user}' exiting configuration mode"),
        );
    }
}

/// `UI_AUTH_EVENT`: a password login refused.
pub fn login_refused(user: &str, service: &str, why: &str) {
    record(
        "UI_AUTH_EVENT",
        "authorization",
        "warning",
        format!("Authentication failed for user '{user}' ({service}): {why}"),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pri_is_facility_and_severity() {
        let e = SystemEvent {
            time: 0,
            tag: "UI_COMMIT",
            facility: "authorization",
            severity: "notice",
            text: String::new(),
        };
        assert_eq!(e.pri(), 37);
    }
}
