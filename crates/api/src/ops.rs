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

/// Every operational command, each named once in [`OPERATIONAL`]: the
/// node that carries it, and the options and values below that node, make
/// the command. Who runs it is [`Op::runs_in`]; xpfd's dispatch matches on
/// it exhaustively, so a command word with no handler does not build, and
/// a test fails when an `Op` has no word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// `clear security flow session [filters|all]`
    ClearSecurityFlowSession,
    /// `configure [exclusive]`
    Configure,
    /// `exit`
    Exit,
    /// `file ...`
    File,
    /// `ping <host> [count N]`
    Ping,
    /// `quit`
    Quit,
    /// `request system halt`
    RequestSystemHalt,
    /// `request system install disk <device>`
    RequestSystemInstallDisk,
    /// `request system reboot`
    RequestSystemReboot,
    /// `request system software add <package> [no-validate] [reboot]`
    RequestSystemSoftwareAdd,
    /// `request system software rollback [reboot]`
    RequestSystemSoftwareRollback,
    /// `show arp [no-resolve]`
    ShowArp,
    /// `show chassis hardware`
    ShowChassisHardware,
    /// `show configuration [path]`
    ShowConfiguration,
    /// `show interfaces [name] [terse|detail]`
    ShowInterfaces,
    /// `show ipv6 neighbors`
    ShowIpv6Neighbors,
    /// `show log [file]`
    ShowLog,
    /// `show route [prefix]`
    ShowRoute,
    /// `show security flow session [filters] [brief|extensive|summary]`
    ShowSecurityFlowSession,
    /// `show security nat destination pool|rule|summary`
    ShowSecurityNatDestination,
    /// `show security nat resource-usage source-pool <pool|all>`
    ShowSecurityNatResourceUsage,
    /// `show security nat source pool|rule|summary`
    ShowSecurityNatSource,
    /// `show security nat static rule <rule|all>`
    ShowSecurityNatStatic,
    /// `show security policies`
    ShowSecurityPolicies,
    /// `show security policies hit-count`
    ShowSecurityPoliciesHitCount,
    /// `show security zones [zone]`
    ShowSecurityZones,
    /// `show system commit`
    ShowSystemCommit,
    /// `show system dataplane`
    ShowSystemDataplane,
    /// `show system software`
    ShowSystemSoftware,
    /// `show system uptime`
    ShowSystemUptime,
    /// `show version`
    ShowVersion,
    /// `start shell [sh|bash]`
    StartShell,
    /// `traceroute <host>`
    Traceroute,
}

/// Where a command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunsIn {
    /// The CLI itself (mode changes, local tools, the shell, confirmations
    /// before it asks xpfd).
    Cli,
    /// xpfd, one answer (`ShowText`).
    Xpfd,
    /// xpfd, progress as it goes (`Run`).
    XpfdStreaming,
}

