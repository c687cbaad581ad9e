// SPDX-License-Identifier: Apache-2.0
//! Name lookups that stay fast on 50,000-entry address books.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Below this many entries a scan is as fast as hashing.
const FROM: usize = 16;

/// A name -> position index over a list, built on the first lookup. It
/// never changes what a lookup returns: if the list grew after it was built
/// it is ignored and the list scanned. Clones start unbuilt; two indexes
/// always compare equal (it is derived data).
#[derive(Default)]
pub struct NameIndex(OnceLock<(usize, HashMap<String, usize>)>);

impl NameIndex {
    /// The first item named `name`.
    pub fn find<'a, T>(
        &self,
        items: &'a [T],
        name_of: impl Fn(&T) -> &str,
        name: &str,
    ) -> Option<&'a T> {
        if items.len() < FROM {
            return items.iter().find(|t| name_of(t) == name);
        }
        let (len, map) = self.0.get_or_init(|| {
            let mut map = HashMap::with_capacity(items.len());
            for (i, t) in items.iter().enumerate() {
                map.entry(name_of(t).to_string()).or_insert(i);
            }
            (items.len(), map)
        });
        if *len != items.len() {
            return items.iter().find(|t| name_of(t) == name);
        }
        map.get(name).map(|&i| &items[i])
    }
}

impl Clone for NameIndex {
    fn clone(&self) -> NameIndex {
        NameIndex::default()
    }
}

impl PartialEq for NameIndex {
    fn eq(&self, _: &NameIndex) -> bool {
        true
    }
}

impl std::fmt::Debug for NameIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NameIndex")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_like_a_scan_and_survives_growth() {
        let mut items: Vec<String> = (0..100).map(|i| format!("n{i}")).collect();
        let idx = NameIndex::default();
        assert_eq!(
            idx.find(&items, |s| s, "n42").map(String::as_str),
            Some("n42")
        );
        items.push("late".into());
        assert_eq!(
            idx.find(&items, |s| s, "late").map(String::as_str),
            Some("late")
        );
        assert_eq!(idx.find(&items, |s| s, "none"), None);
    }
}
