// SPDX-License-Identifier: Apache-2.0
//! `schema/statements.txt`: `<path> | <effect> | <test>` per implemented
//! statement; `#` starts a comment line.

use std::collections::HashMap;

/// Where the data file is, from the crate.
pub const FILE: &str = "schema/statements.txt";

/// One audited statement.
pub struct Line {
    pub path: String,
    pub effect: String,
    pub test: String,
}

/// The whole file, in its order.
pub struct Audit {
    pub lines: Vec<Line>,
    by_path: HashMap<String, usize>,
}

impl Audit {
    /// Reads the file; a malformed or repeated line is an error naming it.
    pub fn parse(text: &str) -> Result<Audit, String> {
        let mut audit = Audit {
            lines: Vec::new(),
            by_path: HashMap::new(),
        };
        for (n, raw) in text.lines().enumerate() {
            let l = raw.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            let fields: Vec<&str> = l.split('|').map(str::trim).collect();
            let [path, effect, test] = fields.as_slice() else {
                return Err(format!("line {}: want `path | effect | test`: {l}", n + 1));
            };
            if [path, effect, test].iter().any(|f| f.is_empty()) {
                return Err(format!("line {}: an empty field: {l}", n + 1));
            }
            if audit
                .by_path
                .insert(path.to_string(), audit.lines.len())
                .is_some()
            {
                return Err(format!("line {}: {path} is listed twice", n + 1));
            }
            audit.lines.push(Line {
                path: path.to_string(),
                effect: effect.to_string(),
                test: test.to_string(),
            });
        }
        Ok(audit)
    }

    /// The line of a path.
    pub fn line(&self, path: &str) -> Option<&Line> {
        self.by_path.get(path).map(|&i| &self.lines[i])
    }
}