impl Op {
    /// Every command, for the tests that tie the tree to the handlers.
    pub const ALL: &'static [Op] = &[
        Op::ClearSecurityFlowSession,
        Op::Configure,
        Op::Exit,
        Op::File,
        Op::Ping,
        Op::Quit,
        Op::RequestSystemHalt,
        Op::RequestSystemInstallDisk,
        Op::RequestSystemReboot,
        Op::RequestSystemSoftwareAdd,
        Op::RequestSystemSoftwareRollback,
        Op::ShowArp,
        Op::ShowChassisHardware,
        Op::ShowConfiguration,
        Op::ShowInterfaces,
        Op::ShowIpv6Neighbors,
        Op::ShowLog,
        Op::ShowRoute,
        Op::ShowSecurityFlowSession,
        Op::ShowSecurityNatDestination,
        Op::ShowSecurityNatResourceUsage,
        Op::ShowSecurityNatSource,
        Op::ShowSecurityNatStatic,
        Op::ShowSecurityPolicies,
        Op::ShowSecurityPoliciesHitCount,
        Op::ShowSecurityZones,
        Op::ShowSystemCommit,
        Op::ShowSystemDataplane,
        Op::ShowSystemSoftware,
        Op::ShowSystemUptime,
        Op::ShowVersion,
        Op::StartShell,
        Op::Traceroute,
    ];

    /// Who runs it.
    pub fn runs_in(self) -> RunsIn {
        match self {
            Op::Configure
            | Op::Exit
            | Op::Quit
            | Op::File
            | Op::Ping
            | Op::Traceroute
            | Op::StartShell
            | Op::ShowConfiguration
            | Op::RequestSystemHalt
            | Op::RequestSystemReboot => RunsIn::Cli,
            Op::RequestSystemSoftwareAdd | Op::RequestSystemInstallDisk => RunsIn::XpfdStreaming,
            Op::ClearSecurityFlowSession
            | Op::RequestSystemSoftwareRollback
            | Op::ShowArp
            | Op::ShowChassisHardware
            | Op::ShowInterfaces
            | Op::ShowIpv6Neighbors
            | Op::ShowLog
            | Op::ShowRoute
            | Op::ShowSecurityFlowSession
            | Op::ShowSecurityNatDestination
            | Op::ShowSecurityNatResourceUsage
            | Op::ShowSecurityNatSource
            | Op::ShowSecurityNatStatic
            | Op::ShowSecurityPolicies
            | Op::ShowSecurityPoliciesHitCount
            | Op::ShowSecurityZones
            | Op::ShowSystemCommit
            | Op::ShowSystemDataplane
            | Op::ShowSystemSoftware
            | Op::ShowSystemUptime
            | Op::ShowVersion => RunsIn::Xpfd,
        }
    }
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
    /// The command this word makes: the nearest word with one, walking
    /// back from the last, names the command of a line.
    pub op: Option<Op>,
}

impl OpNode {
    /// This node, making `op`.
    const fn makes(self, op: Op) -> OpNode {
        OpNode {
            op: Some(op),
            ..self
        }
    }
}

const fn leaf(word: &'static str, help: &'static str) -> OpNode {
    OpNode {
        word,
        help,
        children: &[],
        arg: Arg::None,
        runnable: true,
        op: None,
    }
}

const fn node(word: &'static str, help: &'static str, children: &'static [OpNode]) -> OpNode {
    OpNode {
        word,
        help,
        children,
        arg: Arg::None,
        runnable: false,
        op: None,
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
        op: None,
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
        op: None,
    }
}

/// The session filter words, defined once for `show` and `clear`, each
/// with its help and value (`$list`: the array they are in, since a filter
/// may be followed by more filters). `xpf_dataplane::FILTER_WORDS` parses
/// their values; a test in xpfd holds the two lists together.
macro_rules! session_filters {
    ($list:ident, $id_help:literal, $($extra:expr),*) => {
        [
            filter("application", "Application name", "<application-name>", &$list),
            filter("destination-port", "Destination port", "<port>", &$list),
            filter(
                "destination-prefix",
                "Destination IP prefix or address",
                "<prefix>",
                &$list,
            ),
            filter(
                "interface",
                "Name of incoming or outgoing interface",
                "<interface-name>",
                &$list,
            ),
            filter("protocol", "IP protocol name or number", "<protocol>", &$list),
            filter("session-identifier", $id_help, "<session-identifier>", &$list),
            filter("source-port", "Source port", "<port>", &$list),
            filter("source-prefix", "Source IP prefix or address", "<prefix>", &$list),
            $($extra),*
        ]
    };
}

// Statics, not consts: each filter's children are the list it is in.
static SESSION_VIEWS: [OpNode; 11] = session_filters!(
    SESSION_VIEWS,
    "Show session with specified session identifier",
    leaf("brief", "Display brief output (default)"),
    leaf("extensive", "Display extensive output"),
    leaf("summary", "Display output summary")
);

static CLEAR_FILTERS: [OpNode; 9] = session_filters!(
    CLEAR_FILTERS,
    "Clear session with specified session identifier",
    leaf("all", "Clear all sessions")
);

