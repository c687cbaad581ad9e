// SPDX-License-Identifier: Apache-2.0
//! The offline tool as a user runs it: `xpfd check`, `check --unsupported`
//! and `convert`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn xpfd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xpfd"))
        .args(args)
        .output()
        .expect("xpfd runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("writes");
    p.display().to_string()
}

#[test]
fn the_sample_passes_silently() {
    let sample = repo().join("examples/sample.conf");
    let out = xpfd(&["check", sample.to_str().expect("utf-8 path")]);
    assert_eq!(stdout(&out), "");
    assert!(out.status.success());
}

#[test]
fn a_ten_thousand_line_configuration_passes_silently() {
    let mut text = String::from("interfaces { ge-0/0/0 { unit 0 { family inet { address 10.1.0.1/24; } } } ge-0/0/1 { unit 0 { family inet { address 10.2.0.1/24; } } } }\n");
    text.push_str("security {\n    zones {\n        security-zone trust { interfaces { ge-0/0/0.0; } }\n        security-zone untrust { interfaces { ge-0/0/1.0; } }\n    }\n");
    text.push_str("    address-book {\n        global {\n");
    for i in 0..2000 {
        let _ = writeln!(
            text,
            "            address h{i} 10.{}.{}.1/32;",
            3 + i / 250,
            i % 250
        );
    }
    text.push_str("        }\n    }\n    policies {\n        from-zone trust to-zone untrust {\n");
    for i in 0..900 {
        let _ = writeln!(text, "            policy p{i} {{\n                match {{\n                    source-address h{};\n                    destination-address any;\n                    application junos-https;\n                }}\n                then {{\n                    permit;\n                }}\n            }}", i % 2000);
    }
    text.push_str("        }\n    }\n}\n");
    assert!(text.lines().count() >= 10_000, "{}", text.lines().count());
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "big.conf", &text);
    let out = xpfd(&["check", &file]);
    assert_eq!(stdout(&out), "");
    assert!(out.status.success());
}

#[test]
fn every_error_is_printed_with_its_position_and_path() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(
        dir.path(),
        "broken.conf",
        "interfaces {\n    ge-0/0/0 {\n        unit 0 {\n            family inet {\n                address 10.0.0.1/24;\n            }\n        }\n    }\n}\nsecurity {\n    zones {\n        security-zone trust {\n            interfaces {\n                ge-0/0/0.0;\n            }\n        }\n    }\n    policies {\n        from-zone trust to-zone nowhere {\n            policy p1 {\n                match {\n                    source-address undefined-addr;\n                    destination-address any;\n                    application junos-http;\n                }\n                then {\n                    permit;\n                }\n            }\n        }\n    }\n}\n",
    );
    let out = xpfd(&["check", &file]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("undefined-addr"), "{text}");
    assert!(text.contains("nowhere"), "{text}");
    assert!(text.contains(&format!("{file}:22:")), "{text}");
    assert!(
        text.contains("[edit security policies from-zone trust to-zone nowhere policy p1 match]"),
        "{text}"
    );
    assert!(text.contains("configuration check-out failed"));

    let syntax = write(dir.path(), "syntax.conf", "set interfaces ge-0/0/0 mtu abc\nset system hostname x\nset interfaces ge-0/0/1 unit 0 family inet address 10.0.0.1/33\n");
    let out = xpfd(&["check", &syntax]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    for at in [":1:29:", ":2:12:", ":3:"] {
        assert!(
            text.contains(&format!("{syntax}{at}")),
            "missing {at} in\n{text}"
        );
    }
}

