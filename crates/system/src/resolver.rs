// SPDX-License-Identifier: Apache-2.0
//! `/etc/resolv.conf` from `domain-name`, `domain-search` and
//! `name-server`. The image has no resolver daemon: the file is the
//! resolver's whole configuration.

use crate::Settings;

/// The file's text. With no name server the box resolves nothing, as a
/// Junos box with none configured.
pub fn render(s: &Settings) -> String {
    let mut out =
        String::from("# Written by xpfd from system domain-name, domain-search and name-server.\n");
    if let Some(d) = &s.domain_name {
        out.push_str(&format!("domain {d}\n"));
    }
    // resolv(5): the last of `domain` and `search` wins, so the search
    // list carries the domain first when both are set, as Junos searches.
    let mut search: Vec<&str> = Vec::new();
    if !s.domain_search.is_empty() {
        search.extend(s.domain_name.as_deref());
        search.extend(
            s.domain_search
                .iter()
                .map(String::as_str)
                .filter(|d| Some(*d) != s.domain_name.as_deref()),
        );
        out.push_str(&format!("search {}\n", search.join(" ")));
    }
    for ns in &s.name_servers {
        out.push_str(&format!("nameserver {ns}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_keeps_the_domain_first() {
        let s = Settings {
            domain_name: Some("example.net".into()),
            domain_search: vec!["a.example".into()],
            ..Settings::default()
        };
        assert!(render(&s).contains("domain example.net\nsearch example.net a.example\n"));
        assert_eq!(
            render(&Settings::default()),
            "# Written by xpfd from system domain-name, domain-search and name-server.\n"
        );
    }
}
