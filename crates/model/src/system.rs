// SPDX-License-Identifier: Apache-2.0
//! `system`: identity, DNS, NTP, syslog, logins, management services and
//! xpf's dataplane selection.

use std::net::IpAddr;

use xpf_config::Statement;

use crate::check::{undefined, Checks, Path};
pub use crate::logging::{Syslog, SyslogDestination};
use crate::read::{arg, args, child, flag, kids, number_of, text, value, values_of};

/// Login classes every Junos system has.
/// `superuser` is the older spelling of `super-user`, which Junos still takes.
pub const BUILTIN_CLASSES: &[&str] = &[
    "super-user",
    "superuser",
    "operator",
    "read-only",
    "unauthorized",
];

/// The `system` hierarchy.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct System {
    /// `host-name`.
    pub host_name: Option<String>,
    /// `domain-name`.
    pub domain_name: Option<String>,
    /// `domain-search`, in order.
    pub domain_search: Vec<String>,
    /// `time-zone`, e.g. `Europe/Berlin`.
    pub time_zone: Option<String>,
    /// `name-server` addresses, in order.
    pub name_servers: Vec<IpAddr>,
    /// `ntp server` entries.
    pub ntp_servers: Vec<NtpServer>,
    /// `syslog`.
    pub syslog: Syslog,
    /// `login class` and `login user`.
    pub login: Login,
    /// `root-authentication`.
    pub root_authentication: Authentication,
    /// `services`.
    pub services: Services,
    /// `dataplane-type`: which packet engine xpf runs.
    pub dataplane_type: DataplaneType,
    /// `dataplane`: packet engine sizing.
    pub dataplane: Dataplane,
    /// `software auto-update`: off unless configured.
    pub auto_update: Option<AutoUpdate>,
}

/// `system software auto-update`: the box installs newer releases of a
/// channel by itself.
#[derive(Debug, Clone, PartialEq)]
pub struct AutoUpdate {
    /// `channel`: an https URL or a directory.
    pub channel: String,
    /// `check-interval`, in minutes (default a day).
    pub check_minutes: u32,
    /// `maintenance-window`: `None` is "at any time".
    pub window: Option<MaintenanceWindow>,
    /// Reboot into the new version once installed (not `no-reboot`).
    pub reboot: bool,
}

/// A daily window, in UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaintenanceWindow {
    /// Minutes after midnight UTC when it opens.
    pub start_minute: u32,
    /// How many minutes it stays open.
    pub minutes: u32,
}

impl MaintenanceWindow {
    /// Whether `unix` (seconds since the epoch) falls in the window,
    /// which may run past midnight.
    pub fn contains(&self, unix: u64) -> bool {
        let minute = ((unix / 60) % 1440) as u32;
        (minute + 1440 - self.start_minute) % 1440 < self.minutes
    }
}

/// `hh:mm` to minutes after midnight.
fn clock_minute(text: &str) -> Option<u32> {
    let (h, m) = text.split_once(':')?;
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60 && text.len() <= 5).then_some(h * 60 + m)
}

fn auto_update(st: &Statement, path: &Path, ck: &mut Checks) -> Option<AutoUpdate> {
    let Some(channel) = text(value(st, "channel")) else {
        ck.missing(path, st, "channel");
        return None;
    };
    let window = child(st, "maintenance-window").and_then(|w| {
        let p = path.join(w);
        let minutes = number_of(ck, &p, w, "duration").unwrap_or(120);
        let Some(start) = value(w, "start-time") else {
            ck.missing(&p, w, "start-time");
            return None;
        };
        match clock_minute(&start.text) {
            Some(start_minute) => Some(MaintenanceWindow {
                start_minute,
                minutes,
            }),
            None => {
                let holder = child(w, "start-time").unwrap_or(w);
                ck.error_word(
                    &p,
                    holder,
                    start,
                    format!("invalid time '{}', expecting hh:mm (UTC)", start.text),
                );
                None
            }
        }
    });
    Some(AutoUpdate {
        channel,
        check_minutes: number_of(ck, path, st, "check-interval").unwrap_or(1440),
        window,
        reboot: !flag(st, "no-reboot"),
    })
}

