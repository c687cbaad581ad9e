// SPDX-License-Identifier: Apache-2.0
//! The REST API: health, metrics, the configuration and the dataplane's
//! sessions and counters over HTTPS, for tools that do not speak gRPC
//! (monitoring, scripts, curl).
//!
//! Same TLS identity and same users as gRPC on TCP: HTTP Basic checked
//! against the committed configuration, the login class deciding what a
//! caller may do. Only `GET /health` answers without credentials, so a load
//! balancer or systemd can probe it. Configuration writes open a
//! configuration session for the length of the request, exactly as the CLI
//! would, so a `configure exclusive` holder locks REST out too.
//!
//! `crates/xpfd/openapi.yaml` describes every route of [`routes`]; a test
//! keeps the two equal.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRequestParts, Query, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::{Json, Router};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::{rustls, TlsAcceptor};
use xpf_config::{Diagnostic, LoadMode, Severity};

use super::auth::{self, AuthError, Credentials};
use super::caller::{Caller, Permission};
use super::live::{self, LiveError};
use super::supervisor::{Outcome, Supervisor};
use super::{metrics, tls};

type Sup = Arc<Supervisor>;

/// Connections served at once; more are closed as they arrive.
const MAX_CONNECTIONS: usize = 256;

/// Connections one source address may hold at once: idle connections
/// from one host (256 were enough) must not lock every other client out.
const MAX_PER_SOURCE: usize = 16;

/// The largest configuration `POST /v1/config/load` takes.
const MAX_LOAD_BYTES: usize = 64 << 20;

/// Serves the API on `listener` with `tls` until accepting fails for good.
pub async fn serve(
    sup: Sup,
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
) -> anyhow::Result<()> {
    let acceptor = TlsAcceptor::from(tls);
    let app = router(sup);
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let sources = PerSource::default();
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                // Out of descriptors and the like: wait, then go on serving.
                tracing::warn!("REST: accept: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Some(source) = sources.take(peer.ip()) else {
            tracing::warn!(%peer, "REST: {MAX_PER_SOURCE} connections open from this address, refusing one more");
            continue;
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(%peer, "REST: {MAX_CONNECTIONS} connections open, refusing one more");
            continue;
        };
        let (acceptor, app) = (acceptor.clone(), app.clone());
        tokio::spawn(async move {
            let _slot = (slot, source);
            let stream =
                match tokio::time::timeout(tls::HANDSHAKE_TIMEOUT, acceptor.accept(tcp)).await {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => return tracing::debug!(%peer, "REST: TLS handshake: {e}"),
                    Err(_) => return tracing::debug!(%peer, "REST: TLS handshake timed out"),
                };
            let mut http = auto::Builder::new(TokioExecutor::new());
            http.http1()
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(30));
            let served = http
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app))
                .await;
            if let Err(e) = served {
                tracing::debug!(%peer, "REST: connection: {e}");
            }
        });
    }
}

/// Connections open per source address.
#[derive(Clone, Default)]
struct PerSource(Arc<std::sync::Mutex<std::collections::HashMap<std::net::IpAddr, usize>>>);

/// One connection's place in [`PerSource`], given back on drop.
struct SourceSlot {
    counts: PerSource,
    ip: std::net::IpAddr,
}

impl PerSource {
    /// A place for one more connection from `ip`, unless it holds
    /// [`MAX_PER_SOURCE`] already.
    fn take(&self, ip: std::net::IpAddr) -> Option<SourceSlot> {
        let mut counts = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let n = counts.entry(ip).or_insert(0);
        if *n >= MAX_PER_SOURCE {
            return None;
        }
        *n += 1;
        Some(SourceSlot {
            counts: self.clone(),
            ip,
        })
    }
}

