// SPDX-License-Identifier: Apache-2.0
//! Where logs go: `system syslog` destinations (files, hosts, users) and
//! `security log` (event mode through those destinations, or stream mode
//! straight to collectors), and which messages each one takes.

use std::net::IpAddr;

use xpf_config::Statement;

use crate::check::{Checks, Path};
use crate::read::{arg, args, child, flag, kids, number_of, value};

/// Syslog severities from most to least severe; `any` takes all, `none`
/// nothing.
const SEVERITIES: &[&str] = &[
    "emergency",
    "alert",
    "critical",
    "error",
    "warning",
    "notice",
    "info",
    "debug",
];

/// `syslog` destinations.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Syslog {
    /// `host <address>` destinations.
    pub hosts: Vec<SyslogDestination>,
    /// `file <name>` destinations.
    pub files: Vec<SyslogDestination>,
    /// `user <name>` destinations (`*` for every logged-in user).
    pub users: Vec<SyslogDestination>,
    /// `source-address` of messages to every host.
    pub source_address: Option<IpAddr>,
}

/// One syslog destination and what it receives.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SyslogDestination {
    /// Host address, file name or user name, as written.
    pub name: String,
    /// `facility severity` pairs, e.g. `("any", "notice")`.
    pub facilities: Vec<(String, String)>,
    /// `match`: a regular expression every message must match.
    pub matches: Option<String>,
    /// `port` (hosts; 514 when unset).
    pub port: Option<u16>,
    /// `source-address` (hosts).
    pub source_address: Option<IpAddr>,
    /// `structured-data`: RFC 5424 with Junos' structured data.
    pub structured_data: bool,
    /// `transport` (hosts): `udp` (unset), `tcp` or `tls`.
    pub transport: Option<String>,
}

impl SyslogDestination {
    /// Whether a message of `facility` at `severity` goes here: the most
    /// specific entry (`facility` over `any`) decides; `none` refuses.
    pub fn takes(&self, facility: &str, severity: &str) -> bool {
        let entry = |f: &str| {
            self.facilities
                .iter()
                .rev()
                .find(|(have, _)| have == f)
                .map(|(_, s)| s.as_str())
        };
        let Some(limit) = entry(facility).or_else(|| entry("any")) else {
            return false;
        };
        match limit {
            "any" => true,
            "none" => false,
            limit => rank(severity) <= rank(limit),
        }
    }
}

/// How severe: 0 for emergency, larger for less severe.
fn rank(severity: &str) -> usize {
    SEVERITIES
        .iter()
        .position(|s| *s == severity)
        .unwrap_or(SEVERITIES.len())
}

/// `security log mode`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogMode {
    /// `event`: security logs go through `system syslog`.
    #[default]
    Event,
    /// `stream`: security logs go to the `stream` hosts only.
    Stream,
}

/// The text form of security logs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// `syslog`: BSD syslog (RFC 3164) carrying the RT_FLOW text.
    #[default]
    Syslog,
    /// `sd-syslog`: RFC 5424 with the Junos structured data.
    SdSyslog,
    /// `binary`, `welf`: accepted, sent as `syslog`.
    Other,
}

/// `security log`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SecurityLog {
    /// `mode` (`event` when unset).
    pub mode: LogMode,
    /// `format` for streams that name none.
    pub format: LogFormat,
    /// `source-address` of streamed logs.
    pub source_address: Option<IpAddr>,
    /// `disable`: no security logs at all.
    pub disabled: bool,
    /// `stream`s, in configuration order.
    pub streams: Vec<LogStream>,
}

/// One `security log stream`.
#[derive(Debug, Clone, PartialEq)]
pub struct LogStream {
    /// Its name.
    pub name: String,
    /// `host` address.
    pub host: IpAddr,
    /// `host port` (514 when unset).
    pub port: u16,
    /// `format`, or the `security log format`.
    pub format: LogFormat,
    /// `severity`: the least severe message it takes (`None`: all).
    pub severity: Option<String>,
    /// `category` (empty: all).
    pub categories: Vec<String>,
}

