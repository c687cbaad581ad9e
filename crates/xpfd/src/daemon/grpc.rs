// SPDX-License-Identifier: Apache-2.0
//! The management API over the Unix socket and TCP/TLS: every call is
//! identified (by Unix user on the socket, by password on TCP) and checked
//! against the caller's login class.

use std::sync::Arc;

use tonic::{Request, Response, Status};
use xpf_api::management_server::{Management, ManagementServer};
use xpf_api::*;
use xpf_config::LoadMode as CfgLoadMode;

use super::caller::{identify, Caller, Permission};
use super::live::{self, LiveError};
use super::show;
use super::supervisor::{Outcome, Supervisor};

/// Where the API listens.
pub enum Listener {
    /// The Unix socket: callers known by uid.
    Unix(tokio::net::UnixListener),
    /// TCP with TLS: callers send a user name and password.
    Tls(tokio::net::TcpListener, tonic::transport::ServerTlsConfig),
}

/// Serves the API (with server reflection) on `listener` until it fails.
pub async fn serve(sup: Arc<Supervisor>, listener: Listener) -> anyhow::Result<()> {
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let api = ManagementServer::new(Api(sup));
    match listener {
        Listener::Unix(l) => {
            tonic::transport::Server::builder()
                .add_service(reflection)
                .add_service(api)
                .serve_with_incoming(tokio_stream::wrappers::UnixListenerStream::new(l))
                .await?
        }
        Listener::Tls(l, tls) => {
            tonic::transport::Server::builder()
                .tls_config(tls)?
                .add_service(reflection)
                .add_service(api)
                .serve_with_incoming(tonic::transport::server::TcpIncoming::from(l))
                .await?
        }
    }
    Ok(())
}

struct Api(Arc<Supervisor>);

impl Api {
    async fn caller<T>(&self, req: &Request<T>, needed: Permission) -> Result<Caller, Status> {
        let c = identify(req, &self.0.active).await?;
        c.require(needed)?;
        Ok(c)
    }

    fn session(&self, id: u64, caller: &Caller) -> Result<(), Status> {
        let sessions = self
            .0
            .sessions
            .lock()
            .map_err(|_| Status::internal("session table poisoned"))?;
        sessions
            .get(id, &caller.user)
            .map(|_| ())
            .map_err(Status::failed_precondition)
    }
}

fn diagnostics(ds: &[xpf_config::Diagnostic]) -> Vec<Diagnostic> {
    ds.iter()
        .map(|d| Diagnostic {
            severity: match d.severity {
                xpf_config::Severity::Syntax => "syntax",
                xpf_config::Severity::Unsupported => "unsupported",
                xpf_config::Severity::Warning => "warning",
                _ => "error",
            }
            .into(),
            line: d.span.map(|s| s.line).unwrap_or(0),
            column: d.span.map(|s| s.col).unwrap_or(0),
            path: d.path.clone(),
            statement: d.statement.clone().unwrap_or_default(),
            message: d.message.clone(),
            text: d.to_string(),
        })
        .collect()
}

fn live_status(e: LiveError) -> Status {
    match e {
        LiveError::Filter(_) => Status::invalid_argument(e.to_string()),
        LiveError::NotRunning(_) => Status::unavailable(e.to_string()),
    }
}

fn wing(w: &xpf_dataplane::Wing, ifname: &dyn Fn(u32) -> String) -> SessionWing {
    SessionWing {
        source: w.src.0.to_string(),
        source_port: u32::from(w.src.1),
        destination: w.dst.0.to_string(),
        destination_port: u32::from(w.dst.1),
        interface: ifname(w.ifindex),
        packets: w.packets,
        bytes: w.bytes,
    }
}

fn edit_reply(o: Outcome) -> EditReply {
    EditReply {
        ok: o.ok,
        diagnostics: diagnostics(&o.diagnostics),
    }
}

#[tonic::async_trait]
impl Management for Api {
    async fn enter_configuration(
        &self,
        req: Request<EnterConfigurationRequest>,
    ) -> Result<Response<EnterConfigurationReply>, Status> {
        let c = self.caller(&req, Permission::Configure).await?;
        let (session, mut notices) = self
            .0
            .sessions
            .lock()
            .map_err(|_| Status::internal("session table poisoned"))?
            .enter(&c.user, req.get_ref().exclusive)
            .map_err(Status::failed_precondition)?;
        if self.0.db.lock().await.has_changes() {
            notices.push("The configuration has been changed but not committed".into());
        }
        super::events::configuration_mode(&c.user, true);
        Ok(Response::new(EnterConfigurationReply { session, notices }))
    }

