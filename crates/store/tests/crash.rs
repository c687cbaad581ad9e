// SPDX-License-Identifier: Apache-2.0
//! Crash safety: a child process commits in a tight loop and is SIGKILLed at random moments;
//! after every kill the database must open and hold only complete, consistent revisions, and
//! no commit the child saw succeed may be lost.
//!
//! The child is this test binary re-executed with [`CHILD_ENV`] set, running only
//! [`crash_child`]; without the variable that test returns at once.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use xpf_store::{CommitInfo, Revision, Store, MAX_ROLLBACK};

/// Set to the database path, this turns [`crash_child`] into the commit loop.
const CHILD_ENV: &str = "XPF_STORE_CRASH_CHILD";
const READY: &str = "XPF-CRASH-CHILD-READY";
const ACK: &str = "XPF-CRASH-CHILD-ACK ";
const AUTO_COMMENT: &str = "automatic rollback: commit confirmed was not confirmed";
const T0: u64 = 1_700_000_000;

const MIN_KILLS: u32 = 40;
const MAX_KILLS: u32 = 150;
/// Keep killing past [`MIN_KILLS`] until the history has wrapped this far, so pruning runs too.
const WANT_SEQ: u64 = MAX_ROLLBACK as u64 + 20;
const TIME_BUDGET: Duration = Duration::from_secs(20);

/// FNV-1a, 64 bit: enough to notice a torn or mixed text.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A configuration text that names its own sequence number and ends in a checksum of the rest.
/// Sizes vary from a few bytes to ~150 KB so that some revisions span many pages.
fn make_text(seq: u64) -> String {
    let mut body = format!("## xpf-store crash test\nseq {seq}\n");
    let lines = (seq.wrapping_mul(7919) % 2500) as usize;
    let fill = char::from(b'a' + (seq % 26) as u8);
    for i in 0..lines {
        body.push_str(&format!("pad {seq}.{i} {}\n", fill.to_string().repeat(40)));
    }
    let sum = fnv1a(body.as_bytes());
    format!("{body}checksum {sum:016x}\n")
}

/// Checks a text made by [`make_text`] and returns the sequence number it names.
fn verify_text(text: &str) -> Result<u64, String> {
    let body_end = text
        .rfind("checksum ")
        .ok_or_else(|| "no checksum line".to_string())?;
    let (body, tail) = text.split_at(body_end);
    let sum = tail
        .strip_prefix("checksum ")
        .and_then(|t| t.strip_suffix('\n'))
        .and_then(|t| u64::from_str_radix(t, 16).ok())
        .ok_or_else(|| format!("bad checksum line {tail:?}"))?;
    if fnv1a(body.as_bytes()) != sum {
        return Err("checksum mismatch".into());
    }
    let mut lines = body.lines();
    if lines.next() != Some("## xpf-store crash test") {
        return Err("bad header".into());
    }
    let seq = lines
        .next()
        .and_then(|l| l.strip_prefix("seq "))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| "bad seq line".to_string())?;
    if text != make_text(seq) {
        return Err(format!("text differs from the one made for seq {seq}"));
    }
    Ok(seq)
}

/// A committed revision is either the child's own commit (naming its own seq) or an automatic
/// rollback (repeating an earlier revision's text).
fn verify_revision(rev: &Revision) -> Result<(), String> {
    let named = verify_text(&rev.text).map_err(|e| format!("revision {}: {e}", rev.seq))?;
    match rev.comment.as_deref() {
        None if named == rev.seq && rev.user == "crash" => Ok(()),
        Some(AUTO_COMMENT) if named < rev.seq && rev.user == "root" => Ok(()),
        _ => Err(format!(
            "revision {} (user {:?}, comment {:?}) carries the text of revision {named}",
            rev.seq, rev.user, rev.comment
        )),
    }
}

/// The commit loop run in the child process. Runs until killed.
fn child_loop(path: &Path) -> ! {
    let store = Store::open(path).unwrap();
    println!("{READY}");
    let info = CommitInfo {
        user: "crash".into(),
        client: "crash-test".into(),
        comment: None,
    };
    loop {
        let next = store.active().unwrap().map_or(1, |r| r.seq + 1);
        let text = make_text(next);
        let now = T0 + next * 10;
        if next.is_multiple_of(3) {
            store.set_candidate(&text).unwrap();
        }
        let confirmed = next.is_multiple_of(4).then_some(Duration::from_secs(5));
        let seq = store.commit(&text, &info, now, confirmed).unwrap();
        assert_eq!(seq, next);
        println!("{ACK}{seq}");
        if next.is_multiple_of(8) {
            // Let every other confirmed commit lapse: this writes a rollback revision.
            let back = store.expire_confirm(now + 5).unwrap();
            assert_eq!(back, Some(seq + 1));
            println!("{ACK}{}", seq + 1);
        }
    }
}

/// Not a test on its own: the entry point of the child process (see the module docs).
#[test]
fn crash_child() {
    if let Some(path) = std::env::var_os(CHILD_ENV) {
        child_loop(Path::new(&path));
    }
}

struct Xorshift(u64);

