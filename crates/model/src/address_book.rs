// SPDX-License-Identifier: Apache-2.0
//! Address books: the global book, named books attached to zones, and
//! zone-level books (`security zones security-zone X address-book`).
//!
//! A policy from zone A to zone B looks source addresses up in the books of
//! A (its zone book, books attached to A, then the global book) and
//! destination addresses in those of B; global policies use the global book.
//! `any`, `any-ipv4` and `any-ipv6` always resolve.

use std::collections::HashSet;

use xpf_config::Statement;

use crate::check::{find_cycle, undefined, Checks, Path};
use crate::index::NameIndex;
use crate::prefix::{AddressRange, Prefix};
use crate::read::{arg, child, kids, text, value, values_of};
use crate::Model;

/// Address names that need no definition.
pub const ANY_ADDRESSES: &[&str] = &["any", "any-ipv4", "any-ipv6"];

/// One address book.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AddressBook {
    /// `global`, a named book's name, or the zone's name for a zone book.
    pub name: String,
    /// `attach zone` (named books only).
    pub attach_zones: Vec<String>,
    /// `address` entries.
    pub addresses: Vec<Address>,
    /// `address-set` entries.
    pub address_sets: Vec<AddressSet>,
    /// Lookup index over `addresses`.
    pub(crate) address_index: NameIndex,
    /// Lookup index over `address_sets`.
    pub(crate) set_index: NameIndex,
}

/// One `address`.
#[derive(Debug, Clone, PartialEq)]
pub struct Address {
    /// Its name.
    pub name: String,
    /// `description`.
    pub description: Option<String>,
    /// What it stands for.
    pub value: AddressValue,
}

/// The value of an `address`.
#[derive(Debug, Clone, PartialEq)]
pub enum AddressValue {
    /// `address a 10.0.0.0/8`.
    Prefix(Prefix),
    /// `range-address 10.0.0.1 to 10.0.0.9`.
    Range(AddressRange),
    /// `dns-name www.example.net`, resolved at run time.
    DnsName(String),
    /// `wildcard-address 10.0.0.1/255.0.255.255`, as written.
    Wildcard(String),
}

/// One `address-set`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AddressSet {
    /// Its name.
    pub name: String,
    /// `description`.
    pub description: Option<String>,
    /// `address` members (names in the same book).
    pub addresses: Vec<String>,
    /// `address-set` members (nested sets in the same book).
    pub address_sets: Vec<String>,
}

/// The global and named address books (zone books live in their zone).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AddressBooks {
    /// `security address-book global`.
    pub global: AddressBook,
    /// Other `security address-book <name>` books.
    pub named: Vec<AddressBook>,
}

/// What an address name resolves to.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AddressEntry<'a> {
    /// An `address`.
    Address(&'a Address),
    /// An `address-set`, with the book holding it (where its members are).
    Set(&'a AddressSet, &'a AddressBook),
}

/// Where an address name is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressScope<'a> {
    /// The global book only (global policies, NAT).
    Global,
    /// A zone's books: its zone book, books attached to it, the global book.
    Zone(&'a str),
}

impl AddressBook {
    /// The address or address-set with this name.
    pub fn entry(&self, name: &str) -> Option<AddressEntry<'_>> {
        if let Some(a) = self.address(name) {
            return Some(AddressEntry::Address(a));
        }
        self.address_set(name).map(|s| AddressEntry::Set(s, self))
    }

    /// The `address` entry with this name.
    pub fn address(&self, name: &str) -> Option<&Address> {
        self.address_index.find(&self.addresses, |a| &a.name, name)
    }

    /// The `address-set` entry with this name.
    pub fn address_set(&self, name: &str) -> Option<&AddressSet> {
        self.set_index.find(&self.address_sets, |s| &s.name, name)
    }

    /// The values `name` stands for in this book, sets flattened.
    fn expand(&self, name: &str, seen: &mut HashSet<String>, out: &mut Vec<AddressValue>) {
        if !seen.insert(name.to_string()) {
            return;
        }
        match self.entry(name) {
            Some(AddressEntry::Address(a)) => out.push(a.value.clone()),
            Some(AddressEntry::Set(s, _)) => {
                for m in s.addresses.iter().chain(&s.address_sets) {
                    self.expand(m, seen, out);
                }
            }
            None => {}
        }
    }
}

impl Model {
    /// The books searched for a scope, in lookup order.
    pub fn address_books_for(&self, scope: AddressScope<'_>) -> Vec<&AddressBook> {
        let mut books = Vec::new();
        if let AddressScope::Zone(z) = scope {
            if let Some(zone) = self.zone(z) {
                books.push(&zone.address_book);
            }
            books.extend(
                self.address_books
                    .named
                    .iter()
                    .filter(|b| b.attach_zones.iter().any(|a| a == z)),
            );
        }
        books.push(&self.address_books.global);
        books
    }