    async fn exit_configuration(
        &self,
        req: Request<SessionRequest>,
    ) -> Result<Response<ExitConfigurationReply>, Status> {
        let c = self.caller(&req, Permission::Configure).await?;
        self.session(req.get_ref().session, &c)?;
        if let Ok(mut s) = self.0.sessions.lock() {
            s.exit(req.get_ref().session);
        }
        super::events::configuration_mode(&c.user, false);
        let uncommitted_changes = self.0.db.lock().await.has_changes();
        Ok(Response::new(ExitConfigurationReply {
            uncommitted_changes,
        }))
    }

    async fn edit(&self, req: Request<EditRequest>) -> Result<Response<EditReply>, Status> {
        let c = self.caller(&req, Permission::Configure).await?;
        self.session(req.get_ref().session, &c)?;
        Ok(Response::new(edit_reply(
            self.0.edit(&req.get_ref().line).await,
        )))
    }

    async fn load(&self, req: Request<LoadRequest>) -> Result<Response<EditReply>, Status> {
        let c = self.caller(&req, Permission::Configure).await?;
        let r = req.get_ref();
        self.session(r.session, &c)?;
        let mode = match r.mode() {
            LoadMode::LoadMerge => CfgLoadMode::Merge,
            LoadMode::LoadOverride => CfgLoadMode::Override,
            LoadMode::LoadReplace => CfgLoadMode::Replace,
            LoadMode::LoadSet => CfgLoadMode::Set,
        };
        let source = if r.source.is_empty() {
            "terminal"
        } else {
            &r.source
        };
        Ok(Response::new(edit_reply(
            self.0.load(mode, &r.text, source).await,
        )))
    }

    async fn show_configuration(
        &self,
        req: Request<ShowConfigurationRequest>,
    ) -> Result<Response<TextReply>, Status> {
        let c = self.caller(&req, Permission::View).await?;
        let r = req.get_ref();
        let path: Vec<&str> = r.path.iter().map(String::as_str).collect();
        if r.session == 0 {
            let text = show::run(
                &self.0,
                &[
                    &["show".to_string(), "configuration".to_string()][..],
                    &r.path[..],
                ]
                .concat(),
            )
            .await
            .map_err(Status::not_found)?;
            let text = match r.format() {
                Format::Set => show::set_at(self.0.db.lock().await.active(), &path),
                Format::Json => show::json_at(self.0.db.lock().await.active(), &path),
                Format::Curly => text,
            };
            return Ok(Response::new(TextReply { ok: true, text }));
        }
        self.session(r.session, &c)?;
        let db = self.0.db.lock().await;
        let cfg = db.candidate();
        let text = match r.format() {
            Format::Set => show::set_at(cfg, &path),
            Format::Json => show::json_at(cfg, &path),
            _ => match show::find_path(cfg, &path) {
                Some(stmts) => {
                    let mut out = String::new();
                    xpf_config::print_statements(stmts, 0, &mut out);
                    out
                }
                None => String::new(),
            },
        };
        Ok(Response::new(TextReply { ok: true, text }))
    }

    async fn compare(&self, req: Request<CompareRequest>) -> Result<Response<TextReply>, Status> {
        let c = self.caller(&req, Permission::View).await?;
        self.session(req.get_ref().session, &c)?;
        let text = self
            .0
            .db
            .lock()
            .await
            .compare(req.get_ref().rollback)
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        Ok(Response::new(TextReply { ok: true, text }))
    }

    async fn commit(&self, req: Request<CommitRequest>) -> Result<Response<CommitReply>, Status> {
        let c = self.caller(&req, Permission::Configure).await?;
        let r = req.get_ref();
        self.session(r.session, &c)?;
        let o = self
            .0
            .commit(&c.user, r.check_only, r.confirmed_minutes, &r.comment)
            .await;
        Ok(Response::new(CommitReply {
            ok: o.ok,
            diagnostics: diagnostics(&o.diagnostics),
            text: o.text,
            commit: o.commit,
        }))
    }

    async fn rollback(&self, req: Request<RollbackRequest>) -> Result<Response<EditReply>, Status> {
        let c = self.caller(&req, Permission::Configure).await?;
        self.session(req.get_ref().session, &c)?;
        let mut db = self.0.db.lock().await;
        match db.rollback(req.get_ref().index) {
            Ok(()) => Ok(Response::new(EditReply {
                ok: true,
                diagnostics: Vec::new(),
            })),
            Err(e) => Err(Status::invalid_argument(e.to_string())),
        }
    }

