// SPDX-License-Identifier: Apache-2.0
//! The recent log, kept in memory for `show log` (journald has the rest).

use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Arc, Mutex};

const KEEP: usize = 2000;

/// A bounded buffer of formatted log lines; also a `MakeWriter` for
/// tracing-subscriber, so every line also goes to stderr (the journal).
#[derive(Clone, Default)]
pub struct LogBuffer(Arc<Mutex<VecDeque<String>>>);

impl LogBuffer {
    /// The kept lines, oldest first.
    pub fn lines(&self) -> Vec<String> {
        self.0
            .lock()
            .map(|q| q.iter().cloned().collect())
            .unwrap_or_default()
    }

    fn push(&self, line: &str) {
        if let Ok(mut q) = self.0.lock() {
            if q.len() == KEEP {
                q.pop_front();
            }
            q.push_back(line.trim_end().to_string());
        }
    }
}

/// One log record being written.
pub struct LogWriter(LogBuffer, Vec<u8>);

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.1.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LogWriter {
    fn drop(&mut self) {
        let line = String::from_utf8_lossy(&self.1);
        let _ = std::io::stderr().write_all(line.as_bytes());
        self.0.push(&line);
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogWriter;
    fn make_writer(&'a self) -> LogWriter {
        LogWriter(self.clone(), Vec::new())
    }
}