impl Drop for SourceSlot {
    fn drop(&mut self) {
        let mut counts = self.counts.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = counts.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

/// Every route: method, path, handler. `openapi.yaml` lists exactly these.
pub fn routes() -> Vec<(&'static str, &'static str, MethodRouter<Sup>)> {
    vec![
        ("get", "/health", get(health)),
        ("get", "/metrics", get(metrics_text)),
        ("get", "/v1/config", get(active_config)),
        ("get", "/v1/config/candidate", get(candidate_config)),
        ("get", "/v1/config/compare", get(compare)),
        // No DefaultBodyLimit: `load` reads its body itself (read_body).
        ("post", "/v1/config/load", post(load)),
        ("post", "/v1/config/commit", post(commit)),
        ("get", "/v1/sessions", get(sessions)),
        ("get", "/v1/counters", get(counters)),
    ]
}

/// The application, routes and fallback.
pub fn router(sup: Sup) -> Router {
    routes()
        .into_iter()
        .fold(Router::new(), |r, (_, path, handler)| {
            r.route(path, handler)
        })
        .fallback(|| async { ApiError::NotFound.into_response() })
        .with_state(sup)
}

/// Why a request failed, as JSON `{"error": ...}` with its status.
#[derive(Debug)]
enum ApiError {
    /// 401 with `WWW-Authenticate`.
    Auth(AuthError),
    /// 403: the class does not allow it.
    Forbidden(String),
    /// 400: the request itself is wrong.
    BadRequest(String),
    /// 413: the body is larger than the route takes.
    TooLarge(String),
    /// 404: no such route.
    NotFound,
    /// 409: the configuration database is locked by another session.
    Conflict(String),
    /// 503: the dataplane is not running.
    Unavailable(String),
    /// 500.
    Internal(String),
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        ApiError::Auth(e)
    }
}

impl From<QueryRejection> for ApiError {
    fn from(e: QueryRejection) -> Self {
        ApiError::BadRequest(e.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            ApiError::Auth(e) => {
                let body = Json(json!({ "error": e.to_string() }));
                return (
                    StatusCode::UNAUTHORIZED,
                    [(WWW_AUTHENTICATE, r#"Basic realm="xpf", charset="UTF-8""#)],
                    body,
                )
                    .into_response();
            }
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, m),
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            ApiError::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, m),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "no such resource".into()),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, m),
            ApiError::Unavailable(m) => (StatusCode::SERVICE_UNAVAILABLE, m),
            ApiError::Internal(m) => (StatusCode::INTERNAL_SERVER_ERROR, m),
        };
        (status, Json(json!({ "error": message }))).into_response()
    }
}

/// The caller, authenticated by HTTP Basic.
struct Authed(Caller);

impl FromRequestParts<Sup> for Authed {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, sup: &Sup) -> Result<Self, ApiError> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .ok_or(AuthError::Missing)?
            .to_str()
            .map_err(|_| AuthError::Malformed("the value is not ASCII"))?;
        let creds = Credentials::from_header(header)?;
        Ok(Authed(auth::authenticate(&sup.active, creds).await?))
    }
}

impl Authed {
    fn require(&self, needed: Permission) -> Result<&Caller, ApiError> {
        self.0.check(needed).map_err(ApiError::Forbidden)?;
        Ok(&self.0)
    }
}

/// A configuration session held for one request, closed when dropped.
struct ConfigSession<'a> {
    sup: &'a Supervisor,
    id: u64,
}

impl<'a> ConfigSession<'a> {
    fn open(sup: &'a Supervisor, user: &str) -> Result<Self, ApiError> {
        let (id, _notices) = sup
            .sessions
            .lock()
            .map_err(|_| ApiError::Internal("session table poisoned".into()))?
            .enter(user, false)
            .map_err(ApiError::Conflict)?;
        Ok(ConfigSession { sup, id })
    }
}

impl Drop for ConfigSession<'_> {
    fn drop(&mut self) {
        if let Ok(mut s) = self.sup.sessions.lock() {
            s.exit(self.id);
        }
    }
}