/// `ping <host>` options, Junos' names and help (each may follow another).
pub static PING_OPTIONS: [OpNode; 12] = [
    filter(
        "count",
        "Number of ping requests to send (1..2000000000 packets)",
        "<count>",
        &PING_OPTIONS,
    ),
    opt(
        "do-not-fragment",
        "Don't fragment echo request packets (IPv4)",
        &PING_OPTIONS,
        Arg::None,
    ),
    opt(
        "inet",
        "Force ping to IPv4 destination",
        &PING_OPTIONS,
        Arg::None,
    ),
    opt(
        "inet6",
        "Force ping to IPv6 destination",
        &PING_OPTIONS,
        Arg::None,
    ),
    filter(
        "interface",
        "Source interface (multicast, all-ones, unrouted packets)",
        "<interface>",
        &PING_OPTIONS,
    ),
    filter(
        "interval",
        "Delay between ping requests (seconds)",
        "<interval>",
        &PING_OPTIONS,
    ),
    opt(
        "no-resolve",
        "Don't attempt to print addresses symbolically",
        &PING_OPTIONS,
        Arg::None,
    ),
    opt(
        "rapid",
        "Send requests rapidly (default count of 5)",
        &PING_OPTIONS,
        Arg::None,
    ),
    filter(
        "size",
        "Size of request packets (0..65468 bytes)",
        "<size>",
        &PING_OPTIONS,
    ),
    filter(
        "source",
        "Source address of echo request",
        "<source>",
        &PING_OPTIONS,
    ),
    filter(
        "ttl",
        "IP time-to-live value (IPv6 hop-limit value) (hops)",
        "<ttl>",
        &PING_OPTIONS,
    ),
    filter(
        "wait",
        "Delay after sending last packet (seconds)",
        "<wait>",
        &PING_OPTIONS,
    ),
];

/// `traceroute <host>` options, Junos' names and help.
pub static TRACEROUTE_OPTIONS: [OpNode; 7] = [
    opt(
        "inet",
        "Force traceroute to IPv4",
        &TRACEROUTE_OPTIONS,
        Arg::None,
    ),
    opt(
        "inet6",
        "Force traceroute to IPv6",
        &TRACEROUTE_OPTIONS,
        Arg::None,
    ),
    filter(
        "interface",
        "Name of interface to use for outgoing traffic",
        "<interface>",
        &TRACEROUTE_OPTIONS,
    ),
    opt(
        "no-resolve",
        "Don't attempt to print addresses symbolically",
        &TRACEROUTE_OPTIONS,
        Arg::None,
    ),
    filter(
        "source",
        "Source address to use in outgoing traceroute packets",
        "<source>",
        &TRACEROUTE_OPTIONS,
    ),
    filter(
        "ttl",
        "Maximum IP time-to-live value (or IPv6 hop-limit value)",
        "<ttl>",
        &TRACEROUTE_OPTIONS,
    ),
    filter(
        "wait",
        "Number of seconds to wait for response",
        "<wait>",
        &TRACEROUTE_OPTIONS,
    ),
];

/// The session filter words, as `show security flow session` takes them.
pub fn session_filter_words() -> Vec<&'static str> {
    SESSION_VIEWS
        .iter()
        .filter(|n| matches!(n.arg, Arg::Value(_)))
        .map(|n| n.word)
        .collect()
}

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
            node("destination", "Show destination NAT information", NAT_VIEWS)
                .makes(Op::ShowSecurityNatDestination),
            node(
                "resource-usage",
                "Show NAT resource usage",
                &[opt(
                    "source-pool",
                    "Show ports in use per source pool address",
                    &[],
                    Arg::Value("<pool-name|all>"),
                )
                .makes(Op::ShowSecurityNatResourceUsage)],
            ),
            node("source", "Show source NAT information", NAT_VIEWS)
                .makes(Op::ShowSecurityNatSource),
            node("static", "Show static NAT information", STATIC_NAT_VIEWS)
                .makes(Op::ShowSecurityNatStatic),
        ],
    ),
    opt(
        "policies",
        "Show security firewall policies",
        &[leaf("hit-count", "Show policies hit count").makes(Op::ShowSecurityPoliciesHitCount)],
        Arg::None,
    )
    .makes(Op::ShowSecurityPolicies),
    opt(
        "zones",
        "Show security zone information",
        &[],
        Arg::Value("<zone-name>"),
    )
    .makes(Op::ShowSecurityZones),
];

