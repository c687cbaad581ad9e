// SPDX-License-Identifier: Apache-2.0
//! A CLI error: a message, and where in the line the caret goes.

/// What went wrong with a typed command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    /// Character offset in the typed line to put the caret under.
    pub at: Option<usize>,
    /// The message, Junos-worded (`syntax error, expecting <command>.`).
    pub message: String,
}

impl CliError {
    /// An error with a caret.
    pub fn at(at: usize, message: impl Into<String>) -> CliError {
        CliError {
            at: Some(at),
            message: message.into(),
        }
    }

    /// An error without a caret.
    pub fn plain(message: impl Into<String>) -> CliError {
        CliError {
            at: None,
            message: message.into(),
        }
    }

    /// Rendered under a line that was typed after a prompt of `prompt_len` characters.
    pub fn render(&self, prompt_len: usize) -> String {
        match self.at {
            Some(at) => format!("{}^\n{}\n", " ".repeat(prompt_len + at), self.message),
            None => format!("{}\n", self.message),
        }
    }
}