    /// Resolves an address name in a scope (`any` and friends are not
    /// entries: see [`ANY_ADDRESSES`]).
    pub fn resolve_address(&self, scope: AddressScope<'_>, name: &str) -> Option<AddressEntry<'_>> {
        self.address_books_for(scope)
            .into_iter()
            .find_map(|b| b.entry(name))
    }

    /// The address values a name stands for, address-sets flattened; `any`
    /// is `0.0.0.0/0` and `::/0`. `None` when the name is not defined.
    pub fn expand_address(&self, scope: AddressScope<'_>, name: &str) -> Option<Vec<AddressValue>> {
        let v4 = AddressValue::Prefix(Prefix::host(std::net::Ipv4Addr::UNSPECIFIED.into()));
        let v6 = AddressValue::Prefix(Prefix::host(std::net::Ipv6Addr::UNSPECIFIED.into()));
        let zero = |v: AddressValue| match v {
            AddressValue::Prefix(p) => AddressValue::Prefix(Prefix { len: 0, ..p }),
            other => other,
        };
        match name {
            "any" => return Some(vec![zero(v4), zero(v6)]),
            "any-ipv4" => return Some(vec![zero(v4)]),
            "any-ipv6" => return Some(vec![zero(v6)]),
            _ => {}
        }
        let book = self
            .address_books_for(scope)
            .into_iter()
            .find(|b| b.entry(name).is_some())?;
        let mut out = Vec::new();
        book.expand(name, &mut HashSet::new(), &mut out);
        Some(out)
    }
}

impl Model {
    /// Every address book: global, named, then each zone's.
    pub fn all_address_books(&self) -> impl Iterator<Item = &AddressBook> {
        std::iter::once(&self.address_books.global)
            .chain(&self.address_books.named)
            .chain(self.zones.iter().map(|z| &z.address_book))
    }

    /// Whether an address name is in any address book (NAT names addresses
    /// without a zone context).
    pub fn address_defined(&self, name: &str) -> bool {
        self.all_address_books().any(|b| b.entry(name).is_some())
    }