fn text(body: String) -> Response {
    ([(CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

async fn active_commit(sup: &Supervisor) -> Result<Option<u64>, ApiError> {
    let history = sup
        .db
        .lock()
        .await
        .history()
        .map_err(|e| ApiError::Internal(format!("reading the commit history: {e}")))?;
    Ok(history.first().map(|r| r.seq))
}

async fn health(State(sup): State<Sup>) -> Result<Response, ApiError> {
    let n = active_commit(&sup).await?;
    Ok(Json(json!({ "status": "ok", "active_commit": n })).into_response())
}

async fn metrics_text(State(sup): State<Sup>, who: Authed) -> Result<Response, ApiError> {
    who.require(Permission::View)?;
    let body = metrics::render(&sup)
        .await
        .map_err(|e| ApiError::Internal(format!("{e:#}")))?;
    Ok(([(CONTENT_TYPE, metrics::CONTENT_TYPE)], body).into_response())
}

/// `?format=`: how configuration text is laid out.
#[derive(Debug, Default, Deserialize, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Form {
    /// The Junos curly layout.
    #[default]
    Curly,
    /// `display set` lines.
    Set,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FormatQuery {
    #[serde(default)]
    format: Form,
}

fn render(cfg: &xpf_config::Config, form: Form) -> String {
    match form {
        Form::Curly => xpf_config::print_curly(cfg),
        Form::Set => xpf_config::print_set(cfg),
    }
}

async fn active_config(
    State(sup): State<Sup>,
    who: Authed,
    q: Result<Query<FormatQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    who.require(Permission::View)?;
    let Query(q) = q?;
    Ok(text(render(sup.db.lock().await.active(), q.format)))
}

// The candidate and its comparison are configuration-mode views, as in
// the CLI: they need a class that may configure.
async fn candidate_config(
    State(sup): State<Sup>,
    who: Authed,
    q: Result<Query<FormatQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    who.require(Permission::Configure)?;
    let Query(q) = q?;
    Ok(text(render(sup.db.lock().await.candidate(), q.format)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CompareQuery {
    rollback: Option<u32>,
}

async fn compare(
    State(sup): State<Sup>,
    who: Authed,
    q: Result<Query<CompareQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    who.require(Permission::Configure)?;
    let Query(q) = q?;
    let diff = sup
        .db
        .lock()
        .await
        .compare(q.rollback)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    Ok(text(diff))
}

#[derive(Debug, Deserialize, Default, Clone, Copy)]
#[serde(rename_all = "lowercase")]
enum Mode {
    #[default]
    Merge,
    Override,
    Replace,
    Set,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LoadQuery {
    #[serde(default)]
    mode: Mode,
}

fn diagnostic(d: &Diagnostic) -> Value {
    json!({
        "severity": match d.severity {
            Severity::Syntax => "syntax",
            Severity::Unsupported => "unsupported",
            Severity::Warning => "warning",
            _ => "error",
        },
        "line": d.span.map(|s| s.line),
        "column": d.span.map(|s| s.col),
        "path": d.path,
        "statement": d.statement,
        "message": d.message,
        "text": d.to_string(),
    })
}

/// An outcome as JSON: 200 when it worked, 400 when the configuration is
/// at fault (diagnostics say where), 409 when it is sound but could not be
/// applied or recorded (the text says why).
fn outcome(o: Outcome) -> Response {
    let status = match (o.ok, o.diagnostics.is_empty()) {
        (true, _) => StatusCode::OK,
        (false, false) => StatusCode::BAD_REQUEST,
        (false, true) => StatusCode::CONFLICT,
    };
    let mut body = json!({
        "ok": o.ok,
        "text": o.text,
        "diagnostics": o.diagnostics.iter().map(diagnostic).collect::<Vec<_>>(),
    });
    if o.commit != 0 {
        body["commit"] = json!(o.commit);
    }
    if !o.ok {
        let why = o
            .diagnostics
            .iter()
            .map(|d| d.to_string())
            .chain((!o.text.is_empty()).then(|| o.text.clone()))
            .collect::<Vec<_>>()
            .join("\n");
        body["error"] = json!(why);
    }
    (status, Json(body)).into_response()
}

async fn load(
    State(sup): State<Sup>,
    who: Result<Authed, ApiError>,
    q: Result<Query<LoadQuery>, QueryRejection>,
    body: axum::body::Body,
) -> Result<Response, ApiError> {
    // A refused caller's body is read (and dropped) before the refusal:
    // a client still sending loses a reply sent early to a reset.
    let caller = match who.and_then(|w| w.require(Permission::Configure).cloned()) {
        Ok(c) => c,
        Err(e) => {
            drain(body).await;
            return Err(e);
        }
    };
    let Query(q) = match q {
        Ok(q) => q,
        Err(e) => {
            drain(body).await;
            return Err(e.into());
        }
    };
    let body = read_body(body, MAX_LOAD_BYTES).await?;
    let mode = match q.mode {
        Mode::Merge => LoadMode::Merge,
        Mode::Override => LoadMode::Override,
        Mode::Replace => LoadMode::Replace,
        Mode::Set => LoadMode::Set,
    };
    let _session = ConfigSession::open(&sup, &caller.user)?;
    Ok(outcome(sup.load(mode, &body, "request").await))
}

/// How much of a refused body is read before the reply, and for how long:
/// past either the connection is closed, reply or not.
const DRAIN_BYTES: usize = 256 << 20;
const DRAIN_TIME: Duration = Duration::from_secs(30);

/// `body` as UTF-8 text of at most `limit` bytes. A larger one is read to
/// its end (within the drain bounds) and refused with 413, so the client,
/// which is still sending, gets the 413 and not a reset.
async fn read_body(body: axum::body::Body, limit: usize) -> Result<String, ApiError> {
    use http_body_util::BodyExt;
    let mut body = body;
    let mut buf = Vec::new();
    let mut seen = 0usize;
    let deadline = tokio::time::Instant::now() + DRAIN_TIME;
    loop {
        let frame = match tokio::time::timeout_at(deadline, body.frame()).await {
            Ok(Some(Ok(f))) => f,
            Ok(Some(Err(e))) => return Err(ApiError::BadRequest(format!("reading the body: {e}"))),
            Ok(None) | Err(_) => break,
        };
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen = seen.saturating_add(data.len());
        if seen <= limit {
            buf.extend_from_slice(&data);
        } else if seen > DRAIN_BYTES {
            break;
        }
    }
    if seen > limit {
        return Err(ApiError::TooLarge(format!(
            "the body is larger than {} MiB",
            limit >> 20
        )));
    }
    String::from_utf8(buf).map_err(|_| ApiError::BadRequest("the body is not UTF-8".into()))
}

/// Reads and drops `body`, within the drain bounds.
async fn drain(body: axum::body::Body) {
    let _ = read_body(body, 0).await;
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CommitBody {
    #[serde(default)]
    comment: String,
    confirmed_minutes: Option<u32>,
    #[serde(default)]
    check: bool,
}

async fn commit(State(sup): State<Sup>, who: Authed, body: Bytes) -> Result<Response, ApiError> {
    let caller = who.require(Permission::Configure)?;
    let req: CommitBody = if body.iter().all(u8::is_ascii_whitespace) {
        CommitBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::BadRequest(format!("commit request: {e}")))?
    };
    if req.confirmed_minutes == Some(0) {
        return Err(ApiError::BadRequest(
            "confirmed_minutes must be 1 or more".into(),
        ));
    }
    let _session = ConfigSession::open(&sup, &caller.user)?;
    Ok(outcome(
        sup.commit(&caller.user, req.check, req.confirmed_minutes, &req.comment)
            .await,
    ))
}

impl From<LiveError> for ApiError {
    fn from(e: LiveError) -> Self {
        match e {
            LiveError::Filter(_) => ApiError::BadRequest(e.to_string()),
            LiveError::NotRunning(_) => ApiError::Unavailable(e.to_string()),
        }
    }
}

/// The filters of `show security flow session`, named as in the gRPC
/// `SessionsRequest`.
#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct SessionsQuery {
    #[serde(default)]
    source_prefix: String,
    #[serde(default)]
    destination_prefix: String,
    #[serde(default)]
    source_port: String,
    #[serde(default)]
    destination_port: String,
    #[serde(default)]
    protocol: String,
    #[serde(default)]
    application: String,
    #[serde(default)]
    interface: String,
    #[serde(default)]
    session_id: String,
}

fn wing(w: &xpf_dataplane::Wing, ifname: &dyn Fn(u32) -> String) -> Value {
    json!({
        "source": w.src.0.to_string(),
        "source_port": w.src.1,
        "destination": w.dst.0.to_string(),
        "destination_port": w.dst.1,
        "interface": ifname(w.ifindex),
        "packets": w.packets,
        "bytes": w.bytes,
    })
}

async fn sessions(
    State(sup): State<Sup>,
    who: Authed,
    q: Result<Query<SessionsQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    who.require(Permission::View)?;
    let Query(q) = q?;
    let filters = [
        ("source-prefix", q.source_prefix),
        ("destination-prefix", q.destination_prefix),
        ("source-port", q.source_port),
        ("destination-port", q.destination_port),
        ("protocol", q.protocol),
        ("application", q.application),
        ("interface", q.interface),
        ("session-identifier", q.session_id),
    ];
    let (list, ifname, max) = live::sessions(&sup, &filters).await?;
    let sessions: Vec<Value> = list
        .iter()
        .map(|s| {
            json!({
                "id": s.id,
                "policy": s.policy,
                "from_zone": s.zones.0,
                "to_zone": s.zones.1,
                "protocol": xpf_forward::show::proto_name(s.proto),
                "application": s.application,
                "timeout_seconds": s.timeout_s,
                "remaining_seconds": s.remaining_s,
                "age_seconds": s.age_s,
                "inbound": wing(&s.inbound, &ifname),
                "outbound": wing(&s.outbound, &ifname),
                "source_nat_rule": s.source_nat_rule,
                "destination_nat_rule": s.destination_nat_rule,
            })
        })
        .collect();
    Ok(Json(json!({ "sessions": sessions, "maximum_sessions": max })).into_response())
}

async fn counters(State(sup): State<Sup>, who: Authed) -> Result<Response, ApiError> {
    who.require(Permission::View)?;
    let (snap, c) = live::counters(&sup).await?;
    let policies: Vec<Value> = snap
        .policies()
        .iter()
        .enumerate()
        .map(|(i, p)| {
            json!({
                "from_zone": &*p.from_zone,
                "to_zone": &*p.to_zone,
                "name": &*p.name,
                "hits": c.policy_hits.get(i).copied().unwrap_or(0),
            })
        })
        .collect();
    let nat_rules: Vec<Value> = snap
        .nat_rules()
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let h = c.nat_rules.get(i).copied().unwrap_or_default();
            json!({
                "type": r.kind.name(),
                "rule_set": &*r.rule_set,
                "name": &*r.name,
                "successful": h.successful,
                "failed": h.failed,
            })
        })
        .collect();
    let drops: Vec<Value> = live::drops(&c)
        .into_iter()
        .map(
            |(reason, code, packets)| json!({ "reason": reason, "code": code, "packets": packets }),
        )
        .collect();
    Ok(Json(json!({
        "sessions_active": c.sessions.created.saturating_sub(c.sessions.closed),
        "sessions_created": c.sessions.created,
        "sessions_closed": c.sessions.closed,
        "packets_forwarded": c.forwarded,
        "policies": policies,
        "nat_rules": nat_rules,
        "drops": drops,
    }))
    .into_response())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn a_source_holds_at_most_its_share_and_gets_it_back() {
        let sources = PerSource::default();
        let (a, b): (std::net::IpAddr, std::net::IpAddr) = (
            "192.0.2.1".parse().expect("ip"),
            "192.0.2.2".parse().expect("ip"),
        );
        let held: Vec<SourceSlot> = (0..MAX_PER_SOURCE)
            .map(|_| sources.take(a).expect("a place"))
            .collect();
        assert!(sources.take(a).is_none(), "one more from a is refused");
        assert!(sources.take(b).is_some(), "b is not locked out by a");
        drop(held);
        assert!(sources.take(a).is_some(), "a's places came back");
    }

    /// (method, path) pairs of `openapi.yaml`: paths are the two-space
    /// indented keys under `paths:`, methods the four-space ones below them.
    fn documented() -> BTreeSet<(String, String)> {
        let spec = include_str!("../../openapi.yaml");
        let mut out = BTreeSet::new();
        let mut in_paths = false;
        let mut path = None;
        for line in spec.lines() {
            if !line.starts_with(' ') && !line.trim().is_empty() {
                in_paths = line == "paths:";
                continue;
            }
            if !in_paths {
                continue;
            }
            if let Some(p) = line.strip_prefix("  /") {
                path = Some(format!("/{}", p.trim_end_matches(':')));
            } else if let Some(m) = line.strip_prefix("    ") {
                let m = m.trim_end_matches(':');
                if ["get", "post", "put", "patch", "delete"].contains(&m) {
                    out.insert((m.to_string(), path.clone().expect("a path first")));
                }
            }
        }
        out
    }

    #[test]
    fn openapi_describes_every_route_and_nothing_else() {
        let routed: BTreeSet<(String, String)> = routes()
            .into_iter()
            .map(|(m, p, _)| (m.to_string(), p.to_string()))
            .collect();
        assert_eq!(documented(), routed);
    }

    #[test]
    fn failed_outcomes_map_to_400_and_409() {
        let d = Diagnostic::syntax(xpf_config::Span { line: 3, col: 7 }, "syntax error");
        let bad = Outcome {
            ok: false,
            diagnostics: vec![d],
            text: String::new(),
            commit: 0,
        };
        assert_eq!(outcome(bad).status(), StatusCode::BAD_REQUEST);
        let refused = Outcome {
            ok: false,
            diagnostics: Vec::new(),
            text: "error: interfaces: no such device".into(),
            commit: 0,
        };
        assert_eq!(outcome(refused).status(), StatusCode::CONFLICT);
    }
}