static SHOW_FLOW: [OpNode; 1] = [opt(
    "session",
    "Show session information",
    &SESSION_VIEWS,
    Arg::None,
)
.makes(Op::ShowSecurityFlowSession)];

static CLEAR: [OpNode; 1] = [node(
    "security",
    "Clear security information",
    &CLEAR_SECURITY,
)];

static CLEAR_SECURITY: [OpNode; 1] = [node("flow", "Clear flow information", &CLEAR_FLOW)];

static CLEAR_FLOW: [OpNode; 1] =
    [opt("session", "Clear session", &CLEAR_FILTERS, Arg::None)
        .makes(Op::ClearSecurityFlowSession)];

const SHOW: &[OpNode] = &[
    opt(
        "arp",
        "Show system Address Resolution Protocol table entries",
        &[leaf(
            "no-resolve",
            "Don't attempt to print addresses symbolically",
        )],
        Arg::None,
    )
    .makes(Op::ShowArp),
    node(
        "chassis",
        "Show chassis information",
        &[leaf("hardware", "Show installed hardware components").makes(Op::ShowChassisHardware)],
    ),
    opt(
        "configuration",
        "Show current configuration",
        &[],
        Arg::Rest("<statement-path>"),
    )
    .makes(Op::ShowConfiguration),
    opt(
        "interfaces",
        "Show interface information",
        &[
            leaf("terse", "Display terse output"),
            leaf("detail", "Display detailed output"),
        ],
        Arg::Value("<interface-name>"),
    )
    .makes(Op::ShowInterfaces),
    node(
        "ipv6",
        "Show IP version 6 information",
        &[leaf("neighbors", "Show IPv6 neighbor cache information").makes(Op::ShowIpv6Neighbors)],
    ),
    opt(
        "log",
        "Show contents of log file",
        &[],
        Arg::Value("<filename>"),
    )
    .makes(Op::ShowLog),
    opt(
        "route",
        "Show routing table information",
        &[],
        Arg::Value("<destination-prefix>"),
    )
    .makes(Op::ShowRoute),
    node("security", "Show security information", &SHOW_SECURITY),
    node(
        "system",
        "Show system information",
        &[
            leaf("commit", "Show pending commit and commit history").makes(Op::ShowSystemCommit),
            leaf(
                "dataplane",
                "Show which dataplane forwards on each interface",
            )
            .makes(Op::ShowSystemDataplane),
            leaf(
                "software",
                "Show the A/B slots, boot entries and the last update",
            )
            .makes(Op::ShowSystemSoftware),
            leaf("uptime", "Show time since system and processes started")
                .makes(Op::ShowSystemUptime),
        ],
    ),
    leaf("version", "Show software process revision levels").makes(Op::ShowVersion),
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
    )
    .makes(Op::Configure),
    leaf("exit", "Exit the management session").makes(Op::Exit),
    leaf("file", "Perform file operations").makes(Op::File),
    opt(
        "ping",
        "Ping remote target",
        &PING_OPTIONS,
        Arg::Value("<host>"),
    )
    .makes(Op::Ping),
    leaf("quit", "Exit the management session").makes(Op::Quit),
    node(
        "request",
        "Make system-level requests",
        &[node(
            "system",
            "System operations",
            &[
                leaf("halt", "Halt the system").makes(Op::RequestSystemHalt),
                node(
                    "install",
                    "Install the running system on another disk",
                    &[opt(
                        "disk",
                        "Erase this disk and install on it (with the committed configuration)",
                        &[],
                        Arg::Value("<device>"),
                    )
                    .makes(Op::RequestSystemInstallDisk)],
                ),
                leaf("reboot", "Reboot the system").makes(Op::RequestSystemReboot),
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
                        )
                        .makes(Op::RequestSystemSoftwareAdd),
                        opt(
                            "rollback",
                            "Boot the other slot's version next",
                            &[leaf("reboot", "Reboot after rolling back")],
                            Arg::None,
                        )
                        .makes(Op::RequestSystemSoftwareRollback),
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
        )
        .makes(Op::StartShell)],
    ),
    opt(
        "traceroute",
        "Trace route to remote host",
        &TRACEROUTE_OPTIONS,
        Arg::Value("<host>"),
    )
    .makes(Op::Traceroute),
];

