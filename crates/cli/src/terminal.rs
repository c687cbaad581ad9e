// SPDX-License-Identifier: Apache-2.0
//! The interactive terminal: line editing and history (rustyline), `?`
//! help without Enter, TAB and space completion, and `---(more)---` paging.

use std::io::{IsTerminal, Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{
    Cmd, ConditionalEventHandler, Context, Editor, Event, EventContext, EventHandler, Helper,
    KeyEvent, RepeatCount,
};

use crate::shell::{Flow, Io, Shell};
use crate::{confpath, opmode, words};

/// What completion needs to know of the shell.
#[derive(Default)]
struct View {
    edit: Option<Vec<String>>,
}

/// Completion candidates for the word being typed at the end of `line`.
fn candidates(view: &View, line: &str) -> (usize, Vec<String>) {
    let start = line.rfind(' ').map(|i| i + 1).unwrap_or(0);
    let partial = &line[start..];
    let typed = words::split(&line[..start]);
    let list: Vec<String> = match &view.edit {
        None => opmode::help(&typed, true)
            .into_iter()
            .map(|(w, _)| w)
            .filter(|w| !w.starts_with('<') && w != "|" && w.starts_with(partial))
            .collect(),
        Some(edit) => {
            if typed.is_empty() {
                // The one list of configuration-mode commands.
                xpf_api::ops::CONFIG_COMMANDS
                    .iter()
                    .map(|(_, c, _)| *c)
                    .filter(|c| c.starts_with(partial))
                    .map(str::to_string)
                    .collect()
            } else {
                match confpath::expand(edit, &typed[1..]) {
                    Ok(rest) => {
                        let mut path = edit.clone();
                        path.extend(rest);
                        confpath::complete_word(&path, partial)
                    }
                    Err(_) => Vec::new(),
                }
            }
        }
    };
    (start, list)
}

struct CliHelper {
    view: Arc<Mutex<View>>,
}

impl Completer for CliHelper {
    type Candidate = Pair;
    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let Ok(view) = self.view.lock() else {
            return Ok((pos, Vec::new()));
        };
        let (start, list) = candidates(&view, &line[..pos]);
        Ok((
            start,
            list.into_iter()
                .map(|w| Pair {
                    display: w.clone(),
                    replacement: format!("{w} "),
                })
                .collect(),
        ))
    }
}

impl Hinter for CliHelper {
    type Hint = String;
}
impl Highlighter for CliHelper {}
impl Validator for CliHelper {}
impl Helper for CliHelper {}

/// `?` ends the line at once; the loop prints help and offers it again.
struct HelpKey(Arc<AtomicBool>);

impl ConditionalEventHandler for HelpKey {
    fn handle(&self, _: &Event, _: RepeatCount, _: bool, _: &EventContext) -> Option<Cmd> {
        self.0.store(true, Ordering::SeqCst);
        Some(Cmd::AcceptLine)
    }
}

/// Space completes a unique keyword abbreviation, as Junos does.
struct SpaceKey(Arc<Mutex<View>>);

impl ConditionalEventHandler for SpaceKey {
    fn handle(&self, _: &Event, _: RepeatCount, _: bool, ctx: &EventContext) -> Option<Cmd> {
        let line = &ctx.line()[..ctx.pos()];
        let start = line.rfind(' ').map(|i| i + 1).unwrap_or(0);
        let partial = &line[start..];
        if partial.is_empty() || ctx.pos() != ctx.line().len() {
            return None;
        }
        let view = self.0.lock().ok()?;
        let (_, list) = candidates(&view, line);
        match list.as_slice() {
            [one] if one != partial && one.starts_with(partial) => {
                Some(Cmd::Insert(1, format!("{} ", &one[partial.len()..])))
            }
            _ => None,
        }
    }
}

/// A terminal for the interactive loop.
struct Tty {
    rows: usize,
}

impl Io for Tty {
    fn output(&mut self, text: &str, no_more: bool) {
        let mut out = std::io::stdout();
        let lines: Vec<&str> = text.lines().collect();
        if no_more || lines.len() < self.rows {
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
            return;
        }
        let mut shown = 0;
        let mut page = self.rows.saturating_sub(1).max(1);
        while shown < lines.len() {
            let end = (shown + page).min(lines.len());
            for l in &lines[shown..end] {
                let _ = writeln!(out, "{l}");
            }
            shown = end;
            if shown >= lines.len() {
                break;
            }
            let _ = write!(out, "---(more)---");
            let _ = out.flush();
            let key = read_key();
            let _ = write!(out, "\r            \r");
            match key {
                Some(b'q') | Some(b'Q') | None => break,
                Some(b'\r') | Some(b'\n') => page = 1,
                _ => page = self.rows.saturating_sub(1).max(1),
            }
        }
        let _ = out.flush();
    }

    fn confirm(&mut self, question: &str, default: bool) -> bool {
        print!("{question}");
        let _ = std::io::stdout().flush();
        let mut answer = String::new();
        if std::io::stdin().read_line(&mut answer).is_err() {
            return default;
        }
        match answer.trim() {
            "" => default,
            a => "yes".starts_with(a),
        }
    }

    fn read_terminal(&mut self) -> String {
        let mut text = String::new();
        let _ = std::io::stdin().read_to_string(&mut text);
        text
    }

