// SPDX-License-Identifier: Apache-2.0
//! Wall-clock time as Junos prints it (`2026-11-22 08:55:00 UTC`).

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the epoch.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `YYYY-MM-DD HH:MM:SS UTC`.
pub fn format(unix: u64) -> String {
    let days = (unix / 86_400) as i64;
    let secs = unix % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

/// `Nov 22 17:30:00`: a BSD syslog time stamp (UTC).
pub fn bsd(unix: u64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = unix % 86_400;
    let (_, m, d) = civil_from_days((unix / 86_400) as i64);
    let month = MONTHS.get(m as usize - 1).copied().unwrap_or("Jan");
    format!(
        "{month} {d:>2} {:02}:{:02}:{:02}",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

/// `2026-11-22T17:30:00.000Z`: an RFC 5424 time stamp.
pub fn rfc3339(unix: u64) -> String {
    let secs = unix % 86_400;
    let (y, m, d) = civil_from_days((unix / 86_400) as i64);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z",
        secs / 3600,
        (secs / 60) % 60,
        secs % 60
    )
}

/// `1w2d 03:04` style durations, as `show system uptime` prints them.
pub fn ago(secs: u64) -> String {
    let (d, h, m, s) = (
        secs / 86_400,
        (secs / 3600) % 24,
        (secs / 60) % 60,
        secs % 60,
    );
    let (w, d) = (d / 7, d % 7);
    let mut out = String::new();
    if w > 0 {
        out.push_str(&format!("{w}w"));
    }
    if d > 0 {
        out.push_str(&format!("{d}d "));
    } else if w > 0 {
        out.push(' ');
    }
    out.push_str(&format!("{h:02}:{m:02}:{s:02}"));
    out
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Hinnant's method).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dates() {
        assert_eq!(format(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(format(1_795_336_500), "2026-11-22 08:35:00 UTC");
        assert_eq!(ago(3 * 86_400 + 3661), "3d 01:01:01");
    }
}
