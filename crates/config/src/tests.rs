// SPDX-License-Identifier: Apache-2.0
//! Cross-module tests: load, edit, print and round trips.

use crate::*;

fn cfg(text: &str) -> Config {
    match parse_config(text) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn set_form_builds_the_junos_hierarchy() {
    let c = cfg("set interfaces ge-0/0/0 unit 0 family inet address 10.0.0.1/24\nset system host-name fw1\n");
    assert_eq!(
        print_curly(&c),
        "system {\n    host-name fw1;\n}\ninterfaces {\n    ge-0/0/0 {\n        unit 0 {\n            family inet {\n                address 10.0.0.1/24;\n            }\n        }\n    }\n}\n"
    );
}

#[test]
fn set_replaces_single_values_and_collects_lists() {
    let c = cfg("set system host-name a\nset system host-name b\n\
        set security policies from-zone t to-zone u policy p match source-address a1\n\
        set security policies from-zone t to-zone u policy p match source-address a2\n\
        set security policies from-zone t to-zone u policy p match source-address a1\n");
    let set = print_set(&c);
    assert!(set.contains("set system host-name b\n"));
    assert!(!set.contains("host-name a"));
    assert!(print_curly(&c).contains("source-address [ a1 a2 ];"));
}

#[test]
fn curly_to_set_to_curly_round_trips() {
    let text = "system {\n    host-name fw1;\n    services {\n        ssh {\n            root-login deny;\n        }\n    }\n}\ninterfaces {\n    inactive: ge-0/0/0 {\n        unit 0 {\n            family inet {\n                address 10.0.0.1/24;\n                address 10.0.1.1/24;\n            }\n        }\n    }\n    ge-0/0/1 {\n        unit 0;\n    }\n}\nsecurity {\n    policies {\n        from-zone trust to-zone untrust {\n            policy p1 {\n                match {\n                    source-address [ a b ];\n                    destination-address any;\n                    application junos-http;\n                }\n                then {\n                    permit;\n                }\n            }\n        }\n    }\n}\n";
    let c = cfg(text);
    assert_eq!(print_curly(&c), text);
    let set = print_set(&c);
    assert!(set.contains("deactivate interfaces ge-0/0/0\n"), "{set}");
    let back = cfg(&set);
    assert_eq!(print_curly(&back), text);
    assert_eq!(print_set(&back), set);
}

#[test]
fn opaque_statements_load_and_print_back() {
    let c = cfg("set snmp location lab\nset snmp community public authorization read-only\nprotocols { lldp { interface all; } }\nset protocols lldp interface ge-0/0/0\n");
    let set = print_set(&c);
    assert!(set.contains("set snmp location lab\n"));
    assert!(set.contains("set protocols lldp interface all\n"));
    assert!(set.contains("set protocols lldp interface ge-0/0/0\n"));
    assert_eq!(print_set(&cfg(&set)), set);
}

#[test]
fn unknown_statements_are_syntax_errors_with_position_and_path() {
    let e = parse_config("interfaces {\n    ge-0/0/1 {\n        unt 0 {\n            family inet;\n        }\n    }\n}\n")
        .expect_err("typo");
    let d = &e.0[0];
    assert_eq!(d.path, ["interfaces", "ge-0/0/1"]);
    assert_eq!(d.span, Some(Span { line: 3, col: 9 }));
    assert!(d.to_string().contains("'unt 0'"), "{d}");
}

#[test]
fn bad_values_name_the_word() {
    let e = parse_config("set interfaces ge-0/0/0 mtu abc\n").expect_err("bad mtu");
    assert_eq!(e.0[0].span, Some(Span { line: 1, col: 29 }));
    assert!(e.0[0].message.contains("invalid numeric value"));
    assert!(
        parse_config("set interfaces ge-0/0/0 unit 0 family inet address 10.0.0.1/33\n").is_err()
    );
}

#[test]
fn delete_deactivate_activate() {
    let mut c = cfg("set system host-name a\nset interfaces ge-0/0/0 unit 0 description x\nset security policies from-zone t to-zone u policy p match source-address [ a1 a2 ]\n");
    load_text(&mut c, "delete system host-name\ndeactivate interfaces ge-0/0/0 unit 0\ndelete security policies from-zone t to-zone u policy p match source-address a1\n", LoadMode::Set).expect("applies");
    let set = print_set(&c);
    assert!(!set.contains("host-name"));
    assert!(set.contains("deactivate interfaces ge-0/0/0 unit 0\n"));
    assert!(set.contains("source-address a2\n") && !set.contains("source-address a1"));
    load_text(
        &mut c,
        "activate interfaces ge-0/0/0 unit 0\n",
        LoadMode::Set,
    )
    .expect("applies");
    assert!(!print_set(&c).contains("deactivate"));
}

#[test]
fn a_refused_load_changes_nothing() {
    let mut c = cfg("set system host-name a\n");
    let before = print_curly(&c);
    assert!(load_text(
        &mut c,
        "set system host-name b\nset system bogus 1\n",
        LoadMode::Set
    )
    .is_err());
    assert_eq!(print_curly(&c), before);
    let warnings =
        load_text(&mut c, "delete system domain-name\n", LoadMode::Set).expect("a warning only");
    assert_eq!(warnings[0].message, "statement not found");
    assert_eq!(print_curly(&c), before);
}

#[test]
fn load_override_merge_and_replace() {
    let mut c = cfg("system { host-name a; domain-name d; }");
    load_text(&mut c, "system { host-name b; }", LoadMode::Merge).expect("merge");
    assert!(print_set(&c).contains("domain-name d"));
    assert!(print_set(&c).contains("host-name b"));
    load_text(
        &mut c,
        "system { replace: services { ssh; } }",
        LoadMode::Replace,
    )
    .expect("replace");
    load_text(
        &mut c,
        "interfaces { ge-0/0/0 { mtu 1500; } }",
        LoadMode::Override,
    )
    .expect("override");
    assert_eq!(print_set(&c), "set interfaces ge-0/0/0 mtu 1500\n");
}

#[test]
fn protect_blocks_changes() {
    let mut c = cfg("set system host-name a\nprotect system host-name\n");
    assert!(load_text(&mut c, "set system host-name b\n", LoadMode::Set).is_err());
    load_text(
        &mut c,
        "unprotect system host-name\nset system host-name b\n",
        LoadMode::Set,
    )
    .expect("unprotected");
}

#[test]
fn compare_uses_the_junos_layout() {
    let old = cfg("system { host-name vsrx; }\ninterfaces { ge-0/0/1 { unit 0; } }\n");
    let new = cfg("system { host-name junos-CHANGED; }\ninterfaces { ge-0/0/1 { unit 0 { family inet { address 192.168.77.11/24; } } } }\n");
    assert_eq!(
        compare(&new, &old),
        "[edit system]\n-  host-name junos-CHANGED;\n+  host-name vsrx;\n[edit interfaces ge-0/0/1 unit 0]\n-     family inet {\n-         address 192.168.77.11/24;\n-     }\n"
    );
    assert_eq!(compare(&old, &old), "");
}

#[test]
fn compare_counts_family_inet_as_two_levels_and_shows_order_context() {
    let old = cfg("interfaces { ge-0/0/0 { unit 0 { family inet { address 198.18.10.12/24; } } } }\napplications { application a1 { protocol tcp; } }\n");
    let new = cfg("interfaces { ge-0/0/0 { unit 0 { family inet { address 198.18.10.12/24; address 198.18.20.12/24; } } } }\napplications { application a1 { protocol tcp; } application a2 { protocol udp; } }\n");
    assert_eq!(
        compare(&old, &new),
        "[edit interfaces ge-0/0/0 unit 0 family inet]\n+       address 198.18.20.12/24;\n[edit applications]\n    application a1 { ... }\n+   application a2 {\n+       protocol udp;\n+   }\n"
    );
}

#[test]
fn compare_top_level_additions_need_no_banner() {
    let old = cfg("system { host-name a; }\n");
    let new = cfg("system { host-name a; }\nsnmp { location x; }\n");
    assert_eq!(compare(&old, &new), "+  snmp {\n+      location x;\n+  }\n");
}

#[test]
fn groups_apply_with_priority_wildcards_and_node() {
    let c = cfg("groups {\n    g1 { system { host-name from-g1; domain-name g1.example; } }\n    g2 { system { host-name from-g2; } interfaces { <ge-*> { mtu 9000; } } }\n    node0 { system { host-name n0; } }\n}\napply-groups [ g1 g2 ];\ninterfaces { ge-0/0/0 { unit 0; } xe-0/0/0 { unit 0; } }\n");
    let e = effective(&c, None);
    let set = print_set(&e);
    assert!(set.contains("set system host-name from-g1\n"), "{set}");
    assert!(set.contains("set system domain-name g1.example\n"));
    assert!(set.contains("set interfaces ge-0/0/0 mtu 9000\n"));
    assert!(!set.contains("xe-0/0/0 mtu"));
    assert!(!set.contains("groups") && !set.contains("apply-groups"));

    let node = cfg("groups { node0 { system { host-name n0; } } node1 { system { host-name n1; } } }\napply-groups \"${node}\";\n");
    assert!(print_set(&effective(&node, Some("node1"))).contains("host-name n1"));
    assert!(!print_set(&effective(&node, None)).contains("host-name"));
}

#[test]
fn explicit_config_and_except_beat_groups() {
    let c = cfg("groups { g { interfaces { <*> { mtu 9000; description grp; } } } }\napply-groups g;\ninterfaces { ge-0/0/0 { mtu 1500; } ge-0/0/1 { apply-groups-except g; unit 0; } }\n");
    let set = print_set(&effective(&c, None));
    assert!(set.contains("set interfaces ge-0/0/0 mtu 1500\n"), "{set}");
    assert!(set.contains("set interfaces ge-0/0/0 description grp\n"));
    assert!(!set.contains("ge-0/0/1 mtu") && !set.contains("ge-0/0/1 description"));
}

#[test]
fn inactive_statements_leave_the_effective_config() {
    let c =
        cfg("interfaces { ge-0/0/0 { inactive: unit 0 { family inet { dhcp; } } mtu 1500; } }\n");
    assert_eq!(
        print_set(&effective(&c, None)),
        "set interfaces ge-0/0/0 mtu 1500\n"
    );
}

#[test]
fn the_sample_configuration_round_trips_exactly() {
    let text = include_str!("../../../examples/sample.conf");
    let body: String = text
        .lines()
        .filter(|l| !l.starts_with("##"))
        .map(|l| format!("{l}\n"))
        .collect();
    let c = cfg(text);
    assert_eq!(print_curly(&c), body);
    let set = print_set(&c);
    let back = cfg(&set);
    assert_eq!(print_curly(&back), body);
    assert_eq!(print_set(&cfg(&print_curly(&back))), set);
}

#[test]
fn flat_statements_print_on_one_line_and_read_back() {
    let c = cfg("set applications application a term t1 protocol tcp destination-port 80\nset security address-book global address web 10.0.0.80/32\nset routing-options static route 0.0.0.0/0 next-hop [ 10.0.0.1 10.0.0.2 ]\n");
    let curly = print_curly(&c);
    assert!(
        curly.contains("term t1 protocol tcp destination-port 80;"),
        "{curly}"
    );
    assert!(curly.contains("address web 10.0.0.80/32;"));
    assert!(curly.contains("route 0.0.0.0/0 next-hop [ 10.0.0.1 10.0.0.2 ];"));
    assert_eq!(print_curly(&cfg(&curly)), curly);
}

#[test]
fn insert_moves_policies_and_annotate_marks_statements() {
    let mut c = cfg(
        "set security policies from-zone t to-zone u policy p1 then permit\n\
        set security policies from-zone t to-zone u policy p2 then deny\n\
        set security policies from-zone t to-zone u policy p3 then deny\n",
    );
    load_text(
        &mut c,
        "insert security policies from-zone t to-zone u policy p3 before policy p1\n",
        LoadMode::Set,
    )
    .expect("inserts");
    let set = print_set(&c);
    let order: Vec<usize> = ["policy p3", "policy p1", "policy p2"]
        .iter()
        .map(|p| set.find(p).expect(p))
        .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{set}");
    load_text(
        &mut c,
        "insert security policies from-zone t to-zone u policy p3 after policy p2\n",
        LoadMode::Set,
    )
    .expect("inserts");
    let set = print_set(&c);
    assert!(set.find("policy p2").expect("p2") < set.find("policy p3").expect("p3"));
    assert!(load_text(
        &mut c,
        "insert security policies from-zone t to-zone u policy p3 after policy nope\n",
        LoadMode::Set
    )
    .is_err());

    load_text(
        &mut c,
        "annotate security policies from-zone t to-zone u policy p1 \"allow the web\"\n",
        LoadMode::Set,
    )
    .expect("annotates");
    assert!(
        print_curly(&c).contains("/* allow the web */\n            policy p1 {"),
        "{}",
        print_curly(&c)
    );
    let again = cfg(&print_curly(&c));
    assert!(print_curly(&again).contains("/* allow the web */"));
    load_text(
        &mut c,
        "annotate security policies from-zone t to-zone u policy p1 \"\"\n",
        LoadMode::Set,
    )
    .expect("clears");
    assert!(!print_curly(&c).contains("/*"));
}

#[test]
fn a_flat_line_of_list_leaves_splits() {
    let c = cfg("set security policies from-zone t to-zone u policy p match source-address any destination-address any application junos-http\n");
    let set = print_set(&c);
    assert!(set.contains("match source-address any\n"), "{set}");
    assert!(set.contains("match destination-address any\n"));
    assert!(set.contains("match application junos-http\n"));
}

/// `snmp { x { x { ... leaf; } } }`: `depth` nested blocks, one per line.
fn nested(depth: usize) -> String {
    let mut text = String::with_capacity(depth * 6);
    text.push_str("snmp {\n");
    for _ in 1..depth {
        text.push_str("x {\n");
    }
    text.push_str("leaf;\n");
    for _ in 0..depth {
        text.push_str("}\n");
    }
    text
}

#[test]
fn nesting_at_the_limit_loads_and_round_trips() {
    let c = cfg(&nested(MAX_DEPTH));
    let set = print_set(&c);
    assert_eq!(set.lines().count(), 1, "{set}");
    assert!(set.ends_with(" x leaf\n"), "{set}");
    // Opaque set lines cannot split into levels: they print back the same.
    assert_eq!(print_set(&cfg(&set)), set);
    assert!(cfg(&print_curly(&c)).same_as(&c));
}

#[test]
fn deeper_nesting_is_a_syntax_error_with_a_position_not_a_crash() {
    // 3,000 levels (12 kB) overflowed the daemon's stack; 100,000 that of
    // `xpfd check`. A test thread's stack is smaller than either.
    for depth in [MAX_DEPTH + 1, 3_000, 100_000] {
        let text = nested(depth);
        let e = parse(&text).expect_err("too deep");
        assert_eq!(e.0.len(), 1);
        let d = &e.0[0];
        assert_eq!(d.severity, Severity::Syntax);
        // The first `{` past the limit: line MAX_DEPTH + 1, `x {`.
        assert_eq!(
            d.span,
            Some(Span {
                line: MAX_DEPTH as u32 + 1,
                col: 3
            })
        );
        let shown = e.clone().in_source("deep.conf").to_string();
        assert!(
            shown.starts_with(&format!("deep.conf:{}:3: syntax error\n", MAX_DEPTH + 1)),
            "{shown}"
        );
        assert!(shown.contains("nesting too deep"), "{shown}");

        let mut c = cfg("set system host-name fw1\n");
        for mode in [LoadMode::Merge, LoadMode::Override, LoadMode::Replace] {
            let e = load_text(&mut c, &text, mode).expect_err("too deep");
            assert!(e.to_string().contains("nesting too deep"), "{e}");
        }
        assert_eq!(print_set(&c), "set system host-name fw1\n");
    }
}

#[test]
fn a_collapsed_statement_cannot_split_past_the_limit() {
    // `groups g snmp x {` is one `{` but four levels once split.
    let mut text = String::from("groups g snmp x {\n");
    for _ in 1..MAX_DEPTH {
        text.push_str("x {\n");
    }
    text.push_str("leaf;\n");
    for _ in 0..MAX_DEPTH {
        text.push_str("}\n");
    }
    let e = parse_config(&text).expect_err("too deep once split");
    assert!(e.to_string().contains("nesting too deep"), "{e}");
    assert!(e.0[0].span.is_some());
}

#[test]
fn set_lines_are_held_to_the_same_depth_as_blocks() {
    let mut c = cfg(&nested(MAX_DEPTH));
    let path = vec!["x"; MAX_DEPTH - 1].join(" ");
    // A sibling at the deepest level is fine.
    let ok = parse_command(&format!("set snmp {path} other")).expect("parses");
    apply_command(&mut c, &ok).expect("at the limit");
    // A path one level further down is refused, wherever the leaf is.
    let deep = parse_command(&format!("delete snmp {path} leaf below")).expect("parses");
    let e = apply_command(&mut c, &deep).expect_err("too deep");
    assert!(e.to_string().contains("nesting too deep"), "{e}");
}

// Regressions found by the fuzz targets (`qa/fuzz`), named after them.

/// `xpf-fuzz config`, on its first seed: `set system services ssh` made
/// `ssh` a block with no children where `ssh;` is a leaf, so a
/// configuration reloaded from its own set form was not the same as
/// itself, and a candidate built by `set` had changes that `show |
/// compare` could not show.
#[test]
fn fuzz_config_set_form_reloads_to_the_same_tree() {
    let c = cfg("system { services { ssh; } }\ninterfaces { ge-0/0/0 { unit 0 { family inet { address 10.0.0.1/24; } } } }\n");
    let from_set = cfg(&print_set(&c));
    assert!(from_set.same_as(&c) && c.same_as(&from_set));
    assert!(!cfg("system { services { ssh; } }").same_as(&cfg("system { services { telnet; } }")));
}

/// `xpf-fuzz config`, on the shared corpus's
/// `batfish/parsing-unit-tests/juniper_security.set`: in an opaque subtree
/// a one-value list printed bare (`proposals PROPOSAL;`) and reloaded as
/// one more word, so the same configuration loaded from its own curly
/// text showed a change in `show | compare`.
#[test]
fn fuzz_config_opaque_one_value_list_keeps_its_brackets() {
    let c = cfg("set security ike policy 1.2.3.4 proposals [ PROPOSAL ]\n");
    let curly = print_curly(&c);
    assert!(curly.contains("proposals [ PROPOSAL ];"), "{curly}");
    let again = cfg(&curly);
    assert!(again.same_as(&c), "{curly}");
    assert_eq!(compare(&c, &again), "");
    let set = print_set(&c);
    assert_eq!(
        set,
        "set security ike policy 1.2.3.4 proposals [ PROPOSAL ]\n"
    );
    assert!(cfg(&set).same_as(&c), "{set}");
    // Known statements keep Junos' bare form.
    let known = cfg("security { policies { from-zone a to-zone b { policy p { match { source-address [ x ]; } } } } }");
    assert!(print_curly(&known).contains("source-address x;"));
}

/// `xpf-fuzz config`: set lines in an opaque subtree load flat, so the
/// `deactivate` that `display set` writes for a level inside one was
/// "statement not found", and a deactivated BGP group came back active
/// from its own set form. The second text is the fuzzer's.
#[test]
fn fuzz_config_deactivated_opaque_level_stays_inactive_through_set_form() {
    for text in [
        "protocols { bgp { inactive: group a { type external; neighbor 192.0.2.1; } group b { type internal; } } }",
        "   replace: services { ssh;ces { ssh; }\n    /* note */\n    inactive: host\u{fffd}\u{7f}ames { ssh; }\n    /* note */\n  e x;\n}\n",
    ] {
        let set = print_set(&cfg(text));
        assert!(set.contains("\ndeactivate "), "{set}");
        let mut again = Config::default();
        let warnings = load_text(&mut again, &set, LoadMode::Merge).unwrap_or_else(|e| panic!("{e}\n{set}"));
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(print_set(&again), set);
    }
    let again = cfg(&print_set(&cfg(
        "protocols { bgp { inactive: group a { type external; } } }",
    )));
    let effective = print_curly(&effective(&again, None));
    assert!(
        !effective.contains("group a"),
        "an inactive group is not run:\n{effective}"
    );
}

/// Error messages name the offending text and what was expected
/// (issue 16): a user fixing a pasted config sees what to type.
#[test]
fn syntax_errors_say_what_was_found_and_expected() {
    let message = |text: &str| match parse_config(text) {
        Ok(_) => panic!("{text} loads"),
        Err(e) => e.0[0].message.clone(),
    };
    assert_eq!(
        message("system { host-name fw; }\n}\n"),
        "unexpected '}': no block is open here (one '}' too many above?)"
    );
    assert_eq!(message("; system { }"), "expected a statement, found ';'");
    assert_eq!(
        message("system { host-name; }"),
        "syntax error: 'host-name' is incomplete, expecting host-name <string>"
    );
    assert_eq!(
        message("system { host-name a b; }"),
        "syntax error: 'host-name a b' has extra words, expecting host-name <string>"
    );
}

/// Errors come in line order, and a lenient load keeps every statement
/// that loads so `xpfd check` can check the rest in the same pass.
#[test]
fn errors_are_in_line_order_and_lenient_loads_keep_the_rest() {
    let text = "system {\n  bogus-b;\n}\nsecurity { bogus-a; }\nsystem { host-name fw; }\n";
    let e = parse_config(text).expect_err("two unknown statements");
    let lines: Vec<u32> = e.0.iter().filter_map(|d| d.span.map(|s| s.line)).collect();
    assert_eq!(lines, [2, 4]);
    let (c, e) = parse_config_lenient(text);
    assert_eq!(e.0.len(), 2);
    let set = print_set(&c);
    assert!(set.contains("set system host-name fw\n"), "{set}");
    assert!(!set.contains("bogus"), "{set}");
}

/// `destination-port { 80; 8080 to 8081; }`, as Junos prints NAT ports,
/// is the statements `destination-port 80` and `destination-port 8080 to 8081`.
#[test]
fn grouped_keyed_statements_load_as_their_entries() {
    let grouped = cfg("security { nat { destination { rule-set rs { rule r { match { destination-port { 80; 8080 to 8081; } } } } } } }");
    let flat = cfg("set security nat destination rule-set rs rule r match destination-port 80\nset security nat destination rule-set rs rule r match destination-port 8080 to 8081\n");
    assert_eq!(print_set(&grouped), print_set(&flat));
}

/// An opaque leaf takes a `[ ]` list as real configurations write it.
#[test]
fn opaque_leaves_take_lists() {
    let c = cfg("snmp { community public { clients [ 10.0.0.0/8 192.0.2.0/24 ]; } }");
    assert!(print_curly(&c).contains("clients [ 10.0.0.0/8 192.0.2.0/24 ];"));
    let s = cfg("set system domain-search [ a.example b.example ]\n");
    let set = print_set(&s);
    assert!(
        set.contains("set system domain-search a.example\n"),
        "{set}"
    );
    assert!(
        set.contains("set system domain-search b.example\n"),
        "{set}"
    );
}