    /// The values of an address name found in any book (the first holding
    /// it, in [`Model::all_address_books`] order), sets flattened.
    pub fn expand_address_anywhere(&self, name: &str) -> Option<Vec<AddressValue>> {
        let book = self.all_address_books().find(|b| b.entry(name).is_some())?;
        let mut out = Vec::new();
        book.expand(name, &mut HashSet::new(), &mut out);
        Some(out)
    }
}

/// Reads the `address-book` statements of `security` (`st`); `zones` are
/// the configured zone names.
pub(crate) fn build_books(st: &Statement, zones: &[String], ck: &mut Checks) -> AddressBooks {
    let security = Path::of(&["security"]);
    // Each book with the path of its parent: `address-book { global { } }`
    // and `address-book global { }` are both accepted.
    let mut found: Vec<(&Statement, Path, String)> = Vec::new();
    for ab in kids(st, "address-book") {
        if let Some(w) = ab.words.get(1) {
            found.push((ab, security.clone(), w.text.clone()));
        } else {
            let p = security.join(ab);
            for b in ab.kids() {
                found.push((b, p.clone(), b.keyword().to_string()));
            }
        }
    }
    let mut books = AddressBooks::default();
    // zone -> the book it was first attached to, to refuse a second.
    let mut attached: Vec<(String, String)> = Vec::new();
    for (b, path, name) in found {
        let bp = path.join(b);
        let mut book = build_book(b, name.clone(), &bp, ck);
        if let Some(at) = child(b, "attach") {
            let ap = bp.join(at);
            for w in values_of(at, "zone") {
                let holder = kids(at, "zone")
                    .find(|z| {
                        z.words
                            .iter()
                            .chain(z.list.iter().flatten())
                            .any(|x| std::ptr::eq(x, w))
                    })
                    .unwrap_or(at);
                if name == "global" {
                    ck.error_word(
                        &ap,
                        holder,
                        w,
                        "the global address book cannot be attached to a zone",
                    );
                } else if !zones.contains(&w.text) {
                    ck.error_word(&ap, holder, w, undefined("zone", &w.text));
                } else if let Some((_, other)) = attached.iter().find(|(z, _)| *z == w.text) {
                    ck.error_word(
                        &ap,
                        holder,
                        w,
                        format!(
                            "zone '{}' is attached to address-book '{other}' and address-book '{name}'",
                            w.text
                        ),
                    );
                } else {
                    attached.push((w.text.clone(), name.clone()));
                }
                book.attach_zones.push(w.text.clone());
            }
        }
        if name == "global" {
            books.global = book;
        } else {
            books.named.push(book);
        }
    }
    books.global.name = "global".to_string();
    books
}

/// Reads the `address` and `address-set` entries of a book block, checking
/// names, members and nesting.
pub(crate) fn build_book(
    st: &Statement,
    name: String,
    path: &Path,
    ck: &mut Checks,
) -> AddressBook {
    let mut book = AddressBook {
        name,
        ..AddressBook::default()
    };
    for a in kids(st, "address") {
        if let Some(addr) = address(a, path, ck) {
            book.addresses.push(addr);
        }
    }
    for s in kids(st, "address-set") {
        let Some(w) = s.words.get(1) else { continue };
        let names = |kw: &str| -> Vec<String> {
            kids(s, kw)
                .filter_map(|m| arg(m).map(|w| w.text.clone()))
                .collect()
        };
        book.address_sets.push(AddressSet {
            name: w.text.clone(),
            description: text(value(s, "description")),
            addresses: names("address"),
            address_sets: names("address-set"),
        });
    }
    // Meaning checks, now that the whole book is known.
    for s in kids(st, "address-set") {
        let Some(w) = s.words.get(1) else { continue };
        if book.address(&w.text).is_some() {
            ck.error(
                path,
                s,
                format!(
                    "address '{0}' and address-set '{0}' have the same name",
                    w.text
                ),
            );
        }
        let sp = path.join(s);
        for m in kids(s, "address") {
            if let Some(mw) = arg(m) {
                if book.address(&mw.text).is_none() {
                    ck.error_word(&sp, m, mw, undefined("address", &mw.text));
                }
            }
        }
        for m in kids(s, "address-set") {
            if let Some(mw) = arg(m) {
                if book.address_set(&mw.text).is_none() {
                    ck.error_word(&sp, m, mw, undefined("address-set", &mw.text));
                }
            }
        }
    }
    let mut in_cycle: HashSet<String> = HashSet::new();
    for s in kids(st, "address-set") {
        let Some(w) = s.words.get(1) else { continue };
        if in_cycle.contains(&w.text) {
            continue;
        }
        let edges = |n: &str| -> Vec<&str> {
            book.address_sets
                .iter()
                .find(|x| x.name == n)
                .map(|x| x.address_sets.iter().map(String::as_str).collect())
                .unwrap_or_default()
        };
        if let Some(chain) = find_cycle(&w.text, edges) {
            ck.error(
                path,
                s,
                format!(
                    "address-set '{}' contains itself ({})",
                    w.text,
                    chain.join(" -> ")
                ),
            );
            in_cycle.extend(chain);
        }
    }
    book
}

/// Reads one `address`.
fn address(st: &Statement, path: &Path, ck: &mut Checks) -> Option<Address> {
    let name = st.words.get(1)?.text.clone();
    let description = text(value(st, "description"));
    let ap = path.join(st);
    let value = if let Some(w) = st.words.get(2) {
        match Prefix::parse(&w.text) {
            Some(p) => Some(AddressValue::Prefix(p)),
            None => {
                ck.error_word(path, st, w, format!("invalid prefix: '{}'", w.text));
                return None;
            }
        }
    } else if let Some(r) = child(st, "range-address") {
        let (Some(lo), Some(hi)) = (r.words.get(1), value(r, "to")) else {
            ck.missing(&ap, r, "to");
            return None;
        };
        let parsed = lo
            .text
            .parse()
            .ok()
            .zip(hi.text.parse().ok())
            .and_then(|(l, h)| AddressRange::new(l, h));
        match parsed {
            Some(range) => Some(AddressValue::Range(range)),
            None => {
                ck.error(
                    &ap,
                    r,
                    format!("invalid address range: {} to {}", lo.text, hi.text),
                );
                return None;
            }
        }
    } else if let Some(d) = value(st, "dns-name") {
        Some(AddressValue::DnsName(d.text.clone()))
    } else if let Some(d) = value(st, "wildcard-address") {
        Some(AddressValue::Wildcard(d.text.clone()))
    } else {
        // `address a { 10.0.0.0/8; }`: the prefix as a value-only child.
        st.kids()
            .iter()
            .filter(|c| c.words.len() == 1)
            .find_map(|c| Prefix::parse(c.keyword()))
            .map(AddressValue::Prefix)
    };
    let Some(value) = value else {
        ck.error(
            path,
            st,
            "address needs a prefix, range-address, dns-name or wildcard-address",
        );
        return None;
    };
    Some(Address {
        name,
        description,
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::{build_text, errors_of};

    const BOOKS: &str = r#"
interfaces { ge-0/0/0 { unit 0; } ge-0/0/1 { unit 0; } }
security {
    address-book {
        global {
            address web 192.0.2.10/32;
            address lan { description "inside"; 10.0.0.0/8; }
            address pool { range-address 10.1.0.1 to 10.1.0.9; }
            address cdn { dns-name cdn.example.net; }
            address odd { wildcard-address 10.0.0.1/255.0.255.255; }
            address-set servers { address web; address-set more; }
            address-set more { address pool; }
        }
        dmz-book {
            address mail 198.51.100.25/32;
            attach { zone dmz; }
        }
    }
    zones {
        security-zone trust { interfaces { ge-0/0/0.0; } address-book { address printer 10.9.9.9/32; } }
        security-zone dmz { interfaces { ge-0/0/1.0; } }
    }
}
"#;

    #[test]
    fn books_and_entries_are_typed() {
        let m = build_text(BOOKS);
        let g = &m.address_books.global;
        assert_eq!(g.addresses.len(), 5);
        assert_eq!(g.addresses[1].description.as_deref(), Some("inside"));
        assert_eq!(
            g.addresses[1].value,
            AddressValue::Prefix(Prefix::parse("10.0.0.0/8").expect("prefix"))
        );
        assert!(
            matches!(g.addresses[2].value, AddressValue::Range(r) if r.high.to_string() == "10.1.0.9")
        );
        assert_eq!(
            g.addresses[3].value,
            AddressValue::DnsName("cdn.example.net".into())
        );
        assert_eq!(
            g.addresses[4].value,
            AddressValue::Wildcard("10.0.0.1/255.0.255.255".into())
        );
        assert_eq!(g.address_sets[0].addresses, ["web"]);
        assert_eq!(g.address_sets[0].address_sets, ["more"]);
        assert_eq!(m.address_books.named[0].attach_zones, ["dmz"]);
    }

    #[test]
    fn names_resolve_per_zone() {
        let m = build_text(BOOKS);
        assert!(m
            .resolve_address(AddressScope::Zone("trust"), "printer")
            .is_some());
        assert!(m
            .resolve_address(AddressScope::Zone("trust"), "web")
            .is_some());
        assert!(m
            .resolve_address(AddressScope::Zone("trust"), "mail")
            .is_none());
        assert!(m
            .resolve_address(AddressScope::Zone("dmz"), "mail")
            .is_some());
        assert!(m.resolve_address(AddressScope::Global, "printer").is_none());
        let all = m
            .expand_address(AddressScope::Global, "servers")
            .expect("servers");
        assert_eq!(all.len(), 2);
        assert_eq!(
            m.expand_address(AddressScope::Global, "any")
                .map(|v| v.len()),
            Some(2)
        );
        assert!(m.expand_address(AddressScope::Global, "nope").is_none());
    }

    #[test]
    fn set_members_must_exist_and_names_be_unique() {
        let e = errors_of(
            "security {\n address-book {\n  global {\n   address a 10.0.0.1/32;\n   address-set a { address a; }\n   address-set s { address ghost; address-set phantom; }\n  }\n }\n}\n",
        );
        let msgs: Vec<&str> = e.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "address 'a' and address-set 'a' have the same name",
                "address 'ghost' is not defined",
                "address-set 'phantom' is not defined"
            ]
        );
        assert_eq!(e[0].path, ["security", "address-book", "global"]);
        assert_eq!(e[0].span.map(|s| s.line), Some(5));
        assert_eq!(
            e[1].path,
            ["security", "address-book", "global", "address-set s"]
        );
        assert_eq!(e[1].statement.as_deref(), Some("address ghost"));
        assert_eq!(e[1].span.map(|s| s.line), Some(6));
    }

    #[test]
    fn nested_sets_must_not_loop() {
        let e = errors_of(
            "security { address-book { global {\n address h 10.0.0.1/32;\n address-set x { address h; address-set y; }\n address-set y { address-set z; }\n address-set z { address-set x; }\n} } }\n",
        );
        assert_eq!(e.len(), 1, "{e:?}");
        assert_eq!(e[0].statement.as_deref(), Some("address-set x"));
        assert_eq!(
            e[0].message,
            "address-set 'x' contains itself (x -> y -> z -> x)"
        );
        assert_eq!(e[0].span.map(|s| s.line), Some(3));
    }

    #[test]
    fn attached_zones_must_exist_once() {
        let text = BOOKS.replace(
            "attach { zone dmz; }",
            "attach { zone dmz; zone nowhere; }",
        ) + "security { address-book { other { address x 10.0.0.2/32; attach { zone dmz; } } } }\n";
        let e = errors_of(&text);
        let msgs: Vec<&str> = e.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(
            msgs,
            [
                "zone 'nowhere' is not defined",
                "zone 'dmz' is attached to address-book 'dmz-book' and address-book 'other'"
            ]
        );
        assert_eq!(
            e[0].path,
            ["security", "address-book", "dmz-book", "attach"]
        );
        assert_eq!(e[0].statement.as_deref(), Some("zone nowhere"));
    }
}