impl LogStream {
    /// Whether session records (`RT_FLOW`, severity info) go to this stream.
    pub fn takes_sessions(&self) -> bool {
        let category = self.categories.is_empty()
            || self
                .categories
                .iter()
                .any(|c| matches!(c.as_str(), "all" | "session" | "flow"));
        let severity = self
            .severity
            .as_deref()
            .is_none_or(|s| rank("info") <= rank(s));
        category && severity
    }
}

fn format_of(w: Option<&xpf_config::Word>) -> Option<LogFormat> {
    w.map(|w| match w.text.as_str() {
        "syslog" => LogFormat::Syslog,
        "sd-syslog" => LogFormat::SdSyslog,
        _ => LogFormat::Other,
    })
}

/// An address value, or an error at its word.
fn address(ck: &mut Checks, path: &Path, st: &Statement, kw: &str) -> Option<IpAddr> {
    let w = value(st, kw)?;
    match w.text.parse() {
        Ok(a) => Some(a),
        Err(_) => {
            let holder = child(st, kw).unwrap_or(st);
            ck.error_word(path, holder, w, format!("invalid IP address: '{}'", w.text));
            None
        }
    }
}

/// A `match` expression, checked now so a bad one fails the commit rather
/// than the log.
fn pattern(ck: &mut Checks, path: &Path, st: &Statement) -> Option<String> {
    let w = value(st, "match")?;
    if let Err(e) = regex::Regex::new(&w.text) {
        let holder = child(st, "match").unwrap_or(st);
        let why = e.to_string();
        let why = why.lines().last().unwrap_or("invalid").trim();
        ck.error_word(
            path,
            holder,
            w,
            format!("invalid regular expression '{}': {why}", w.text),
        );
        return None;
    }
    Some(w.text.clone())
}

/// Reads `system syslog` (`st`).
pub(crate) fn syslog(st: &Statement, ck: &mut Checks) -> Syslog {
    let path = Path::of(&["system"]).join(st);
    let dest = |ck: &mut Checks, kw: &str| -> Vec<SyslogDestination> {
        kids(st, kw)
            .filter_map(|d| {
                let p = path.join(d);
                Some(SyslogDestination {
                    name: d.words.get(1)?.text.clone(),
                    facilities: facilities(d),
                    matches: pattern(ck, &p, d),
                    port: number_of(ck, &p, d, "port"),
                    source_address: address(ck, &p, d, "source-address"),
                    structured_data: flag(d, "structured-data"),
                    transport: transport(ck, &p, d),
                })
            })
            .collect()
    };
    Syslog {
        hosts: dest(ck, "host"),
        files: dest(ck, "file"),
        users: dest(ck, "user"),
        source_address: address(ck, &path, st, "source-address"),
    }
}

/// `transport udp|tcp|tls` of a syslog host. TLS is refused by name: the
/// sender does not speak it yet, and logs a user asked to encrypt must not
/// go out in clear or not at all.
fn transport(ck: &mut Checks, path: &Path, d: &Statement) -> Option<String> {
    let st = child(d, "transport")?;
    let w = value(d, "transport")?;
    if w.text == "tls" {
        ck.error_word(
            path,
            st,
            w,
            "statement not supported by xpf: syslog over TLS is not sent yet",
        );
    }
    Some(w.text.clone())
}

/// The `facility severity` children of a syslog destination.
fn facilities(st: &Statement) -> Vec<(String, String)> {
    st.kids()
        .iter()
        .filter_map(|c| {
            let sev = c.words.get(1).or_else(|| arg(c))?;
            (SEVERITIES.contains(&sev.text.as_str()) || matches!(sev.text.as_str(), "any" | "none"))
                .then(|| (c.keyword().to_string(), sev.text.clone()))
        })
        .collect()
}

