// SPDX-License-Identifier: Apache-2.0
//! The configuration database as a Junos user meets it.

use std::time::Duration;

use xpf_config::{parse_command, print_set, LoadMode};
use xpf_store::{CommitInfo, ConfigDb, DbError};

const BASE: &str = "system { host-name fw1; }\ninterfaces { ge-0/0/0 { unit 0 { family inet { address 10.0.0.1/24; } } } }\nsecurity { zones { security-zone trust { interfaces { ge-0/0/0.0; } } } }\n";

fn info(comment: Option<&str>) -> CommitInfo {
    CommitInfo {
        user: "admin".into(),
        client: "cli".into(),
        comment: comment.map(str::to_string),
    }
}

fn ok(_: &xpf_model::Model) -> Result<(), String> {
    Ok(())
}

fn open(dir: &tempfile::TempDir) -> ConfigDb {
    ConfigDb::open(&dir.path().join("config.redb"), None).expect("opens")
}

fn seeded(dir: &tempfile::TempDir) -> ConfigDb {
    let mut db = open(dir);
    assert!(db.seed(BASE, &info(None), 100, ok).expect("seeds"));
    db
}

fn set(db: &mut ConfigDb, line: &str) {
    let cmd = parse_command(line).expect("parses");
    db.command(&cmd).unwrap_or_else(|e| panic!("{line}: {e}"));
}

#[test]
fn seed_happens_on_first_start_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut db = seeded(&dir);
    assert!(!db
        .seed("system { host-name other; }", &info(None), 200, ok)
        .expect("no-op"));
    assert!(print_set(db.active()).contains("host-name fw1"));
}

#[test]
fn edit_compare_commit_and_history() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut db = seeded(&dir);
    set(&mut db, "set system host-name fw2");
    assert!(db.has_changes());
    assert_eq!(
        db.compare(None).expect("compares"),
        "[edit system]\n-  host-name fw1;\n+  host-name fw2;\n"
    );
    let seq = db
        .commit(&info(Some("rename")), 200, None, ok)
        .expect("commits");
    assert!(!db.has_changes());
    let history = db.history().expect("history");
    assert_eq!(history[0].seq, seq);
    assert_eq!(history[0].comment.as_deref(), Some("rename"));
    assert_eq!(history.len(), 2);
    // rollback 1 brings the old name back into the candidate only.
    db.rollback(1).expect("rolls back");
    assert!(print_set(db.candidate()).contains("host-name fw1"));
    assert!(print_set(db.active()).contains("host-name fw2"));
    assert_eq!(db.compare(Some(1)).expect("compares"), "");
}

#[test]
fn a_refused_commit_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut db = seeded(&dir);
    set(
        &mut db,
        "set security zones security-zone trust interfaces ge-0/0/9.0",
    );
    let before = db.history().expect("history").len();
    match db.commit(&info(None), 200, None, ok) {
        Err(DbError::Config(e)) => assert!(e.to_string().contains("ge-0/0/9.0"), "{e}"),
        other => panic!("expected a check failure, got {other:?}"),
    }
    assert_eq!(db.history().expect("history").len(), before);
    assert!(!print_set(db.active()).contains("ge-0/0/9.0"));
    // The candidate keeps the user's work.
    assert!(print_set(db.candidate()).contains("ge-0/0/9.0"));
}

#[test]
fn an_apply_failure_commits_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut db = seeded(&dir);
    set(&mut db, "set system host-name fw3");
    let err = db
        .commit(&info(None), 200, None, |_| {
            Err("netlink: interface busy".into())
        })
        .expect_err("apply fails");
    assert!(matches!(err, DbError::Apply(_)));
    assert!(print_set(db.active()).contains("host-name fw1"));
    drop(db);
    let db = open(&dir);
    assert!(print_set(db.active()).contains("host-name fw1"));
    assert!(
        print_set(db.candidate()).contains("host-name fw3"),
        "candidate persists across restart"
    );
}

#[test]
fn commit_confirmed_rolls_back_after_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut db = seeded(&dir);
    set(&mut db, "set system host-name risky");
    db.commit(&info(None), 1000, Some(Duration::from_secs(60)), ok)
        .expect("commits");
    assert!(db.pending_confirm().expect("reads").is_some());
    drop(db); // xpfd restarts inside the window
    let mut db = open(&dir);
    assert_eq!(db.expire_confirm(1030, ok).expect("not yet"), None);
    assert!(db.expire_confirm(1061, ok).expect("expires").is_some());
    assert!(print_set(db.active()).contains("host-name fw1"));
    assert!(!db.has_changes());
    let newest = &db.history().expect("history")[0];
    assert!(newest
        .comment
        .as_deref()
        .is_some_and(|c| c.contains("commit confirmed")));
}

