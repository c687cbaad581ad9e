// SPDX-License-Identifier: Apache-2.0
//! Reading values out of statements, whichever way Junos lets them be
//! written.
//!
//! Junos shows one value several ways: `pool p1;` or `pool { p1; }`,
//! `range-address 10.0.0.1 to 10.0.0.9` or `range-address 10.0.0.1 { to { 10.0.0.9; } }`,
//! `source-address [ a b ]` or `source-address a`. These helpers accept all
//! of them so the modules read meaning, not layout.

use std::str::FromStr;

use xpf_config::{Statement, Word};

use crate::check::{Checks, Path};

/// The children of `st` whose keyword is `kw`.
pub(crate) fn kids<'a>(st: &'a Statement, kw: &'a str) -> impl Iterator<Item = &'a Statement> {
    st.kids().iter().filter(move |c| c.keyword() == kw)
}

/// The first child of `st` whose keyword is `kw`.
pub(crate) fn child<'a>(st: &'a Statement, kw: &str) -> Option<&'a Statement> {
    st.kids().iter().find(|c| c.keyword() == kw)
}

/// Whether `kw` is set in `st`: as a child, or as a word after the first.
pub(crate) fn flag(st: &Statement, kw: &str) -> bool {
    child(st, kw).is_some() || st.words.iter().skip(1).any(|w| w.text == kw)
}

/// The first value of a statement: `p1` in `pool p1;`, `pool { p1; }` or
/// `pool [ p1 ];`.
pub(crate) fn arg(st: &Statement) -> Option<&Word> {
    st.words
        .get(1)
        .or_else(|| st.list.as_ref().and_then(|l| l.first()))
        .or_else(|| {
            st.kids()
                .first()
                .filter(|c| c.children.is_none())
                .and_then(|c| c.words.first())
        })
}

/// Every value of a statement: words after the keyword, list values, and
/// value-only children (`name-server { 8.8.8.8; 1.1.1.1; }`).
pub(crate) fn args(st: &Statement) -> Vec<&Word> {
    let mut out: Vec<&Word> = st.words.iter().skip(1).collect();
    out.extend(st.list.iter().flatten());
    out.extend(
        st.kids()
            .iter()
            .filter(|c| c.words.len() == 1 && c.list.is_none())
            .filter_map(|c| c.words.first()),
    );
    out
}

/// The value of `kw` inside `st`: the word after `kw` in `st`'s own words
/// (`to-zone` of `from-zone a to-zone b`), or the first value of its child
/// `kw`.
pub(crate) fn value<'a>(st: &'a Statement, kw: &str) -> Option<&'a Word> {
    let in_words = st
        .words
        .iter()
        .position(|w| w.text == kw)
        .and_then(|i| st.words.get(i + 1));
    in_words.or_else(|| child(st, kw).and_then(arg))
}

/// Every value of `kw` inside `st`: the words after `kw` when written
/// inline (`from zone trust`), or the values of each child `kw`
/// (`from { zone [ trust dmz ]; }`).
pub(crate) fn values_of<'a>(st: &'a Statement, kw: &'a str) -> Vec<&'a Word> {
    let inline = st.words.iter().skip(1).position(|w| w.text == kw);
    let mut out: Vec<&Word> = match inline {
        Some(i) => st
            .words
            .iter()
            .skip(i + 2)
            .chain(st.list.iter().flatten())
            .collect(),
        None => Vec::new(),
    };
    for c in kids(st, kw) {
        out.extend(args(c));
    }
    out
}

/// The statement holding `kw`'s value (for its span and text): the child
/// `kw`, or `st` itself when written inline.
pub(crate) fn holder<'a>(st: &'a Statement, kw: &str) -> &'a Statement {
    child(st, kw).unwrap_or(st)
}

/// All words of a subtree in order: `port { range { 2000; to { 3000; } } }`
/// and `port range 2000 to 3000` both read `port range 2000 to 3000`.
pub(crate) fn flat(st: &Statement) -> Vec<&Word> {
    let mut out = Vec::new();
    flat_into(st, &mut out);
    out
}

fn flat_into<'a>(st: &'a Statement, out: &mut Vec<&'a Word>) {
    out.extend(st.words.iter());
    out.extend(st.list.iter().flatten());
    for c in st.kids() {
        flat_into(c, out);
    }
}

/// The text of a word, owned.
pub(crate) fn text(w: Option<&Word>) -> Option<String> {
    w.map(|w| w.text.clone())
}

/// A number in `w`, or an error at the word.
pub(crate) fn number<T: FromStr>(
    ck: &mut Checks,
    path: &Path,
    st: &Statement,
    w: &Word,
) -> Option<T> {
    match w.text.parse::<T>() {
        Ok(n) => Some(n),
        Err(_) => {
            ck.error_word(path, st, w, format!("invalid numeric value: '{}'", w.text));
            None
        }
    }
}

/// The number that is the value of `kw` in `st`, if set.
pub(crate) fn number_of<T: FromStr>(
    ck: &mut Checks,
    path: &Path,
    st: &Statement,
    kw: &str,
) -> Option<T> {
    let w = value(st, kw)?;
    number(ck, path, holder(st, kw), w)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stmt(text: &str) -> Statement {
        match xpf_config::parse(text) {
            Ok(items) => match items.into_iter().next() {
                Some(xpf_config::Item::Statement(s)) => s,
                other => panic!("not a statement: {other:?}"),
            },
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn one_value_many_layouts() {
        for t in ["pool p1;", "pool { p1; }", "pool [ p1 ];"] {
            assert_eq!(text(arg(&stmt(t))).as_deref(), Some("p1"), "{t}");
        }
        let a = stmt("range-address 10.0.0.1 to 10.0.0.9;");
        let b = stmt("range-address 10.0.0.1 { to { 10.0.0.9; } }");
        let c = stmt("range-address 10.0.0.1 { to 10.0.0.9; }");
        for s in [&a, &b, &c] {
            assert_eq!(text(value(s, "to")).as_deref(), Some("10.0.0.9"));
        }
        let port = stmt("port { range { 2000; to { 3000; } } }");
        let f: Vec<&str> = flat(&port).iter().map(|w| w.text.as_str()).collect();
        assert_eq!(f, ["port", "range", "2000", "to", "3000"]);
    }

    #[test]
    fn values_lists_and_flags() {
        let s = stmt("name-server { 8.8.8.8; 1.1.1.1; }");
        let v: Vec<&str> = args(&s).iter().map(|w| w.text.as_str()).collect();
        assert_eq!(v, ["8.8.8.8", "1.1.1.1"]);
        for t in [
            "from zone [ trust dmz ];",
            "from { zone [ trust dmz ]; }",
            "from { zone trust; zone dmz; }",
        ] {
            let from = stmt(t);
            let z: Vec<&str> = values_of(&from, "zone")
                .iter()
                .map(|w| w.text.as_str())
                .collect();
            assert_eq!(z, ["trust", "dmz"], "{t}");
        }
        let t = stmt("term t1 protocol tcp destination-port 80;");
        assert_eq!(text(value(&t, "protocol")).as_deref(), Some("tcp"));
        assert!(flag(&stmt("then { permit; }"), "permit"));
        let mut ck = Checks::default();
        let m = stmt("x { mtu abc; }");
        assert_eq!(number_of::<u32>(&mut ck, &Path::default(), &m, "mtu"), None);
        assert!(!ck.is_empty());
    }
}
