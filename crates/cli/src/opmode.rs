// SPDX-License-Identifier: Apache-2.0
//! Operational-mode command resolution: unique abbreviations expand to the
//! full words of `xpf_api::ops`; errors carry the column of the bad word.

use xpf_api::ops::{lookup, Arg, OpNode, OPERATIONAL};

use crate::error::CliError;
use crate::words::Typed;

/// Resolves typed words to canonical command words.
pub fn resolve(words: &[Typed], line_len: usize) -> Result<Vec<String>, CliError> {
    let mut out: Vec<String> = Vec::new();
    // The nodes walked, and whether each one's value was given.
    let mut stack: Vec<(&'static OpNode, bool)> = Vec::new();
    let mut level: &'static [OpNode] = OPERATIONAL;
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        // Keywords of this level, then of the level above (options may
        // follow a value: `show interfaces ge-0/0/0 terse`).
        let mut found = lookup(level, &w.text);
        if let (Ok(None), Some((top, given))) = (&found, stack.last()) {
            let awaits_value = !given && top.arg != Arg::None;
            if top.children.is_empty() && !awaits_value && stack.len() >= 2 {
                found = lookup(stack[stack.len() - 2].0.children, &w.text);
            }
        }
        match found {
            Ok(Some(n)) if !w.quoted => {
                out.push(n.word.to_string());
                stack.push((n, false));
                level = n.children;
                i += 1;
            }
            Err(many) if !w.quoted && !takes_value(&stack) => {
                let mut msg = format!("'{}' is ambiguous.\nPossible completions:", w.text);
                for n in many {
                    msg.push_str(&format!("\n  {:<20} {}", n.word, n.help));
                }
                return Err(CliError::at(w.at, msg));
            }
            _ => {
                // A value for the nearest node that takes one.
                let Some(pos) = stack
                    .iter()
                    .rposition(|(n, given)| !given && n.arg != Arg::None)
                else {
                    let msg = if i == 0 {
                        "unknown command."
                    } else {
                        "syntax error, expecting <command>."
                    };
                    return Err(CliError::at(w.at, msg));
                };
                if let Arg::Rest(_) = stack[pos].0.arg {
                    out.extend(words[i..].iter().map(|w| w.text.clone()));
                    return finish(out, &stack, line_len);
                }
                stack[pos].1 = true;
                out.push(w.text.clone());
                i += 1;
            }
        }
    }
    finish(out, &stack, line_len)
}

fn takes_value(stack: &[(&OpNode, bool)]) -> bool {
    stack.iter().any(|(n, given)| !given && n.arg != Arg::None)
}

fn finish(
    out: Vec<String>,
    stack: &[(&OpNode, bool)],
    line_len: usize,
) -> Result<Vec<String>, CliError> {
    match stack.last() {
        None => Ok(out),
        Some((n, given)) if !(n.runnable || (n.arg != Arg::None && *given)) => Err(CliError::at(
            line_len + 1,
            "syntax error, expecting <command>.",
        )),
        _ => Ok(out),
    }
}

