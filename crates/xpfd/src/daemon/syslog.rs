// SPDX-License-Identifier: Apache-2.0
//! Session log records (`then log session-init session-close`) delivered
//! as Junos delivers them: in `security log mode event` (the default) to
//! every `system syslog` file and host that takes facility `user` at
//! `info` and whose `match` they pass; in `mode stream` to each `security
//! log stream` host instead. Files land in `--log-dir` for `show log FILE`.
//!
//! System events (commits, configuration-mode logins, refused logins:
//! [`super::events`]) go to every `system syslog` file and host whose
//! facility, severity and `match` take them, whatever the security log
//! mode.
//!
//! The AF_XDP workers hand records over once per loop (never blocking a
//! packet); this task drains them a few times a second.

use std::io::Write as _;
use std::net::{IpAddr, SocketAddr, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;

use regex::Regex;
use xpf_dataplane::{rt_flow_line, rt_flow_structured, Record};
use xpf_model::{LogFormat, LogMode, Model, SecurityLog, Syslog, SyslogDestination};

use super::clock;
use super::events::{self, SystemEvent};
use super::supervisor::Supervisor;

/// A file grows to this size, then becomes `FILE.0` and starts again.
const ROTATE_BYTES: u64 = 1 << 20;

/// Session records are facility `user`, severity `info` (`<14>`).
const FACILITY: &str = "user";
const SEVERITY: &str = "info";
const PRI: u8 = 14;

/// What the configuration says about logging, as last compiled.
#[derive(PartialEq)]
struct Wanted {
    host: String,
    syslog: Syslog,
    security: SecurityLog,
}

impl Wanted {
    fn of(model: Option<&Model>) -> Wanted {
        Wanted {
            host: model
                .and_then(|m| m.system.host_name.clone())
                .unwrap_or_else(|| "xpf".into()),
            syslog: model.map(|m| m.system.syslog.clone()).unwrap_or_default(),
            security: model.map(|m| m.security_log.clone()).unwrap_or_default(),
        }
    }
}

/// One place records go.
struct Route {
    to: Sink,
    matches: Option<Regex>,
    format: LogFormat,
}

enum Sink {
    File(PathBuf),
    Host(UdpSocket, SocketAddr),
    /// `transport tcp`: one connection, made again when it breaks;
    /// messages end in a newline (RFC 6587 non-transparent framing).
    Tcp(Mutex<Option<TcpStream>>, SocketAddr),
}

/// How long a TCP syslog host may take to accept a connection.
const TCP_CONNECT: Duration = Duration::from_secs(2);

/// Every route of a configuration.
struct Routes {
    host: String,
    routes: Vec<Route>,
    /// Where system events may go, each with the destination that says
    /// which facilities and severities it takes.
    events: Vec<(Route, SyslogDestination)>,
}

/// The route of a `system syslog file`, unless its name is refused.
fn file_route(f: &SyslogDestination, log_dir: &Path) -> Option<Route> {
    // A file name is one path component: never a way out of the log directory.
    if f.name.contains('/') || f.name.starts_with('.') {
        tracing::warn!(file = %f.name, "syslog file name refused");
        return None;
    }
    Some(Route {
        to: Sink::File(log_dir.join(&f.name)),
        matches: pattern(f),
        format: if f.structured_data {
            LogFormat::SdSyslog
        } else {
            LogFormat::Syslog
        },
    })
}

/// The route of a `system syslog host`, when it can be sent to.
fn host_route(h: &SyslogDestination, syslog: &Syslog) -> Option<Route> {
    let Ok(ip) = h.name.parse::<IpAddr>() else {
        tracing::warn!(host = %h.name, "syslog host is not an address: not sent to");
        return None;
    };
    let at = SocketAddr::new(ip, h.port.unwrap_or(514));
    let source = h.source_address.or(syslog.source_address);
    // `transport tls` is refused at commit.
    let sink = match h.transport.as_deref() {
        Some("tcp") => Some(Sink::Tcp(Mutex::new(None), at)),
        _ => udp(at, source),
    }?;
    Some(Route {
        to: sink,
        matches: pattern(h),
        format: if h.structured_data {
            LogFormat::SdSyslog
        } else {
            LogFormat::Syslog
        },
    })
}

impl Routes {
    fn compile(w: &Wanted, log_dir: &Path) -> Routes {
        let mut routes = Vec::new();
        let sec = &w.security;
        if sec.disabled {
        } else if sec.mode == LogMode::Stream {
            for s in sec.streams.iter().filter(|s| s.takes_sessions()) {
                if let Some(sink) = udp(SocketAddr::new(s.host, s.port), sec.source_address) {
                    routes.push(Route {
                        to: sink,
                        matches: None,
                        format: s.format,
                    });
                }
            }
        } else {
            let takes = |d: &&SyslogDestination| d.takes(FACILITY, SEVERITY);
            routes.extend(
                w.syslog
                    .files
                    .iter()
                    .filter(takes)
                    .filter_map(|f| file_route(f, log_dir)),
            );
            routes.extend(
                w.syslog
                    .hosts
                    .iter()
                    .filter(takes)
                    .filter_map(|h| host_route(h, &w.syslog)),
            );
        }
        let files = w
            .syslog
            .files
            .iter()
            .filter_map(|f| Some((file_route(f, log_dir)?, f.clone())));
        let hosts = w
            .syslog
            .hosts
            .iter()
            .filter_map(|h| Some((host_route(h, &w.syslog)?, h.clone())));
        let events = files.chain(hosts).collect();
        Routes {
            host: w.host.clone(),
            routes,
            events,
        }
    }

    /// Sends or writes every record each route takes.
    fn deliver(&self, records: &[Record], now: u64) {
        for route in &self.routes {
            let mut lines = Vec::new();
            for r in records {
                let text = rt_flow_line(r);
                if route.matches.as_ref().is_some_and(|m| !m.is_match(&text)) {
                    continue;
                }
                lines.push(self.message(route, r, &text, now));
            }
            if lines.is_empty() {
                continue;
            }
            send(&route.to, &lines);
        }
    }

    /// Sends or writes every event each destination takes.
    fn deliver_events(&self, evs: &[SystemEvent]) {
        for (route, dest) in &self.events {
            let lines: Vec<String> = evs
                .iter()
                .filter(|e| dest.takes(e.facility, e.severity))
                .filter(|e| {
                    let text = format!("{}: {}", e.tag, e.text);
                    route.matches.as_ref().is_none_or(|m| m.is_match(&text))
                })
                .map(|e| self.event_message(route, e))
                .collect();
            if !lines.is_empty() {
                send(&route.to, &lines);
            }
        }
    }

    /// One event as this route writes it, as Junos' management process
    /// (`mgd`) logs it.
    fn event_message(&self, route: &Route, e: &SystemEvent) -> String {
        let pri = match route.to {
            Sink::File(_) => String::new(),
            Sink::Host(..) | Sink::Tcp(..) => format!("<{}>", e.pri()),
        };
        let pid = std::process::id();
        match route.format {
            LogFormat::SdSyslog => format!(
                "{pri}1 {} {} mgd {pid} {} - {}",
                clock::rfc3339(e.time),
                self.host,
                e.tag,
                e.text
            ),
            LogFormat::Syslog | LogFormat::Other => format!(
                "{pri}{} {} mgd[{pid}]: {}: {}",
                clock::bsd(e.time),
                self.host,
                e.tag,
                e.text
            ),
        }
    }

    /// One record as this route writes it: a file line, or a datagram.
    fn message(&self, route: &Route, r: &Record, text: &str, now: u64) -> String {
        let pri = match route.to {
            Sink::File(_) => String::new(),
            Sink::Host(..) | Sink::Tcp(..) => format!("<{PRI}>"),
        };
        match route.format {
            LogFormat::SdSyslog => {
                let (id, sd) = rt_flow_structured(r);
                let english = text.split_once(": ").map_or(text, |(_, t)| t);
                format!(
                    "{pri}1 {} {} RT_FLOW - {id} {sd} {english}",
                    clock::rfc3339(now),
                    self.host
                )
            }
            LogFormat::Syslog | LogFormat::Other => {
                format!("{pri}{} {} RT_FLOW: {text}", clock::bsd(now), self.host)
            }
        }
    }
}

/// Writes or sends lines to one sink.
fn send(to: &Sink, lines: &[String]) {
    match to {
        Sink::File(path) => {
            if let Err(e) = append(path, lines) {
                tracing::warn!(file = %path.display(), "writing syslog: {e}");
            }
        }
        Sink::Host(socket, at) => {
            for l in lines {
                if let Err(e) = socket.send_to(l.as_bytes(), at) {
                    tracing::debug!(%at, "sending syslog: {e}");
                }
            }
        }
        Sink::Tcp(conn, at) => {
            let Ok(mut conn) = conn.lock() else { return };
            if let Err(e) = send_tcp(&mut conn, *at, lines) {
                // Dropped, not queued: a collector that is away must not
                // make xpfd hold the messages in memory.
                *conn = None;
                tracing::debug!(%at, "sending syslog over TCP: {e}");
            }
        }
    }
}

fn pattern(d: &SyslogDestination) -> Option<Regex> {
    // Checked at commit; a pattern that still fails takes nothing.
    d.matches
        .as_deref()
        .map(|m| Regex::new(m).unwrap_or_else(|_| Regex::new("$^").expect("a valid pattern")))
}

fn udp(at: SocketAddr, source: Option<IpAddr>) -> Option<Sink> {
    let bind = match (source, at) {
        (Some(s), _) if s.is_ipv4() == at.is_ipv4() => SocketAddr::new(s, 0),
        (_, SocketAddr::V4(_)) => SocketAddr::from(([0, 0, 0, 0], 0)),
        (_, SocketAddr::V6(_)) => SocketAddr::from(([0u16; 8], 0)),
    };
    match UdpSocket::bind(bind) {
        Ok(s) => Some(Sink::Host(s, at)),
        Err(e) => {
            tracing::warn!(%at, %bind, "no socket for syslog host: {e}");
            None
        }
    }
}

/// Writes `lines` to a TCP syslog host, connecting first when needed.
fn send_tcp(conn: &mut Option<TcpStream>, at: SocketAddr, lines: &[String]) -> std::io::Result<()> {
    if conn.is_none() {
        let s = TcpStream::connect_timeout(&at, TCP_CONNECT)?;
        s.set_write_timeout(Some(TCP_CONNECT))?;
        *conn = Some(s);
    }
    let Some(s) = conn.as_mut() else {
        return Ok(());
    };
    let mut buf = String::new();
    for l in lines {
        buf.push_str(l);
        buf.push('\n');
    }
    s.write_all(buf.as_bytes())
}

/// Appends lines, moving a full file aside first.
fn append(path: &Path, lines: &[String]) -> std::io::Result<()> {
    if std::fs::metadata(path).is_ok_and(|m| m.len() > ROTATE_BYTES) {
        std::fs::rename(path, path.with_extension("0"))?;
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)?;
    let mut buf = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
    for l in lines {
        buf.push_str(l);
        buf.push('\n');
    }
    f.write_all(buf.as_bytes())
}

/// Drains the dataplane's session records (the AF_XDP workers' queue or
/// the eBPF program's events) and delivers them, for ever.
pub async fn deliver_session_logs(sup: Arc<Supervisor>) {
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut compiled: Option<(Wanted, Routes)> = None;
    loop {
        tick.tick().await;
        let snap = sup.snapshot.read().await.clone();
        let (records, lost) = sup.forwarding.take_flow_log(snap.as_deref());
        if lost > 0 {
            tracing::warn!(lost, "session log records lost: the log queue was full");
        }
        let evs = events::take();
        if records.is_empty() && evs.is_empty() {
            continue;
        }
        let wanted = Wanted::of(sup.active.read().await.as_ref());
        if compiled.as_ref().is_none_or(|(w, _)| *w != wanted) {
            let routes = Routes::compile(&wanted, &sup.log_dir);
            compiled = Some((wanted, routes));
        }
        if let Some((_, routes)) = &compiled {
            let now = clock::now();
            tokio::task::block_in_place(|| {
                routes.deliver(&records, now);
                routes.deliver_events(&evs);
            });
        }
    }
}

/// `show log FILE`: a file `system syslog file` writes, if it exists.
pub fn read(log_dir: &Path, name: &str) -> Option<Result<String, String>> {
    if name.contains('/') || name.starts_with('.') {
        return Some(Err(format!("error: could not resolve file: {name}")));
    }
    match std::fs::read_to_string(log_dir.join(name)) {
        Ok(text) => Some(Ok(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => Some(Err(format!("error: reading {name}: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(text: &str) -> Model {
        let cfg = xpf_config::parse_config(text).expect("loads");
        xpf_model::build(&xpf_config::effective(&cfg, None)).expect("checks")
    }

    fn record() -> Record {
        let a = |s: &str, p| (s.parse().expect("address"), p);
        Record {
            kind: xpf_dataplane::RecordKind::Create,
            src: a("10.0.1.2", 40000),
            dst: a("10.0.2.2", 80),
            nat_src: a("10.0.1.2", 40000),
            nat_dst: a("10.0.2.2", 80),
            service: "junos-http".into(),
            src_nat_rule: None,
            dst_nat_rule: None,
            protocol: 6,
            policy: "web".into(),
            from_zone: "trust".into(),
            to_zone: "untrust".into(),
            session_id: 7,
            interface: "ge-0/0/0.0".into(),
            from_client: (0, 0),
            from_server: (0, 0),
            elapsed_s: 0,
        }
    }

    #[test]
    fn event_mode_writes_files_that_take_user_info_and_match() {
        let dir = tempfile::tempdir().expect("temp dir");
        let m = model(
            r#"system { host-name fw1; syslog {
                file traffic { any any; match "RT_FLOW_SESSION_CREATE"; }
                file closes { any any; match "RT_FLOW_SESSION_CLOSE"; }
                file messages { any notice; }
            } }"#,
        );
        let routes = Routes::compile(&Wanted::of(Some(&m)), dir.path());
        routes.deliver(&[record()], 1_795_305_600);
        let traffic = std::fs::read_to_string(dir.path().join("traffic")).expect("written");
        assert!(
            traffic.starts_with("Nov 22 00:00:00 fw1 RT_FLOW: RT_FLOW_SESSION_CREATE: session created 10.0.1.2/40000->10.0.2.2/80"),
            "{traffic}"
        );
        assert!(!dir.path().join("closes").exists(), "match kept it out");
        assert!(
            !dir.path().join("messages").exists(),
            "notice does not take info"
        );
    }

    #[test]
    fn tcp_transport_sends_newline_framed_messages() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let dir = tempfile::tempdir().expect("temp dir");
        let m = model(&format!(
            "system {{ host-name fw1; syslog {{ host 127.0.0.1 {{ any any; port {port}; transport tcp; }} }} }}"
        ));
        let routes = Routes::compile(&Wanted::of(Some(&m)), dir.path());
        routes.deliver(&[record(), record()], 1_795_305_600);
        let (mut conn, _) = listener.accept().expect("a connection");
        conn.set_read_timeout(Some(Duration::from_secs(2)))
            .expect("timeout");
        let mut got = String::new();
        let mut buf = [0u8; 4096];
        while got.matches('\n').count() < 2 {
            let n = std::io::Read::read(&mut conn, &mut buf).expect("reads");
            assert!(n > 0, "closed early: {got}");
            got.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
        let first = got.lines().next().expect("a line");
        assert!(
            first.starts_with("<14>Nov 22 00:00:00 fw1 RT_FLOW: RT_FLOW_SESSION_CREATE: "),
            "{first}"
        );
    }

    #[test]
    fn stream_mode_sends_structured_data_to_the_stream_host_only() {
        let sink = UdpSocket::bind("127.0.0.1:0").expect("bind");
        sink.set_read_timeout(Some(Duration::from_secs(2)))
            .expect("timeout");
        let port = sink.local_addr().expect("addr").port();
        let dir = tempfile::tempdir().expect("temp dir");
        let m = model(&format!(
            "system {{ host-name fw1; syslog {{ file traffic {{ any any; }} }} }}
             security {{ log {{ mode stream; format sd-syslog;
                 stream siem {{ host {{ 127.0.0.1; port {port}; }} category all; }} }} }}"
        ));
        let routes = Routes::compile(&Wanted::of(Some(&m)), dir.path());
        routes.deliver(&[record()], 1_795_305_600);
        let mut buf = [0u8; 2048];
        let n = sink.recv(&mut buf).expect("a datagram");
        let got = String::from_utf8_lossy(&buf[..n]);
        assert!(
            got.starts_with("<14>1 2026-11-22T00:00:00.000Z fw1 RT_FLOW - RT_FLOW_SESSION_CREATE [junos@2636.1.1.1.2.129 source-address=\"10.0.1.2\""),
            "{got}"
        );
        assert!(got.ends_with("] session created 10.0.1.2/40000->10.0.2.2/80 0x0 junos-http 10.0.1.2/40000->10.0.2.2/80 0x0 N/A N/A N/A N/A 6 web trust untrust 7 N/A(N/A) ge-0/0/0.0 UNKNOWN UNKNOWN UNKNOWN"), "{got}");
        assert!(
            !dir.path().join("traffic").exists(),
            "stream mode bypasses syslog"
        );
    }
}
