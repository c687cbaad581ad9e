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

/// A session filter word: a value, then more filters or views may follow
/// (`source-prefix 10.0.1.0/24 destination-port 80 summary`).
const fn filter(
    word: &'static str,
    help: &'static str,
    value: &'static str,
    then: &'static [OpNode],
) -> OpNode {
    OpNode {
        word,
        help,
        children: then,
        arg: Arg::Value(value),
        runnable: false,
    }
}

// Statics, not consts: each filter's children are the list it is in.
static SESSION_VIEWS: [OpNode; 11] = [
    filter(
        "application",
        "Application name",
        "<application-name>",
        &SESSION_VIEWS,
    ),
    leaf("brief", "Display brief output (default)"),
    filter(
        "destination-port",
        "Destination port",
        "<port>",
        &SESSION_VIEWS,
    ),
    filter(
        "destination-prefix",
        "Destination IP prefix or address",
        "<prefix>",
        &SESSION_VIEWS,
    ),
    leaf("extensive", "Display extensive output"),
    filter(
        "interface",
        "Name of incoming or outgoing interface",
        "<interface-name>",
        &SESSION_VIEWS,
    ),
    filter(
        "protocol",
        "IP protocol name or number",
        "<protocol>",
        &SESSION_VIEWS,
    ),
    filter(
        "session-identifier",
        "Show session with specified session identifier",
        "<session-identifier>",
        &SESSION_VIEWS,
    ),
    filter("source-port", "Source port", "<port>", &SESSION_VIEWS),
    filter(
        "source-prefix",
        "Source IP prefix or address",
        "<prefix>",
        &SESSION_VIEWS,
    ),
    leaf("summary", "Display output summary"),
];

static CLEAR_FILTERS: [OpNode; 9] = [
    leaf("all", "Clear all sessions"),
    filter(
        "application",
        "Application name",
        "<application-name>",
        &CLEAR_FILTERS,
    ),
    filter(
        "destination-port",
        "Destination port",
        "<port>",
        &CLEAR_FILTERS,
    ),
    filter(
        "destination-prefix",
        "Destination IP prefix or address",
        "<prefix>",
        &CLEAR_FILTERS,
    ),
    filter(
        "interface",
        "Name of incoming or outgoing interface",
        "<interface-name>",
        &CLEAR_FILTERS,
    ),
    filter(
        "protocol",
        "IP protocol name or number",
        "<protocol>",
        &CLEAR_FILTERS,
    ),
    filter(
        "session-identifier",
        "Clear session with specified session identifier",
        "<session-identifier>",
        &CLEAR_FILTERS,
    ),
    filter("source-port", "Source port", "<port>", &CLEAR_FILTERS),
    filter(
        "source-prefix",
        "Source IP prefix or address",
        "<prefix>",
        &CLEAR_FILTERS,
    ),
];

const NAT_VIEWS: &[OpNode] = &[
    opt(
        "pool",
        "Show pool information",
        &[],
        Arg::Value("<pool-name|all>"),
    ),
    opt(
        "rule",
        "Show rule information",
        &[],
        Arg::Value("<rule-name|all>"),
    ),
    leaf("summary", "Show summary information"),
];

const STATIC_NAT_VIEWS: &[OpNode] = &[opt(
    "rule",
    "Show rule information",
    &[],
    Arg::Value("<rule-name|all>"),
)];

// A const may not hold a temporary that points at a static, so every level
// above the session filters is a static too.
static SHOW_SECURITY: [OpNode; 4] = [
    node("flow", "Show flow information", &SHOW_FLOW),
    node(
        "nat",
        "Show Network Address Translation information",
        &[
            node("destination", "Show destination NAT information", NAT_VIEWS),
            node(
                "resource-usage",
                "Show NAT resource usage",
                &[opt(
                    "source-pool",
                    "Show ports in use per source pool address",
                    &[],
                    Arg::Value("<pool-name|all>"),
                )],
            ),
            node("source", "Show source NAT information", NAT_VIEWS),
            node("static", "Show static NAT information", STATIC_NAT_VIEWS),
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
];

static SHOW_FLOW: [OpNode; 1] = [opt(
    "session",
    "Show session information",
    &SESSION_VIEWS,
    Arg::None,
)];

static CLEAR: [OpNode; 1] = [node(
    "security",
    "Clear security information",
    &CLEAR_SECURITY,
)];

static CLEAR_SECURITY: [OpNode; 1] = [node("flow", "Clear flow information", &CLEAR_FLOW)];

static CLEAR_FLOW: [OpNode; 1] = [opt("session", "Clear session", &CLEAR_FILTERS, Arg::None)];

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
    node("security", "Show security information", &SHOW_SECURITY),
    node(
        "system",
        "Show system information",
        &[
            leaf("commit", "Show pending commit and commit history"),
            leaf(
                "dataplane",
                "Show which dataplane forwards on each interface",
            ),
            leaf(
                "software",
                "Show the A/B slots, boot entries and the last update",
            ),
            leaf("uptime", "Show time since system and processes started"),
        ],
    ),
    leaf("version", "Show software process revision levels"),
];

/// The operational command tree.
pub const OPERATIONAL: &[OpNode] = &[
    node("clear", "Clear information in the system", &CLEAR),
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
                node(
                    "install",
                    "Install the running system on another disk",
                    &[opt(
                        "disk",
                        "Erase this disk and install on it (with the committed configuration)",
                        &[],
                        Arg::Value("<device>"),
                    )],
                ),
                leaf("reboot", "Reboot the system"),
                node(
                    "software",
                    "Perform system software extension or upgrade",
                    &[
                        opt(
                            "add",
                            "Install a signed release in the other slot",
                            &[
                                leaf("no-validate", "Do not check the configuration against it"),
                                leaf("reboot", "Reboot after installing"),
                            ],
                            Arg::Value("<package-name>"),
                        ),
                        opt(
                            "rollback",
                            "Boot the other slot's version next",
                            &[leaf("reboot", "Reboot after rolling back")],
                            Arg::None,
                        ),
                    ],
                ),
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

    #[test]
    fn session_filters_chain() {
        let dport = lookup(&SESSION_VIEWS, "destination-po").unwrap().unwrap();
        assert_eq!(dport.arg, Arg::Value("<port>"));
        assert!(!dport.runnable, "a filter needs its value");
        let again = lookup(dport.children, "source-pr").unwrap().unwrap();
        assert_eq!(again.word, "source-prefix");
        assert!(lookup(again.children, "sum").unwrap().is_some());
        assert!(lookup(&CLEAR_FILTERS, "summary").unwrap().is_none());
    }
}
