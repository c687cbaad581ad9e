// SPDX-License-Identifier: Apache-2.0
//! Property tests over the parser and loader: no input makes them panic, and
//! whatever loads prints back to text that loads to the same configuration.

use proptest::prelude::*;
use xpf_config::{parse, parse_config, print_curly, print_set};

/// Fragments that steer random text toward Junos-looking input.
fn junosish() -> impl Strategy<Value = String> {
    let atoms = prop::sample::select(vec![
        "set ",
        "delete ",
        "deactivate ",
        "activate ",
        "protect ",
        "system ",
        "host-name ",
        "interfaces ",
        "ge-0/0/0 ",
        "unit ",
        "0 ",
        "family ",
        "inet ",
        "address ",
        "10.0.0.1/24 ",
        "security ",
        "policies ",
        "from-zone ",
        "to-zone ",
        "policy ",
        "match ",
        "source-address ",
        "[ ",
        "] ",
        "{ ",
        "} ",
        "; ",
        "\n",
        "\"q s\" ",
        "/* c */ ",
        "# c\n",
        "inactive: ",
        "replace: ",
        "groups ",
        "apply-groups ",
        "<*> ",
        "snmp ",
        "location ",
        "x ",
        "\\",
        "\"",
        "/*",
        "mtu ",
        "1500 ",
        "9999999999 ",
    ]);
    prop::collection::vec(atoms, 0..40).prop_map(|v| v.concat())
}

/// 3000 cases in CI (about a second); `PROPTEST_CASES=N` for a longer hunt.
fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(s in "\\PC{0,200}") {
        let _ = parse(&s);
        let _ = parse_config(&s);
    }

    #[test]
    fn junos_like_text_never_panics_and_round_trips(s in junosish()) {
        if let Ok(cfg) = parse_config(&s) {
            let curly = print_curly(&cfg);
            let again = parse_config(&curly).map_err(|e| TestCaseError::fail(format!("{e}\n{curly}")))?;
            prop_assert_eq!(print_curly(&again), curly);
            let set = print_set(&cfg);
            let from_set = parse_config(&set).map_err(|e| TestCaseError::fail(format!("{e}\n{set}")))?;
            prop_assert_eq!(print_set(&from_set), set);
        }
    }
}