#[test]
fn a_plain_commit_confirms() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut db = seeded(&dir);
    set(&mut db, "set system host-name keep");
    db.commit(&info(None), 1000, Some(Duration::from_secs(60)), ok)
        .expect("commits");
    db.commit(&info(None), 1010, None, ok).expect("confirms");
    assert_eq!(db.expire_confirm(5000, ok).expect("nothing pending"), None);
    assert!(print_set(db.active()).contains("host-name keep"));
}

/// `load merge` (CLI, gRPC and REST all come here) of 3,000 nested blocks
/// overflowed the daemon's stack; now it is refused like any syntax error.
#[test]
fn a_deeply_nested_load_is_refused_and_keeps_the_candidate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut db = seeded(&dir);
    let text = format!(
        "snmp {{\n{}leaf;\n{}",
        "x {\n".repeat(2_999),
        "}\n".repeat(3_000)
    );
    for mode in [LoadMode::Merge, LoadMode::Override, LoadMode::Replace] {
        match db.load(mode, &text) {
            Err(DbError::Config(e)) => {
                assert!(e.to_string().contains("nesting too deep"), "{e}");
                assert!(e.0[0].span.is_some(), "{e}");
            }
            other => panic!("{mode:?}: {other:?}"),
        }
    }
    assert!(!db.has_changes());
}

#[test]
fn load_modes_and_warnings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut db = seeded(&dir);
    let warnings = db
        .load(
            LoadMode::Set,
            "delete system domain-name\nset system domain-name lab.example\n",
        )
        .expect("loads");
    assert_eq!(warnings.len(), 1);
    assert!(print_set(db.candidate()).contains("domain-name lab.example"));
    assert!(db.load(LoadMode::Merge, "system { bogus; }").is_err());
    assert!(
        print_set(db.candidate()).contains("domain-name lab.example"),
        "a refused load keeps the candidate"
    );
    db.load(LoadMode::Override, "system { host-name only; }")
        .expect("overrides");
    assert_eq!(print_set(db.candidate()), "set system host-name only\n");
    db.rollback(0).expect("discards");
    assert!(!db.has_changes());
}

