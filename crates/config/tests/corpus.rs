// SPDX-License-Identifier: Apache-2.0
//! Golden tests on `../shared/corpus/`: real Junos text written by others
//! (batfish, junoser, napalm; licences in the corpus README).

use std::path::PathBuf;

use xpf_config::{
    compare, effective, load_text, parse_config, print_curly, print_set, Config, LoadMode,
};

fn corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    if dir.is_dir() {
        Some(dir)
    } else {
        xpf_lab::skip(
            module_path!(),
            &format!(
                "corpus not found at {} (shared/ must sit beside the repository)",
                dir.display()
            ),
        );
        None
    }
}

fn read(rel: &str) -> Option<String> {
    let path = corpus()?.join(rel);
    Some(std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

fn load(text: &str, what: &str) -> Config {
    parse_config(text).unwrap_or_else(|e| panic!("{what} does not load:\n{e}"))
}

/// The expected file without its tool-specific header line.
fn body(expected: &str) -> String {
    expected
        .lines()
        .filter(|l| !l.starts_with("####"))
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn batfish_flatten_pairs_curly_to_set() {
    for name in ["nested-config", "nested-config-brackets"] {
        let Some(input) = read(&format!("batfish/flatten-pairs/{name}.conf")) else {
            return;
        };
        let Some(expected) = read(&format!("batfish/flatten-pairs/{name}-flattened.set")) else {
            return;
        };
        let cfg = load(&input, name);
        assert_eq!(print_set(&cfg), body(&expected), "{name}");
        // And back: set -> curly -> set is exact.
        let again = load(&print_set(&cfg), name);
        assert_eq!(print_set(&again), body(&expected));
        assert_eq!(print_curly(&again), print_curly(&cfg));
    }
}

#[test]
fn batfish_activation_pair_follows_junos_semantics() {
    let Some(input) =
        read("batfish/preprocess-pairs/preprocess-flat-juniper-activation-before.set")
    else {
        return;
    };
    let Some(expected) =
        read("batfish/preprocess-pairs/preprocess-flat-juniper-activation-after.set")
    else {
        return;
    };
    let mut cfg = Config::default();
    let warnings = load_text(&mut cfg, &input, LoadMode::Set).expect("loads");
    // Junos warns "statement not found" for the three paths that do not
    // exist when their line runs; batfish instead applies the early
    // `deactivate interfaces xe-0/0/0` to the later-declared interface. We
    // follow Junos, so xe-0/0/0 stays active here.
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    let got = print_set(&effective(&cfg, None));
    let mut want = body(&expected);
    want = want.replacen(
        "set interfaces xe-0/0/2",
        "set interfaces xe-0/0/0 unit 0 family inet address 10.0.0.0/32\nset interfaces xe-0/0/2",
        1,
    );
    assert_eq!(got, want);
}

#[test]
fn batfish_apply_groups_order_pair() {
    let Some(input) =
        read("batfish/preprocess-pairs/preprocess-flat-juniper-apply-groups-order-before.set")
    else {
        return;
    };
    let Some(expected) =
        read("batfish/preprocess-pairs/preprocess-flat-juniper-apply-groups-order-after.set")
    else {
        return;
    };
    let mut cfg = Config::default();
    load_text(&mut cfg, &input, LoadMode::Set).expect("loads");
    let mut got: Vec<String> = print_set(&effective(&cfg, None))
        .lines()
        .map(str::to_string)
        .collect();
    // Batfish keeps the apply-groups lines and lists inherited lines in its
    // own order; compare the statements themselves.
    let mut want: Vec<String> = body(&expected)
        .lines()
        .filter(|l| !l.starts_with("set apply-groups"))
        .map(str::to_string)
        .collect();
    got.sort();
    want.sort();
    assert_eq!(got, want);
}

#[test]
fn batfish_generated_pair_replace_and_delete_tags() {
    let Some(input) = read("batfish/preprocess-pairs/preprocess-juniper-generated-before.set")
    else {
        return;
    };
    let Some(expected) = read("batfish/preprocess-pairs/preprocess-juniper-generated-after.set")
    else {
        return;
    };
    let mut cfg = Config::default();
    load_text(&mut cfg, &input, LoadMode::Replace).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(print_set(&cfg), body(&expected));
}

#[test]
fn napalm_merge_reproduces_the_expected_compare() {
    let (Some(initial), Some(merge), Some(diff)) = (
        read("napalm/initial.conf"),
        read("napalm/merge_good.conf"),
        read("napalm/merge_good.diff"),
    ) else {
        return;
    };
    let active = load(&initial, "initial.conf");
    let mut candidate = active.clone();
    load_text(&mut candidate, &merge, LoadMode::Merge).unwrap_or_else(|e| panic!("{e}"));
    // napalm stores the rollback direction: candidate -> active.
    assert_eq!(compare(&candidate, &active), diff);
}

#[test]
fn napalm_override_reproduces_the_expected_compare() {
    let (Some(initial), Some(new), Some(diff)) = (
        read("napalm/initial.conf"),
        read("napalm/new_good.conf"),
        read("napalm/new_good.diff"),
    ) else {
        return;
    };
    let active = load(&initial, "initial.conf");
    let mut candidate = active.clone();
    load_text(&mut candidate, &new, LoadMode::Override).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(compare(&active, &candidate), diff);
}

#[test]
fn napalm_typos_are_refused_and_change_nothing() {
    for (file, mode, word) in [
        ("napalm/merge_typo.conf", LoadMode::Merge, "unt"),
        ("napalm/new_typo.conf", LoadMode::Override, "unt"),
    ] {
        let (Some(initial), Some(typo)) = (read("napalm/initial.conf"), read(file)) else {
            return;
        };
        let mut cfg = load(&initial, "initial.conf");
        let before = print_curly(&cfg);
        let err = load_text(&mut cfg, &typo, mode).expect_err(file);
        let d = &err.0[0];
        assert_eq!(d.path, ["interfaces", "ge-0/0/1"], "{file}: {d}");
        assert!(d.message.contains(word), "{file}: {d}");
        assert!(d.span.is_some());
        assert_eq!(
            print_curly(&cfg),
            before,
            "{file} changed the configuration"
        );
    }
}

#[test]
fn junoser_valid_statements_each_load() {
    let Some(text) = read("junoser/valid-statements.set") else {
        return;
    };
    let mut failures = Vec::new();
    // junoser's grammar takes any word where Junos wants a prefix; `xxx/32`
    // is its placeholder, not an address a real Junos would accept.
    let real = |l: &&str| !l.contains("xxx/32");
    for line in text
        .lines()
        .filter(|l| l.starts_with("set ") || l.starts_with("deactivate "))
        .filter(real)
    {
        if let Err(e) = parse_config(line) {
            failures.push(format!("{line}\n{e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} lines refused:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn junoser_invalid_statements_are_never_accepted_silently() {
    // Each is refused at load, or lies in a part of Junos xpf does not
    // support yet, which commit check names.
    let Some(text) = read("junoser/invalid-statements.set") else {
        return;
    };
    for line in text.lines().filter(|l| l.starts_with("set ")) {
        match parse_config(line) {
            Err(_) => {}
            Ok(cfg) => assert!(
                !xpf_config::unsupported(&cfg).is_empty(),
                "accepted silently: {line}"
            ),
        }
    }
}

#[test]
fn junoser_comments_parse() {
    let Some(set) = read("junoser/comments-display-set.set") else {
        return;
    };
    let cfg = load(&set, "comments-display-set.set");
    assert!(print_set(&cfg).contains("set interfaces lo0 description \"/*\"\n"));
    assert!(print_set(&cfg).contains("set system root-authentication encrypted-password \"#\"\n"));
    let Some(curly) = read("junoser/comments-structured.conf") else {
        return;
    };
    let cfg = load(&curly, "comments-structured.conf");
    assert_eq!(
        print_set(&cfg),
        "set interfaces lo0 description \"/*\"\nset interfaces ge-0/0/0 description \"#\"\n"
    );
}

#[test]
fn junoser_groups_and_deactivate_pairs() {
    let (Some(set), Some(curly)) = (
        read("junoser/groups-deactivate.set"),
        read("junoser/groups-deactivate.conf"),
    ) else {
        return;
    };
    let a = load(&set, "groups-deactivate.set");
    let b = load(&curly, "groups-deactivate.conf");
    assert_eq!(print_set(&a), print_set(&b));
    assert_eq!(print_set(&a), set);

    let Some(unit) = read("junoser/deactivate-unit.conf") else {
        return;
    };
    let cfg = load(&unit, "deactivate-unit.conf");
    assert_eq!(
        print_set(&cfg),
        "set interfaces ge-0/0/0 unit 0 family inet dhcp\ndeactivate interfaces ge-0/0/0 unit 0\n"
    );
}
