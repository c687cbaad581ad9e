// SPDX-License-Identifier: Apache-2.0
//! Tokens of Junos configuration text, with positions.
//!
//! Comments (`#`, `##`, `/* */`) are tokens too: the parser turns a `/* */`
//! that precedes a statement into its annotation and drops the rest.

use crate::ast::Span;
use crate::error::Diagnostic;

/// One lexical token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tok {
    /// A bare or quoted word.
    Word {
        /// The text, with quotes removed and escapes resolved.
        text: String,
        /// Whether the source wrote it in double quotes.
        quoted: bool,
    },
    /// `{`
    Open,
    /// `}`
    Close,
    /// `;`
    Semi,
    /// `[`
    ListOpen,
    /// `]`
    ListClose,
    /// End of a line (set-form commands end here).
    Newline,
    /// `/* ... */`, its inner text trimmed.
    BlockComment(String),
    /// `# ...` to the end of the line.
    LineComment,
}

impl Tok {
    /// How an error message names it: `'{'`, `';'`, `end of line`.
    pub fn describe(&self) -> String {
        match self {
            Tok::Word { text, .. } => format!("'{text}'"),
            Tok::Open => "'{'".into(),
            Tok::Close => "'}'".into(),
            Tok::Semi => "';'".into(),
            Tok::ListOpen => "'['".into(),
            Tok::ListClose => "']'".into(),
            Tok::Newline => "end of line".into(),
            Tok::BlockComment(_) | Tok::LineComment => "a comment".into(),
        }
    }
}

/// A token and where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// What it is.
    pub tok: Tok,
    /// Where it starts.
    pub span: Span,
}

/// Splits `text` into tokens. Fails only on an unterminated string or comment.
pub fn tokenize(text: &str) -> Result<Vec<Token>, Diagnostic> {
    let mut out = Vec::with_capacity(text.len() / 6);
    let bytes = text.as_bytes();
    let (mut i, mut line, mut line_start) = (0usize, 1u32, 0usize);
    // Columns count characters; bytes equal characters until a line shows
    // a non-ASCII byte, so only such lines pay for counting.
    let ascii = text.is_ascii();
    while i < bytes.len() {
        let col = if ascii {
            i - line_start + 1
        } else {
            text[line_start..i].chars().count() + 1
        };
        let span = Span {
            line,
            col: col as u32,
        };
        let c = bytes[i];
        match c {
            b'\n' => {
                out.push(Token {
                    tok: Tok::Newline,
                    span,
                });
                i += 1;
                line += 1;
                line_start = i;
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b'{' | b'}' | b';' | b'[' | b']' => {
                let tok = match c {
                    b'{' => Tok::Open,
                    b'}' => Tok::Close,
                    b';' => Tok::Semi,
                    b'[' => Tok::ListOpen,
                    _ => Tok::ListClose,
                };
                out.push(Token { tok, span });
                i += 1;
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
                out.push(Token {
                    tok: Tok::LineComment,
                    span,
                });
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let body_start = i + 2;
                let Some(len) = text[body_start..].find("*/") else {
                    return Err(Diagnostic::syntax(span, "unterminated comment"));
                };
                let body = &text[body_start..body_start + len];
                for (k, b) in body.bytes().enumerate() {
                    if b == b'\n' {
                        line += 1;
                        line_start = body_start + k + 1;
                    }
                }
                out.push(Token {
                    tok: Tok::BlockComment(body.trim().to_string()),
                    span,
                });
                i = body_start + len + 2;
            }
            b'"' => {
                let mut s = String::new();
                i += 1;
                let mut closed = false;
                while i < bytes.len() {
                    match bytes[i] {
                        b'"' => {
                            closed = true;
                            i += 1;
                            break;
                        }
                        b'\\' if i + 1 < bytes.len() => {
                            let next = text[i + 1..].chars().next().unwrap_or('\\');
                            if next != '"' && next != '\\' {
                                s.push('\\');
                            }
                            s.push(next);
                            i += 1 + next.len_utf8();
                        }
                        _ => {
                            let ch = text[i..].chars().next().unwrap_or(' ');
                            if ch == '\n' {
                                line += 1;
                                line_start = i + 1;
                            }
                            s.push(ch);
                            i += ch.len_utf8();
                        }
                    }
                }
                if !closed {
                    return Err(Diagnostic::syntax(span, "unterminated quoted string"));
                }
                out.push(Token {
                    tok: Tok::Word {
                        text: s,
                        quoted: true,
                    },
                    span,
                });
            }
            _ => {
                let start = i;
                while i < bytes.len() && !is_delimiter(bytes[i]) {
                    i += 1;
                }
                out.push(Token {
                    tok: Tok::Word {
                        text: text[start..i].to_string(),
                        quoted: false,
                    },
                    span,
                });
            }
        }
    }
    Ok(out)
}

fn is_delimiter(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t' | b'\r' | b'\n' | b'{' | b'}' | b';' | b'[' | b']' | b'"'
    )
}

/// Whether a word must be quoted to read back as the same single word.
pub fn needs_quotes(s: &str) -> bool {
    // A bare `inactive:` would read back as the tag, not as a name.
    const TAGS: [&str; 5] = ["inactive:", "protect:", "replace:", "delete:", "active:"];
    s.is_empty()
        || TAGS.contains(&s)
        || s.starts_with('#')
        || s.starts_with("/*")
        || s.bytes().any(|b| is_delimiter(b) || b == b'\\')
}

/// Writes a word as Junos prints it: quoted when it was typed quoted or needs it.
pub fn write_word(out: &mut String, text: &str, quoted: bool) {
    if quoted || needs_quotes(text) {
        out.push('"');
        for ch in text.chars() {
            if ch == '"' || ch == '\\' {
                out.push('\\');
            }
            out.push(ch);
        }
        out.push('"');
    } else {
        out.push_str(text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        tokenize(text)
            .expect("lexes")
            .into_iter()
            .filter_map(|t| match t.tok {
                Tok::Word { text, .. } => Some(text),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn words_quotes_and_comments() {
        assert_eq!(
            words("set interfaces lo0 description \"/*\"  /* c */ # x\n"),
            ["set", "interfaces", "lo0", "description", "/*"]
        );
        assert_eq!(words(r#"a "b \"c\" d" e"#), ["a", r#"b "c" d"#, "e"]);
    }

    #[test]
    fn positions_count_lines_and_columns() {
        let toks = tokenize("a {\n  b;\n}").expect("lexes");
        let b = toks
            .iter()
            .find(|t| matches!(&t.tok, Tok::Word { text, .. } if text == "b"))
            .expect("b");
        assert_eq!((b.span.line, b.span.col), (2, 3));
    }

    #[test]
    fn unterminated_string_is_an_error() {
        assert!(tokenize("key foo bar\";").is_err());
    }

    #[test]
    fn quoting_round_trips() {
        let mut s = String::new();
        write_word(&mut s, "a \"b\"", false);
        assert_eq!(words(&s), ["a \"b\""]);
    }
}
