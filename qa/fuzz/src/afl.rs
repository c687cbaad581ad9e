// SPDX-License-Identifier: Apache-2.0
//! Running the targets under AFL++ (`cargo afl`), and reading what it found.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use xpf_fuzz::Target;

/// How long one input may run before AFL calls it a hang, in ms. Far above
/// any target's normal time (tens of µs), so a hang is a real one.
const HANG_MS: &str = "1000";
/// Most inputs carried from one run to the next, per target.
const CORPUS_CAP: usize = 4000;
/// How many of a run's crashes are replayed and shown.
const SHOWN: usize = 5;

/// Where the repository and the build outputs are.
struct Paths {
    root: PathBuf,
    target: PathBuf,
}

impl Paths {
    fn find() -> anyhow::Result<Paths> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .canonicalize()
            .context("the repository root")?;
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target"));
        Ok(Paths { root, target })
    }

    fn afl_target(&self) -> PathBuf {
        self.target.join("afl")
    }

    fn harness(&self) -> PathBuf {
        self.afl_target().join("release/xpf-fuzz-afl")
    }

    fn work(&self, t: &Target) -> PathBuf {
        self.target.join("fuzz").join(t.name)
    }

    fn crashes(&self) -> PathBuf {
        self.target.join("fuzz/crashes")
    }

    /// The shared Junos corpus beside the repository, when this clone has it.
    fn shared_corpus(&self) -> Option<PathBuf> {
        let p = self.root.join("../shared/corpus");
        p.is_dir().then_some(p)
    }
}

/// What one target's run came to.
struct Outcome {
    name: &'static str,
    seconds: f64,
    execs: u64,
    corpus: u64,
    coverage: String,
    crashes: Vec<PathBuf>,
    hangs: Vec<PathBuf>,
}