    async fn show_text(
        &self,
        req: Request<ShowTextRequest>,
    ) -> Result<Response<TextReply>, Status> {
        let words = &req.get_ref().words;
        let needed = match words.first().map(String::as_str) {
            Some("clear" | "request") => Permission::Operate,
            _ => Permission::View,
        };
        self.caller(&req, needed).await?;
        let quiet: show::Say = Arc::new(|_: &str| {});
        Ok(Response::new(
            match show::run_streaming(&self.0, words, quiet).await {
                Ok(text) => TextReply { ok: true, text },
                Err(text) => TextReply { ok: false, text },
            },
        ))
    }

    type ShowTextStreamStream = std::pin::Pin<
        Box<dyn tokio_stream::Stream<Item = Result<TextReply, Status>> + Send + 'static>,
    >;

    async fn show_text_stream(
        &self,
        req: Request<ShowTextRequest>,
    ) -> Result<Response<Self::ShowTextStreamStream>, Status> {
        let reply = self.show_text(req).await?.into_inner();
        let pieces: Vec<Result<TextReply, Status>> = pieces(&reply.text, PIECE)
            .map(|text| {
                Ok(TextReply {
                    ok: reply.ok,
                    text: text.to_string(),
                })
            })
            .collect();
        Ok(Response::new(Box::pin(tokio_stream::iter(pieces))))
    }

    type RunStream = std::pin::Pin<
        Box<dyn tokio_stream::Stream<Item = Result<TextReply, Status>> + Send + 'static>,
    >;

    async fn run(
        &self,
        req: Request<ShowTextRequest>,
    ) -> Result<Response<Self::RunStream>, Status> {
        self.caller(&req, Permission::Operate).await?;
        let words = req.into_inner().words;
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let progress = tx.clone();
        let say: show::Say = Arc::new(move |line: &str| {
            let _ = progress.send(Ok(TextReply {
                ok: true,
                text: format!("{line}\n"),
            }));
        });
        let sup = self.0.clone();
        tokio::spawn(async move {
            let reply = match show::run_streaming(&sup, &words, say).await {
                Ok(text) => TextReply { ok: true, text },
                Err(text) => TextReply { ok: false, text },
            };
            let _ = tx.send(Ok(reply));
        });
        Ok(Response::new(Box::pin(
            tokio_stream::wrappers::UnboundedReceiverStream::new(rx),
        )))
    }

    async fn get_interfaces(
        &self,
        req: Request<Empty>,
    ) -> Result<Response<InterfacesReply>, Status> {
        self.caller(&req, Permission::View).await?;
        let interfaces = self
            .0
            .interfaces
            .state()
            .await
            .into_iter()
            .map(|l| Interface {
                name: l.junos_name,
                admin_up: l.admin_up,
                link_up: l.link_up,
                addresses: l
                    .units
                    .iter()
                    .flat_map(|u| u.inet.iter().chain(&u.inet6).cloned())
                    .collect(),
                ..Interface::default()
            })
            .collect();
        Ok(Response::new(InterfacesReply { interfaces }))
    }

    async fn get_commit_history(
        &self,
        req: Request<Empty>,
    ) -> Result<Response<CommitHistoryReply>, Status> {
        self.caller(&req, Permission::View).await?;
        let history = self
            .0
            .db
            .lock()
            .await
            .history()
            .map_err(|e| Status::internal(e.to_string()))?;
        let commits = history
            .into_iter()
            .enumerate()
            .map(|(i, r)| CommitRecord {
                rollback: i as u32,
                sequence: r.seq,
                time: r.time,
                user: r.user,
                client: r.client,
                comment: r.comment.unwrap_or_default(),
            })
            .collect();
        Ok(Response::new(CommitHistoryReply { commits }))
    }

    async fn get_routes(&self, req: Request<Empty>) -> Result<Response<RoutesReply>, Status> {
        use xpf_netlink::{RouteKind, XPF_ROUTE_PROTOCOL};
        self.caller(&req, Permission::View).await?;
        let routes = self
            .0
            .interfaces
            .route_table()
            .await
            .into_iter()
            .filter(|(r, _)| r.kind != RouteKind::Other)
            .map(|(r, via)| Route {
                prefix: r.prefix.to_string(),
                protocol: match (r.protocol, r.gateway) {
                    (XPF_ROUTE_PROTOCOL, _) => "Static",
                    (_, None) if r.kind == RouteKind::Unicast => "Direct",
                    _ => "Kernel",
                }
                .into(),
                next_hop: r.gateway.map(|g| g.to_string()).unwrap_or_default(),
                interface: via.unwrap_or_default(),
                action: match r.kind {
                    RouteKind::Blackhole => "discard",
                    RouteKind::Unreachable => "reject",
                    _ => "forward",
                }
                .into(),
                metric: r.metric,
            })
            .collect();
        Ok(Response::new(RoutesReply { routes }))
    }

