// SPDX-License-Identifier: Apache-2.0
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking
//! kernel-config/check.sh, which fails the image build on a kernel that
//! lacks an option xpf needs, names each missing option.

use std::process::Command;

use xpf_vm::root;

fn check(config: &str) -> (bool, String) {
    let dir = std::env::temp_dir().join(format!("xpf-kconfig-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(".config");
    std::fs::write(&file, config).unwrap();
    let out = Command::new(root().join("kernel-config/check.sh"))
        .arg(&file)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout),
    )
}

fn wanted() -> Vec<String> {
    std::fs::read_to_string(root().join("kernel-config/xpf.config"))
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("CONFIG_"))
        .map(str::to_string)
        .collect()
}

#[test]
fn a_kernel_with_every_option_passes() {
    let config: String = wanted()
        .iter()
        .enumerate()
        .map(|(i, o)| format!("{o}={}\n", if i % 2 == 0 { "y" } else { "m" }))
        .collect();
    let (ok, out) = check(&config);
    assert!(ok, "{out}");
}

#[test]
fn a_missing_or_disabled_option_fails_by_name() {
    let all = wanted();
    let config: String = all
        .iter()
        .map(|o| match o.as_str() {
            "CONFIG_XDP_SOCKETS" => "# CONFIG_XDP_SOCKETS is not set\n".to_string(),
            "CONFIG_DM_VERITY" => String::new(),
            _ => format!("{o}=y\n"),
        })
        .collect();
    let (ok, out) = check(&config);
    assert!(!ok);
    assert!(out.contains("lacks CONFIG_XDP_SOCKETS"), "{out}");
    assert!(out.contains("lacks CONFIG_DM_VERITY"), "{out}");
    assert!(!out.contains("lacks CONFIG_BPF_JIT"), "{out}");
}