/// One `ntp server`.
#[derive(Debug, Clone, PartialEq)]
pub struct NtpServer {
    /// Its address.
    pub address: IpAddr,
    /// `prefer`.
    pub prefer: bool,
}

/// `login`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Login {
    /// User-defined classes.
    pub classes: Vec<LoginClass>,
    /// Local users.
    pub users: Vec<User>,
}

/// One `login class`.
#[derive(Debug, Clone, PartialEq)]
pub struct LoginClass {
    /// Class name.
    pub name: String,
    /// `permissions`.
    pub permissions: Vec<String>,
}

/// One `login user`.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// User name.
    pub name: String,
    /// `uid`.
    pub uid: Option<u32>,
    /// `class` (built-in or a `login class`).
    pub class: String,
    /// `authentication`.
    pub authentication: Authentication,
}

/// A password and SSH keys (`authentication`, `root-authentication`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Authentication {
    /// `encrypted-password`, as written (a crypt(3) string).
    pub encrypted_password: Option<String>,
    /// `ssh-rsa`, `ssh-ecdsa`, `ssh-ed25519` keys.
    pub ssh_keys: Vec<SshKey>,
}

/// One authorised SSH public key.
#[derive(Debug, Clone, PartialEq)]
pub struct SshKey {
    /// Key algorithm.
    pub kind: SshKeyKind,
    /// The key line as written (`ssh-ed25519 AAAA... user@host`).
    pub key: String,
    /// `from`: the hosts or address patterns this key may log in from
    /// (OpenSSH pattern syntax); `None`: anywhere.
    pub from: Option<String>,
}

/// SSH key algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SshKeyKind {
    /// `ssh-rsa`.
    Rsa,
    /// `ssh-ecdsa`.
    Ecdsa,
    /// `ssh-ed25519`.
    Ed25519,
}

/// `services`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Services {
    /// `ssh`, when enabled.
    pub ssh: Option<Ssh>,
    /// `netconf ssh`, when enabled.
    pub netconf_ssh: Option<NetconfSsh>,
    /// `web-management`.
    pub web_management: WebManagement,
}

/// `services ssh`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ssh {
    /// `root-login`; `None` keeps the default.
    pub root_login: Option<RootLogin>,
    /// `protocol-version` values (`v2`).
    pub protocol_versions: Vec<String>,
    /// `port`; `None` is 22.
    pub port: Option<u16>,
    /// `max-sessions-per-connection`.
    pub max_sessions_per_connection: Option<u32>,
    /// `connection-limit`: simultaneous connections.
    pub connection_limit: Option<u32>,
    /// `rate-limit`: new connections per minute.
    pub rate_limit: Option<u32>,
}

/// `services ssh root-login`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootLogin {
    /// `allow`.
    Allow,
    /// `deny`.
    Deny,
    /// `deny-password`: keys only.
    DenyPassword,
}

/// `services netconf ssh`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NetconfSsh {
    /// `port`; `None` is 830.
    pub port: Option<u16>,
}

/// `services web-management`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WebManagement {
    /// `http`, when enabled.
    pub http: Option<WebService>,
    /// `https`, when enabled.
    pub https: Option<WebService>,
}

/// One web-management listener.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WebService {
    /// `port`; `None` is the protocol's default.
    pub port: Option<u16>,
    /// `interface` values: where it listens (empty: everywhere).
    pub interfaces: Vec<String>,
}

/// xpf's packet engine (`system dataplane-type`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum DataplaneType {
    /// The userspace engine (the default).
    #[default]
    Userspace,
    /// The eBPF/XDP engine.
    Ebpf,
}

/// `system dataplane` sizing knobs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dataplane {
    /// `workers`: packet worker threads (`None`: one per core).
    pub workers: Option<u32>,
    /// `ring-entries`: descriptors per ring.
    pub ring_entries: Option<u32>,
}

impl System {
    /// Whether `class` is a built-in or configured login class.
    pub fn class_exists(&self, class: &str) -> bool {
        BUILTIN_CLASSES.contains(&class) || self.login.classes.iter().any(|c| c.name == class)
    }
}