/// The command canonical `words` make (as the CLI sends them: full
/// keywords, values in place), and how many words name it; the rest are
/// its options and values. `None`: no such command.
pub fn command(words: &[impl AsRef<str>]) -> Option<(Op, usize)> {
    let mut level = OPERATIONAL;
    let mut found = None;
    for (i, w) in words.iter().enumerate() {
        match level.iter().find(|n| n.word == w.as_ref()) {
            Some(n) => {
                if let Some(op) = n.op {
                    found = Some((op, i + 1));
                }
                // What follows a free-form value (a configuration path)
                // is all value.
                if let Arg::Rest(_) = n.arg {
                    break;
                }
                level = n.children;
            }
            // A value, before the command is named: no such command.
            None if found.is_none() => return None,
            // A value of the command or of one of its options.
            None => {}
        }
    }
    found
}

/// A configuration-mode command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigVerb {
    /// `activate <statement>`
    Activate,
    /// `annotate <statement> "comment"`
    Annotate,
    /// `commit [check|confirmed N|comment ".."|and-quit]`
    Commit,
    /// `deactivate <statement>`
    Deactivate,
    /// `delete <statement>`
    Delete,
    /// `edit <statement>`
    Edit,
    /// `exit [configuration-mode]`
    Exit,
    /// `insert <statement> before|after <sibling>`
    Insert,
    /// `load merge|override|replace|set terminal|FILE`
    Load,
    /// `protect <statement>`
    Protect,
    /// `quit`
    Quit,
    /// `rollback [N]`
    Rollback,
    /// `run <operational command>`
    Run,
    /// `set <statement>`
    Set,
    /// `show [statement] [| compare]`
    Show,
    /// `top`
    Top,
    /// `unprotect <statement>`
    Unprotect,
    /// `up`
    Up,
}

/// The configuration-mode commands: the one list the CLI's TAB, `?` and
/// dispatch read, with Junos' help texts.
pub const CONFIG_COMMANDS: &[(ConfigVerb, &str, &str)] = &[
    (
        ConfigVerb::Activate,
        "activate",
        "Remove the inactive tag from a statement",
    ),
    (
        ConfigVerb::Annotate,
        "annotate",
        "Annotate the statement with a comment",
    ),
    (
        ConfigVerb::Commit,
        "commit",
        "Commit current set of changes",
    ),
    (
        ConfigVerb::Deactivate,
        "deactivate",
        "Add the inactive tag to a statement",
    ),
    (ConfigVerb::Delete, "delete", "Delete a data element"),
    (ConfigVerb::Edit, "edit", "Edit a sub-element"),
    (ConfigVerb::Exit, "exit", "Exit from this level"),
    (
        ConfigVerb::Insert,
        "insert",
        "Insert a new ordered data element",
    ),
    (
        ConfigVerb::Load,
        "load",
        "Load configuration from ASCII file",
    ),
    (ConfigVerb::Protect, "protect", "Protect the statement"),
    (ConfigVerb::Quit, "quit", "Quit from this level"),
    (
        ConfigVerb::Rollback,
        "rollback",
        "Roll back to previous committed configuration",
    ),
    (ConfigVerb::Run, "run", "Run an operational-mode command"),
    (ConfigVerb::Set, "set", "Set a parameter"),
    (ConfigVerb::Show, "show", "Show a parameter"),
    (ConfigVerb::Top, "top", "Exit to top level of configuration"),
    (
        ConfigVerb::Unprotect,
        "unprotect",
        "Unprotect the statement",
    ),
    (ConfigVerb::Up, "up", "Exit one level of configuration"),
];

