// SPDX-License-Identifier: Apache-2.0
//! The management API as clients meet it: the real `xpfd run`, the Unix
//! socket, gRPC over TLS with password logins, and REST.
//!
//! xpfd takes every interface of its network namespace, so each test runs
//! it in a namespace of its own (`ip netns add`), and the TCP clients enter
//! that namespace from a thread of their own before they connect to its
//! loopback. Needs root; without it each test says `skipped:` and passes.

use std::future::Future;
use std::io::Read as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use sha_crypt::{PasswordHasher as _, ShaCrypt};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};
use tonic::{Code, Request};
use xpf_api::management_client::ManagementClient;
use xpf_api::{CommitRequest, EditRequest, EnterConfigurationRequest, SessionRequest};
use xpf_api::{ShowTextRequest, TextReply};

const ADMIN_PW: &str = "correct horse";
const VIEWER_PW: &str = "battery staple";

fn hash(password: &str) -> String {
    ShaCrypt::default()
        .hash_password_with_salt(password.as_bytes(), b"xpf api test")
        .expect("hashes")
        .to_string()
}

/// A configuration with a super-user, a read-only user and a user whose
/// password is an MD5-crypt hash.
fn users_config() -> String {
    format!(
        "system {{\n    host-name api-test;\n    login {{\n        \
         user admin {{ class super-user; authentication {{ encrypted-password \"{}\"; }} }}\n        \
         user viewer {{ class read-only; authentication {{ encrypted-password \"{}\"; }} }}\n        \
         user legacy {{ class super-user; authentication {{ encrypted-password \"$1$abcdefgh$PXdbQ1HAlHxOqSCO9lwUl.\"; }} }}\n    \
         }}\n}}\n",
        hash(ADMIN_PW),
        hash(VIEWER_PW)
    )
}

/// Why this machine cannot run these tests, if it cannot.
fn unable() -> Option<String> {
    if !nix::unistd::geteuid().is_root() {
        return Some("xpfd needs root (it owns the interfaces of its namespace)".into());
    }
    match Command::new("ip").arg("-V").output() {
        Ok(o) if o.status.success() => None,
        _ => Some("`ip` (iproute2) is not installed".into()),
    }
}

/// `xpfd run` in a network namespace of its own; killed, and the namespace
/// deleted, on drop.
struct Xpfd {
    child: Child,
    netns: String,
    dir: tempfile::TempDir,
}

