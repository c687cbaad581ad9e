// SPDX-License-Identifier: Apache-2.0
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail by panicking
//! The appliance as a user meets it: the built image boots in QEMU, root
//! logs in on the serial console to the Junos CLI, `show version` names the
//! image and the slot, /usr is read-only, a zero-touch bootstrap (a systemd
//! credential over fw_cfg) configures it, a configured user logs in over
//! SSH with a key while password-less logins are refused, traffic crosses
//! it by policy, and a committed change survives a reboot.
//!
//! Prints the image size, its build time and the boot time (QEMU start →
//! login prompt, which follows xpfd's readiness).

use std::process::Command;
use std::time::Instant;

use xpf_vm::{build_image, can_run, in_ns, root, Vm, ROOT_PROMPT};

const TEST: &str = "the_appliance_boots_configures_forwards_and_persists";
const PROMPT: &str = ROOT_PROMPT;
const CONF: &str = "root@xpf# ";

/// The bootstrap: management on fxp0 (QEMU user networking), the two data
/// NICs in zones, one policy out, SSH for a key-only user.
fn bootstrap(key: &str) -> String {
    format!(
        r#"system {{
    login {{
        user admin {{
            class super-user;
            authentication {{ ssh-ed25519 "{key}"; }}
        }}
    }}
    services {{ ssh; }}
}}
interfaces {{
    fxp0 {{ unit 0 {{ family inet {{ address 10.0.2.15/24; }} }} }}
    ge-0/0/0 {{ unit 0 {{ family inet {{ address 10.99.1.1/24; }} }} }}
    ge-0/0/1 {{ unit 0 {{ family inet {{ address 10.99.2.1/24; }} }} }}
}}
security {{
    policies {{
        from-zone trust to-zone untrust {{
            policy out {{
                match {{ source-address any; destination-address any; application any; }}
                then {{ permit; }}
            }}
        }}
    }}
    zones {{
        security-zone trust {{
            host-inbound-traffic {{ system-services {{ ping; }} }}
            interfaces {{ ge-0/0/0.0; }}
        }}
        security-zone untrust {{ interfaces {{ ge-0/0/1.0; }} }}
    }}
}}
"#
    )
}

fn ssh(key: &std::path::Path, user: &str, extra: &[&str], cmd: &str) -> (bool, String) {
    let out = Command::new("ssh")
        .args(["-p", "2222", "-i"])
        .arg(key)
        .args([
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "BatchMode=yes",
            "-o",
            "ConnectTimeout=20",
        ])
        .args(extra)
        .arg(format!("{user}@127.0.0.1"))
        .arg(cmd)
        .output()
        .expect("ssh runs");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

fn cli(vm: &mut Vm, line: &str, expect: &[&str], prompt: &str) {
    vm.line(line).unwrap();
    for e in expect {
        vm.expect(e).unwrap_or_else(|err| panic!("`{line}`: {err}"));
    }
    vm.expect(prompt)
        .unwrap_or_else(|err| panic!("`{line}`: no prompt: {err}"));
}

#[test]
fn the_appliance_boots_configures_forwards_and_persists() {
    if !can_run(TEST) {
        return;
    }
    let built = build_image().unwrap();
    let dir = root().join("build/vm-test");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let key = dir.join("id_ed25519");
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "admin", "-f"])
        .arg(&key)
        .status()
        .unwrap()
        .success();
    assert!(ok, "ssh-keygen");
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let public = public.split_whitespace().nth(1).unwrap().to_string();
    let conf = dir.join("bootstrap.conf");
    std::fs::write(&conf, bootstrap(&public)).unwrap();
    let fw_cfg = format!(
        "-fw_cfg name=opt/io.systemd.credentials/xpf.bootstrap,file={}",
        conf.display()
    );

    // First boot: the console names xpf and its version above the login
    // prompt; the login is root's, password-less, into the CLI.
    let mut vm = Vm::boot(&fw_cfg).unwrap();
    vm.expect(&format!("xpf {} (", built.version)).unwrap();
    vm.login_root().unwrap();
    let boot = vm.started.elapsed();
    cli(
        &mut vm,
        "show version",
        &[&format!("xpf image {}, slot A", built.version)],
        PROMPT,
    );
    // The bootstrap was committed.
    cli(
        &mut vm,
        "show configuration interfaces ge-0/0/1",
        &["10.99.2.1/24"],
        PROMPT,
    );
    // /usr is read-only.
    vm.line("start shell sh").unwrap();
    vm.expect("#").unwrap();
    vm.line("touch /usr/xpf-test || echo RO-$((6*7))").unwrap();
    vm.expect("RO-42").unwrap();
    vm.line("exit").unwrap();
    vm.expect(PROMPT).unwrap();

    // Traffic by policy: client -> server passes, server -> client does not.
    assert!(
        in_ns("xpfvm-client", &["ping", "-c", "3", "-W", "3", "10.99.2.2"]),
        "client -> server is permitted by policy out"
    );
    assert!(
        !in_ns("xpfvm-server", &["ping", "-c", "2", "-W", "2", "10.99.1.2"]),
        "server -> client has no policy"
    );

    // SSH: the configured user with its key gets the CLI; nobody gets in
    // without a password or key.
    let (ok, out) = ssh(&key, "admin", &[], "show version");
    assert!(ok && out.contains("Hostname"), "admin over SSH: {out}");
    let (ok, out) = ssh(
        &key,
        "root",
        &["-o", "PubkeyAuthentication=no"],
        "show version",
    );
    assert!(!ok, "root without a password must be refused: {out}");

    // A committed change survives a reboot.
    cli(&mut vm, "configure", &[], CONF);
    cli(
        &mut vm,
        "set interfaces ge-0/0/0 description persisted-across-reboot",
        &[],
        CONF,
    );
    cli(&mut vm, "commit and-quit", &["commit complete"], PROMPT);
    vm.line("request system reboot").unwrap();
    vm.expect("[yes,no]").unwrap();
    vm.line("yes").unwrap();
    let rebooted = Instant::now();
    vm.login_root().unwrap();
    let second = rebooted.elapsed();
    cli(
        &mut vm,
        "show configuration interfaces ge-0/0/0",
        &["persisted-across-reboot"],
        PROMPT,
    );
    cli(&mut vm, "show version", &["slot A"], PROMPT);

    eprintln!(
        "vm: image {} ({} MiB), build {}, boot to login {:.0} s (TCG), reboot to login {:.0} s",
        built.version,
        built.size / (1 << 20),
        built
            .took
            .map_or("reused".into(), |d| format!("{:.0} s", d.as_secs_f64())),
        boot.as_secs_f64(),
        second.as_secs_f64()
    );
}