/// Reads `system` (`st`), checking user classes.
pub(crate) fn build(st: &Statement, ck: &mut Checks) -> System {
    let path = Path::of(&["system"]);
    let mut sys = System {
        host_name: text(value(st, "host-name")),
        domain_name: text(value(st, "domain-name")),
        time_zone: text(value(st, "time-zone")),
        domain_search: values_of(st, "domain-search")
            .iter()
            .map(|w| w.text.clone())
            .collect(),
        ..System::default()
    };
    for ns in kids(st, "name-server") {
        for w in args(ns) {
            match w.text.parse() {
                Ok(a) => sys.name_servers.push(a),
                Err(_) => ck.error_word(&path, ns, w, format!("invalid IP address: '{}'", w.text)),
            }
        }
    }
    if let Some(ntp) = child(st, "ntp") {
        let p = path.join(ntp);
        for s in kids(ntp, "server") {
            let Some(w) = s.words.get(1) else { continue };
            match w.text.parse() {
                Ok(address) => sys.ntp_servers.push(NtpServer {
                    address,
                    prefer: flag(s, "prefer"),
                }),
                Err(_) => ck.error_word(&p, s, w, format!("invalid IP address: '{}'", w.text)),
            }
        }
    }
    if let Some(sl) = child(st, "syslog") {
        sys.syslog = crate::logging::syslog(sl, ck);
    }
    if let Some(login) = child(st, "login") {
        sys.login = self::login(login, &path.join(login), ck);
    }
    if let Some(ra) = child(st, "root-authentication") {
        sys.root_authentication = authentication(ra);
    }
    if let Some(sv) = child(st, "services") {
        sys.services = services(sv, &path.join(sv), ck);
    }
    if let Some(t) = value(st, "dataplane-type") {
        sys.dataplane_type = match t.text.as_str() {
            "ebpf" => DataplaneType::Ebpf,
            "userspace" => DataplaneType::Userspace,
            other => {
                let holder = child(st, "dataplane-type").unwrap_or(st);
                ck.error_word(
                    &path,
                    holder,
                    t,
                    format!("invalid value '{other}', expecting one of: userspace ebpf"),
                );
                DataplaneType::Userspace
            }
        };
    }
    if let Some(dp) = child(st, "dataplane") {
        let p = path.join(dp);
        sys.dataplane = Dataplane {
            workers: number_of(ck, &p, dp, "workers"),
            ring_entries: number_of(ck, &p, dp, "ring-entries"),
        };
    }
    if let Some(au) = child(st, "software").and_then(|sw| child(sw, "auto-update")) {
        let p = Path::of(&["system", "software", "auto-update"]);
        sys.auto_update = auto_update(au, &p, ck);
    }
    // Classes are all known now: check what users name.
    if let Some(login) = child(st, "login") {
        let p = path.join(login);
        for u in kids(login, "user") {
            match child(u, "class") {
                None => ck.missing(&p, u, "class"),
                Some(c) => {
                    if let Some(w) = arg(c) {
                        if !sys.class_exists(&w.text) {
                            ck.error_word(&p.join(u), c, w, undefined("class", &w.text));
                        }
                    }
                }
            }
        }
    }
    sys
}

fn login(st: &Statement, path: &Path, ck: &mut Checks) -> Login {
    let classes = kids(st, "class")
        .filter_map(|c| {
            Some(LoginClass {
                name: c.words.get(1)?.text.clone(),
                permissions: child(c, "permissions")
                    .map(|p| args(p).iter().map(|w| w.text.clone()).collect())
                    .unwrap_or_default(),
            })
        })
        .collect();
    let users = kids(st, "user")
        .filter_map(|u| {
            let p = path.join(u);
            Some(User {
                name: u.words.get(1)?.text.clone(),
                uid: number_of(ck, &p, u, "uid"),
                class: text(value(u, "class")).unwrap_or_default(),
                authentication: child(u, "authentication")
                    .map(authentication)
                    .unwrap_or_default(),
            })
        })
        .collect();
    Login { classes, users }
}