impl Xpfd {
    /// Starts xpfd with `config` as its first configuration and waits until
    /// it is ready. `None` (after saying why) when this machine cannot.
    fn start(config: &str, flags: &[&str]) -> Option<Xpfd> {
        if let Some(why) = unable() {
            xpf_lab::skip(module_path!(), &why);
            return None;
        }
        static N: AtomicUsize = AtomicUsize::new(0);
        let netns = format!(
            "xpfapi-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let added = Command::new("ip")
            .args(["netns", "add", &netns])
            .status()
            .expect("ip runs");
        assert!(added.success(), "ip netns add {netns}");
        let dir = tempfile::tempdir().expect("temp dir");
        let seed = dir.path().join("seed.conf");
        std::fs::write(&seed, config).expect("writes the seed");
        let log = std::fs::File::create(dir.path().join("xpfd.log")).expect("log file");
        let spawned = Command::new("ip")
            .args(["netns", "exec", &netns, env!("CARGO_BIN_EXE_xpfd"), "run"])
            .arg("--state-dir")
            .arg(dir.path().join("state"))
            .arg("--socket")
            .arg(dir.path().join("xpfd.sock"))
            .arg("--config")
            .arg(&seed)
            .arg("--keep-unmanaged")
            .args(flags)
            .env("XPF_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn();
        let child = match spawned {
            Ok(c) => c,
            Err(e) => {
                let _ = Command::new("ip").args(["netns", "del", &netns]).status();
                panic!("starting xpfd: {e}");
            }
        };
        let mut x = Xpfd { child, netns, dir };
        x.wait_ready();
        Some(x)
    }

    /// xpfd with the test users, REST on 127.0.0.1:8443 and no TCP gRPC.
    fn start_rest() -> Option<Xpfd> {
        Xpfd::start(
            &users_config(),
            &["--grpc-listen", "none", "--rest-listen", "127.0.0.1:8443"],
        )
    }

    fn log(&self) -> String {
        let mut s = String::new();
        if let Ok(mut f) = std::fs::File::open(self.dir.path().join("xpfd.log")) {
            let _ = f.read_to_string(&mut s);
        }
        s
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if self.log().contains("xpfd ready") {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "xpfd exited ({status}) before it was ready:\n{}",
                    self.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "xpfd not ready after 20 s:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("xpfd.sock")
    }

    fn state(&self, rel: &str) -> PathBuf {
        self.dir.path().join("state").join(rel)
    }

    fn cert(&self) -> String {
        std::fs::read_to_string(self.state("tls/cert.pem")).expect("the generated certificate")
    }

    /// Runs the future `make` builds on a runtime of its own, in a thread
    /// that entered xpfd's namespace, so its sockets reach xpfd's loopback.
    fn run_in<R, F>(&self, make: impl FnOnce() -> F + Send + 'static) -> R
    where
        R: Send + 'static,
        F: Future<Output = R>,
    {
        let ns = PathBuf::from("/run/netns").join(&self.netns);
        let joined = std::thread::spawn(move || {
            let f = std::fs::File::open(&ns).expect("the namespace's handle");
            nix::sched::setns(f, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime")
                .block_on(make())
        })
        .join();
        match joined {
            Ok(r) => r,
            Err(panic) => {
                eprintln!("xpfd log:\n{}", self.log());
                std::panic::resume_unwind(panic)
            }
        }
    }
}

impl Drop for Xpfd {
    fn drop(&mut self) {
        // `ip netns exec` execs xpfd: the child is xpfd itself.
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = Command::new("ip")
            .args(["netns", "del", &self.netns])
            .status();
    }
}

fn words(ws: &[&str]) -> ShowTextRequest {
    ShowTextRequest {
        words: ws.iter().map(|w| w.to_string()).collect(),
    }
}

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// `msg` with HTTP Basic credentials in its metadata, when given.
fn as_user<T>(msg: T, who: Option<(&str, &str)>) -> Request<T> {
    let mut req = Request::new(msg);
    if let Some((u, p)) = who {
        req.metadata_mut()
            .insert("authorization", basic(u, p).parse().expect("ASCII"));
    }
    req
}

async fn show_over_socket(socket: &Path, ws: &[&str]) -> TextReply {
    let mut c = xpf_api::connect_unix(socket).await.expect("connects");
    c.show_text(words(ws))
        .await
        .expect("show_text")
        .into_inner()
}

/// A first configuration that fails commit check (a policy from a zone
/// that does not exist) no longer ends xpfd: it starts without it, and
/// the refusal is in `show system commit` and `show log`.
#[test]
fn a_refused_first_configuration_leaves_xpfd_running() {
    let bad = format!(
        "{}security {{ policies {{ from-zone nowhere to-zone trust {{ policy p {{ \
         match {{ source-address any; destination-address any; application any; }} \
         then {{ permit; }} }} }} }} }}\n",
        users_config()
    );
    let Some(x) = Xpfd::start(&bad, &["--grpc-listen", "none", "--rest-listen", "none"]) else {
        return;
    };
    let socket = x.socket();
    x.run_in(move || async move {
        let commits = show_over_socket(&socket, &["show", "system", "commit"]).await;
        assert!(
            commits.text.starts_with("error: --config ") && commits.text.contains("refused"),
            "{}",
            commits.text
        );
        assert!(commits.text.contains("nowhere"), "{}", commits.text);
        let log = show_over_socket(&socket, &["show", "log"]).await;
        assert!(log.text.contains("refused"), "{}", log.text);
        let conf = show_over_socket(&socket, &["show", "configuration"]).await;
        assert!(!conf.text.contains("nowhere"), "{}", conf.text);
    });
}

#[test]
fn unix_socket_serves_root_and_tcp_can_be_off() {
    let Some(x) = Xpfd::start(
        &users_config(),
        &["--grpc-listen", "none", "--rest-listen", "none"],
    ) else {
        return;
    };
    let mode = std::fs::metadata(x.socket())
        .expect("socket")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o660, "socket mode {mode:o}");
    let socket = x.socket();
    let reply =
        x.run_in(move || async move { show_over_socket(&socket, &["show", "version"]).await });
    assert!(
        reply.ok && reply.text.contains("Hostname: api-test"),
        "{}",
        reply.text
    );
    // A structured view: the policies of the active configuration.
    let socket = x.socket();
    let policies = x.run_in(move || async move {
        let mut c = xpf_api::connect_unix(&socket).await.expect("connects");
        c.get_policies(xpf_api::Empty {})
            .await
            .expect("get_policies")
            .into_inner()
    });
    assert_eq!(policies.default_policy, "deny-all");
    assert!(policies.policies.is_empty());
    let socket = x.socket();
    let routes = x.run_in(move || async move {
        let mut c = xpf_api::connect_unix(&socket).await.expect("connects");
        c.get_routes(xpf_api::Empty {})
            .await
            .expect("get_routes")
            .into_inner()
    });
    assert!(
        routes.routes.iter().all(|r| !r.prefix.is_empty()),
        "{routes:?}"
    );
    // A long request streams: here it ends at once, refused with its reason.
    let socket = x.socket();
    let streamed = x.run_in(move || async move {
        let mut c = xpf_api::connect_unix(&socket).await.expect("connects");
        let mut s = c
            .run(words(&[
                "request",
                "system",
                "software",
                "add",
                "/nonexistent",
            ]))
            .await
            .expect("run")
            .into_inner();
        let mut got = Vec::new();
        while let Some(r) = s.message().await.expect("a message") {
            got.push(r);
        }
        got
    });
    let last = streamed.last().expect("an outcome");
    assert!(
        !last.ok && last.text.contains("not an xpf A/B appliance"),
        "{streamed:?}"
    );
    // `none` means no listener and no certificate.
    assert!(!x.state("tls").exists());
    let refused = x.run_in(|| async {
        let grpc = tokio::net::TcpStream::connect("127.0.0.1:50051").await;
        let rest = tokio::net::TcpStream::connect("127.0.0.1:8080").await;
        grpc.is_err() && rest.is_err()
    });
    assert!(refused, "something listens on 50051 or 8080");
}

async fn tls_client(cert: String) -> ManagementClient<Channel> {
    let tls = ClientTlsConfig::new()
        .ca_certificate(Certificate::from_pem(cert))
        .domain_name("localhost");
    let channel = Endpoint::from_static("https://127.0.0.1:50051")
        .tls_config(tls)
        .expect("TLS config")
        .connect()
        .await
        .expect("connects over TLS");
    ManagementClient::new(channel)
}

#[test]
fn grpc_over_tls_needs_a_password_and_honours_classes() {
    let Some(x) = Xpfd::start(&users_config(), &[]) else {
        return;
    };
    let key = std::fs::metadata(x.state("tls/key.pem")).expect("generated key");
    assert_eq!(key.permissions().mode() & 0o777, 0o600);
    assert!(x.log().contains("sha256="), "fingerprint not logged");
    let cert = x.cert();
    x.run_in(move || async move {
        let mut c = tls_client(cert).await;
        let refused = |who: Option<(&str, &str)>| {
            let mut c = c.clone();
            let req = as_user(words(&["show", "version"]), who);
            async move { c.show_text(req).await.expect_err("refused") }
        };
        let none = refused(None).await;
        assert_eq!(none.code(), Code::Unauthenticated, "{none:?}");
        assert!(
            none.message().contains("authentication required"),
            "{none:?}"
        );
        for who in [("admin", "wrong"), ("nobody", ADMIN_PW), ("admin", "")] {
            let e = refused(Some(who)).await;
            assert_eq!(e.code(), Code::Unauthenticated, "{who:?}: {e:?}");
            assert_eq!(e.message(), "invalid user name or password");
        }
        let md5 = refused(Some(("legacy", "x"))).await;
        assert_eq!(md5.code(), Code::Unauthenticated);
        assert!(md5.message().contains("MD5-crypt"), "{md5:?}");

        let admin = Some(("admin", ADMIN_PW));
        let v = c
            .show_text(as_user(words(&["show", "version"]), admin))
            .await
            .expect("admin may show")
            .into_inner();
        assert!(v.ok && v.text.contains("api-test"), "{}", v.text);

        let session = c
            .enter_configuration(as_user(
                EnterConfigurationRequest { exclusive: false },
                admin,
            ))
            .await
            .expect("admin may configure")
            .into_inner()
            .session;
        let edit = EditRequest {
            session,
            line: "set system host-name via-grpc".into(),
        };
        let e = c
            .edit(as_user(edit, admin))
            .await
            .expect("edit")
            .into_inner();
        assert!(e.ok, "{:?}", e.diagnostics);
        let commit = CommitRequest {
            session,
            comment: "over TLS".into(),
            ..CommitRequest::default()
        };
        let done = c
            .commit(as_user(commit, admin))
            .await
            .expect("commit")
            .into_inner();
        assert!(done.ok && done.commit == 2, "{done:?}");
        c.exit_configuration(as_user(SessionRequest { session }, admin))
            .await
            .expect("exit");

        let viewer = Some(("viewer", VIEWER_PW));
        let shown = c
            .show_text(as_user(words(&["show", "configuration", "system"]), viewer))
            .await
            .expect("viewer may show")
            .into_inner();
        assert!(shown.text.contains("host-name via-grpc"), "{}", shown.text);
        let denied = c
            .enter_configuration(as_user(
                EnterConfigurationRequest { exclusive: false },
                viewer,
            ))
            .await
            .expect_err("read-only may not configure");
        assert_eq!(denied.code(), Code::PermissionDenied, "{denied:?}");
    });
}

/// A tiny HTTPS client (HTTP/1.1, one request per connection).
struct Https {
    tls: Arc<rustls::ClientConfig>,
    addr: &'static str,
    from: Option<std::net::IpAddr>,
}

struct Reply {
    status: u16,
    headers: hyper::HeaderMap,
    body: String,
}

impl Https {
    fn new(cert_pem: &str, addr: &'static str) -> Https {
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_slice(cert_pem.as_bytes()).expect("PEM"))
            .expect("a CA");
        let tls = rustls::ClientConfig::builder_with_provider(
            rustls::crypto::ring::default_provider().into(),
        )
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
        Https {
            tls: Arc::new(tls),
            addr,
            from: None,
        }
    }

    /// The same, connecting from `from` (an address of this host).
    fn from(mut self, from: &str) -> Https {
        self.from = Some(from.parse().expect("an address"));
        self
    }

    async fn call(&self, method: &str, path: &str, who: Option<(&str, &str)>, body: &str) -> Reply {
        let to: std::net::SocketAddr = self.addr.parse().expect("an address");
        let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
        if let Some(from) = self.from {
            socket
                .bind(std::net::SocketAddr::new(from, 0))
                .expect("binds");
        }
        let tcp = socket.connect(to).await.expect("connects");
        let name = ServerName::try_from("localhost").expect("a name");
        let tls = tokio_rustls::TlsConnector::from(self.tls.clone())
            .connect(name, tcp)
            .await
            .expect("TLS handshake");
        let (mut send, conn) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(tls))
                .await
                .expect("HTTP handshake");
        tokio::spawn(conn);
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(path)
            .header("host", "localhost");
        if let Some((u, p)) = who {
            req = req.header("authorization", basic(u, p));
        }
        let req = req
            .body(Full::new(Bytes::from(body.to_string())))
            .expect("a request");
        let resp = send.send_request(req).await.expect("a response");
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().collect().await.expect("a body").to_bytes();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }
}

/// Every (method, path) of openapi.yaml (see the unit test in rest.rs for
/// the layout this reads).
fn documented() -> Vec<(String, String)> {
    let spec = include_str!("../openapi.yaml");
    let (mut out, mut in_paths, mut path) = (Vec::new(), false, String::new());
    for line in spec.lines() {
        if !line.starts_with(' ') && !line.trim().is_empty() {
            in_paths = line == "paths:";
        } else if !in_paths {
        } else if let Some(p) = line.strip_prefix("  /") {
            path = format!("/{}", p.trim_end_matches(':'));
        } else if let Some(m) = line.strip_prefix("    ") {
            let m = m.trim_end_matches(':');
            if ["get", "post", "put", "patch", "delete"].contains(&m) {
                out.push((m.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

/// 300 idle connections from one address (no TLS handshake, as a scanner
/// or a slowloris leaves them) do not lock REST out for anyone else: a
/// client from another address is served at once.
#[test]
fn idle_connections_from_one_host_do_not_lock_rest_out() {
    let Some(x) = Xpfd::start_rest() else {
        return;
    };
    let https = Https::new(&x.cert(), "127.0.0.1:8443").from("127.0.0.2");
    x.run_in(move || async move {
        let mut idle = Vec::new();
        for _ in 0..300 {
            if let Ok(c) = tokio::net::TcpStream::connect("127.0.0.1:8443").await {
                idle.push(c);
            }
        }
        // Let xpfd accept (and refuse) them all before the real client.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let h = https.call("GET", "/health", None, "").await;
        assert_eq!(h.status, 200, "{}", h.body);
        drop(idle);
    });
}

/// A body over the 64 MiB limit is refused with 413 (it was 400), and a
/// refused caller's large body gets its 401: both replies arrive, since
/// xpfd reads the body the client is still sending before it answers.
#[test]
fn oversized_and_unauthenticated_loads_get_their_status() {
    let Some(x) = Xpfd::start_rest() else {
        return;
    };
    let https = Https::new(&x.cert(), "127.0.0.1:8443");
    x.run_in(move || async move {
        let load = "/v1/config/load?mode=merge";
        let big = "#".repeat(65 << 20);
        let r = https
            .call("POST", load, Some(("admin", ADMIN_PW)), &big)
            .await;
        assert_eq!(r.status, 413, "{}", r.body);
        let body = "#".repeat(8 << 20);
        let r = https.call("POST", load, None, &body).await;
        assert_eq!(r.status, 401, "{}", r.body);
        let r = https
            .call("POST", load, Some(("viewer", VIEWER_PW)), &body)
            .await;
        assert_eq!(r.status, 403, "{}", r.body);
        let r = https
            .call(
                "POST",
                load,
                Some(("admin", ADMIN_PW)),
                "set system host-name small",
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    });
}

#[test]
fn rest_serves_health_metrics_and_configuration() {
    let Some(x) = Xpfd::start_rest() else {
        return;
    };
    let https = Https::new(&x.cert(), "127.0.0.1:8443");
    let socket = x.socket();
    x.run_in(move || async move {
        let admin = Some(("admin", ADMIN_PW));
        let viewer = Some(("viewer", VIEWER_PW));

        let h = https.call("GET", "/health", None, "").await;
        assert_eq!(h.status, 200, "{}", h.body);
        let h: serde_json::Value = serde_json::from_str(&h.body).expect("JSON");
        assert_eq!(h["status"], "ok");
        assert_eq!(h["active_commit"], 1);

        let m = https.call("GET", "/metrics", None, "").await;
        assert_eq!(m.status, 401);
        let challenge = m.headers.get("www-authenticate").expect("a challenge");
        assert!(challenge.to_str().unwrap_or("").starts_with(r#"Basic realm="xpf""#));
        assert_eq!(https.call("GET", "/metrics", Some(("admin", "no")), "").await.status, 401);

        let m = https.call("GET", "/metrics", viewer, "").await;
        assert_eq!(m.status, 200, "{}", m.body);
        let ctype = m.headers.get("content-type").and_then(|v| v.to_str().ok());
        assert!(ctype.unwrap_or("").starts_with("application/openmetrics-text"));
        assert!(m.body.ends_with("# EOF\n"), "{}", m.body);
        let lines: Vec<std::io::Result<String>> = m.body.lines().map(|l| Ok(l.to_owned())).collect();
        let scrape = prometheus_parse::Scrape::parse(lines.into_iter()).expect("parses");
        let data_lines = m.body.lines().filter(|l| !l.starts_with('#')).count();
        assert_eq!(scrape.samples.len(), data_lines, "a line did not parse:\n{}", m.body);
        let sample = |name: &str| scrape.samples.iter().find(|s| s.metric == name);
        let commits = sample("xpf_commits_total").expect("xpf_commits_total");
        assert!(matches!(commits.value, prometheus_parse::Value::Untyped(v) | prometheus_parse::Value::Counter(v) if v == 1.0), "{commits:?}");
        let lo = scrape
            .samples
            .iter()
            .find(|s| s.metric == "xpf_interface_up" && s.labels.get("interface") == Some("lo0"))
            .expect("xpf_interface_up{interface=\"lo0\"}");
        assert!(matches!(lo.value, prometheus_parse::Value::Gauge(v) if v == 1.0), "{lo:?}");
        let running = sample("xpf_dataplane_running").expect("xpf_dataplane_running");
        assert!(matches!(running.value, prometheus_parse::Value::Gauge(v) if v == 0.0), "{running:?}");
        assert!(sample("xpf_sessions_active").is_none(), "no dataplane, no session gauge");

        // Writes need super-user.
        let load = "/v1/config/load?mode=set";
        let r = https.call("POST", load, viewer, "set system host-name nope").await;
        assert_eq!(r.status, 403, "{}", r.body);

        // Diagnostics come back located.
        let r = https.call("POST", load, admin, "set system no-such-thing 1").await;
        assert_eq!(r.status, 400, "{}", r.body);
        let bad: serde_json::Value = serde_json::from_str(&r.body).expect("JSON");
        assert_eq!(bad["diagnostics"][0]["line"], 1, "{}", r.body);
        assert_eq!(bad["diagnostics"][0]["path"][0], "system", "{}", r.body);

        // A `configure exclusive` holder locks REST out.
        let mut root = xpf_api::connect_unix(&socket).await.expect("connects");
        let held = root
            .enter_configuration(EnterConfigurationRequest { exclusive: true })
            .await
            .expect("configure exclusive")
            .into_inner()
            .session;
        let r = https.call("POST", load, admin, "set system host-name via-rest").await;
        assert_eq!(r.status, 409, "{}", r.body);
        assert!(r.body.contains("locked by: root"), "{}", r.body);
        root.exit_configuration(SessionRequest { session: held })
            .await
            .expect("exit");

        let r = https.call("POST", load, admin, "set system host-name via-rest").await;
        assert_eq!(r.status, 200, "{}", r.body);
        let r = https.call("GET", "/v1/config/compare", admin, "").await;
        assert!(r.body.contains("+  host-name via-rest;"), "{}", r.body);
        let r = https
            .call("POST", "/v1/config/commit", admin, r#"{"comment": "over REST"}"#)
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
        let done: serde_json::Value = serde_json::from_str(&r.body).expect("JSON");
        assert_eq!(done["commit"], 2, "{}", r.body);

        let shown = root
            .show_text(words(&["show", "configuration", "system"]))
            .await
            .expect("show")
            .into_inner();
        assert!(shown.text.contains("host-name via-rest;"), "{}", shown.text);
        let r = https.call("GET", "/v1/config?format=set", viewer, "").await;
        assert!(r.body.contains("set system host-name via-rest\n"), "{}", r.body);

        // No dataplane runs here: the live views say so rather than
        // answering with empty tables.
        for path in ["/v1/sessions", "/v1/counters"] {
            let r = https.call("GET", path, viewer, "").await;
            assert_eq!(r.status, 503, "{path}: {}", r.body);
            assert!(r.body.contains("dataplane is not running"), "{}", r.body);
        }
        let r = https.call("GET", "/v1/sessions?bogus=1", viewer, "").await;
        assert_eq!(r.status, 400, "{}", r.body);

        // Everything the description lists is served, and nothing else is.
        for (method, path) in documented() {
            let r = https.call(&method, &path, admin, "").await;
            assert!(![404, 405].contains(&r.status), "{method} {path}: {}", r.status);
        }
        assert_eq!(https.call("GET", "/v2/nothing", admin, "").await.status, 404);
    });
}