    fn read_secret(&mut self, prompt: &str) -> Option<String> {
        use nix::sys::termios::{tcgetattr, tcsetattr, LocalFlags, SetArg};
        print!("{prompt}");
        let _ = std::io::stdout().flush();
        let stdin = std::io::stdin();
        let saved = tcgetattr(&stdin).ok();
        if let Some(saved) = &saved {
            let mut quiet = saved.clone();
            quiet.local_flags.remove(LocalFlags::ECHO);
            let _ = tcsetattr(&stdin, SetArg::TCSANOW, &quiet);
        }
        let mut line = String::new();
        let read = stdin.read_line(&mut line);
        if let Some(saved) = &saved {
            let _ = tcsetattr(&stdin, SetArg::TCSANOW, saved);
        }
        println!();
        match read {
            Ok(n) if n > 0 => Some(line.trim_end_matches(['\r', '\n']).to_string()),
            _ => None,
        }
    }
}

/// One key, unbuffered (for `---(more)---`).
fn read_key() -> Option<u8> {
    use nix::sys::termios::{tcgetattr, tcsetattr, LocalFlags, SetArg};
    let stdin = std::io::stdin();
    let saved = tcgetattr(&stdin).ok()?;
    let mut raw = saved.clone();
    raw.local_flags
        .remove(LocalFlags::ICANON | LocalFlags::ECHO);
    tcsetattr(&stdin, SetArg::TCSANOW, &raw).ok()?;
    let mut b = [0u8; 1];
    let n = std::io::stdin().read(&mut b).ok();
    let _ = tcsetattr(&stdin, SetArg::TCSANOW, &saved);
    (n == Some(1)).then_some(b[0])
}

fn terminal_rows() -> usize {
    nix::ioctl_read_bad!(winsize, nix::libc::TIOCGWINSZ, nix::libc::winsize);
    let mut ws = nix::libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ fills the winsize struct we pass; stdout's fd is valid for the process.
    #[allow(unsafe_code)]
    let ok = unsafe { winsize(1, &mut ws) }.is_ok();
    if ok && ws.ws_row > 0 {
        ws.ws_row as usize
    } else {
        24
    }
}

/// Runs the interactive loop until the user leaves.
pub fn interactive(shell: &mut Shell) -> anyhow::Result<()> {
    let view = Arc::new(Mutex::new(View::default()));
    let help = Arc::new(AtomicBool::new(false));
    // No bracketed paste and no synchronized-output brackets: Junos sends
    // neither, and a serial terminal prints their escape codes as garbage.
    let mut config = rustyline::Config::builder().bracketed_paste(false).build();
    rustyline::config::Configurer::enable_synchronized_output(&mut config, false);
    let mut rl: Editor<CliHelper, rustyline::history::DefaultHistory> =
        Editor::with_config(config)?;
    rl.set_helper(Some(CliHelper { view: view.clone() }));
    rl.bind_sequence(
        KeyEvent::from('?'),
        EventHandler::Conditional(Box::new(HelpKey(help.clone()))),
    );
    rl.bind_sequence(
        KeyEvent::from(' '),
        EventHandler::Conditional(Box::new(SpaceKey(view.clone()))),
    );
    let mut io = Tty {
        rows: if std::io::stdout().is_terminal() {
            terminal_rows()
        } else {
            usize::MAX
        },
    };
    let mut initial = String::new();
    let mut show_banner = true;
    loop {
        if let Ok(mut v) = view.lock() {
            v.edit = shell.edit_path().map(<[String]>::to_vec);
        }
        if show_banner {
            if let Some(b) = shell.banner() {
                println!("\n{b}");
            }
        }
        show_banner = true;
        let prompt = shell.prompt();
        let read = rl.readline_with_initial(&prompt, (&initial, ""));
        initial.clear();
        match read {
            Ok(line) if help.swap(false, Ordering::SeqCst) => {
                io.output(&shell.help(&line), true);
                initial = line;
                show_banner = false;
            }
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = rl.add_history_entry(line.as_str());
                }
                if shell.execute(&line, &mut io) == Flow::Exit {
                    return Ok(());
                }
            }
            Err(ReadlineError::Interrupted) => {}
            Err(ReadlineError::Eof) => {
                let leave = if shell.edit_path().is_some() {
                    "exit configuration-mode"
                } else {
                    "exit"
                };
                if shell.execute(leave, &mut io) == Flow::Exit {
                    return Ok(());
                }
            }
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// TAB at the start of a configuration-mode line offers every
    /// configuration command (it missed annotate and insert when it kept
    /// a list of its own).
    #[test]
    fn tab_offers_every_configuration_command() {
        let view = View {
            edit: Some(Vec::new()),
        };
        let (_, all) = candidates(&view, "");
        let words: Vec<&str> = xpf_api::ops::CONFIG_COMMANDS
            .iter()
            .map(|(_, w, _)| *w)
            .collect();
        assert_eq!(all, words);
        let (_, a) = candidates(&view, "an");
        assert_eq!(a, ["annotate"]);
        let (_, i) = candidates(&view, "ins");
        assert_eq!(i, ["insert"]);
    }

    /// Every verb the configuration language has is a CLI command.
    #[test]
    fn every_edit_verb_is_a_command() {
        for verb in xpf_config::Verb::ALL {
            let word = verb.as_str();
            assert!(
                matches!(xpf_api::ops::ConfigVerb::lookup(word), Ok(Some((_, w))) if w == word),
                "{word}"
            );
        }
    }
}
