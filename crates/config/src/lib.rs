// SPDX-License-Identifier: Apache-2.0
//! The Junos configuration language for xpf.
//!
//! Text in curly, `set` or mixed form is [`parse`]d into [`Item`]s, applied
//! to a [`Config`] tree under the [`Schema`] (which splits `set` words into
//! hierarchy levels and types every value), printed back as curly or
//! `display set` text, expanded through `groups`/`apply-groups`, and compared
//! in the `show | compare` layout.
//!
//! ```
//! use xpf_config::{load_text, print_set, Config, LoadMode};
//! let mut cfg = Config::default();
//! load_text(&mut cfg, "system { host-name fw1; }", LoadMode::Merge).unwrap();
//! assert_eq!(print_set(&cfg), "set system host-name fw1\n");
//! ```
#![deny(missing_docs)]

mod ast;
mod error;
mod lexer;
mod parse;
pub mod schema;

pub use ast::{Config, NodeId, Span, Statement, Word};
pub use error::{Diagnostic, Errors, Severity};
pub use lexer::{needs_quotes, write_word};
pub use parse::{parse, parse_command, Command, Item, Tail, Verb, MAX_DEPTH};
pub use schema::Schema;
mod edit;
pub use edit::{apply_command, load_text, parse_config, parse_config_lenient, LoadMode};
mod print;
pub use print::{head, print_curly, print_set, print_statement, print_statements, set_lines};
mod compare;
mod groups;
#[cfg(test)]
mod tests;
pub use compare::compare;
pub use groups::effective;
mod check;
pub use check::{no_effect, unsupported, NOT_SUPPORTED, NO_EFFECT};
mod json;
pub use json::print_json;
