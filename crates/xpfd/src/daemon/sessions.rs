// SPDX-License-Identifier: Apache-2.0
//! Configuration-mode sessions and the `configure exclusive` lock.

use std::collections::HashMap;

/// One user in configuration mode.
#[derive(Debug, Clone)]
pub struct Session {
    /// Who.
    pub user: String,
    /// Entered with `configure exclusive`.
    pub exclusive: bool,
}

/// Every open configuration session.
#[derive(Debug, Default)]
pub struct Sessions {
    next: u64,
    open: HashMap<u64, Session>,
}

impl Sessions {
    /// Opens a session; refused while another holds the exclusive lock, or
    /// when asking for it while others edit.
    pub fn enter(&mut self, user: &str, exclusive: bool) -> Result<(u64, Vec<String>), String> {
        if let Some(holder) = self.open.values().find(|s| s.exclusive) {
            return Err(format!(
                "configuration database locked by: {} (exclusive)",
                holder.user
            ));
        }
        if exclusive && !self.open.is_empty() {
            let users: Vec<&str> = self.open.values().map(|s| s.user.as_str()).collect();
            return Err(format!(
                "configuration database locked by: {} (users are editing; exclusive needs none)",
                users.join(", ")
            ));
        }
        let mut notices = Vec::new();
        if !self.open.is_empty() {
            notices.push("Users currently editing the configuration:".to_string());
            for s in self.open.values() {
                notices.push(format!("  {}", s.user));
            }
        }
        self.next += 1;
        self.open.insert(
            self.next,
            Session {
                user: user.to_string(),
                exclusive,
            },
        );
        Ok((self.next, notices))
    }

    /// Closes a session.
    pub fn exit(&mut self, id: u64) -> Option<Session> {
        self.open.remove(&id)
    }

    /// How many sessions are open (for metrics).
    pub fn count(&self) -> usize {
        self.open.len()
    }

    /// The session `id` if it is open and belongs to `user`.
    pub fn get(&self, id: u64, user: &str) -> Result<&Session, String> {
        match self.open.get(&id) {
            Some(s) if s.user == user => Ok(s),
            Some(_) => Err("configuration session belongs to another user".into()),
            None => Err("not in configuration mode (no such session)".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusive_locks_out_others() {
        let mut s = Sessions::default();
        let (a, _) = s.enter("alice", true).unwrap();
        assert!(s.enter("bob", false).unwrap_err().contains("alice"));
        s.exit(a);
        let (_, notices) = s.enter("bob", false).unwrap();
        assert!(notices.is_empty());
        let (_, notices) = s.enter("carol", false).unwrap();
        assert!(notices[1].contains("bob"));
        assert!(s.enter("dave", true).is_err());
    }
}