fn authentication(st: &Statement) -> Authentication {
    let mut ssh_keys = Vec::new();
    for c in st.kids() {
        let kind = match c.keyword() {
            "ssh-rsa" => SshKeyKind::Rsa,
            "ssh-ecdsa" => SshKeyKind::Ecdsa,
            "ssh-ed25519" => SshKeyKind::Ed25519,
            _ => continue,
        };
        if let Some(w) = arg(c) {
            ssh_keys.push(SshKey {
                kind,
                key: w.text.clone(),
                from: text(value(c, "from")),
            });
        }
    }
    Authentication {
        encrypted_password: text(value(st, "encrypted-password")),
        ssh_keys,
    }
}

fn services(st: &Statement, path: &Path, ck: &mut Checks) -> Services {
    let ssh = child(st, "ssh").map(|s| {
        let p = path.join(s);
        Ssh {
            root_login: value(s, "root-login").and_then(|w| match w.text.as_str() {
                "allow" => Some(RootLogin::Allow),
                "deny" => Some(RootLogin::Deny),
                "deny-password" => Some(RootLogin::DenyPassword),
                _ => None,
            }),
            protocol_versions: child(s, "protocol-version")
                .map(|v| args(v).iter().map(|w| w.text.clone()).collect())
                .unwrap_or_default(),
            port: number_of(ck, &p, s, "port"),
            max_sessions_per_connection: number_of(ck, &p, s, "max-sessions-per-connection"),
            connection_limit: number_of(ck, &p, s, "connection-limit"),
            rate_limit: number_of(ck, &p, s, "rate-limit"),
        }
    });
    let netconf_ssh = child(st, "netconf")
        .and_then(|n| child(n, "ssh").map(|s| (n, s)))
        .map(|(n, s)| NetconfSsh {
            port: number_of(ck, &path.join(n).join(s), s, "port"),
        });
    let mut web_management = WebManagement::default();
    if let Some(wm) = child(st, "web-management") {
        let p = path.join(wm);
        let listener = |ck: &mut Checks, kw: &str| {
            child(wm, kw).map(|h| WebService {
                port: number_of(ck, &p.join(h), h, "port"),
                interfaces: kids(h, "interface")
                    .flat_map(args)
                    .map(|w| w.text.clone())
                    .collect(),
            })
        };
        web_management.http = listener(ck, "http");
        web_management.https = listener(ck, "https");
    }
    Services {
        ssh,
        netconf_ssh,
        web_management,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{build_text, errors_of};

    #[test]
    fn auto_update_is_off_unless_configured_and_its_window_wraps_midnight() {
        assert_eq!(
            build_text("system { host-name a; }").system.auto_update,
            None
        );
        let m = build_text(
            r#"system { software { auto-update {
                channel https://10.0.2.2:8443/stable;
                check-interval 60;
                maintenance-window { start-time 23:30; duration 60; }
            } } }"#,
        );
        let au = m.system.auto_update.unwrap_or_else(|| panic!("configured"));
        assert_eq!(au.channel, "https://10.0.2.2:8443/stable");
        assert_eq!(au.check_minutes, 60);
        assert!(au.reboot);
        let w = au.window.unwrap_or_else(|| panic!("a window"));
        let at = |h: u64, m: u64| 86_400 * 20_000 + h * 3600 + m * 60;
        assert!(w.contains(at(23, 30)) && w.contains(at(0, 29)));
        assert!(!w.contains(at(0, 30)) && !w.contains(at(23, 29)) && !w.contains(at(12, 0)));
        let m = build_text("system { software { auto-update { channel /srv/xpf; no-reboot; } } }");
        let au = m.system.auto_update.unwrap_or_else(|| panic!("configured"));
        assert_eq!(
            (au.check_minutes, au.window, au.reboot),
            (1440, None, false)
        );
        let e = errors_of(
            "system { software { auto-update { channel /srv/xpf; maintenance-window { start-time 25:00; } } } }",
        );
        assert_eq!(
            e[0].path,
            ["system", "software", "auto-update", "maintenance-window"]
        );
        assert_eq!(e[0].message, "invalid time '25:00', expecting hh:mm (UTC)");
        let e = errors_of("system { software { auto-update { check-interval 5; } } }");
        assert_eq!(e[0].message, "Missing mandatory statement: 'channel'");
    }

    #[test]
    fn system_values_are_typed() {
        let m = build_text(
            r#"system {
                host-name fw1;
                domain-name example.net;
                time-zone Europe/Berlin;
                name-server 192.0.2.53;
                name-server 2001:db8::53;
                root-authentication { encrypted-password "$6$abc"; ssh-ed25519 "ssh-ed25519 AAAAC3 root@x"; }
                login {
                    class ops { permissions [ view clear ]; }
                    user alice { uid 2001; class ops; authentication { ssh-rsa "ssh-rsa AAAAB3 alice@x" { from "10.0.0.0/8"; } } }
                    user bob { uid 2002; class super-user; }
                }
                services { ssh { root-login deny; port 2222; max-sessions-per-connection 4; connection-limit 20; } netconf { ssh { port 830; } } }
                syslog { host 192.0.2.9 { any notice; authorization info; } file messages { any any; } }
                ntp { server 192.0.2.123 prefer; }
            }"#,
        );
        let s = &m.system;
        assert_eq!(s.host_name.as_deref(), Some("fw1"));
        assert_eq!(s.domain_name.as_deref(), Some("example.net"));
        assert_eq!(s.time_zone.as_deref(), Some("Europe/Berlin"));
        assert_eq!(s.name_servers.len(), 2);
        assert_eq!(
            s.root_authentication.encrypted_password.as_deref(),
            Some("$6$abc")
        );
        assert_eq!(s.root_authentication.ssh_keys[0].kind, SshKeyKind::Ed25519);
        assert_eq!(s.login.classes[0].permissions, ["view", "clear"]);
        assert_eq!(s.login.users[0].uid, Some(2001));
        assert_eq!(s.login.users[0].class, "ops");
        assert_eq!(
            s.login.users[0].authentication.ssh_keys[0].kind,
            SshKeyKind::Rsa
        );
        let ssh = s.services.ssh.as_ref().expect("ssh");
        assert_eq!(ssh.root_login, Some(RootLogin::Deny));
        assert_eq!(ssh.port, Some(2222));
        assert_eq!(ssh.max_sessions_per_connection, Some(4));
        assert_eq!(ssh.connection_limit, Some(20));
        assert_eq!(ssh.rate_limit, None);
        assert_eq!(
            s.login.users[0].authentication.ssh_keys[0].from.as_deref(),
            Some("10.0.0.0/8")
        );
        assert_eq!(
            s.services.netconf_ssh.as_ref().and_then(|n| n.port),
            Some(830)
        );
        assert_eq!(s.syslog.hosts[0].name, "192.0.2.9");
        assert_eq!(
            s.syslog.hosts[0].facilities,
            [
                ("any".to_string(), "notice".to_string()),
                ("authorization".into(), "info".into())
            ]
        );
        assert_eq!(
            s.syslog.files[0].facilities,
            [("any".to_string(), "any".to_string())]
        );
        assert_eq!(s.ntp_servers[0].address.to_string(), "192.0.2.123");
        assert!(s.ntp_servers[0].prefer);
        assert_eq!(s.dataplane_type, DataplaneType::Userspace);
    }

    #[test]
    fn a_user_class_must_exist() {
        let e = errors_of(
            "system {\n login {\n  user carol {\n   uid 2003;\n   class nobody;\n  }\n }\n}\n",
        );
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].path, ["system", "login", "user carol"]);
        assert_eq!(e[0].statement.as_deref(), Some("class nobody"));
        assert_eq!(e[0].message, "class 'nobody' is not defined");
        assert_eq!(e[0].span.map(|s| s.line), Some(5));
    }

    #[test]
    fn the_predefined_classes_exist_with_the_older_superuser_spelling() {
        for class in [
            "super-user",
            "superuser",
            "operator",
            "read-only",
            "unauthorized",
        ] {
            build_text(&format!(
                "system {{ login {{ user carol {{ uid 2003; class {class}; }} }} }}"
            ));
        }
    }

    #[test]
    fn a_user_needs_a_class() {
        let e = errors_of("system { login { user dave { uid 2004; } } }");
        assert_eq!(e[0].path, ["system", "login"]);
        assert_eq!(e[0].statement.as_deref(), Some("user dave"));
        assert_eq!(e[0].message, "Missing mandatory statement: 'class'");
    }
}
