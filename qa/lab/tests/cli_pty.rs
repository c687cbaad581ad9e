// SPDX-License-Identifier: Apache-2.0
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking
//! The CLI on a pseudo-terminal, typed at as a user would: abbreviations,
//! `?`, TAB and space completion, caret errors, pipes, `load terminal`,
//! Ctrl-C and Ctrl-D, and a `commit confirmed` that nobody confirms
//! rolling back by itself.

use std::process::Command;
use std::time::{Duration, Instant};

use rexpect::session::{spawn_command, PtySession};
use xpf_lab::{binary, can_run, Lab};

const SEED: &str = "system { host-name pty; }\ninterfaces { ge-0/0/0 { unit 0 { family inet { address 10.6.0.1/24; } } } }\n";
const OP: &str = "root@pty> ";
const CONF: &str = "root@pty# ";

fn cli(lab: &Lab) -> PtySession {
    let mut cmd = Command::new(binary("cli"));
    cmd.env("XPF_SOCKET", lab.socket()).env("TERM", "vt100");
    let mut p = spawn_command(cmd, Some(15_000)).expect("cli starts on a pty");
    p.exp_string(OP).expect("operational prompt");
    p
}

/// Types without Enter (flushed, so the line editor sees each key).
fn typ(p: &mut PtySession, keys: &str) {
    p.send(keys).unwrap();
    p.flush().unwrap();
}

/// Enters a line, expects each text in order, then the next prompt.
fn run(p: &mut PtySession, line: &str, expect: &[&str], prompt: &str) {
    p.send_line(line).unwrap();
    for e in expect {
        p.exp_string(e)
            .unwrap_or_else(|err| panic!("`{line}`: expected {e:?}: {err}"));
    }
    p.exp_string(prompt)
        .unwrap_or_else(|err| panic!("`{line}`: no prompt {prompt:?} after: {err}"));
}

#[test]
fn a_user_at_the_terminal() {
    if !can_run("a_user_at_the_terminal") {
        return;
    }
    let lab = Lab::start(Some(SEED));
    let mut p = cli(&lab);

    // Unique abbreviations execute.
    run(&mut p, "sh int te", &["ge-0/0/0.0", "10.6.0.1/24"], OP);

    // `?` lists completions without Enter and offers the line again.
    typ(&mut p, "show ");
    typ(&mut p, "?");
    p.exp_string("Possible completions:").unwrap();
    p.exp_string("interfaces           Show interface information")
        .unwrap();
    p.exp_string("root@pty> show ").unwrap();
    run(&mut p, "version", &["Hostname: pty"], OP);

    // TAB completes a unique prefix; so does space.
    typ(&mut p, "show sys");
    typ(&mut p, "\t");
    typ(&mut p, "up");
    typ(&mut p, "\t");
    run(&mut p, "", &["System booted:"], OP);
    typ(&mut p, "sh");
    typ(&mut p, " ");
    run(&mut p, "version", &["Model: xpf"], OP);

    // A caret under the bad word.
    run(
        &mut p,
        "show interfacez",
        &["               ^", "syntax error, expecting <command>."],
        OP,
    );
    run(&mut p, "bogus", &["          ^", "unknown command."], OP);

    // Pipes.
    run(&mut p, "show configuration | count", &["Count: "], OP);
    run(
        &mut p,
        "show configuration | display set | match host-name",
        &["set system host-name pty"],
        OP,
    );

    // Ctrl-C cancels the line being typed.
    typ(&mut p, "show bogus words");
    p.send_control('c').unwrap();
    p.exp_string(OP).unwrap();
    run(&mut p, "show version | match Model", &["Model: xpf"], OP);

    // Configuration mode, load terminal ending on Ctrl-D, compare, edit.
    run(
        &mut p,
        "configure",
        &["Entering configuration mode", "[edit]"],
        CONF,
    );
    p.send_line("load merge terminal").unwrap();
    p.exp_string("[Type ^D at a new line to end input]")
        .unwrap();
    p.send_line("applications { application lab-app { protocol tcp; destination-port 8080; } }")
        .unwrap();
    p.send_control('d').unwrap();
    p.exp_string("load complete").unwrap();
    p.exp_string(CONF).unwrap();
    run(
        &mut p,
        "show | compare",
        &["+  applications {", "+      application lab-app {"],
        CONF,
    );
    run(&mut p, "edit system", &["[edit system]"], CONF);
    run(&mut p, "set host-nam", &["syntax error"], CONF);
    run(&mut p, "top", &["[edit]"], CONF);
    run(&mut p, "commit", &["commit complete"], CONF);

    // commit confirmed that nobody confirms rolls back by itself.
    run(&mut p, "set system host-name risky", &[], CONF);
    run(
        &mut p,
        "commit confirmed 1",
        &[
            "commit confirmed will be automatically rolled back in 1 minutes unless confirmed",
            "commit complete",
        ],
        "root@risky# ",
    );
    let t = Instant::now();
    loop {
        let (_, out) = lab.cli("show configuration system host-name");
        if out.contains("host-name pty;") {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(100),
            "no automatic rollback:\n{out}\n{}",
            lab.log()
        );
        std::thread::sleep(Duration::from_secs(2));
    }
    let (_, history) = lab.cli("show system commit");
    assert!(
        history.contains("commit confirmed was not confirmed"),
        "{history}"
    );

    // Leaving: configuration mode, then the CLI with Ctrl-D.
    p.send_line("exit configuration-mode").unwrap();
    p.exp_string("Exiting configuration mode").unwrap();
    p.exp_string("> ").unwrap();
    p.send_control('d').unwrap();
    p.exp_eof().unwrap();
}

