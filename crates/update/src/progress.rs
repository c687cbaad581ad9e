// SPDX-License-Identifier: Apache-2.0
//! How far an update has got, as lines a person at the CLI can follow:
//! each long step says what it does, then each tenth of its bytes.

use std::io::Read;

/// Receives progress lines.
pub type Progress<'a> = &'a (dyn Fn(&str) + Sync);

/// Ignores progress (tests, unattended callers).
pub fn quiet(_: &str) {}

/// Counts the bytes of one step and says each tenth passed.
pub struct Meter<'a> {
    what: String,
    total: u64,
    done: u64,
    said: u64,
    say: Progress<'a>,
}

impl<'a> Meter<'a> {
    /// A step over `total` bytes, of which `done` are already behind us
    /// (a resumed download).
    pub fn new(what: impl Into<String>, total: u64, done: u64, say: Progress<'a>) -> Self {
        let what = what.into();
        let said = tenths(done, total);
        if done > 0 {
            say(&format!("{what}: resuming at {}", megabytes(done, total)));
        }
        Meter {
            what,
            total,
            done,
            said,
            say,
        }
    }

    /// Counts `n` more bytes.
    pub fn advance(&mut self, n: u64) {
        self.done += n;
        let t = tenths(self.done, self.total);
        if t > self.said {
            self.said = t;
            (self.say)(&format!(
                "{}: {}% ({})",
                self.what,
                t * 10,
                megabytes(self.done, self.total)
            ));
        }
    }

    /// Wraps `inner` so that what is read through it is counted.
    pub fn reader<R: Read>(self, inner: R) -> Metered<'a, R> {
        Metered { inner, meter: self }
    }
}

fn tenths(done: u64, total: u64) -> u64 {
    (done.min(total) * 10).checked_div(total).unwrap_or(10)
}

fn megabytes(done: u64, total: u64) -> String {
    format!("{} of {} MB", done / 1_000_000, total.div_ceil(1_000_000))
}

/// A reader whose bytes a [`Meter`] counts.
pub struct Metered<'a, R> {
    inner: R,
    meter: Meter<'a>,
}

impl<R: Read> Read for Metered<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.meter.advance(n as u64);
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn each_tenth_is_said_once_and_a_resume_starts_where_it_was() {
        let lines = Mutex::new(Vec::new());
        let say = |l: &str| {
            lines
                .lock()
                .map(|mut v| v.push(l.to_string()))
                .unwrap_or(())
        };
        let data = vec![7u8; 1000];
        let mut r = Meter::new("root", 1000, 0, &say).reader(&data[..]);
        let mut out = Vec::new();
        let mut buf = [0u8; 30];
        while let Ok(n @ 1..) = r.read(&mut buf) {
            out.extend_from_slice(&buf[..n]);
        }
        assert_eq!(out.len(), 1000);
        let said = lines.lock().map(|v| v.clone()).unwrap_or_default();
        assert_eq!(said.len(), 10, "{said:?}");
        assert_eq!(said[0], "root: 10% (0 of 1 MB)");
        assert_eq!(said[9], "root: 100% (0 of 1 MB)");
        lines.lock().map(|mut v| v.clear()).unwrap_or(());
        let mut m = Meter::new("uki", 3_000_000, 2_000_000, &say);
        m.advance(1_000_000);
        let said = lines.lock().map(|v| v.clone()).unwrap_or_default();
        assert_eq!(
            said,
            ["uki: resuming at 2 of 3 MB", "uki: 100% (3 of 3 MB)"]
        );
    }
}
