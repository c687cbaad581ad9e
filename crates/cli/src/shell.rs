// SPDX-License-Identifier: Apache-2.0
//! The CLI's state machine: operational and configuration modes, each
//! command turned into calls on xpfd's management API.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use tonic::transport::Channel;
use xpf_api::management_client::ManagementClient;
use xpf_api::ops::{self, ConfigVerb, Op, RunsIn, CONFIG_COMMANDS};
use xpf_api::*;

use crate::confpath;
use crate::error::CliError;
use crate::opmode;
use crate::password;
use crate::ping;
use crate::pipes::{self, Pipes};
use crate::words::{self, Typed};

/// Where the user is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// `user@host>`
    Operational,
    /// `user@host#`, at an `[edit ...]` path.
    Configure {
        /// The configuration session.
        session: u64,
        /// The `edit` path.
        edit: Vec<String>,
    },
}

/// What the shell needs from its terminal.
pub trait Io {
    /// Prints command output (paged on a terminal unless `no_more`).
    fn output(&mut self, text: &str, no_more: bool);
    /// Asks a yes/no question.
    fn confirm(&mut self, question: &str, default: bool) -> bool;
    /// Reads `load ... terminal` input up to Ctrl-D.
    fn read_terminal(&mut self) -> String;
    /// Asks for a secret (`New password:`) without echoing it; `None` when
    /// there is no more input.
    fn read_secret(&mut self, prompt: &str) -> Option<String>;
}

/// Whether to keep going after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Next command.
    Continue,
    /// Leave the CLI.
    Exit,
}

/// The CLI session.
pub struct Shell {
    rt: tokio::runtime::Runtime,
    client: ManagementClient<Channel>,
    /// Login name.
    pub user: String,
    /// Host name shown in the prompt.
    pub host: String,
    /// Current mode.
    pub mode: Mode,
    /// Set when a command failed (for `cli -c` exit status).
    pub failed: bool,
}

fn status(e: tonic::Status) -> CliError {
    CliError::plain(format!("error: {}", e.message()))
}

/// A Junos-worded rendering of one diagnostic from xpfd.
pub fn render_diagnostic(d: &Diagnostic) -> String {
    if d.severity == "warning" {
        return format!("warning: {}\n", d.message);
    }
    if d.line > 0 {
        // Located in a loaded text: the full form names file:line:column.
        return format!("{}\n", d.text);
    }
    let mut s = String::new();
    if d.path.is_empty() {
        s.push_str("[edit]\n");
    } else {
        let _ = writeln!(s, "[edit {}]", d.path.join(" "));
    }
    if d.statement.is_empty() {
        let _ = writeln!(s, "  {}", d.message);
    } else {
        let _ = writeln!(s, "  '{}'\n    {}", d.statement, d.message);
    }
    s
}

/// Runs a system tool and returns what it printed, errors included.
fn run_tool(program: &str, args: &[&str]) -> Result<String, CliError> {
    let o = std::process::Command::new(program)
        .args(args)
        .output()
        .map_err(|e| CliError::plain(format!("{program}: {e}")))?;
    let mut text = String::from_utf8_lossy(&o.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&o.stderr));
    Ok(text)
}

fn quote(w: &str) -> String {
    let mut s = String::new();
    xpf_config::write_word(&mut s, w, false);
    s
}