/// Statements that used to commit and then do nothing: each is refused by
/// its own path until the step that builds it lands (issue 16).
#[test]
fn statements_xpf_does_not_run_are_refused_by_name() {
    let cases: &[(&str, &str)] = &[
        ("set system ntp server 192.0.2.123", "[edit system ntp]"),
        ("set system name-server 192.0.2.53 source-address 192.0.2.1", "[edit system name-server 192.0.2.53 source-address 192.0.2.1]"),
        ("set system services netconf ssh", "[edit system services netconf]"),
        ("set system dataplane workers 2", "[edit system dataplane]"),
        ("set system login message hello", "[edit system login message hello]"),
        ("set chassis cluster reth-count 2", "[edit chassis cluster]"),
        ("set interfaces ge-0/0/0 unit 0 family inet dhcp", "[edit interfaces ge-0/0/0 unit 0 family inet dhcp]"),
        ("set security flow allow-embedded-icmp", "[edit security flow allow-embedded-icmp]"),
        ("set security flow syn-flood-protection-mode syn-cookie", "[edit security flow syn-flood-protection-mode syn-cookie]"),
        ("set security flow aging early-ageout 5", "[edit security flow aging]"),
        ("set security policies policy-rematch", "[edit security policies policy-rematch]"),
        ("set security nat source address-persistent", "[edit security nat source address-persistent]"),
        ("set security nat proxy-arp interface ge-0/0/0.0 address 10.0.0.9/32", "[edit security nat proxy-arp]"),
        // The SYN proxy's; its siblings run.
        ("set security screen ids-option s tcp syn-flood timeout 10", "[edit security screen ids-option s tcp syn-flood timeout 10]"),
        ("set security address-book global address web dns-name www.example.com", "[edit security address-book global address web dns-name www.example.com]"),
        ("set security policies from-zone trust to-zone junos-host policy p match source-address any destination-address any application any", "[edit security policies]"),
        ("set system syslog host 192.0.2.9 transport tls", "[edit system syslog host 192.0.2.9]"),
        ("set interfaces reth0 unit 0 family inet address 10.9.0.1/24", "[edit interfaces]\n  'reth0'"),
        ("set interfaces st0 unit 1\nset routing-options static route 10.2.0.0/16 qualified-next-hop st0.1", "[edit routing-options static route 10.2.0.0/16]\n  'next-hop st0.1'"),
        ("set interfaces st0 unit 0\nset routing-options static route 10.3.0.0/16 next-hop st0.0", "[edit routing-options static route 10.3.0.0/16]\n  'next-hop st0.0'"),
        ("set interfaces fab0 fabric-options member-interfaces ge-0/0/2", "[edit interfaces]\n  'fab0'"),
        // The statement audit (docs/statements.md): read by nothing, or by
        // nothing past the model.
        ("set system root-authentication plain-text-password", "[edit system root-authentication plain-text-password]"),
        ("set system root-authentication ssh-dsa \"ssh-dss AAAA\"", "[edit system root-authentication ssh-dsa"),
        ("set system login class c idle-timeout 10", "[edit system login class c idle-timeout 10]"),
        ("set system login class c permissions all", "[edit system login class c permissions"),
        ("set system login class c allow-commands show", "[edit system login class c allow-commands show]"),
        ("set system login class c deny-commands request", "[edit system login class c deny-commands request]"),
        ("set system login user u class super-user authentication plain-text-password", "[edit system login user u authentication plain-text-password]"),
        ("set system login user u class super-user authentication ssh-dsa \"ssh-dss AAAA\"", "[edit system login user u authentication ssh-dsa"),
        ("set system services ssh rate-limit 10", "[edit system services ssh rate-limit 10]"),
        ("set system services web-management https system-generated-certificate", "[edit system services web-management]"),
        ("set system syslog user * any emergency", "[edit system syslog user *]"),
        ("set system syslog host 192.0.2.9 any any\nset system syslog host 192.0.2.9 routing-instance mgmt", "[edit system syslog host 192.0.2.9 routing-instance mgmt]"),
        ("set system syslog host 192.0.2.9 any any\nset system syslog host 192.0.2.9 explicit-priority", "[edit system syslog host 192.0.2.9 explicit-priority]"),
        ("set system syslog host 192.0.2.9 any any\nset system syslog host 192.0.2.9 structured-data brief", "[edit system syslog host 192.0.2.9 structured-data brief]"),
        ("set system syslog file messages any any\nset system syslog file messages explicit-priority", "[edit system syslog file messages explicit-priority]"),
        ("set system syslog file messages any any\nset system syslog file messages structured-data brief", "[edit system syslog file messages structured-data brief]"),
        ("set interfaces ge-0/0/0 flexible-vlan-tagging", "[edit interfaces ge-0/0/0 flexible-vlan-tagging]"),
        ("set interfaces ge-0/0/0 mac 02:00:00:00:00:01", "[edit interfaces ge-0/0/0 mac 02:00:00:00:00:01]"),
        ("set interfaces ge-0/0/0 unit 0 family inet mtu 1400", "[edit interfaces ge-0/0/0 unit 0 family inet mtu 1400]"),
        ("set interfaces ge-0/0/0 unit 0 family inet address 10.0.0.1/24 primary", "[edit interfaces ge-0/0/0 unit 0 family inet address 10.0.0.1/24 primary]"),
        ("set interfaces ge-0/0/0 unit 0 family inet address 10.0.0.1/24 preferred", "[edit interfaces ge-0/0/0 unit 0 family inet address 10.0.0.1/24 preferred]"),
        ("set interfaces ge-0/0/0 unit 0 family inet6 mtu 1400", "[edit interfaces ge-0/0/0 unit 0 family inet6 mtu 1400]"),
        ("set interfaces ge-0/0/0 unit 0 family inet6 address 2001:db8::1/64 primary", "[edit interfaces ge-0/0/0 unit 0 family inet6 address 2001:db8::1/64 primary]"),
        ("set interfaces ge-0/0/0 unit 0 family inet6 address 2001:db8::1/64 preferred", "[edit interfaces ge-0/0/0 unit 0 family inet6 address 2001:db8::1/64 preferred]"),
        ("set routing-options static route 10.9.0.0/16 next-hop 10.0.0.2 preference 7", "[edit routing-options static route 10.9.0.0/16 preference 7]"),
        ("set routing-options static route 10.9.0.0/16 next-hop 10.0.0.2 tag 7", "[edit routing-options static route 10.9.0.0/16 tag 7]"),
        ("set routing-options static route 10.9.0.0/16 receive", "[edit routing-options static route 10.9.0.0/16 receive]"),
        ("set routing-options static route 10.9.0.0/16 next-table inet.0", "[edit routing-options static route 10.9.0.0/16 next-table inet.0]"),
        ("set routing-options static route 10.9.0.0/16 next-hop 10.0.0.2 no-install", "[edit routing-options static route 10.9.0.0/16 no-install]"),
        ("set routing-options static route 10.9.0.0/16 next-hop 10.0.0.2 resolve", "[edit routing-options static route 10.9.0.0/16 resolve]"),
        ("set routing-options static route 10.9.0.0/16 next-hop 10.0.0.2 retain", "[edit routing-options static route 10.9.0.0/16 retain]"),
        ("set routing-options static route 10.9.0.0/16 next-hop 10.0.0.2 readvertise", "[edit routing-options static route 10.9.0.0/16 readvertise]"),
        ("set routing-options static route 10.9.0.0/16 next-hop 10.0.0.2 passive", "[edit routing-options static route 10.9.0.0/16 passive]"),
        ("set routing-options static route 10.9.0.0/16 qualified-next-hop 10.0.0.2 metric 3", "[edit routing-options static route 10.9.0.0/16 qualified-next-hop 10.0.0.2 metric 3]"),
        ("set routing-options static route 10.9.0.0/16 qualified-next-hop 10.0.0.2 interface ge-0/0/0.0", "[edit routing-options static route 10.9.0.0/16 qualified-next-hop 10.0.0.2 interface ge-0/0/0.0]"),
        ("set routing-options rib inet6.0 static route 2001:db8:9::/48 next-hop 2001:db8::2 preference 7", "[edit routing-options rib inet6.0 static route 2001:db8:9::/48 preference 7]"),
        ("set routing-options router-id 10.0.0.1", "[edit routing-options router-id 10.0.0.1]"),
        ("set routing-options autonomous-system 65000", "[edit routing-options autonomous-system 65000]"),
        ("set security log mode stream\nset security log stream s host 192.0.2.9\nset security log stream s host routing-instance mgmt", "[edit security log stream s host routing-instance mgmt]"),
        ("set security zones security-zone trust tcp-rst", "[edit security zones security-zone trust tcp-rst]"),
        ("set security zones security-zone trust host-inbound-traffic system-services finger", "[edit security zones security-zone trust host-inbound-traffic system-services finger]"),
        ("set security zones security-zone trust interfaces ge-0/0/0.0 host-inbound-traffic system-services any-service", "[edit security zones security-zone trust interfaces ge-0/0/0.0 host-inbound-traffic system-services any-service]"),
        ("set security zones security-zone trust host-inbound-traffic protocols sap", "[edit security zones security-zone trust host-inbound-traffic protocols sap]"),
        ("set applications application a protocol tcp application-protocol ftp", "[edit applications application a application-protocol ftp]"),
        ("set applications application a term t protocol tcp alg ftp", "[edit applications application a term t alg ftp]"),
        ("set applications application a protocol udp rpc-program-number 100003", "[edit applications application a rpc-program-number 100003]"),
        ("set applications application a protocol tcp uuid 12345678-1234-abcd-ef00-0123456789ab", "[edit applications application a uuid"),
        ("set security nat source pool p address 192.0.2.10/32\nset security nat source pool p host-address-base 10.0.0.0", "[edit security nat source pool p host-address-base 10.0.0.0]"),
        ("set security nat source pool p address 192.0.2.10/32\nset security nat source pool p routing-instance vr1", "[edit security nat source pool p routing-instance vr1]"),
        ("set security nat source pool-default-port-range 2000 to 3000", "[edit security nat source pool-default-port-range 2000 to 3000]"),
        ("set security nat destination pool d address 10.0.0.5/32\nset security nat destination pool d routing-instance vr1", "[edit security nat destination pool d routing-instance vr1]"),
        ("set security nat static rule-set s from zone trust\nset security nat static rule-set s rule r match destination-address 192.0.2.80/32\nset security nat static rule-set s rule r then static-nat prefix 10.0.0.80/32 mapped-port 8080", "[edit security nat static rule-set s rule r then static-nat prefix mapped-port 8080]"),
        ("set security nat static rule-set s from zone trust\nset security nat static rule-set s rule r match destination-address 192.0.2.80/32\nset security nat static rule-set s rule r then static-nat prefix 10.0.0.80/32 routing-instance vr1", "[edit security nat static rule-set s rule r then static-nat prefix routing-instance vr1]"),
    ];
    for (line, header) in cases {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut db = seeded(&dir);
        for l in line.split('\n') {
            set(&mut db, l);
        }
        if line.contains("junos-host") {
            set(
                &mut db,
                "set security policies from-zone trust to-zone junos-host policy p then deny",
            );
        }
        if line.contains("host 192.0.2.9") {
            set(&mut db, "set system syslog host 192.0.2.9 any any");
        }
        let errors = db.check().expect_err(line);
        let text = errors.to_string();
        assert!(text.contains(header), "{line}: no {header} in\n{text}");
        assert!(text.contains("not supported by xpf"), "{line}:\n{text}");
    }
}