impl Xorshift {
    fn seeded() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        Xorshift((nanos as u64) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// What the child printed before it died.
struct ChildOutput {
    ready: bool,
    /// The highest sequence number the child saw committed.
    acked: Option<u64>,
}

fn spawn_child(path: &Path) -> (Child, mpsc::Receiver<()>, thread::JoinHandle<ChildOutput>) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["crash_child", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (ready_tx, ready_rx) = mpsc::channel();
    let reader = thread::spawn(move || {
        let mut out = ChildOutput {
            ready: false,
            acked: None,
        };
        for line in BufReader::new(stdout).lines() {
            // A line cut short by the kill is not an acknowledgement.
            let Ok(line) = line else { break };
            // libtest has already written "test crash_child ... " without a newline.
            if line.ends_with(READY) {
                out.ready = true;
                let _ = ready_tx.send(());
            } else if let Some(seq) = line.strip_prefix(ACK) {
                if let Ok(seq) = seq.parse::<u64>() {
                    out.acked = out.acked.max(Some(seq));
                }
            }
        }
        out
    });
    (child, ready_rx, reader)
}

/// Everything that must hold after any crash. Returns the active sequence number.
fn check_store(path: &Path, min_seq: Option<u64>) -> Option<u64> {
    // The killed writer's file lock can outlive SIGKILL for a moment (the
    // kernel releases it when the process is reaped): retry briefly.
    let t = std::time::Instant::now();
    let store = loop {
        match Store::open(path) {
            Ok(s) => break s,
            Err(e) if t.elapsed() > std::time::Duration::from_secs(5) => {
                panic!("open after kill: {e}")
            }
            Err(_) => std::thread::sleep(std::time::Duration::from_millis(50)),
        }
    };
    let active = store.active().unwrap();
    let history = store.history().unwrap();
    assert!(
        history.len() <= MAX_ROLLBACK as usize + 1,
        "history too long"
    );
    assert_eq!(active.as_ref(), history.first(), "active is not rollback 0");
    for pair in history.windows(2) {
        assert_eq!(
            pair[0].seq,
            pair[1].seq + 1,
            "history seqs not strictly decreasing by one"
        );
    }
    for (n, rev) in history.iter().enumerate() {
        verify_revision(rev).unwrap_or_else(|e| panic!("rollback {n}: {e}"));
    }
    if let Some(candidate) = store.candidate().unwrap() {
        verify_text(&candidate).unwrap_or_else(|e| panic!("candidate: {e}"));
    }
    if let Some(pending) = store.pending_confirm().unwrap() {
        assert_eq!(Some(pending.seq), active.as_ref().map(|r| r.seq));
    }
    let seq = active.map(|r| r.seq);
    assert!(
        seq >= min_seq,
        "active seq went from {min_seq:?} to {seq:?}"
    );
    seq
}

#[test]
fn sigkill_during_commits_keeps_store_consistent() {
    let mut rng = Xorshift::seeded();
    eprintln!("crash test xorshift seed {}", rng.0);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.redb");
    let start = Instant::now();

    let mut last_seq = None;
    let mut kills = 0;
    let mut kills_while_committing = 0;
    while kills < MIN_KILLS
        || (last_seq < Some(WANT_SEQ) && kills < MAX_KILLS && start.elapsed() < TIME_BUDGET)
    {
        let (mut child, ready, reader) = spawn_child(&path);
        // Mostly kill mid-loop; sometimes early, while the child may still be opening (and
        // recovering) the database.
        let early = rng.below(6) == 0;
        if early {
            thread::sleep(Duration::from_millis(rng.below(15)));
        } else {
            if ready.recv_timeout(Duration::from_secs(20)).is_err() {
                let _ = child.kill();
                let _ = child.wait();
                let mut err = String::new();
                let _ = child.stderr.take().unwrap().read_to_string(&mut err);
                panic!("child never became ready; stderr:\n{err}");
            }
            thread::sleep(Duration::from_micros(rng.below(40_000)));
        }
        // `Child::kill` sends SIGKILL on Unix.
        child.kill().unwrap();
        let status = child.wait().unwrap();
        let output = reader.join().unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            if status.signal() != Some(9) {
                let mut err = String::new();
                let _ = child.stderr.take().unwrap().read_to_string(&mut err);
                panic!("child ended by itself ({status}) instead of SIGKILL; stderr:\n{err}");
            }
        }
        #[cfg(not(unix))]
        let _ = status;
        kills += 1;

        let seq = check_store(&path, last_seq);
        if let Some(acked) = output.acked {
            assert!(
                seq >= Some(acked),
                "child saw seq {acked} committed, store has {seq:?}"
            );
        }
        if output.ready && seq > last_seq {
            kills_while_committing += 1;
        }
        last_seq = seq;
    }
    eprintln!(
        "crash test: {kills} kills ({kills_while_committing} mid-loop with progress), \
         final seq {last_seq:?}, {:?}",
        start.elapsed()
    );
    assert!(kills >= MIN_KILLS);
    assert!(
        kills_while_committing >= MIN_KILLS / 4,
        "too few kills landed while the child was committing"
    );
}