/// `?` in operational mode: what may follow `words` (the last one partial
/// unless the line ends in a space).
pub fn help(words: &[Typed], trailing_space: bool) -> Vec<(String, String)> {
    let (done, partial) = if trailing_space || words.is_empty() {
        (words, "")
    } else {
        (
            &words[..words.len() - 1],
            words[words.len() - 1].text.as_str(),
        )
    };
    let mut level: &'static [OpNode] = OPERATIONAL;
    let mut last: Option<&'static OpNode> = None;
    // Whether `last` has had its value.
    let mut given = false;
    for w in done {
        match lookup(level, &w.text) {
            Ok(Some(n)) => {
                last = Some(n);
                level = n.children;
                given = false;
            }
            _ => {
                // A value: the keywords of this level still follow.
                given = true;
            }
        }
    }
    let mut out: Vec<(String, String)> = Vec::new();
    let complete = last.is_some_and(|n| n.runnable || (n.arg != Arg::None && given));
    if let Some(n) = last {
        if partial.is_empty() {
            match n.arg {
                Arg::Value(p) | Arg::Rest(p) if !given => out.push((p.to_string(), "Value".into())),
                _ => {}
            }
            if complete {
                out.insert(0, ("<[Enter]>".into(), "Execute this command".into()));
            }
        }
    }
    // Sorted, as Junos lists them, whatever order the tree keeps.
    let mut words: Vec<&OpNode> = level
        .iter()
        .filter(|c| c.word.starts_with(partial))
        .collect();
    words.sort_by_key(|c| c.word);
    for c in words {
        out.push((c.word.to_string(), c.help.to_string()));
    }
    if complete && partial.is_empty() {
        out.push(("|".into(), "Pipe through a command".into()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::split;

    fn r(line: &str) -> Result<Vec<String>, CliError> {
        resolve(&split(line), line.chars().count())
    }

    #[test]
    fn abbreviations_expand() {
        assert_eq!(r("sh int te").unwrap(), ["show", "interfaces", "terse"]);
        assert_eq!(
            r("sh int ge-0/0/0 te").unwrap(),
            ["show", "interfaces", "ge-0/0/0", "terse"]
        );
        assert_eq!(
            r("show interfaces terse ge-0/0/0").unwrap(),
            ["show", "interfaces", "terse", "ge-0/0/0"]
        );
        assert_eq!(
            r("show configuration system host-name").unwrap(),
            ["show", "configuration", "system", "host-name"]
        );
        assert_eq!(r("sh sec pol").unwrap(), ["show", "security", "policies"]);
        assert_eq!(
            r("show configuration system").unwrap(),
            ["show", "configuration", "system"]
        );
    }

    #[test]
    fn errors_point_at_the_word() {
        assert_eq!(r("foo").unwrap_err(), CliError::at(0, "unknown command."));
        assert_eq!(r("show interfacez").unwrap_err().at, Some(5));
        let e = r("show s").unwrap_err();
        assert!(
            e.message.contains("ambiguous")
                && e.message.contains("security")
                && e.message.contains("system")
        );
        assert_eq!(
            r("show").unwrap_err().message,
            "syntax error, expecting <command>."
        );
    }

    #[test]
    fn help_lists_next_words() {
        let h = help(&split("show "), true);
        assert!(h.iter().any(|(w, _)| w == "interfaces"));
        let h = help(&split("show sec"), false);
        assert_eq!(
            h.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(),
            ["security"]
        );
        let h = help(&split("show version "), true);
        assert_eq!(h[0].0, "<[Enter]>");
    }

    #[test]
    fn session_filters_take_values_and_chain() {
        assert_eq!(
            r("sh sec fl sess source-pr 10.0.1.0/24 destination-po 80 prot tcp sum").unwrap(),
            [
                "show",
                "security",
                "flow",
                "session",
                "source-prefix",
                "10.0.1.0/24",
                "destination-port",
                "80",
                "protocol",
                "tcp",
                "summary"
            ]
        );
        assert_eq!(
            r("clear security flow session destination-port 7005").unwrap(),
            [
                "clear",
                "security",
                "flow",
                "session",
                "destination-port",
                "7005"
            ]
        );
        assert_eq!(
            r("show security flow session destination-port")
                .unwrap_err()
                .message,
            "syntax error, expecting <command>.",
            "a filter needs its value"
        );
        let h = help(&split("show security flow session destination-port "), true);
        assert_eq!(h[0], ("<port>".to_string(), "Value".to_string()));
        let h = help(
            &split("show security flow session destination-port 80 "),
            true,
        );
        assert_eq!(h[0].0, "<[Enter]>", "{h:?}");
        assert!(h.iter().any(|(w, _)| w == "source-prefix"), "{h:?}");
        assert!(!h.iter().any(|(w, _)| w == "<port>"), "{h:?}");
        let h = help(&split("show security nat static "), true);
        assert_eq!(h.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(), ["rule"]);
    }
}