/// Reads `security log` (`st`).
pub(crate) fn security_log(st: &Statement, ck: &mut Checks) -> SecurityLog {
    let path = Path::of(&["security"]).join(st);
    let format = format_of(value(st, "format")).unwrap_or_default();
    let mut log = SecurityLog {
        mode: match value(st, "mode").map(|w| w.text.as_str()) {
            Some("stream") => LogMode::Stream,
            _ => LogMode::Event,
        },
        format,
        source_address: address(ck, &path, st, "source-address"),
        disabled: flag(st, "disable"),
        streams: Vec::new(),
    };
    for s in kids(st, "stream") {
        let Some(name) = s.words.get(1) else { continue };
        let p = path.join(s);
        let Some(host) = child(s, "host") else {
            ck.missing(&path, s, "host");
            continue;
        };
        let hp = p.join(host);
        let addr = args(host)
            .into_iter()
            .chain(host.kids().iter().filter_map(|k| k.words.first()))
            .find(|w| w.text.parse::<IpAddr>().is_ok());
        let Some(addr) = addr.and_then(|w| w.text.parse().ok()) else {
            ck.error(&p, host, "Missing mandatory statement: host address");
            continue;
        };
        log.streams.push(LogStream {
            name: name.text.clone(),
            host: addr,
            port: number_of(ck, &hp, host, "port").unwrap_or(514),
            format: format_of(value(s, "format")).unwrap_or(format),
            severity: value(s, "severity").map(|w| w.text.clone()),
            categories: crate::read::values_of(s, "category")
                .into_iter()
                .map(|w| w.text.clone())
                .collect(),
        });
    }
    log
}

#[cfg(test)]
mod tests {
    use crate::tests::{build_text, errors_of};

    use super::*;

    #[test]
    fn destinations_take_what_their_facilities_allow() {
        let m = build_text(
            r#"system { syslog {
                host 192.0.2.9 { any notice; port 5514; source-address 192.0.2.1; structured-data; }
                file traffic-log { any any; match "RT_FLOW_SESSION"; }
                file messages { any notice; user none; }
                source-address 192.0.2.2;
            } }"#,
        );
        let s = &m.system.syslog;
        let host = &s.hosts[0];
        assert_eq!(host.port, Some(5514));
        assert!(host.structured_data);
        assert!(
            !host.takes("user", "info"),
            "notice is more severe than info"
        );
        assert!(host.takes("user", "warning"));
        assert_eq!(s.files[0].matches.as_deref(), Some("RT_FLOW_SESSION"));
        assert!(s.files[0].takes("user", "info"));
        assert!(!s.files[1].takes("user", "emergency"), "user none");
        assert!(s.files[1].takes("daemon", "error"));
        assert_eq!(s.source_address, Some("192.0.2.2".parse().unwrap()));
    }

    #[test]
    fn streams_name_their_host_and_what_they_carry() {
        let m = build_text(
            "security { log { mode stream; format sd-syslog; source-address 10.0.0.1;
                stream siem { host { 192.0.2.50; port 5514; } category all; }
                stream idp-only { host { 192.0.2.51; } category idp; format syslog; }
            } }",
        );
        let log = &m.security_log;
        assert_eq!(log.mode, LogMode::Stream);
        let siem = &log.streams[0];
        assert_eq!(
            (siem.host.to_string(), siem.port),
            ("192.0.2.50".into(), 5514)
        );
        assert_eq!(siem.format, LogFormat::SdSyslog);
        assert!(siem.takes_sessions());
        let idp = &log.streams[1];
        assert_eq!((idp.port, idp.format), (514, LogFormat::Syslog));
        assert!(!idp.takes_sessions());
    }

    #[test]
    fn a_bad_match_expression_or_hostless_stream_fails_the_commit() {
        let e = errors_of(
            r#"system { syslog { file traffic { any any; match "RT_FLOW("; } } }
            security { log { stream s1 { category all; } } }"#,
        );
        assert!(
            e[0].message
                .starts_with("invalid regular expression 'RT_FLOW('"),
            "{e:?}"
        );
        assert_eq!(e[0].path, ["system", "syslog", "file traffic"]);
        assert_eq!(e[1].message, "Missing mandatory statement: 'host'");
    }
}