impl Shell {
    /// Connects to xpfd, waiting up to `wait` for it to start: a login on
    /// the console right after boot can be faster than xpfd, and a CLI that
    /// gave up at once would throw the user back to the login prompt.
    pub fn connect(socket: &str, user: String, wait: Duration) -> anyhow::Result<Shell> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let deadline = Instant::now() + wait;
        let mut said = false;
        let client = loop {
            match rt.block_on(xpf_api::connect_unix(socket)) {
                Ok(c) => break c,
                Err(e) if Instant::now() >= deadline => {
                    anyhow::bail!("cannot reach xpfd at {socket}: {e}")
                }
                Err(_) => {
                    if !said {
                        eprintln!(
                            "xpfd is not answering yet; waiting up to {} s for it to start",
                            wait.as_secs()
                        );
                        said = true;
                    }
                    std::thread::sleep(Duration::from_millis(250));
                }
            }
        };
        let mut shell = Shell {
            rt,
            client,
            user,
            host: "xpf".into(),
            mode: Mode::Operational,
            failed: false,
        };
        shell.refresh_host();
        Ok(shell)
    }

    fn refresh_host(&mut self) {
        let req = ShowTextRequest {
            words: vec!["show".into(), "version".into()],
        };
        if let Ok(r) = self.rt.block_on(self.client.show_text(req)) {
            if let Some(h) = r
                .get_ref()
                .text
                .lines()
                .find_map(|l| l.strip_prefix("Hostname: "))
            {
                self.host = h.trim().to_string();
            }
        }
    }

    /// Ends a configuration session still open when the CLI leaves (as a
    /// Junos session ends with the login).
    pub fn close(&mut self) {
        if let Mode::Configure { session, .. } = self.mode {
            let _ = self
                .rt
                .block_on(self.client.exit_configuration(SessionRequest { session }));
            self.mode = Mode::Operational;
        }
    }

    /// `user@host> ` or `user@host# `.
    pub fn prompt(&self) -> String {
        let mark = if matches!(self.mode, Mode::Operational) {
            '>'
        } else {
            '#'
        };
        format!("{}@{}{} ", self.user, self.host, mark)
    }

    /// `[edit ...]` shown above the prompt in configuration mode.
    pub fn banner(&self) -> Option<String> {
        match &self.mode {
            Mode::Operational => None,
            Mode::Configure { edit, .. } if edit.is_empty() => Some("[edit]".into()),
            Mode::Configure { edit, .. } => Some(format!("[edit {}]", edit.join(" "))),
        }
    }

    /// The edit path, for completion.
    pub fn edit_path(&self) -> Option<&[String]> {
        match &self.mode {
            Mode::Configure { edit, .. } => Some(edit),
            Mode::Operational => None,
        }
    }

    /// `?`: the completions of `line` as Junos prints them.
    pub fn help(&self, line: &str) -> String {
        let trailing = line.is_empty() || line.ends_with(' ');
        let (cmd, pipes) = words::pipes(line);
        if !pipes.is_empty() {
            return "Possible completions:\n  compare              Compare configuration changes with prior version\n  count                Count occurrences\n  display              Show additional kinds of information\n  except               Show only text that does not match a pattern\n  find                 Search for first occurrence of pattern\n  last                 Display end of output only\n  match                Show only text that matches a pattern\n  no-more              Don't paginate output\n".into();
        }
        let words = words::split(&cmd);
        let mut out = String::from("Possible completions:\n");
        match &self.mode {
            Mode::Operational => {
                for (w, h) in opmode::help(&words, trailing) {
                    let _ = writeln!(out, "  {w:<20} {h}");
                }
            }
            Mode::Configure { edit, .. } => {
                let verb = words.first().map(|w| w.text.as_str()).unwrap_or("");
                let full = CONFIG_COMMANDS
                    .iter()
                    .find(|(_, c, _)| *c == verb || (c.starts_with(verb) && words.len() > 1));
                match full {
                    Some((v, _, _)) if (words.len() > 1 || trailing) && v.takes_path() => {
                        match confpath::help(edit, &words[1..], trailing) {
                            Ok(rows) => {
                                for (m, w, h) in rows {
                                    let _ = writeln!(out, "{m} {w:<20} {h}");
                                }
                            }
                            Err(e) => return e.render(0),
                        }
                    }
                    Some((ConfigVerb::Run, _, _)) => {
                        for (w, h) in opmode::help(&words[1..], trailing) {
                            let _ = writeln!(out, "  {w:<20} {h}");
                        }
                    }
                    _ => {
                        let partial = if trailing { "" } else { verb };
                        for (_, c, h) in CONFIG_COMMANDS
                            .iter()
                            .filter(|(_, c, _)| c.starts_with(partial))
                        {
                            let _ = writeln!(out, "  {c:<20} {h}");
                        }
                    }
                }
            }
        }
        out
    }

    /// Runs one line.
    pub fn execute(&mut self, line: &str, io: &mut dyn Io) -> Flow {
        let trimmed = line.trim_end();
        if let Some(before) = trimmed.strip_suffix('?') {
            io.output(&self.help(before), true);
            return Flow::Continue;
        }
        match self.dispatch(trimmed, io) {
            Ok(flow) => flow,
            Err(e) => {
                self.failed = true;
                // The caret sits under the typed line: count the prompt.
                io.output(&e.render(self.prompt().chars().count()), true);
                Flow::Continue
            }
        }
    }

    fn dispatch(&mut self, line: &str, io: &mut dyn Io) -> Result<Flow, CliError> {
        let (cmd, pipe_parts) = words::pipes(line);
        let pipes = pipes::parse(&pipe_parts)?;
        let words = words::split(&cmd);
        if words.is_empty() {
            return Ok(Flow::Continue);
        }
        match self.mode.clone() {
            Mode::Operational => self.operational(&words, cmd.chars().count(), &pipes, io),
            Mode::Configure { session, edit } => {
                self.configuration(session, edit, &words, &pipes, io)
            }
        }
    }

    fn operational(
        &mut self,
        words: &[Typed],
        len: usize,
        pipes: &Pipes,
        io: &mut dyn Io,
    ) -> Result<Flow, CliError> {
        let canon = opmode::resolve(words, len)?;
        let c: Vec<&str> = canon.iter().map(String::as_str).collect();
        // The one operational tree names the command; what xpfd runs goes
        // there, what the CLI runs (`Op::runs_in`) is handled here.
        let Some((op, n)) = ops::command(&c) else {
            return Err(CliError::plain(format!(
                "{}: unknown command.",
                c.join(" ")
            )));
        };
        let rest = &c[n..];
        match op {
            Op::Configure => {
                let exclusive = rest.contains(&"exclusive");
                let r = self
                    .rt
                    .block_on(
                        self.client
                            .enter_configuration(EnterConfigurationRequest { exclusive }),
                    )
                    .map_err(status)?
                    .into_inner();
                let mut text = String::new();
                for n in r.notices {
                    let _ = writeln!(text, "{n}");
                }
                text.push_str("Entering configuration mode\n");
                io.output(&text, true);
                self.mode = Mode::Configure {
                    session: r.session,
                    edit: Vec::new(),
                };
                Ok(Flow::Continue)
            }
            Op::Exit | Op::Quit => Ok(Flow::Exit),
            Op::ShowConfiguration => {
                let path = rest.iter().map(|s| s.to_string()).collect();
                self.show_configuration(0, path, pipes, io)
            }
            Op::Ping => {
                let [host, opts @ ..] = rest else {
                    return Err(CliError::plain("syntax error, expecting <host>."));
                };
                let ping = ping::Ping::parse(host, opts)?;
                let args: Vec<&str> = ping.args.iter().map(String::as_str).collect();
                let text = run_tool("ping", &args)?;
                let text = ping::junos_layout(&text, ping.rapid);
                io.output(&pipes.filter(&text), pipes.no_more);
                Ok(Flow::Continue)
            }
            Op::Traceroute => {
                let [host, opts @ ..] = rest else {
                    return Err(CliError::plain("syntax error, expecting <host>."));
                };
                let args = ping::traceroute_args(host, opts)?;
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                self.external("traceroute", &args, pipes, io)
            }
            Op::RequestSystemReboot | Op::RequestSystemHalt => {
                let reboot = op == Op::RequestSystemReboot;
                let q = format!(
                    "{} the system ? [yes,no] (no) ",
                    if reboot { "Reboot" } else { "Halt" }
                );
                if !io.confirm(&q, false) {
                    return Ok(Flow::Continue);
                }
                let action = if reboot {
                    SystemAction::Reboot
                } else {
                    SystemAction::Halt
                };
                let r = self
                    .rt
                    .block_on(self.client.system_action(SystemActionRequest {
                        action: action as i32,
                    }))
                    .map_err(status)?
                    .into_inner();
                self.reply(r, pipes, io)
            }
            Op::RequestSystemSoftwareAdd => self.run_streaming(canon, io),
            Op::RequestSystemInstallDisk => {
                let [device] = rest else {
                    return Err(CliError::plain("syntax error, expecting <device>."));
                };
                let q =
                    format!("Install xpf on {device}? Everything on it is erased. [yes,no] (no) ");
                if !io.confirm(&q, false) {
                    return Ok(Flow::Continue);
                }
                self.run_streaming(canon, io)
            }
            Op::File => Err(CliError::plain("not available: file operations")),
            Op::StartShell => self.start_shell(rest),
            _ => {
                debug_assert_eq!(op.runs_in(), RunsIn::Xpfd, "{op:?}");
                let r = self.show_text_streamed(canon)?;
                self.reply(r, pipes, io)
            }
        }
    }

    /// `show configuration` (session 0: the active one) or, in
    /// configuration mode, `show` of the candidate, at a path.
    fn show_configuration(
        &mut self,
        session: u64,
        path: Vec<String>,
        pipes: &Pipes,
        io: &mut dyn Io,
    ) -> Result<Flow, CliError> {
        let req = ShowConfigurationRequest {
            session,
            path,
            format: pipes.format() as i32,
        };
        let r = self
            .rt
            .block_on(self.client.show_configuration(req))
            .map_err(status)?
            .into_inner();
        io.output(&pipes.filter(&r.text), pipes.no_more);
        Ok(Flow::Continue)
    }

    fn reply(&mut self, r: TextReply, pipes: &Pipes, io: &mut dyn Io) -> Result<Flow, CliError> {
        if !r.ok {
            self.failed = true;
        }
        io.output(&pipes.filter(&r.text), pipes.no_more);
        Ok(Flow::Continue)
    }

    /// An operational command's answer, gathered from its pieces: any
    /// size fits (`show security flow session` with a million sessions).
    fn show_text_streamed(&mut self, words: Vec<String>) -> Result<TextReply, CliError> {
        let mut stream = self
            .rt
            .block_on(self.client.show_text_stream(ShowTextRequest { words }))
            .map_err(status)?
            .into_inner();
        let mut whole = TextReply {
            ok: true,
            text: String::new(),
        };
        while let Some(r) = self.rt.block_on(stream.message()).map_err(status)? {
            whole.ok &= r.ok;
            whole.text.push_str(&r.text);
        }
        Ok(whole)
    }

    /// A long request: each progress line is printed as xpfd sends it.
    fn run_streaming(&mut self, words: Vec<String>, io: &mut dyn Io) -> Result<Flow, CliError> {
        let mut stream = self
            .rt
            .block_on(self.client.run(ShowTextRequest { words }))
            .map_err(status)?
            .into_inner();
        while let Some(r) = self.rt.block_on(stream.message()).map_err(status)? {
            if !r.ok {
                self.failed = true;
            }
            io.output(&r.text, true);
        }
        Ok(Flow::Continue)
    }

    /// `start shell [sh|bash]`: a Unix shell on the terminal, for root only
    /// (the appliance's other users live in the CLI, as on an SRX).
    fn start_shell(&mut self, rest: &[&str]) -> Result<Flow, CliError> {
        if !nix::unistd::Uid::current().is_root() {
            return Err(CliError::plain(
                "error: permission denied: only root may start a shell",
            ));
        }
        let program = match rest.first().copied().unwrap_or("sh") {
            "sh" => "/bin/sh",
            "bash" => "/bin/bash",
            other => return Err(CliError::plain(format!("error: unknown shell: {other}"))),
        };
        match std::process::Command::new(program).status() {
            Ok(_) => Ok(Flow::Continue),
            Err(e) => Err(CliError::plain(format!("{program}: {e}"))),
        }
    }

    fn external(
        &mut self,
        program: &str,
        args: &[&str],
        pipes: &Pipes,
        io: &mut dyn Io,
    ) -> Result<Flow, CliError> {
        let text = run_tool(program, args)?;
        io.output(&pipes.filter(&text), pipes.no_more);
        Ok(Flow::Continue)
    }

    fn configuration(
        &mut self,
        session: u64,
        edit: Vec<String>,
        words: &[Typed],
        pipes: &Pipes,
        io: &mut dyn Io,
    ) -> Result<Flow, CliError> {
        let verb_typed = &words[0];
        let (kind, verb) = match ConfigVerb::lookup(&verb_typed.text) {
            Ok(Some(found)) => found,
            Ok(None) => return Err(CliError::at(verb_typed.at, "unknown command.")),
            Err(_) => {
                return Err(CliError::at(
                    verb_typed.at,
                    format!("'{}' is ambiguous.", verb_typed.text),
                ))
            }
        };
        let args = &words[1..];
        let end = words
            .last()
            .map(|w| w.at + w.text.chars().count() + 1)
            .unwrap_or(0);
        match kind {
            ConfigVerb::Set
            | ConfigVerb::Delete
            | ConfigVerb::Activate
            | ConfigVerb::Deactivate
            | ConfigVerb::Protect
            | ConfigVerb::Unprotect => {
                if args.is_empty() {
                    return Err(CliError::at(
                        end,
                        "syntax error, expecting <statement> or <identifier>.",
                    ));
                }
                let mut path = confpath::expand(&edit, args)?;
                let mut typed = args.to_vec();
                // As on Junos: the password is asked for twice and only its
                // hash reaches the configuration.
                if verb == "set" && path.last().is_some_and(|w| w == "plain-text-password") {
                    let hash = password::ask(io)?;
                    let at = typed.last().map_or(0, |t| t.at);
                    path.pop();
                    typed.pop();
                    for (text, quoted) in [("encrypted-password".to_string(), false), (hash, true)]
                    {
                        path.push(text.clone());
                        typed.push(Typed { text, at, quoted });
                    }
                }
                let args = &typed[..];
                let mut full: Vec<String> = edit.iter().map(|w| quote(w)).collect();
                full.extend(path.iter().zip(args).map(|(p, t)| {
                    if t.quoted {
                        format!("\"{p}\"")
                    } else if p == "[" || p == "]" {
                        // A typed list (`[ a b ]`) stays a list.
                        p.clone()
                    } else {
                        quote(p)
                    }
                }));
                let line = format!("{verb} {}", full.join(" "));
                if verb == "set" {
                    self.precheck(&line, &edit, args)?;
                }
                self.send_edit(session, line, io)
            }
            ConfigVerb::Annotate => {
                let Some((comment, path)) = args.split_last().filter(|(_, p)| !p.is_empty()) else {
                    return Err(CliError::at(
                        end,
                        "syntax error, expecting <statement> \"<comment>\".",
                    ));
                };
                let mut full: Vec<String> = edit.iter().map(|w| quote(w)).collect();
                full.extend(confpath::expand(&edit, path)?.iter().map(|w| quote(w)));
                let mut c = String::new();
                xpf_config::write_word(&mut c, &comment.text, true);
                let line = format!("annotate {} {c}", full.join(" "));
                self.send_edit(session, line, io)
            }
            ConfigVerb::Insert => {
                let Some(k) = args
                    .iter()
                    .rposition(|w| w.text == "before" || w.text == "after")
                    .filter(|&k| k > 0 && k + 1 < args.len())
                else {
                    return Err(CliError::at(
                        end,
                        "syntax error, expecting <statement> before|after <statement>.",
                    ));
                };
                let path = confpath::expand(&edit, &args[..k])?;
                let mut moved = edit.clone();
                moved.extend(path);
                let mut parent = moved.clone();
                pop_level(&mut parent);
                let reference = confpath::expand(&parent, &args[k + 1..])?;
                let line = format!(
                    "insert {} {} {}",
                    moved.iter().map(|w| quote(w)).collect::<Vec<_>>().join(" "),
                    args[k].text,
                    reference
                        .iter()
                        .map(|w| quote(w))
                        .collect::<Vec<_>>()
                        .join(" ")
                );
                self.send_edit(session, line, io)
            }
            ConfigVerb::Edit => {
                let path = confpath::expand(&edit, args)?;
                let mut new_edit = edit.clone();
                new_edit.extend(path);
                self.mode = Mode::Configure {
                    session,
                    edit: new_edit,
                };
                Ok(Flow::Continue)
            }
            ConfigVerb::Up | ConfigVerb::Top => {
                let n = if verb == "top" {
                    edit.len()
                } else {
                    args.first().and_then(|w| w.text.parse().ok()).unwrap_or(1)
                };
                let mut new_edit = edit.clone();
                // `up` leaves whole statements (`unit 0` is one level).
                for _ in 0..n {
                    pop_level(&mut new_edit);
                }
                self.mode = Mode::Configure {
                    session,
                    edit: new_edit,
                };
                Ok(Flow::Continue)
            }
            ConfigVerb::Exit | ConfigVerb::Quit => {
                let whole = args
                    .first()
                    .is_some_and(|w| "configuration-mode".starts_with(w.text.as_str()));
                if !edit.is_empty() && !whole {
                    let mut new_edit = edit.clone();
                    pop_level(&mut new_edit);
                    self.mode = Mode::Configure {
                        session,
                        edit: new_edit,
                    };
                    return Ok(Flow::Continue);
                }
                self.leave(session, io)
            }
            ConfigVerb::Show => {
                let path = confpath::expand(&edit, args)?;
                if let Some(rollback) = pipes.compare {
                    let r = self
                        .rt
                        .block_on(self.client.compare(CompareRequest { session, rollback }))
                        .map_err(status)?
                        .into_inner();
                    io.output(&pipes.filter(&r.text), pipes.no_more);
                    return Ok(Flow::Continue);
                }
                let mut full = edit.clone();
                full.extend(path);
                self.show_configuration(session, full, pipes, io)
            }
            ConfigVerb::Commit => self.commit(session, args, io),
            ConfigVerb::Rollback => {
                let index = match args.first() {
                    Some(w) => w
                        .text
                        .parse::<u32>()
                        .map_err(|_| CliError::at(w.at, "syntax error, expecting <number>."))?,
                    None => 0,
                };
                if index > 49 {
                    return Err(CliError::at(
                        args[0].at,
                        format!("Value {index} is not within range (0..49)"),
                    ));
                }
                match self
                    .rt
                    .block_on(self.client.rollback(RollbackRequest { session, index }))
                {
                    Ok(_) => io.output("load complete\n", true),
                    Err(e) => return Err(CliError::plain(format!("error: {}", e.message()))),
                }
                Ok(Flow::Continue)
            }
            ConfigVerb::Load => self.load(session, args, end, io),
            ConfigVerb::Run => {
                let rest = &words[1..];
                if rest.is_empty() {
                    return Err(CliError::at(end, "syntax error, expecting <command>."));
                }
                let len = rest
                    .last()
                    .map(|w| w.at + w.text.chars().count())
                    .unwrap_or(0);
                self.operational(rest, len, pipes, io)
            }
        }
    }

    /// Validates a `set` locally against the schema, for a caret under the
    /// typed word rather than under the full path sent to xpfd.
    fn precheck(&self, line: &str, edit: &[String], args: &[Typed]) -> Result<(), CliError> {
        let Ok(cmd) = xpf_config::parse_command(line) else {
            return Ok(());
        };
        let mut scratch = xpf_config::Config::default();
        if let Err(e) = xpf_config::apply_command(&mut scratch, &cmd) {
            let Some(d) = e.0.first() else { return Ok(()) };
            let col = d.span.map(|s| s.col as usize).unwrap_or(0);
            // Which typed word the column falls in: the sent line is the
            // verb, the edit path, then the typed words.
            let offset = cmd.words.iter().position(|w| w.span.col as usize == col);
            let at = offset
                .and_then(|i| i.checked_sub(edit.len()))
                .and_then(|i| args.get(i))
                .map(|w| w.at);
            let msg = if d.message.starts_with("syntax error") {
                "syntax error.".to_string()
            } else {
                d.message.clone()
            };
            return Err(match at {
                Some(at) => CliError::at(at, msg),
                None => CliError::plain(msg),
            });
        }
        Ok(())
    }

    /// Sends one set-form line of the candidate to xpfd and prints what it says.
    fn send_edit(&mut self, session: u64, line: String, io: &mut dyn Io) -> Result<Flow, CliError> {
        let r = self
            .rt
            .block_on(self.client.edit(EditRequest { session, line }))
            .map_err(status)?
            .into_inner();
        self.diagnostics(&r.diagnostics, r.ok, io);
        Ok(Flow::Continue)
    }

    fn diagnostics(&mut self, ds: &[Diagnostic], ok: bool, io: &mut dyn Io) {
        if !ok {
            self.failed = true;
        }
        let text: String = ds.iter().map(render_diagnostic).collect();
        if !text.is_empty() {
            io.output(&text, true);
        }
    }

    fn leave(&mut self, session: u64, io: &mut dyn Io) -> Result<Flow, CliError> {
        let changed = self
            .rt
            .block_on(self.client.compare(CompareRequest {
                session,
                rollback: None,
            }))
            .map(|r| !r.get_ref().text.is_empty())
            .unwrap_or(false);
        if changed {
            io.output(
                "The configuration has been changed but not committed\n",
                true,
            );
            if !io.confirm("Exit with uncommitted changes? [yes,no] (yes) ", true) {
                return Ok(Flow::Continue);
            }
        }
        self.close();
        io.output("Exiting configuration mode\n", true);
        Ok(Flow::Continue)
    }

    fn commit(&mut self, session: u64, args: &[Typed], io: &mut dyn Io) -> Result<Flow, CliError> {
        let mut req = CommitRequest {
            session,
            ..Default::default()
        };
        let opts = ["and-quit", "check", "comment", "confirmed"];
        let mut i = 0;
        while i < args.len() {
            let w = &args[i];
            let m: Vec<&&str> = opts
                .iter()
                .filter(|o| o.starts_with(w.text.as_str()))
                .collect();
            let [opt] = m.as_slice() else {
                return Err(CliError::at(w.at, "syntax error."));
            };
            match **opt {
                "check" => req.check_only = true,
                "and-quit" => req.and_quit = true,
                "comment" => {
                    let c = args.get(i + 1).ok_or_else(|| {
                        CliError::at(
                            w.at + w.text.len() + 1,
                            "syntax error, expecting <comment>.",
                        )
                    })?;
                    req.comment = c.text.clone();
                    i += 1;
                }
                _ => {
                    let minutes = match args.get(i + 1).and_then(|n| n.text.parse::<u32>().ok()) {
                        Some(n) => {
                            i += 1;
                            n
                        }
                        None => 10,
                    };
                    if !(1..=65535).contains(&minutes) {
                        return Err(CliError::at(
                            args[i].at,
                            format!("Value {minutes} is not within range (1..65535)"),
                        ));
                    }
                    req.confirmed_minutes = Some(minutes);
                }
            }
            i += 1;
        }
        let and_quit = req.and_quit;
        let r = self
            .rt
            .block_on(self.client.commit(req))
            .map_err(status)?
            .into_inner();
        let mut text: String = r.diagnostics.iter().map(render_diagnostic).collect();
        text.push_str(&r.text);
        text.push('\n');
        io.output(&text, true);
        if !r.ok {
            self.failed = true;
            return Ok(Flow::Continue);
        }
        self.refresh_host();
        if and_quit {
            self.close();
            io.output("Exiting configuration mode\n", true);
        }
        Ok(Flow::Continue)
    }

    fn load(
        &mut self,
        session: u64,
        args: &[Typed],
        end: usize,
        io: &mut dyn Io,
    ) -> Result<Flow, CliError> {
        let Some(mode_word) = args.first() else {
            return Err(CliError::at(
                end,
                "syntax error, expecting merge, override, replace or set.",
            ));
        };
        let modes = [
            ("merge", LoadMode::LoadMerge),
            ("override", LoadMode::LoadOverride),
            ("replace", LoadMode::LoadReplace),
            ("set", LoadMode::LoadSet),
        ];
        let m: Vec<&(&str, LoadMode)> = modes
            .iter()
            .filter(|(n, _)| n.starts_with(mode_word.text.as_str()))
            .collect();
        let [(_, mode)] = m.as_slice() else {
            return Err(CliError::at(
                mode_word.at,
                "syntax error, expecting merge, override, replace or set.",
            ));
        };
        let Some(src) = args.get(1) else {
            return Err(CliError::at(
                end,
                "syntax error, expecting <filename> or terminal.",
            ));
        };
        let (text, source) = if "terminal".starts_with(src.text.as_str()) && !src.quoted {
            io.output("[Type ^D at a new line to end input]\n", true);
            (io.read_terminal(), "terminal".to_string())
        } else {
            let t = std::fs::read_to_string(&src.text)
                .map_err(|e| CliError::at(src.at, format!("error: {}: {e}", src.text)))?;
            (t, src.text.clone())
        };
        let r = self
            .rt
            .block_on(self.client.load(LoadRequest {
                session,
                mode: *mode as i32,
                text,
                source,
            }))
            .map_err(status)?
            .into_inner();
        let mut out: String = r.diagnostics.iter().map(render_diagnostic).collect();
        out.push_str(if r.ok {
            "load complete\n"
        } else {
            "error: load failed\n"
        });
        if !r.ok {
            self.failed = true;
        }
        io.output(&out, true);
        Ok(Flow::Continue)
    }
}

/// Removes the last statement from an edit path: a value word goes with
/// its keyword (`unit 0`, `security-zone trust`).
fn pop_level(edit: &mut Vec<String>) {
    if edit.is_empty() {
        return;
    }
    let n = edit.len();
    for take in 1..=n.min(4) {
        let parent: Vec<&str> = edit[..n - take].iter().map(String::as_str).collect();
        let rest: Vec<&str> = edit[n - take..].iter().map(String::as_str).collect();
        if let Some(m) = xpf_config::Schema::junos().match_child(node_of(&parent), &rest) {
            if m.consumed == take {
                edit.truncate(n - take);
                return;
            }
        }
    }
    edit.pop();
}

fn node_of(path: &[&str]) -> xpf_config::NodeId {
    let schema = xpf_config::Schema::junos();
    let mut node = xpf_config::schema::ROOT;
    let mut i = 0;
    while i < path.len() {
        match schema.match_child(node, &path[i..]) {
            Some(m) => {
                node = m.node;
                i += m.consumed;
            }
            None => break,
        }
    }
    node
}
