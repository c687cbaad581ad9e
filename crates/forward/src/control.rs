// SPDX-License-Identifier: Apache-2.0
//! The daemon's way into the workers' session tables: a channel per
//! worker, drained once per worker loop (never per packet). `show security
//! flow session` gathers `SessionView`s (`xpf_dataplane::view`) from every
//! worker; `clear` removes sessions where they live.

use std::sync::mpsc::{channel, Receiver, RecvTimeoutError, Sender};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use xpf_dataplane::{Counters, SessionFilter, SessionView};

/// What the daemon asks a worker.
#[derive(Debug)]
pub enum Request {
    /// The matching sessions.
    Sessions(SessionFilter, Sender<Vec<SessionView>>),
    /// Remove the matching sessions; answers how many.
    Clear(SessionFilter, Sender<usize>),
    /// The worker's counters.
    Counters(Sender<Counters>),
}

/// The daemon's end: one sender per worker.
#[derive(Debug, Default)]
pub struct Control {
    workers: Mutex<Vec<Sender<Request>>>,
}

/// How long the daemon waits for a worker (a worker answers within one
/// loop, milliseconds even when idle).
const ANSWER: Duration = Duration::from_secs(2);

impl Control {
    /// An empty control with no workers.
    pub fn new() -> Control {
        Control::default()
    }

    /// A new worker's end of its channel.
    pub fn register(&self) -> Receiver<Request> {
        let (tx, rx) = channel();
        self.workers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(tx);
        rx
    }

    /// Sends `make(reply)` to every worker and gathers the answers; workers
    /// gone or silent past the deadline are left out.
    pub fn ask<T>(&self, make: impl Fn(Sender<T>) -> Request) -> Vec<T> {
        let (tx, rx) = channel();
        let mut asked = 0;
        {
            let mut workers = self.workers.lock().unwrap_or_else(|e| e.into_inner());
            workers.retain(|w| w.send(make(tx.clone())).is_ok());
            asked += workers.len();
        }
        drop(tx);
        let deadline = Instant::now() + ANSWER;
        let mut out = Vec::with_capacity(asked);
        while out.len() < asked {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(v) => out.push(v),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
            }
        }
        out
    }

    /// Every worker's matching sessions, by id.
    pub fn sessions(&self, filter: &SessionFilter) -> Vec<SessionView> {
        let mut all: Vec<SessionView> = self
            .ask(|r| Request::Sessions(filter.clone(), r))
            .into_iter()
            .flatten()
            .collect();
        all.sort_by_key(|s| s.id);
        all
    }

    /// Clears the matching sessions everywhere; how many went.
    pub fn clear(&self, filter: &SessionFilter) -> usize {
        self.ask(|r| Request::Clear(filter.clone(), r))
            .into_iter()
            .sum()
    }

    /// The workers' counters, summed.
    pub fn counters(&self) -> Counters {
        let mut sum = Counters::default();
        for c in self.ask(Request::Counters) {
            sum.add(&c);
        }
        sum
    }
}
