// SPDX-License-Identifier: Apache-2.0
//! Configuration paths as typed: unique abbreviations of schema keywords
//! expand (`set sys host-name x`), values pass through, and `?` lists what
//! may come next with Junos' markers (`>` leads to more statements).

use xpf_config::schema::Candidate;
use xpf_config::Schema;

use crate::error::CliError;
use crate::words::Typed;

fn completions(path: &[String]) -> Option<Vec<Candidate>> {
    let words: Vec<&str> = path.iter().map(String::as_str).collect();
    Schema::junos().completions(&words)
}

/// Expands the typed words after `edit` into full words.
pub fn expand(edit: &[String], words: &[Typed]) -> Result<Vec<String>, CliError> {
    let mut full: Vec<String> = edit.to_vec();
    for (i, w) in words.iter().enumerate() {
        if w.text == "[" && !w.quoted {
            full.extend(words[i..].iter().map(|w| w.text.clone()));
            break;
        }
        let Some(cands) = completions(&full) else {
            return Err(CliError::at(w.at, "syntax error."));
        };
        if cands.is_empty() || w.quoted {
            full.push(w.text.clone());
            continue;
        }
        if cands.iter().any(|c| c.keyword && c.word == w.text) {
            full.push(w.text.clone());
            continue;
        }
        let prefixed: Vec<&Candidate> = cands
            .iter()
            .filter(|c| c.keyword && c.word.starts_with(&w.text))
            .collect();
        let takes_value = cands.iter().any(|c| !c.keyword);
        match prefixed.as_slice() {
            [one] if !takes_value => full.push(one.word.clone()),
            [] | [_] if takes_value => full.push(w.text.clone()),
            [] => return Err(CliError::at(w.at, "syntax error.")),
            many => {
                let mut msg = format!("'{}' is ambiguous.\nPossible completions:", w.text);
                for c in many {
                    msg.push_str(&format!("\n  {:<20} {}", c.word, c.help));
                }
                return Err(CliError::at(w.at, msg));
            }
        }
    }
    Ok(full.split_off(edit.len()))
}

/// `?` in configuration mode after a verb: (marker, word, help) rows.
pub fn help(
    edit: &[String],
    words: &[Typed],
    trailing_space: bool,
) -> Result<Vec<(char, String, String)>, CliError> {
    let (done, partial) = if trailing_space || words.is_empty() {
        (words, "")
    } else {
        (
            &words[..words.len() - 1],
            words[words.len() - 1].text.as_str(),
        )
    };
    let mut path = edit.to_vec();
    path.extend(expand(edit, done)?);
    let Some(cands) = completions(&path) else {
        return Err(CliError::plain("syntax error."));
    };
    Ok(cands
        .into_iter()
        .filter(|c| !c.keyword || c.word.starts_with(partial))
        .filter(|c| c.keyword || partial.is_empty())
        .map(|c| (if c.container { '>' } else { ' ' }, c.word, c.help))
        .collect())
}

/// The unique keyword `partial` abbreviates at `path`, for TAB and space.
pub fn complete_word(path: &[String], partial: &str) -> Vec<String> {
    let Some(cands) = completions(path) else {
        return Vec::new();
    };
    cands
        .into_iter()
        .filter(|c| c.keyword && c.word.starts_with(partial))
        .map(|c| c.word)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::split;

    fn x(edit: &[&str], line: &str) -> Result<Vec<String>, CliError> {
        let edit: Vec<String> = edit.iter().map(|s| s.to_string()).collect();
        expand(&edit, &split(line))
    }

    #[test]
    fn keywords_expand_values_pass() {
        assert_eq!(
            x(&[], "sys host-n fw1").unwrap(),
            ["system", "host-name", "fw1"]
        );
        assert_eq!(
            x(&["interfaces"], "ge-0/0/0 un 0 fam inet addr 10.0.0.1/24").unwrap(),
            [
                "ge-0/0/0",
                "unit",
                "0",
                "family",
                "inet",
                "address",
                "10.0.0.1/24"
            ]
        );
        assert_eq!(
            x(&[], "snmp community public").unwrap(),
            ["snmp", "community", "public"]
        );
    }

    #[test]
    fn bad_words_get_a_caret() {
        let e = x(&[], "system bogus 1").unwrap_err();
        assert_eq!(e.at, Some(7));
        let e = x(&["system"], "s").unwrap_err();
        assert!(e.message.contains("ambiguous"), "{e:?}");
    }

    #[test]
    fn help_marks_containers() {
        let h = help(&[], &split("system "), true).unwrap();
        let services = h.iter().find(|r| r.1 == "services").unwrap();
        assert_eq!(services.0, '>');
        let h = help(&[], &split("system host"), false).unwrap();
        assert_eq!(h.len(), 1);
    }
}

#[cfg(test)]
mod flat_tests {
    use super::*;
    use crate::words::split;

    #[test]
    fn flat_lines_expand() {
        let r = expand(&[], &split("security policies from-zone a to-zone b policy p match source-address any destination-address any application junos-telnet"));
        assert!(r.is_ok(), "{r:?}");
    }
}
