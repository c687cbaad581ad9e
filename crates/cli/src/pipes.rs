// SPDX-License-Identifier: Apache-2.0
//! `| match`, `| except`, `| count`, `| last N`, `| find`, `| no-more`, and
//! the pipes that change the request (`| display set`, `| compare`).

use regex::Regex;

use crate::error::CliError;
use crate::words::split;

/// What the pipes ask for.
#[derive(Debug, Default)]
pub struct Pipes {
    /// Text filters, applied in order.
    filters: Vec<Filter>,
    /// `| no-more`: never page.
    pub no_more: bool,
    /// `| display set`.
    pub display_set: bool,
    /// `| display json`.
    pub display_json: bool,
    /// `| compare [rollback N]`: `Some(None)` compares with the active configuration.
    pub compare: Option<Option<u32>>,
}

#[derive(Debug)]
enum Filter {
    Match(Regex),
    Except(Regex),
    Find(Regex),
    Last(usize),
    Count,
}

/// Reads the pipes of a line; `offset` is where the first pipe text starts.
pub fn parse(parts: &[(String, usize)]) -> Result<Pipes, CliError> {
    let mut p = Pipes::default();
    for (text, at) in parts {
        let words = split(text);
        let Some(first) = words.first() else {
            return Err(CliError::at(*at, "syntax error, expecting <command>."));
        };
        let arg = || -> Result<Regex, CliError> {
            let rest: Vec<&str> = words[1..].iter().map(|w| w.text.as_str()).collect();
            if rest.is_empty() {
                return Err(CliError::at(
                    at + first.at + first.text.len() + 1,
                    "syntax error, expecting <pattern>.",
                ));
            }
            Regex::new(&rest.join(" "))
                .map_err(|e| CliError::at(at + words[1].at, format!("invalid pattern: {e}")))
        };
        let kw = [
            "compare", "count", "display", "except", "find", "last", "match", "no-more",
        ];
        let m: Vec<&&str> = kw
            .iter()
            .filter(|k| k.starts_with(first.text.as_str()))
            .collect();
        let word = match m.as_slice() {
            [one] => **one,
            [] => {
                return Err(CliError::at(
                    at + first.at,
                    "syntax error, expecting <command>.",
                ))
            }
            _ => {
                return Err(CliError::at(
                    at + first.at,
                    format!("'{}' is ambiguous.", first.text),
                ))
            }
        };
        match word {
            "match" => p.filters.push(Filter::Match(arg()?)),
            "except" => p.filters.push(Filter::Except(arg()?)),
            "find" => p.filters.push(Filter::Find(arg()?)),
            "count" => p.filters.push(Filter::Count),
            "no-more" => p.no_more = true,
            "last" => {
                let n = words.get(1).and_then(|w| w.text.parse().ok()).unwrap_or(10);
                p.filters.push(Filter::Last(n));
            }
            "display" => match words.get(1).map(|w| w.text.as_str()) {
                Some(s) if "set".starts_with(s) => p.display_set = true,
                Some(s) if "json".starts_with(s) => p.display_json = true,
                _ => {
                    return Err(CliError::at(
                        at + first.at,
                        "syntax error, expecting set or json.",
                    ))
                }
            },
            "compare" => {
                let n = match (words.get(1).map(|w| w.text.as_str()), words.get(2)) {
                    (Some(r), Some(n)) if "rollback".starts_with(r) => Some(
                        n.text
                            .parse::<u32>()
                            .map_err(|_| CliError::at(at + n.at, "invalid rollback number"))?,
                    ),
                    _ => None,
                };
                p.compare = Some(n);
            }
            _ => {}
        }
    }
    Ok(p)
}

impl Pipes {
    /// The configuration format the pipes ask for.
    pub fn format(&self) -> xpf_api::Format {
        if self.display_json {
            xpf_api::Format::Json
        } else if self.display_set {
            xpf_api::Format::Set
        } else {
            xpf_api::Format::Curly
        }
    }

    /// Applies the text filters.
    pub fn filter(&self, text: &str) -> String {
        let mut lines: Vec<&str> = text.lines().collect();
        for f in &self.filters {
            match f {
                Filter::Match(r) => lines.retain(|l| r.is_match(l)),
                Filter::Except(r) => lines.retain(|l| !r.is_match(l)),
                Filter::Find(r) => {
                    let start = lines
                        .iter()
                        .position(|l| r.is_match(l))
                        .unwrap_or(lines.len());
                    lines.drain(..start);
                }
                Filter::Last(n) => {
                    let skip = lines.len().saturating_sub(*n);
                    lines.drain(..skip);
                }
                Filter::Count => return format!("Count: {} lines\n", lines.len()),
            }
        }
        let mut out = lines.join("\n");
        if !out.is_empty() {
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::words::pipes;

    fn run(line: &str, text: &str) -> String {
        let (_, parts) = pipes(line);
        parse(&parts).unwrap().filter(text)
    }

    #[test]
    fn filters_like_junos() {
        let t = "a1\nb2\na3\n";
        assert_eq!(run("show x | match a", t), "a1\na3\n");
        assert_eq!(run("show x | except a", t), "b2\n");
        assert_eq!(run("show x | count", t), "Count: 3 lines\n");
        assert_eq!(run("show x | last 1", t), "a3\n");
        assert_eq!(run("show x | match a | count", t), "Count: 2 lines\n");
    }

    #[test]
    fn request_pipes_are_flags() {
        let (_, parts) = pipes("show | display set | no-more");
        let p = parse(&parts).unwrap();
        assert!(p.display_set && p.no_more);
        let (_, parts) = pipes("show | compare rollback 2");
        assert_eq!(parse(&parts).unwrap().compare, Some(Some(2)));
        let (_, parts) = pipes("show | bogus");
        assert!(parse(&parts).is_err());
    }
}