/// Statements with no effect on an appliance by nature commit, each with
/// a warning naming it.
#[test]
fn statements_with_no_effect_commit_with_a_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut db = seeded(&dir);
    set(
        &mut db,
        "set system license autoupdate url https://ae1.juniper.net",
    );
    set(&mut db, "set chassis fpc 0 pic 0 tunnel-services");
    set(&mut db, "set system ports console log-out-on-disconnect");
    db.check().expect("commits");
    let warnings: Vec<String> = db.warnings().iter().map(|d| d.to_string()).collect();
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    for (w, header) in warnings.iter().zip([
        "[edit system ports]",
        "[edit system license]",
        "[edit chassis fpc]",
    ]) {
        assert!(w.contains("warning"), "{w}");
        assert!(w.contains(header), "{header}: {w}");
        assert!(w.contains("statement has no effect on xpf"), "{w}");
    }
}

/// Statements and value forms real SRX configurations carry (issue 16):
/// each loads, and commit either takes it, warns, or refuses it by name.
#[test]
fn real_srx_statements_load_and_are_named() {
    let text = r#"
system {
    domain-search [ a.example b.example ];
    authentication-order [ radius password ];
    management-instance;
    extensions { providers { juniper { license-type juniper deployment-scope commercial; } } }
    login { user admin { uid 2001; class superuser; } }
}
security {
    flow { drop-flow; }
    distribution-profile { fat-core; }
    l3vpn { vrf-group g { vrf [ a b ]; } }
    nat {
        destination {
            pool p { address 10.0.0.5/32; }
            rule-set rs {
                from zone trust;
                rule r { match { destination-address 192.0.2.1/32; destination-port { 80; 8080 to 8081; } } then { destination-nat { pool { p; } } } }
            }
        }
    }
    policies {
        from-zone trust to-zone trust {
            policy rpc { match { source-address any; destination-address any; application [ junos-ms-rpc junos-sun-rpc junos-smb ]; } then { permit; } }
        }
    }
}
chassis { high-availability { local-id 1; } }
interfaces { ge-0/0/0 { unit 0 { family inet { address 10.0.0.1/24 { virtual-gateway-address 10.0.0.254; } } } } }
"#;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut db = seeded(&dir);
    db.load(LoadMode::Merge, text)
        .expect("every statement loads");
    let refused = db.check().expect_err("some are refused").to_string();
    for header in [
        "[edit system authentication-order]",
        "[edit system management-instance]",
        "[edit security flow drop-flow]",
        "[edit security l3vpn]",
        "[edit chassis high-availability]",
        "[edit interfaces ge-0/0/0 unit 0 family inet address 10.0.0.1/24 virtual-gateway-address]",
    ] {
        assert!(refused.contains(header), "{header} not refused:\n{refused}");
    }
    for taken in ["superuser", "destination-port", "junos-ms-rpc", "junos-smb"] {
        assert!(!refused.contains(taken), "{taken} refused:\n{refused}");
    }
    // In line order, as the file reads.
    let lines: Vec<u32> = db
        .check()
        .expect_err("refused")
        .0
        .iter()
        .filter_map(|d| d.span.map(|s| s.line))
        .collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{lines:?}");
    let warned: Vec<String> = db.warnings().iter().map(|d| d.edit_header()).collect();
    assert_eq!(
        warned,
        [
            "[edit system extensions]",
            "[edit security distribution-profile]"
        ]
    );
}
