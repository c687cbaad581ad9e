// SPDX-License-Identifier: Apache-2.0
//! `xpf-installer`: writes the appliance image to a disk (or a disk image
//! file), moves the backup GPT to the disk's end, gives /var (partition 6)
//! the rest of the disk, and can place a bootstrap configuration on /var
//! that xpfd commits on first boot.
//!
//! ```text
//! xpf-installer --image build/xpf.raw --target /dev/sdb [--bootstrap xpf.conf]
//! ```

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use std::process::Command;
use xpf_update::disk::{place_bootstrap, size_of, VAR_PARTITION};

use anyhow::{bail, Context};
use clap::Parser;

#[derive(Parser)]
#[command(
    name = "xpf-installer",
    version,
    about = "Install the xpf appliance image on a disk"
)]
struct Args {
    /// The image (`just image` makes build/xpf.raw).
    #[arg(long)]
    image: PathBuf,
    /// The disk (/dev/sdX, /dev/nvme0n1) or a disk image file. Everything on it is replaced.
    #[arg(long)]
    target: PathBuf,
    /// A configuration xpfd commits on first boot.
    #[arg(long)]
    bootstrap: Option<PathBuf>,
}

fn run(cmd: &mut Command) -> anyhow::Result<String> {
    let out = cmd.output().with_context(|| format!("running {cmd:?}"))?;
    if !out.status.success() {
        bail!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Copies the image, skipping zero blocks (the target is zeroed first
/// where it is a file; a disk's old contents there are never read: they
/// lie in unused file-system blocks or the empty slot B).
fn copy_image(image: &Path, target: &Path) -> anyhow::Result<()> {
    let mut from = File::open(image).with_context(|| format!("opening {}", image.display()))?;
    let image_len = from.metadata()?.len();
    let mut to = OpenOptions::new()
        .write(true)
        .open(target)
        .with_context(|| format!("opening {}", target.display()))?;
    let target_len = size_of(target, &mut to)?;
    if target_len < image_len {
        bail!(
            "{} holds {} MiB; the image needs {} MiB",
            target.display(),
            target_len >> 20,
            image_len >> 20
        );
    }
    let mut buf = vec![0u8; 1 << 20];
    let mut at = 0u64;
    loop {
        let n = from.read(&mut buf)?;
        if n == 0 {
            break;
        }
        if buf[..n].iter().any(|b| *b != 0) {
            to.seek(SeekFrom::Start(at))?;
            to.write_all(&buf[..n])
                .with_context(|| format!("writing {}", target.display()))?;
        }
        at += n as u64;
    }
    to.sync_all()?;
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let bootstrap = match &args.bootstrap {
        Some(p) => {
            Some(std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?)
        }
        None => None,
    };
    println!(
        "installing {} on {}",
        args.image.display(),
        args.target.display()
    );
    copy_image(&args.image, &args.target)?;
    // The image's backup GPT sits at the image's end, not the disk's.
    run(Command::new("sfdisk")
        .args(["--relocate", "gpt-bak-std"])
        .arg(&args.target))?;
    // /var takes the rest of the disk (its file system grows on first boot).
    let mut grow = Command::new("sfdisk");
    grow.args(["--no-reread", "-N", &VAR_PARTITION.to_string()])
        .arg(&args.target)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = grow.spawn().context("running sfdisk")?;
    child
        .stdin
        .take()
        .context("sfdisk's input")?
        .write_all(b", +\n")?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!(
            "growing /var: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    if let Some(text) = bootstrap {
        place_bootstrap(&args.target, &text).context("placing the bootstrap on /var")?;
        println!("bootstrap configuration placed on /var");
    }
    println!("done: {} boots xpf", args.target.display());
    Ok(())
}