/// `plain-text-password` as on Junos (issue 16): asked for twice without
/// echo, checked against the default rules, and only a `$6$` hash reaches
/// the configuration.
#[test]
fn plain_text_password_prompts_twice_and_stores_a_hash() {
    if !can_run("plain_text_password_prompts_twice_and_stores_a_hash") {
        return;
    }
    let lab = Lab::start(Some(SEED));
    let mut p = cli(&lab);
    p.send_line("configure").unwrap();
    let shown = p.exp_string(CONF).unwrap();
    // No bracketed-paste or synchronized-output escapes, which a serial
    // terminal prints as garbage.
    assert!(!shown.contains("\u{1b}[?2004"), "{shown:?}");
    assert!(!shown.contains("\u{1b}[?2026"), "{shown:?}");
    run(
        &mut p,
        "set system login user bob uid 2010 class operator",
        &[],
        CONF,
    );
    let ask = |p: &mut PtySession, line: &str, first: &str, second: &str| {
        p.send_line(line).unwrap();
        p.exp_string("New password:").unwrap();
        p.send_line(first).unwrap();
        let typed = p.exp_string("Retype new password:").unwrap();
        assert!(!typed.contains(first), "the password was echoed: {typed:?}");
        p.send_line(second).unwrap();
    };
    let user = "set system login user bob authentication plain-text-password";
    ask(&mut p, user, "Secret-12", "Secret-13");
    p.exp_string("error: Passwords do not match").unwrap();
    p.exp_string(CONF).unwrap();
    ask(&mut p, user, "abc", "abc");
    p.exp_string("error: minimum password length is 6").unwrap();
    p.exp_string(CONF).unwrap();
    ask(&mut p, user, "Secret-12", "Secret-12");
    p.exp_string(CONF).unwrap();
    run(&mut p, "commit", &["commit complete"], CONF);
    let (_, shown) = lab.cli("show configuration system login user bob");
    assert!(shown.contains("encrypted-password \"$6$"), "{shown}");
    assert!(
        !shown.contains("Secret") && !shown.contains("plain-text"),
        "{shown}"
    );
    p.send_line("exit configuration-mode").unwrap();
    p.exp_string("> ").unwrap();
    p.send_control('d').unwrap();
    p.exp_eof().unwrap();
}