    async fn get_sessions(
        &self,
        req: Request<SessionsRequest>,
    ) -> Result<Response<SessionsReply>, Status> {
        self.caller(&req, Permission::View).await?;
        let r = req.get_ref();
        let port = |p: u32| if p == 0 { String::new() } else { p.to_string() };
        let filters = [
            ("source-prefix", r.source_prefix.clone()),
            ("destination-prefix", r.destination_prefix.clone()),
            ("source-port", port(r.source_port)),
            ("destination-port", port(r.destination_port)),
            ("protocol", r.protocol.clone()),
            ("application", r.application.clone()),
            ("interface", r.interface.clone()),
            (
                "session-identifier",
                r.session_id.map(|i| i.to_string()).unwrap_or_default(),
            ),
        ];
        let (list, ifname, max) = live::sessions(&self.0, &filters)
            .await
            .map_err(live_status)?;
        let sessions = list
            .iter()
            .map(|s| FlowSession {
                id: s.id,
                policy: s.policy.clone(),
                from_zone: s.zones.0.clone(),
                to_zone: s.zones.1.clone(),
                protocol: xpf_forward::show::proto_name(s.proto),
                application: s.application.clone(),
                timeout_seconds: s.timeout_s,
                remaining_seconds: s.remaining_s,
                age_seconds: s.age_s,
                inbound: Some(wing(&s.inbound, &ifname)),
                outbound: Some(wing(&s.outbound, &ifname)),
                source_nat_rule: s.source_nat_rule.clone().unwrap_or_default(),
                destination_nat_rule: s.destination_nat_rule.clone().unwrap_or_default(),
            })
            .collect();
        Ok(Response::new(SessionsReply {
            sessions,
            maximum_sessions: max as u64,
        }))
    }

