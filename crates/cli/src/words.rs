// SPDX-License-Identifier: Apache-2.0
//! Splitting a typed line into words (with their columns, for the caret
//! under a bad word) and into the command and its `|` pipes.

/// One typed word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Typed {
    /// The word, quotes removed.
    pub text: String,
    /// Character offset where it starts in the line.
    pub at: usize,
    /// Whether it was quoted.
    pub quoted: bool,
}

/// Splits on whitespace; double quotes group words.
pub fn split(line: &str) -> Vec<Typed> {
    let mut out = Vec::new();
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let at = i;
        let mut text = String::new();
        let mut quoted = false;
        while i < chars.len() && !chars[i].is_whitespace() {
            if chars[i] == '"' {
                quoted = true;
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\' && i + 1 < chars.len() {
                        i += 1;
                    }
                    text.push(chars[i]);
                    i += 1;
                }
                i += 1;
            } else {
                text.push(chars[i]);
                i += 1;
            }
        }
        out.push(Typed { text, at, quoted });
    }
    out
}

/// Splits `cmd | pipe | pipe` outside quotes; returns the command and the
/// pipes with their character offsets.
pub fn pipes(line: &str) -> (String, Vec<(String, usize)>) {
    let mut parts: Vec<(String, usize)> = Vec::new();
    let mut cur = String::new();
    let mut start = 0;
    let mut quoted = false;
    for (i, c) in line.chars().enumerate() {
        match c {
            '"' => {
                quoted = !quoted;
                cur.push(c);
            }
            '|' if !quoted => {
                parts.push((std::mem::take(&mut cur), start));
                start = i + 1;
            }
            _ => cur.push(c),
        }
    }
    parts.push((cur, start));
    let mut it = parts.into_iter();
    let cmd = it.next().map(|p| p.0).unwrap_or_default();
    (cmd, it.collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_keep_their_columns_and_quotes() {
        let w = split("set system host-name \"a b\"");
        assert_eq!(w.len(), 4);
        assert_eq!(w[3].text, "a b");
        assert!(w[3].quoted);
        assert_eq!(w[2].at, 11);
    }

    #[test]
    fn pipes_split_outside_quotes() {
        let (cmd, p) = pipes("show configuration | match \"a|b\" | count");
        assert_eq!(cmd, "show configuration ");
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].0.trim(), "match \"a|b\"");
        assert_eq!(p[1].0.trim(), "count");
    }
}