#[test]
fn unsupported_statements_are_listed_for_migration() {
    let initial = repo().join("../shared/corpus/napalm/initial.conf");
    if !initial.exists() {
        xpf_lab::skip(
            module_path!(),
            "../shared/corpus is not beside the repository",
        );
        return;
    }
    let out = xpfd(&[
        "check",
        "--unsupported",
        initial.to_str().expect("utf-8 path"),
    ]);
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    for (path, kind) in [
        ("[edit system license]", "statement has no effect on xpf"),
        ("[edit protocols]", "statement not supported by xpf"),
        (
            "[edit security forwarding-options]",
            "statement not supported by xpf",
        ),
    ] {
        let line = format!("{path} {kind}");
        assert!(text.contains(&line), "missing {line} in\n{text}");
    }
    // And commit check refuses the same file, naming them.
    let out = xpfd(&["check", initial.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("statement not supported by xpf"));
}

/// 3,000 nested blocks (12 kB) overflowed the daemon's stack through
/// `load merge`; `xpfd check` overflowed near 20,000. Both depths, and
/// 100,000, are one located syntax error.
#[test]
fn absurd_nesting_is_a_located_error_not_a_crash() {
    let dir = tempfile::tempdir().expect("tempdir");
    for depth in [3_000, 100_000] {
        let mut text = String::from("snmp {\n");
        text.push_str(&"x {\n".repeat(depth - 1));
        text.push_str("leaf;\n");
        text.push_str(&"}\n".repeat(depth));
        let file = write(dir.path(), &format!("deep{depth}.conf"), &text);
        for args in [vec!["check", &file], vec!["convert", "--to", "set", &file]] {
            let out = xpfd(&args);
            // `check` reports on stdout, `convert` on stderr.
            let text = stdout(&out) + &String::from_utf8_lossy(&out.stderr);
            let at = format!("{file}:{}:3: syntax error\n", xpf_config::MAX_DEPTH + 1);
            assert!(text.contains(&at), "{args:?}: {:?}\n{text}", out.status);
            assert!(text.contains("nesting too deep"), "{text}");
            assert_eq!(out.status.code(), Some(1), "{args:?}: {text}");
        }
    }
}

#[test]
fn convert_round_trips_between_forms() {
    let sample = repo().join("examples/sample.conf");
    let set = stdout(&xpfd(&[
        "convert",
        "--to",
        "set",
        sample.to_str().expect("utf-8 path"),
    ]));
    assert!(set.contains(
        "set security policies from-zone trust to-zone untrust policy allow-out then permit\n"
    ));
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(dir.path(), "sample.set", &set);
    let curly = stdout(&xpfd(&["convert", "--to", "curly", &file]));
    let original = std::fs::read_to_string(&sample).expect("reads");
    let body: String = original
        .lines()
        .filter(|l| !l.starts_with("##"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(curly, body);
}

/// Every batfish test configuration parses, or fails with located errors;
/// every one that parses passes `commit check` or fails with named errors.
#[test]
fn batfish_configs_parse_and_check_or_fail_by_name() {
    let dir = repo().join("../shared/corpus/batfish");
    if !dir.exists() {
        xpf_lab::skip(
            module_path!(),
            "../shared/corpus is not beside the repository",
        );
        return;
    }
    let mut files = Vec::new();
    for sub in [
        "testconfigs",
        "parsing-unit-tests",
        "example-juniper",
        "flatten-pairs",
    ] {
        for e in std::fs::read_dir(dir.join(sub)).expect("lists").flatten() {
            files.push(e.path());
        }
    }
    files.sort();
    let (mut clean, mut refused) = (0, Vec::new());
    for f in &files {
        let name = f.to_str().expect("utf-8 path");
        let out = xpfd(&["check", name]);
        let text = stdout(&out);
        match out.status.code() {
            Some(0) => {
                assert_eq!(text, "", "{name}");
                clean += 1;
            }
            Some(1) => {
                // Each diagnostic starts with the file and a position or an [edit] path.
                for block in text.split(&format!("{name}:")).skip(1) {
                    assert!(
                        block.contains("[edit")
                            || block.chars().next().is_some_and(|c| c.is_ascii_digit()),
                        "{name}: unnamed error:\n{block}"
                    );
                }
                refused.push(
                    f.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                );
            }
            other => panic!("{name}: exit {other:?}\n{text}"),
        }
    }
    eprintln!("batfish corpus: {clean} of {} files pass commit check; refused with named errors: {refused:?}", files.len());
    assert!(clean > 0);
}

/// One pass finds everything (issue 16): the syntax error on line 2 does
/// not hide what commit check says about lines 4 and 5, and the problems
/// come in line order, with the no-effect warnings after them.
#[test]
fn one_pass_names_syntax_check_and_no_effect_problems_in_line_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = write(
        dir.path(),
        "mixed.conf",
        "system {\n  host-nam fw;\n  license { autoupdate { url https://ae1.juniper.net; } }\n}\nsecurity { zones { security-zone a { interfaces { ge-0/0/9.0; } } } }\nrouting-options { static { route 10.0.0.1/8 discard; } }\n",
    );
    let out = xpfd(&["check", &file]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let at = |needle: &str| {
        text.find(needle)
            .unwrap_or_else(|| panic!("no {needle} in\n{text}"))
    };
    let syntax = at("mixed.conf:2:3: syntax error");
    let zone = at("mixed.conf:5:");
    let route = at("route 10.0.0.1/8 has host bits set: the destination is 10.0.0.0/8");
    let license = at("mixed.conf:3:3: warning");
    assert!(syntax < zone && zone < route, "{text}");
    assert!(
        text[license..].contains("statement has no effect on xpf"),
        "{text}"
    );
    assert!(
        text.contains("interface 'ge-0/0/9.0' is not defined"),
        "{text}"
    );
}