    async fn get_counters(&self, req: Request<Empty>) -> Result<Response<CountersReply>, Status> {
        self.caller(&req, Permission::View).await?;
        let (snap, c) = live::counters(&self.0).await.map_err(live_status)?;
        Ok(Response::new(CountersReply {
            sessions_active: c.sessions.created.saturating_sub(c.sessions.closed),
            sessions_created: c.sessions.created,
            sessions_closed: c.sessions.closed,
            packets_forwarded: c.forwarded,
            policies: snap
                .policies()
                .iter()
                .enumerate()
                .map(|(i, p)| PolicyCounter {
                    from_zone: p.from_zone.to_string(),
                    to_zone: p.to_zone.to_string(),
                    name: p.name.to_string(),
                    hits: c.policy_hits.get(i).copied().unwrap_or(0),
                })
                .collect(),
            nat_rules: snap
                .nat_rules()
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let h = c.nat_rules.get(i).copied().unwrap_or_default();
                    NatRuleCounter {
                        r#type: r.kind.name().to_string(),
                        rule_set: r.rule_set.to_string(),
                        name: r.name.to_string(),
                        successful: h.successful,
                        failed: h.failed,
                    }
                })
                .collect(),
            drops: live::drops(&c)
                .into_iter()
                .map(|(reason, code, packets)| DropCounter {
                    reason: reason.to_string(),
                    code: u32::from(code),
                    packets,
                })
                .collect(),
        }))
    }

    async fn get_policies(&self, req: Request<Empty>) -> Result<Response<PoliciesReply>, Status> {
        self.caller(&req, Permission::View).await?;
        let guard = self.0.active.read().await;
        let model = guard
            .as_ref()
            .ok_or_else(|| Status::unavailable("no active configuration"))?;
        let one = |from: &str, to: &str, global: bool, p: &xpf_model::Policy| SecurityPolicy {
            from_zone: from.to_string(),
            to_zone: to.to_string(),
            name: p.name.clone(),
            source_addresses: p.matching.source_addresses.clone(),
            destination_addresses: p.matching.destination_addresses.clone(),
            applications: p.matching.applications.clone(),
            action: format!("{:?}", p.then.action).to_lowercase(),
            log_init: p.then.log_session_init,
            log_close: p.then.log_session_close,
            count: p.then.count,
            global,
        };
        let mut policies: Vec<SecurityPolicy> = model
            .policies
            .zone_pairs
            .iter()
            .flat_map(|zp| {
                zp.policies
                    .iter()
                    .map(move |p| one(&zp.from_zone, &zp.to_zone, false, p))
            })
            .collect();
        policies.extend(model.policies.global.iter().map(|p| one("", "", true, p)));
        let default_policy = match model.policies.default_policy {
            xpf_model::DefaultPolicy::DenyAll => "deny-all",
            xpf_model::DefaultPolicy::PermitAll => "permit-all",
        }
        .to_string();
        Ok(Response::new(PoliciesReply {
            default_policy,
            policies,
        }))
    }

    async fn complete(
        &self,
        req: Request<CompleteRequest>,
    ) -> Result<Response<CompleteReply>, Status> {
        self.caller(&req, Permission::View).await?;
        let path: Vec<&str> = req.get_ref().path.iter().map(String::as_str).collect();
        let reply = match xpf_config::Schema::junos().completions(&path) {
            Some(c) => CompleteReply {
                valid: true,
                candidates: c
                    .into_iter()
                    .map(|c| Candidate {
                        word: c.word,
                        help: c.help,
                        keyword: c.keyword,
                        container: c.container,
                    })
                    .collect(),
            },
            None => CompleteReply {
                valid: false,
                candidates: Vec::new(),
            },
        };
        Ok(Response::new(reply))
    }

    async fn system_action(
        &self,
        req: Request<SystemActionRequest>,
    ) -> Result<Response<TextReply>, Status> {
        self.caller(&req, Permission::Operate).await?;
        if !std::path::Path::new("/run/systemd/system").exists() {
            return Ok(Response::new(TextReply {
                ok: false,
                text: "not available: xpfd is not running under systemd (a lab or container)"
                    .into(),
            }));
        }
        let verb = match req.get_ref().action() {
            SystemAction::Reboot => "reboot",
            SystemAction::Halt => "poweroff",
        };
        tracing::warn!(verb, "system action requested");
        let status = tokio::process::Command::new("systemctl")
            .arg(verb)
            .status()
            .await;
        Ok(Response::new(match status {
            Ok(s) if s.success() => TextReply {
                ok: true,
                text: format!("Shutdown NOW!\n[pid {}]", std::process::id()),
            },
            Ok(s) => TextReply {
                ok: false,
                text: format!("systemctl {verb} failed: {s}"),
            },
            Err(e) => TextReply {
                ok: false,
                text: format!("systemctl {verb}: {e}"),
            },
        }))
    }
}

/// The most text one streamed reply carries: well under gRPC's 4 MiB.
const PIECE: usize = 1 << 20;

/// `text` cut into pieces of at most `max` bytes, at line ends where a
/// line fits (else at a character boundary); at least one piece.
fn pieces(text: &str, max: usize) -> impl Iterator<Item = &str> {
    let mut rest = text;
    let mut first = true;
    std::iter::from_fn(move || {
        if rest.is_empty() && !std::mem::take(&mut first) {
            return None;
        }
        first = false;
        let mut end = rest.len().min(max);
        if end < rest.len() {
            // The last character boundary at or below `max` (past the
            // first character, so a piece is never empty), then the last
            // line end before it.
            let first = rest.chars().next().map_or(1, char::len_utf8);
            end = (first..=end.max(first))
                .rev()
                .find(|&i| rest.is_char_boundary(i))
                .unwrap_or(first);
            if let Some(nl) = rest[..end].rfind('\n') {
                end = nl + 1;
            }
        }
        let (piece, tail) = rest.split_at(end);
        rest = tail;
        Some(piece)
    })
}

#[cfg(test)]
mod piece_tests {
    use super::pieces;

    #[test]
    fn pieces_cut_at_line_ends_and_lose_nothing() {
        let text = "aaaa\nbb\ncccccc\nd\n";
        let got: Vec<&str> = pieces(text, 7).collect();
        assert_eq!(got, ["aaaa\n", "bb\n", "cccccc\n", "d\n"]);
        assert_eq!(got.concat(), text);
        // A line longer than a piece is cut inside it, on a char boundary.
        let long = "é".repeat(10);
        let got: Vec<&str> = pieces(&long, 5).collect();
        assert!(got.iter().all(|p| p.len() <= 5 && !p.is_empty()));
        assert_eq!(got.concat(), long);
        assert_eq!(pieces("", 5).collect::<Vec<_>>(), [""]);
    }
}
