// SPDX-License-Identifier: Apache-2.0
//! `cli`: the Junos-style command line of xpf, a client of xpfd.
//!
//! Interactive on a terminal (the login shell of every configured user), or
//! `cli -c "command; command"` for scripts, as on Junos.

mod confpath;
mod error;
mod opmode;
mod password;
mod ping;
mod pipes;
mod shell;
mod terminal;
mod words;

use std::io::{Read, Write};
use std::process::ExitCode;
use std::time::Duration;

use shell::{Flow, Io, Shell};

/// Output straight to stdout, answers by default: for `cli -c`.
struct Batch;

impl Io for Batch {
    fn output(&mut self, text: &str, _: bool) {
        let mut out = std::io::stdout();
        let _ = out.write_all(text.as_bytes());
        let _ = out.flush();
    }
    fn confirm(&mut self, question: &str, default: bool) -> bool {
        println!("{question}{}", if default { "yes" } else { "no" });
        default
    }
    fn read_terminal(&mut self) -> String {
        let mut text = String::new();
        let _ = std::io::stdin().read_to_string(&mut text);
        text
    }
    fn read_secret(&mut self, prompt: &str) -> Option<String> {
        println!("{prompt}");
        let mut line = String::new();
        match std::io::stdin().read_line(&mut line) {
            Ok(n) if n > 0 => Some(line.trim_end_matches(['\r', '\n']).to_string()),
            _ => None,
        }
    }
}

/// Splits `a; b; "c;d"` into commands.
fn commands(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for c in script.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            ';' if !quoted => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty())
        .collect()
}

/// How long the CLI waits for xpfd to start before giving up.
const DEFAULT_WAIT: Duration = Duration::from_secs(90);

fn user_name() -> String {
    let uid = nix::unistd::getuid();
    nix::unistd::User::from_uid(uid)
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_else(|| uid.to_string())
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut script = None;
    let mut socket = std::env::var("XPF_SOCKET").unwrap_or_else(|_| xpf_api::DEFAULT_SOCKET.into());
    let mut wait = DEFAULT_WAIT;
    while let Some(a) = args.next() {
        match a.as_str() {
            "-c" => script = args.next(),
            "--socket" => socket = args.next().unwrap_or(socket),
            "--wait" => match args.next().map(|w| w.parse::<u64>()) {
                Some(Ok(secs)) => wait = Duration::from_secs(secs),
                _ => {
                    eprintln!("cli: --wait needs a number of seconds");
                    return ExitCode::from(2);
                }
            },
            "-h" | "--help" => {
                println!("usage: cli [--socket PATH] [--wait SECONDS] [-c \"command; command\"]");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("cli: unknown argument {other}");
                return ExitCode::from(2);
            }
        }
    }
    let mut shell = match Shell::connect(&socket, user_name(), wait) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    match script {
        Some(s) => {
            let mut io = Batch;
            let cmds = commands(&s);
            // One command prints its output alone, as `ssh fw 'show arp'`
            // does on Junos; a script shows each command after its
            // prompt, so the outputs can be told apart.
            let echo = cmds.len() > 1;
            for cmd in cmds {
                if let Some(b) = shell.banner() {
                    println!("\n{b}");
                }
                if echo {
                    println!("{}{cmd}", shell.prompt());
                }
                if shell.execute(&cmd, &mut io) == Flow::Exit {
                    break;
                }
            }
            shell.close();
            if shell.failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        None => match terminal::interactive(&mut shell) {
            Ok(()) => {
                shell.close();
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}