impl ConfigVerb {
    /// The command a typed word names: exactly, or as the only command it
    /// abbreviates. `Err` holds the candidates when it is ambiguous.
    pub fn lookup(word: &str) -> Result<Option<(ConfigVerb, &'static str)>, Vec<&'static str>> {
        if let Some((v, w, _)) = CONFIG_COMMANDS.iter().find(|(_, w, _)| *w == word) {
            return Ok(Some((*v, w)));
        }
        let matches: Vec<_> = CONFIG_COMMANDS
            .iter()
            .filter(|(_, w, _)| w.starts_with(word))
            .collect();
        match matches.as_slice() {
            [] => Ok(None),
            [(v, w, _)] => Ok(Some((*v, w))),
            many => Err(many.iter().map(|(_, w, _)| *w).collect()),
        }
    }

    /// Whether a statement path follows it (`?` and TAB complete one).
    pub fn takes_path(self) -> bool {
        matches!(
            self,
            ConfigVerb::Set
                | ConfigVerb::Delete
                | ConfigVerb::Activate
                | ConfigVerb::Deactivate
                | ConfigVerb::Protect
                | ConfigVerb::Unprotect
                | ConfigVerb::Edit
                | ConfigVerb::Show
        )
    }
}

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

    /// Every node in the tree, with its path of words.
    fn walk(
        nodes: &'static [OpNode],
        path: &mut Vec<&'static str>,
        out: &mut Vec<(Vec<&'static str>, &'static OpNode)>,
    ) {
        for n in nodes {
            // The session filters list themselves as their own children.
            if path.contains(&n.word) {
                continue;
            }
            path.push(n.word);
            out.push((path.clone(), n));
            // Option lists that name themselves as what may follow (the
            // session filters, ping's options) are walked once, not in
            // every order.
            if !std::ptr::eq(n.children, nodes) {
                walk(n.children, path, out);
            }
            path.pop();
        }
    }

    /// One vocabulary: every command word has a command, and every
    /// command has exactly one word.
    #[test]
    fn every_word_has_a_command_and_every_command_a_word() {
        let mut all = Vec::new();
        walk(OPERATIONAL, &mut Vec::new(), &mut all);
        for (path, n) in &all {
            if n.runnable {
                assert!(
                    command(path).is_some(),
                    "`{}` runs, but no command is named there",
                    path.join(" ")
                );
            }
        }
        for op in Op::ALL {
            let at: Vec<String> = all
                .iter()
                .filter(|(_, n)| n.op == Some(*op))
                .map(|(p, _)| p.join(" "))
                .collect();
            assert_eq!(at.len(), 1, "{op:?} is named at {at:?}");
        }
        // Op::ALL lists every variant: runs_in is an exhaustive match, and
        // each variant is here once.
        let mut seen = std::collections::HashSet::new();
        assert!(Op::ALL.iter().all(|op| seen.insert(*op)));
    }

    #[test]
    fn commands_resolve_from_canonical_words() {
        assert_eq!(command(&["show", "version"]), Some((Op::ShowVersion, 2)));
        assert_eq!(
            command(&["show", "interfaces", "ge-0/0/0", "terse"]),
            Some((Op::ShowInterfaces, 2))
        );
        assert_eq!(
            command(&["show", "security", "policies", "hit-count"]),
            Some((Op::ShowSecurityPoliciesHitCount, 4))
        );
        assert_eq!(
            command(&[
                "show",
                "security",
                "flow",
                "session",
                "source-prefix",
                "10.0.0.0/8",
                "summary"
            ]),
            Some((Op::ShowSecurityFlowSession, 4))
        );
        assert_eq!(
            command(&["show", "security", "nat", "source", "rule", "all"]),
            Some((Op::ShowSecurityNatSource, 4))
        );
        assert_eq!(
            command(&["show", "configuration", "security", "policies"]),
            Some((Op::ShowConfiguration, 2)),
            "a configuration path is not more command words"
        );
        assert_eq!(command(&["show", "bogus"]), None);
        assert_eq!(command(&["show", "security"]), None);
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
