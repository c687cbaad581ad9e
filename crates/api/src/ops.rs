// SPDX-License-Identifier: Apache-2.0
//! The operational command tree, shared by the CLI (abbreviations, TAB,
//! `?`) and xpfd (dispatch). Help texts follow Junos'.

/// What follows a command word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg {
    /// Nothing: the word ends the command or has sub-words.
    None,
    /// One free value (`<interface-name>`, `<host>`), with its placeholder.
    Value(&'static str),
    /// Any number of free words (a configuration path).
    Rest(&'static str),
}

/// One word of an operational command.
#[derive(Debug)]
pub struct OpNode {
    /// The keyword.
    pub word: &'static str,
    /// One-line help.
    pub help: &'static str,
    /// Sub-commands and options.
    pub children: &'static [OpNode],
    /// A value that may follow.
    pub arg: Arg,
    /// Whether the command may end here.
    pub runnable: bool,
}

const fn leaf(word: &'static str, help: &'static str) -> OpNode {
    OpNode {
        word,
        help,
        children: &[],
        arg: Arg::None,
        runnable: true,
    }
}

const fn node(word: &'static str, help: &'static str, children: &'static [OpNode]) -> OpNode {
    OpNode {
        word,
        help,
        children,
        arg: Arg::None,
        runnable: false,
    }
}

const fn opt(
    word: &'static str,
    help: &'static str,
    children: &'static [OpNode],
    arg: Arg,
) -> OpNode {
    OpNode {
        word,
        help,
        children,
        arg,
        runnable: true,
    }
}

const SESSION_VIEWS: &[OpNode] = &[
    leaf("brief", "Display brief output (default)"),
    leaf("extensive", "Display extensive output"),
    leaf("summary", "Display output summary"),
];

const NAT_VIEWS: &[OpNode] = &[
    leaf("summary", "Show summary information"),
    opt(
        "rule",
        "Show rule information",
        &[],
        Arg::Value("<rule-name|all>"),
    ),
    opt(
        "pool",
        "Show pool information",
        &[],
        Arg::Value("<pool-name|all>"),
    ),
];

const SHOW: &[OpNode] = &[
    opt(
        "configuration",
        "Show current configuration",
        &[],
        Arg::Rest("<statement-path>"),
    ),
    opt(
        "interfaces",
        "Show interface information",
        &[
            leaf("terse", "Display terse output"),
            leaf("detail", "Display detailed output"),
        ],
        Arg::Value("<interface-name>"),
    ),
    opt(
        "log",
        "Show contents of log file",
        &[],
        Arg::Value("<filename>"),
    ),
    opt(
        "route",
        "Show routing table information",
        &[],
        Arg::Value("<destination-prefix>"),
    ),
    node(
        "security",
        "Show security information",
        &[
            node(
                "flow",
                "Show flow information",
                &[opt(
                    "session",
                    "Show session information",
                    SESSION_VIEWS,
                    Arg::None,
                )],
            ),
            node(
                "nat",
                "Show Network Address Translation information",
                &[
                    node("destination", "Show destination NAT information", NAT_VIEWS),
                    node("source", "Show source NAT information", NAT_VIEWS),
                    node("static", "Show static NAT information", NAT_VIEWS),
                ],
            ),
            opt(
                "policies",
                "Show security firewall policies",
                &[leaf("hit-count", "Show policies hit count")],
                Arg::None,
            ),
            opt(
                "zones",
                "Show security zone information",
                &[],
                Arg::Value("<zone-name>"),
            ),
        ],
    ),
    node(
        "system",
        "Show system information",
        &[
            leaf("commit", "Show pending commit and commit history"),
            leaf(
                "dataplane",
                "Show which dataplane forwards on each interface",
            ),
            leaf("uptime", "Show time since system and processes started"),
        ],
    ),
    leaf("version", "Show software process revision levels"),
];

/// The operational command tree.
pub const OPERATIONAL: &[OpNode] = &[
    node(
        "clear",
        "Clear information in the system",
        &[node(
            "security",
            "Clear security information",
            &[node(
                "flow",
                "Clear flow information",
                &[leaf("session", "Clear session")],
            )],
        )],
    ),
    opt(
        "configure",
        "Manipulate software configuration information",
        &[leaf(
            "exclusive",
            "Obtain exclusive lock (other users cannot make changes)",
        )],
        Arg::None,
    ),
    leaf("exit", "Exit the management session"),
    leaf("file", "Perform file operations"),
    opt("ping", "Ping remote target", &[], Arg::Value("<host>")),
    leaf("quit", "Exit the management session"),
    node(
        "request",
        "Make system-level requests",
        &[node(
            "system",
            "System operations",
            &[
                leaf("halt", "Halt the system"),
                leaf("reboot", "Reboot the system"),
            ],
        )],
    ),
    node("show", "Show system information", SHOW),
    node(
        "start",
        "Start shell",
        &[opt(
            "shell",
            "Start shell",
            &[
                leaf("bash", "Start GNU Bourne-Again shell"),
                leaf("sh", "Start Bourne shell"),
            ],
            Arg::None,
        )],
    ),
    opt(
        "traceroute",
        "Trace route to remote host",
        &[],
        Arg::Value("<host>"),
    ),
];

/// Finds the child of `nodes` that `word` names: exactly, or as the only
/// word it is a prefix of. `Err` lists the candidates when it is ambiguous.
pub fn lookup<'a>(nodes: &'a [OpNode], word: &str) -> Result<Option<&'a OpNode>, Vec<&'a OpNode>> {
    if let Some(n) = nodes.iter().find(|n| n.word == word) {
        return Ok(Some(n));
    }
    let matches: Vec<&OpNode> = nodes.iter().filter(|n| n.word.starts_with(word)).collect();
    match matches.len() {
        0 => Ok(None),
        1 => Ok(Some(matches[0])),
        _ => Err(matches),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviations_resolve_uniquely() {
        let show = lookup(OPERATIONAL, "sh").unwrap().unwrap();
        assert_eq!(show.word, "show");
        let int = lookup(show.children, "int").unwrap().unwrap();
        assert_eq!(int.word, "interfaces");
        assert_eq!(lookup(int.children, "te").unwrap().unwrap().word, "terse");
        assert!(lookup(OPERATIONAL, "bogus").unwrap().is_none());
        // "s" could be "show"... only one op word starts with s.
        assert!(lookup(SHOW, "s").is_err(), "security and system");
    }
}
