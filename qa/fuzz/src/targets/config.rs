// SPDX-License-Identifier: Apache-2.0
//! `config`: the Junos configuration parser and loader on arbitrary text.
//!
//! The first byte picks the load mode (merge, override, replace, set)
//! and whether the text goes onto an empty configuration or a small
//! existing one; the rest is the text. Checked:
//! - nothing panics (parse, load, groups, `commit check`, printers,
//!   compare);
//! - a refused load leaves the configuration as it was;
//! - a text that loads prints (curly) and reloads to the same tree, and
//!   its `display set` form reloads to the same tree less annotations,
//!   which set form does not carry (as in Junos); in an opaque subtree,
//!   whose levels the schema does not know, set lines reload flat, so
//!   there the set text must read back as itself.

use std::sync::OnceLock;

use xpf_config::{
    compare, effective, load_text, parse, parse_config, print_curly, print_json, print_set, Config,
    LoadMode, Statement,
};

/// The configuration a load may go onto.
const BASE: &str = "
system { host-name fw1; services { ssh; } }
interfaces { ge-0/0/0 { unit 0 { family inet { address 10.0.0.1/24; } } } }
/* edge */
security {
    zones { security-zone trust { interfaces { ge-0/0/0.0; } } }
    policies { from-zone trust to-zone trust { policy p { match { source-address any; destination-address any; application any; } then { permit; } } } }
}
groups { g { system { domain-name example.net; } } }
apply-groups g;
";

fn base() -> &'static Config {
    static BASE_CFG: OnceLock<Config> = OnceLock::new();
    BASE_CFG.get_or_init(|| parse_config(BASE).unwrap_or_default())
}

/// Runs one input.
pub fn run(data: &[u8]) {
    let Some((&how, text)) = data.split_first() else {
        return;
    };
    let text = String::from_utf8_lossy(text);
    let _ = parse(&text);
    let mode = [
        LoadMode::Merge,
        LoadMode::Override,
        LoadMode::Replace,
        LoadMode::Set,
    ][usize::from(how & 3)];
    let start = if how & 4 != 0 {
        base().clone()
    } else {
        Config::default()
    };
    let mut cfg = start.clone();
    match load_text(&mut cfg, &text, mode) {
        Err(_) => assert!(
            cfg.same_as(&start),
            "a refused load changed the configuration"
        ),
        Ok(_) => {
            round_trip(&cfg);
            let _ = compare(&start, &cfg);
            let _ = print_json(&cfg);
            // What the box runs, standalone and as a cluster member (node
            // groups apply): it prints as text that loads to itself too
            // (`show configuration | display inheritance`).
            let grouped = cfg.statements.iter().any(|s| s.keyword() == "groups");
            for node in [None, Some("node1")]
                .into_iter()
                .take(if grouped { 2 } else { 1 })
            {
                let eff = effective(&cfg, node);
                round_trip(&eff);
                let _ = xpf_model::build(&eff);
            }
        }
    }
}

fn round_trip(cfg: &Config) {
    let curly = print_curly(cfg);
    match parse_config(&curly) {
        Ok(again) => assert!(
            again.same_as(cfg),
            "curly form reloads to another tree:\n{curly}\n---\n{}",
            print_curly(&again)
        ),
        Err(e) => panic!("curly form does not reload: {e}\n{curly}"),
    }
    let set = print_set(cfg);
    match parse_config(&set) {
        // Set lines in an opaque subtree cannot be split into levels (the
        // schema does not know them), so they reload flat: there the set
        // text must only read back as itself.
        Ok(again) if opaque(&cfg.statements) => assert_eq!(
            print_set(&again),
            set,
            "set form of an opaque subtree does not read back as itself"
        ),
        Ok(again) => assert!(
            again.same_as(&without_annotations(cfg)),
            "set form reloads to another tree:\n{set}\n---\n{}",
            print_set(&again)
        ),
        Err(e) => panic!("set form does not reload: {e}\n{set}"),
    }
}

/// Whether any statement lies in an opaque subtree (matched no schema node).
fn opaque(stmts: &[Statement]) -> bool {
    stmts.iter().any(|s| s.node.is_none() || opaque(s.kids()))
}

fn without_annotations(cfg: &Config) -> Config {
    fn strip(st: &mut Statement) {
        st.annotation = None;
        for k in st.children.iter_mut().flatten() {
            strip(k);
        }
    }
    let mut c = cfg.clone();
    c.statements.iter_mut().for_each(strip);
    c
}

/// Seeds: a few configurations in each form, and the base.
pub fn seeds() -> Vec<Vec<u8>> {
    let texts = [
        BASE,
        super::pipeline::CONF,
        super::pipeline::CONF_B,
        "set system host-name fw2\nset interfaces ge-0/0/1 unit 0 family inet6 address 2001:db8::1/64\ndeactivate system host-name\nset security zones security-zone untrust interfaces ge-0/0/1.0\ndelete system services\n",
        "system {\n    replace: services { ssh; }\n    /* note */\n    inactive: host-name x;\n}\n",
        "protect: system { host-name \"quoted name\"; }\nsecurity { policies { default-policy { permit-all; } } }\n",
        "groups { <*> { interfaces { <ge-*> { mtu 1500; } } } }\napply-groups <*>;\n",
    ];
    let mut out = Vec::new();
    for (i, t) in texts.iter().enumerate() {
        let mut v = vec![if i == 3 { 3 } else { i as u8 & 7 }];
        v.extend_from_slice(t.as_bytes());
        out.push(v);
    }
    out
}