/// Builds the harness, runs each target for `seconds`, prints the table.
pub fn run(targets: &[&'static Target], seconds: u64) -> anyhow::Result<ExitCode> {
    let paths = Paths::find()?;
    build(&paths)?;
    let mut outcomes = Vec::new();
    for t in targets {
        outcomes.push(fuzz(&paths, t, seconds)?);
    }
    println!();
    println!(
        "{:<10} {:>8} {:>12} {:>10} {:>8} {:>9} {:>8} {:>6}",
        "target", "seconds", "executions", "exec/s", "corpus", "coverage", "crashes", "hangs"
    );
    let mut failed = false;
    for o in &outcomes {
        println!(
            "{:<10} {:>8.0} {:>12} {:>10.0} {:>8} {:>9} {:>8} {:>6}",
            o.name,
            o.seconds,
            o.execs,
            o.execs as f64 / o.seconds.max(1.0),
            o.corpus,
            o.coverage,
            o.crashes.len(),
            o.hangs.len()
        );
        failed |= !o.crashes.is_empty() || !o.hangs.is_empty();
    }
    if failed {
        println!(
            "\nfuzz: crashing inputs are in {}; replay one with `cargo run -p xpf-fuzz -- repro TARGET FILE`, then make it a named regression test in the owning crate",
            paths.crashes().display()
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// `cargo afl build` of the harness, into its own target directory: AFL's
/// instrumentation flags would otherwise rebuild the workspace's.
fn build(paths: &Paths) -> anyhow::Result<()> {
    let have = Command::new("cargo")
        .args(["afl", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !have {
        bail!("cargo-afl is missing: run ./qa/setup.sh (it installs cargo-afl and builds AFL++)");
    }
    let started = Instant::now();
    let status = Command::new("cargo")
        .args([
            "afl",
            "build",
            "--release",
            "-p",
            "xpf-fuzz",
            "--features",
            "afl",
            "--bin",
            "xpf-fuzz-afl",
        ])
        .env("CARGO_TARGET_DIR", paths.afl_target())
        .current_dir(&paths.root)
        .status()
        .context("running cargo afl build")?;
    if !status.success() {
        bail!("cargo afl build failed ({status})");
    }
    eprintln!("fuzz: harness built in {:.0?}", started.elapsed());
    Ok(())
}

/// Writes a target's seeds to `dir`: those built in code, and for the
/// configuration target the shared Junos corpus when it is there.
pub fn write_seeds(t: &Target, dir: &Path) -> anyhow::Result<usize> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut n = 0;
    for (i, s) in (t.seeds)().iter().enumerate() {
        write(&dir.join(format!("seed-{i:03}")), s)?;
        n += 1;
    }
    if t.name == "config" {
        if let Some(shared) = Paths::find()?.shared_corpus() {
            for f in files(&shared)? {
                let ext = f.extension().and_then(|e| e.to_str()).unwrap_or_default();
                if !matches!(ext, "conf" | "set") {
                    continue;
                }
                let text = std::fs::read(&f).with_context(|| format!("reading {}", f.display()))?;
                // The first byte is the load mode: set files as `load set`.
                let mode = if ext == "set" { 3 } else { 0 };
                write(
                    &dir.join(format!("shared-{n:03}")),
                    &[&[mode][..], &text].concat(),
                )?;
                n += 1;
            }
        }
    }
    Ok(n)
}

fn write(path: &Path, data: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, data).with_context(|| format!("writing {}", path.display()))
}

/// Every file under `dir`, sorted.
fn files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).with_context(|| format!("reading {}", d.display()))? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

/// A file name from the bytes' hash, so carried inputs are kept once.
fn hashed(data: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in data {
        h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn fuzz(paths: &Paths, t: &'static Target, seconds: u64) -> anyhow::Result<Outcome> {
    let work = paths.work(t);
    let (input, out, corpus) = (work.join("in"), work.join("out"), work.join("corpus"));
    for d in [&input, &out] {
        if d.exists() {
            std::fs::remove_dir_all(d).with_context(|| format!("clearing {}", d.display()))?;
        }
    }
    write_seeds(t, &input)?;
    std::fs::create_dir_all(&corpus)?;
    for f in files(&corpus)? {
        let name = f.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        std::fs::copy(&f, input.join(name))?;
    }
    // Every seed first, outside AFL: a crashing seed is a crash to report,
    // and afl-fuzz would refuse to start on it.
    let seeds = files(&input)?;
    if let Some(crash) = replay_all(t, &seeds)? {
        let dest = save(paths, t, &crash, "seed")?;
        show(t, &dest);
        return Ok(Outcome {
            name: t.name,
            seconds: 0.0,
            execs: seeds.len() as u64,
            corpus: 0,
            coverage: "-".into(),
            crashes: vec![dest],
            hangs: Vec::new(),
        });
    }
    let mut cmd = Command::new("cargo");
    cmd.args([
        "afl",
        "fuzz",
        "-V",
        &seconds.to_string(),
        "-t",
        HANG_MS,
        "-i",
    ])
    .arg(&input)
    .arg("-o")
    .arg(&out);
    if let Some(dict) = dictionary(paths, t, &work)? {
        cmd.arg("-x").arg(dict);
    }
    cmd.arg("--").arg(paths.harness()).arg(t.name);
    // Machine settings AFL would otherwise insist on: it cannot tell a CI
    // box's CPU governor or core pattern, and neither changes what it finds.
    cmd.env("AFL_SKIP_CPUFREQ", "1")
        .env("AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES", "1")
        .env("AFL_NO_AFFINITY", "1")
        .env("AFL_NO_UI", "1")
        .env("AFL_FAST_CAL", "1")
        .env("AFL_CMPLOG_ONLY_NEW", "1");
    let log_path = work.join("afl.log");
    let log = std::fs::File::create(&log_path)?;
    cmd.stdout(log.try_clone()?)
        .stderr(log)
        .current_dir(&paths.root);
    eprintln!(
        "fuzz: {} for {seconds} s ({} seeds) ...",
        t.name,
        seeds.len()
    );
    let started = Instant::now();
    let mut child = cmd.spawn().context("starting cargo afl fuzz")?;
    // AFL stops itself after -V seconds; past a generous margin it is stuck.
    let deadline = Duration::from_secs(seconds + 120);
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break s;
        }
        if started.elapsed() > deadline {
            child.kill()?;
            child.wait()?;
            bail!(
                "{}: afl-fuzz did not stop; its log is {}",
                t.name,
                log_path.display()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let stats = read_stats(&out.join("default/fuzzer_stats"));
    if !status.success() || stats.is_empty() {
        let tail = std::fs::read_to_string(&log_path).unwrap_or_default();
        let tail: Vec<&str> = tail.lines().rev().take(25).collect();
        bail!(
            "{}: afl-fuzz failed ({status}); the end of {}:\n{}",
            t.name,
            log_path.display(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    let num = |k: &str| {
        stats
            .get(k)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let mut crashes = Vec::new();
    for f in found(&out.join("default/crashes"))? {
        crashes.push(save(paths, t, &f, "crash")?);
    }
    let mut hangs = Vec::new();
    for f in found(&out.join("default/hangs"))? {
        hangs.push(save(paths, t, &f, "hang")?);
    }
    for c in crashes.iter().chain(&hangs).take(SHOWN) {
        show(t, c);
    }
    carry(&out.join("default/queue"), &corpus)?;
    Ok(Outcome {
        name: t.name,
        seconds: num("run_time").max(1) as f64,
        execs: num("execs_done"),
        corpus: num("corpus_count"),
        coverage: stats.get("bitmap_cvg").cloned().unwrap_or_default(),
        crashes,
        hangs,
    })
}

/// Replays inputs in one child process; the input it died on, if any.
fn replay_all(t: &Target, inputs: &[PathBuf]) -> anyhow::Result<Option<PathBuf>> {
    let me = std::env::current_exe()?;
    for chunk in inputs.chunks(500) {
        let out = Command::new(&me)
            .arg("repro")
            .arg(t.name)
            .args(chunk)
            .stdout(Stdio::null())
            .output()
            .context("replaying the seeds")?;
        if !out.status.success() {
            let err = String::from_utf8_lossy(&out.stderr);
            let prefix = format!("xpf-fuzz: {} on ", t.name);
            let last = err
                .lines()
                .rev()
                .find_map(|l| l.strip_prefix(&prefix))
                .and_then(|l| l.rsplit_once(" (").map(|(f, _)| PathBuf::from(f)));
            return Ok(Some(last.unwrap_or_else(|| chunk[0].clone())));
        }
    }
    Ok(None)
}

/// The inputs AFL saved in a crashes or hangs directory.
fn found(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    Ok(files(dir)?
        .into_iter()
        .filter(|f| {
            f.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("id:"))
        })
        .collect())
}

/// Copies a found input to `<target dir>/fuzz/crashes/<target>-<kind>-<hash>`.
fn save(paths: &Paths, t: &Target, f: &Path, kind: &str) -> anyhow::Result<PathBuf> {
    let data = std::fs::read(f).with_context(|| format!("reading {}", f.display()))?;
    let dir = paths.crashes();
    std::fs::create_dir_all(&dir)?;
    let dest = dir.join(format!("{}-{kind}-{}", t.name, hashed(&data)));
    std::fs::write(&dest, &data)?;
    Ok(dest)
}

/// Prints a crashing input and what it does when replayed on its own.
fn show(t: &Target, f: &Path) {
    let data = std::fs::read(f).unwrap_or_default();
    let mut s = format!("\n== {}: {} ({} bytes)\n", t.name, f.display(), data.len());
    for (i, row) in data.chunks(32).take(32).enumerate() {
        let hex: Vec<String> = row.iter().map(|b| format!("{b:02x}")).collect();
        let _ = writeln!(s, "  {:04x}: {}", i * 32, hex.join(" "));
    }
    if data.len() > 1024 {
        let _ = writeln!(s, "  ...");
    }
    if matches!(t.name, "config" | "manifest") {
        let text = String::from_utf8_lossy(data.get(1..).unwrap_or_default());
        let _ = writeln!(
            s,
            "  as text (after the mode byte): {:?}",
            text.chars().take(2000).collect::<String>()
        );
    }
    let replay = std::env::current_exe().and_then(|me| {
        Command::new(me)
            .args(["repro", t.name])
            .arg(f)
            .env("RUST_BACKTRACE", "0")
            .output()
    });
    match replay {
        Ok(o) => {
            let err = String::from_utf8_lossy(&o.stderr);
            let _ = writeln!(s, "  replayed: {}", o.status);
            for l in err.lines().filter(|l| !l.starts_with("xpf-fuzz:")).take(30) {
                let _ = writeln!(s, "  | {l}");
            }
        }
        Err(e) => {
            let _ = writeln!(s, "  could not replay: {e}");
        }
    }
    println!("{s}");
}

/// Keeps what AFL found for the next run.
fn carry(queue: &Path, corpus: &Path) -> anyhow::Result<()> {
    if !queue.is_dir() {
        return Ok(());
    }
    let mut have = files(corpus)?.len();
    for f in found(queue)? {
        if have >= CORPUS_CAP {
            break;
        }
        let data = std::fs::read(&f)?;
        let dest = corpus.join(hashed(&data));
        if !dest.exists() {
            std::fs::write(dest, data)?;
            have += 1;
        }
    }
    Ok(())
}

/// AFL's `key : value` stats file.
fn read_stats(path: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect()
}

/// An AFL dictionary for the text targets: the schema's keywords for the
/// configuration, the manifest's field names for the manifest.
fn dictionary(paths: &Paths, t: &Target, work: &Path) -> anyhow::Result<Option<PathBuf>> {
    let mut words: Vec<String> = match t.name {
        "config" => {
            let schema =
                std::fs::read_to_string(paths.root.join("crates/config/schema/junos.schema"))
                    .context("reading the schema")?;
            let mut w: Vec<String> = schema
                .lines()
                .filter(|l| !l.trim_start().starts_with('#'))
                .flat_map(|l| {
                    l.split('"')
                        .next()
                        .unwrap_or_default()
                        .split_whitespace()
                        .map(str::to_string)
                        .collect::<Vec<_>>()
                })
                .filter(|w| {
                    w.len() > 2
                        && w.chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                })
                .collect();
            w.sort();
            w.dedup();
            w.extend(
                [
                    "{",
                    "}",
                    ";",
                    "[",
                    "]",
                    "inactive: ",
                    "protect: ",
                    "replace: ",
                    "delete: ",
                    "/* ",
                    " */",
                    "#",
                    "\"",
                    "\n",
                    "set ",
                    "delete ",
                    "deactivate ",
                    "activate ",
                    "protect ",
                    "unprotect ",
                    "annotate ",
                    "insert ",
                    " before ",
                    " after ",
                    "<*>",
                    "${node}",
                    "node1",
                    "apply-groups",
                    "10.0.0.1/24",
                    "2001:db8::1/64",
                    "ge-0/0/0",
                    "unit 0",
                ]
                .map(str::to_string),
            );
            w
        }
        "manifest" => [
            "image_id",
            "version",
            "channel",
            "min_version",
            "directory",
            "artifacts",
            "kind",
            "file",
            "size",
            "sha256",
            "compressed_size",
            "compressed_sha256",
            "partition_uuid",
            "label",
            "root",
            "root-verity",
            "uki",
            "manifest",
            "signature",
            "untrusted comment: ",
            "trusted comment: ",
            "RWS",
            "RWQ",
            "ED",
            "Ed",
            "\\u0000",
            "\\n",
            "null",
            "true",
            "1e999",
            "18446744073709551616",
        ]
        .map(str::to_string)
        .to_vec(),
        _ => return Ok(None),
    };
    words.truncate(2000);
    let mut s = String::new();
    for w in &words {
        let escaped: String = w
            .bytes()
            .map(|b| match b {
                b'"' | b'\\' => format!("\\{}", b as char),
                0x20..=0x7e => (b as char).to_string(),
                _ => format!("\\x{b:02x}"),
            })
            .collect();
        let _ = writeln!(s, "\"{escaped}\"");
    }
    std::fs::create_dir_all(work)?;
    let path = work.join("dict");
    std::fs::write(&path, s)?;
    Ok(Some(path))
}
