// SPDX-License-Identifier: Apache-2.0
//! `| display json`: configuration in Junos' JSON layout.
//!
//! Containers are objects; keyed entries (`unit 0`, `policy p1`,
//! `security-zone trust`) are arrays of objects whose `name` holds the key;
//! a valued leaf is a string, a leaf-list an array of strings, and a
//! presence flag (`disable;`) is `[null]`, as Junos writes them.

use serde_json::{Map, Value};

use crate::ast::{Config, Statement};
use crate::schema::Schema;

/// The configuration as Junos JSON (`{"configuration": {...}}`).
pub fn print_json(cfg: &Config) -> String {
    let mut root = Map::new();
    add_all(&mut root, &cfg.statements);
    let doc = Value::Object(Map::from_iter([(
        "configuration".to_string(),
        Value::Object(root),
    )]));
    serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n"
}

fn add_all(obj: &mut Map<String, Value>, stmts: &[Statement]) {
    for st in stmts {
        add(obj, st);
    }
}

fn add(obj: &mut Map<String, Value>, st: &Statement) {
    let schema = Schema::junos();
    let keyed = st.node.is_some_and(|id| schema.node(id).keyed())
        || (st.node.is_none() && st.words.len() > 1 && st.children.is_some());
    let mut words = st.words.iter().map(|w| w.text.clone());
    let Some(first) = words.next() else { return };
    let rest: Vec<String> = words.collect();
    if let Some(list) = &st.list {
        let values = list.iter().map(|w| Value::String(w.text.clone())).collect();
        obj.insert(first, Value::Array(values));
        return;
    }
    let body = |st: &Statement| -> Map<String, Value> {
        let mut m = Map::new();
        add_all(&mut m, st.kids());
        if st.inactive {
            m.insert(
                "@".into(),
                Value::Object(Map::from_iter([(
                    "inactive".to_string(),
                    Value::Bool(true),
                )])),
            );
        }
        m
    };
    if keyed {
        // Keyless entries (`<interface>`) name themselves; keyword entries
        // are grouped under the keyword.
        let (group, name) = if st
            .node
            .is_some_and(|id| schema.node(id).keyword().is_none())
        {
            (
                "interface".to_string(),
                std::iter::once(first)
                    .chain(rest)
                    .collect::<Vec<_>>()
                    .join(" "),
            )
        } else {
            (first, rest.join(" "))
        };
        let mut entry = Map::from_iter([("name".to_string(), Value::String(name))]);
        entry.extend(body(st));
        match obj.get_mut(&group) {
            Some(Value::Array(a)) => a.push(Value::Object(entry)),
            _ => {
                obj.insert(group, Value::Array(vec![Value::Object(entry)]));
            }
        }
        return;
    }
    let value = match (&st.children, rest.is_empty()) {
        (Some(kids), true) if !kids.is_empty() => Value::Object(body(st)),
        (_, true) => Value::Array(vec![Value::Null]),
        (_, false) => Value::String(rest.join(" ")),
    };
    obj.insert(first, value);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junos_json_layout() {
        let cfg = crate::parse_config(
            "system { host-name fw; } interfaces { ge-0/0/0 { disable; unit 0 { family inet { address 10.0.0.1/24; } } } }\n\
             security { policies { from-zone a to-zone b { policy p { match { source-address [ x y ]; } then { permit; } } } } }",
        )
        .expect("loads");
        let v: Value = serde_json::from_str(&print_json(&cfg)).expect("valid json");
        let c = &v["configuration"];
        assert_eq!(c["system"]["host-name"], "fw");
        assert_eq!(c["interfaces"]["interface"][0]["name"], "ge-0/0/0");
        assert_eq!(
            c["interfaces"]["interface"][0]["disable"],
            Value::Array(vec![Value::Null])
        );
        assert_eq!(c["interfaces"]["interface"][0]["unit"][0]["name"], "0");
        let policy = &c["security"]["policies"]["from-zone"][0];
        assert_eq!(policy["name"], "a to-zone b");
        assert_eq!(policy["policy"][0]["match"]["source-address"][1], "y");
        assert_eq!(
            policy["policy"][0]["then"]["permit"],
            Value::Array(vec![Value::Null])
        );
    }
}
