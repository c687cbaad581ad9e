// SPDX-License-Identifier: Apache-2.0
//! Linux accounts for the users of `system login` and for root.
//!
//! People reach the appliance with OpenSSH as the users the configuration
//! names and land in the Junos CLI. So each `system login user` becomes a
//! Linux account whose login shell is `cli`, whose password hash is the
//! committed `encrypted-password`, whose `~/.ssh/authorized_keys` holds the
//! committed `ssh-rsa`/`ssh-ecdsa`/`ssh-ed25519` keys, and who is in group
//! `xpf`, which may open xpfd's socket (xpfd then holds each caller to its
//! login class, so the account itself grants nothing more).
//!
//! **Ownership.** xpfd creates accounts with the comment (GECOS) field
//! `xpf-managed`, and changes or removes only accounts that carry it. The
//! mark lives in /etc/passwd with the account, so it survives a lost state
//! directory and an administrator sees it. A configured user whose name
//! belongs to an account without the mark fails the commit: xpfd does not
//! take over accounts it did not create.
//!
//! **Root.** With `root-authentication`, root's password hash and authorized
//! keys are exactly the configured ones; its shell is left alone (how the
//! console logs in is the image's business). Without it, root is untouched.
//!
//! **No password.** A user without `encrypted-password` gets `*` in
//! /etc/shadow, which no password matches, so SSH takes only its keys. Not
//! `!`: OpenSSH without PAM reads `!` as a locked account and refuses the
//! keys too.
//!
//! The work is done by Debian's passwd tools (`useradd`, `usermod`,
//! `userdel`, `groupadd`, `chpasswd`), which own the locking and the
//! consistency of /etc/passwd, shadow, group and gshadow. Only what differs
//! is changed: a commit that leaves the users alone runs no tool.
//!
//! Only with `xpfd run --manage-accounts`: off by default, so xpfd run on a
//! developer's machine leaves its accounts alone.

use std::collections::HashMap;
use std::io::Write as _;
use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use xpf_model::system::{Authentication, SshKey, SshKeyKind};
use xpf_model::Model;

use super::file_error::FileError;

/// The comment (GECOS) field that marks an account as xpf's.
pub const MARK: &str = "xpf-managed";
/// The group allowed to open xpfd's socket.
pub const GROUP: &str = "xpf";
/// What a user without a password gets in /etc/shadow: matches no password.
const NO_PASSWORD: &str = "*";
/// Where Debian's passwd package puts its tools.
const TOOLS: &str = "/usr/sbin";
/// `userdel`'s exit status when the user is still logged in.
const USERDEL_IN_USE: i32 = 8;

/// Keeps the Linux accounts as the active configuration says.
pub struct Accounts {
    /// The login shell of managed accounts; `None`: accounts are not managed.
    cli: Option<PathBuf>,
}

impl Accounts {
    /// `manage`: `--manage-accounts`; `cli`: the shell users get.
    pub fn new(manage: bool, cli: PathBuf) -> Accounts {
        Accounts {
            cli: manage.then_some(cli),
        }
    }

    /// Makes the accounts match `model`. Does nothing unless managing.
    pub async fn apply(&self, model: &Model) -> Result<(), AccountsError> {
        let Some(cli) = self.cli.clone() else {
            return Ok(());
        };
        let want = wanted(model)?;
        tokio::task::spawn_blocking(move || sync(&want, &cli)).await?
    }
}

/// Why the accounts could not be made to match the configuration.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// The configuration asks for what no Linux account can be; `path` is
    /// the statement (`edit system login user alice authentication`).
    #[error("[{path}] {why}")]
    Config {
        /// The statement path.
        path: String,
        /// What is wrong.
        why: String,
    },
    /// A file or directory operation.
    #[error(transparent)]
    File(#[from] FileError),
    /// A passwd tool (useradd, chpasswd, ...) failed or did not run.
    #[error("{what} failed: {why}")]
    Tool {
        /// The tool and its user.
        what: String,
        /// What it said, or why it did not run.
        why: String,
    },
    /// The system's accounts are not as they must be.
    #[error("{0}")]
    System(String),
    /// The blocking task that syncs the accounts did not finish.
    #[error("the accounts task: {0}")]
    Task(#[from] tokio::task::JoinError),
}

/// A file operation's error, for `map_err`.
fn file_err(what: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> AccountsError {
    FileError::of(what, path)
}

/// A password field and an authorized_keys file.
#[derive(Debug, Clone, PartialEq)]
struct Credentials {
    /// The crypt(3) hash, or [`NO_PASSWORD`].
    password: String,
    /// The whole authorized_keys file.
    authorized_keys: String,
}

/// One configured user.
#[derive(Debug, Clone, PartialEq)]
struct WantedUser {
    name: String,
    uid: Option<u32>,
    credentials: Credentials,
}

/// What the configuration asks of the accounts.
#[derive(Debug, Clone, PartialEq)]
struct Wanted {
    users: Vec<WantedUser>,
    /// `None`: no `root-authentication`, root is left alone.
    root: Option<Credentials>,
}

/// Reads and checks what the model asks for.
fn wanted(model: &Model) -> Result<Wanted, AccountsError> {
    let mut users = Vec::new();
    for u in &model.system.login.users {
        let path = format!("edit system login user {}", u.name);
        if u.name == "root" {
            return Err(AccountsError::Config {
                path,
                why: "root is configured under [edit system root-authentication]".into(),
            });
        }
        if !valid_name(&u.name) {
            return Err(AccountsError::Config {
                why: format!(
                    "'{}' cannot be a Linux user name: use up to 32 letters, digits, \
                     '.', '_' and '-', starting with a letter or '_'",
                    u.name
                ),
                path,
            });
        }
        users.push(WantedUser {
            name: u.name.clone(),
            uid: u.uid,
            credentials: credentials(&u.authentication, &format!("{path} authentication"))?,
        });
    }
    let root_auth = &model.system.root_authentication;
    let root = if *root_auth == Authentication::default() {
        None
    } else {
        Some(credentials(root_auth, "edit system root-authentication")?)
    };
    Ok(Wanted { users, root })
}

/// A name `useradd` takes and no tool reads as an option.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_');
    first_ok
        && name.len() <= 32
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

fn credentials(auth: &Authentication, path: &str) -> Result<Credentials, AccountsError> {
    let config = |why: String| AccountsError::Config {
        path: path.to_string(),
        why,
    };
    let password = match auth.encrypted_password.as_deref() {
        None | Some("") => NO_PASSWORD.to_string(),
        Some(h) if h.chars().all(|c| c.is_ascii_graphic() && c != ':') => h.to_string(),
        Some(_) => {
            return Err(config(
                "encrypted-password must be a crypt(3) hash (printable, no ':' or spaces)".into(),
            ))
        }
    };
    let mut authorized_keys =
        format!("# Written by xpfd from [{path}]; edits here are overwritten.\n");
    for key in &auth.ssh_keys {
        let line = key_line(key).map_err(|BadKey(why)| config(why))?;
        authorized_keys.push_str(&line);
        authorized_keys.push('\n');
    }
    Ok(Credentials {
        password,
        authorized_keys,
    })
}

/// The configuration keyword of a key kind.
fn keyword(kind: SshKeyKind) -> &'static str {
    match kind {
        SshKeyKind::Rsa => "ssh-rsa",
        SshKeyKind::Ecdsa => "ssh-ecdsa",
        SshKeyKind::Ed25519 => "ssh-ed25519",
    }
}

/// Whether an OpenSSH key type belongs under a configuration keyword.
fn algorithm_fits(kind: SshKeyKind, algorithm: &str) -> bool {
    match kind {
        SshKeyKind::Rsa => algorithm == "ssh-rsa",
        SshKeyKind::Ed25519 => matches!(algorithm, "ssh-ed25519" | "sk-ssh-ed25519@openssh.com"),
        SshKeyKind::Ecdsa => {
            matches!(
                algorithm,
                "ecdsa-sha2-nistp256" | "ecdsa-sha2-nistp384" | "ecdsa-sha2-nistp521"
            ) || algorithm == "sk-ecdsa-sha2-nistp256@openssh.com"
        }
    }
}

/// Why a configured key cannot be an authorized_keys line.
#[derive(Debug, PartialEq)]
struct BadKey(String);

/// One authorized_keys line: `[from="…" ]type base64[ comment]`.
///
/// Junos stores the whole key line (`ssh-ed25519 AAAA… user@host`); a bare
/// base64 blob gets its type from the keyword. The blob must decode and
/// name the same type, so a pasting mistake fails the commit instead of
/// silently locking the user out.
fn key_line(key: &SshKey) -> Result<String, BadKey> {
    let kw = keyword(key.kind);
    if key.key.chars().any(char::is_control) {
        return Err(BadKey(format!("{kw}: the key must be one line")));
    }
    let words: Vec<&str> = key.key.split_whitespace().collect();
    let (algorithm, blob, comment) = match words.as_slice() {
        [first, blob, comment @ ..] if !first.starts_with("AAAA") => {
            (first.to_string(), *blob, comment)
        }
        [blob, comment @ ..] if blob.starts_with("AAAA") => {
            let algorithm = match key.kind {
                SshKeyKind::Rsa => "ssh-rsa",
                SshKeyKind::Ed25519 => "ssh-ed25519",
                SshKeyKind::Ecdsa => {
                    return Err(BadKey(format!(
                        "{kw}: give the whole key line (ecdsa-sha2-nistpNNN AAAA…)"
                    )))
                }
            };
            (algorithm.to_string(), *blob, comment)
        }
        _ => {
            return Err(BadKey(format!(
                "{kw}: not an OpenSSH public key (expected `{kw} AAAA… comment`)"
            )))
        }
    };
    if !algorithm_fits(key.kind, &algorithm) {
        return Err(BadKey(format!("{kw}: this is a {algorithm} key")));
    }
    if blob_type(blob).as_deref() != Some(algorithm.as_str()) {
        return Err(BadKey(format!(
            "{kw}: the key data is damaged (it does not decode to a {algorithm} key)"
        )));
    }
    let mut line = String::new();
    if let Some(from) = &key.from {
        if from.is_empty() || from.chars().any(|c| c == '"' || !c.is_ascii_graphic()) {
            return Err(BadKey(format!(
                "{kw} from: '{from}' is not a host pattern list (no spaces or quotes)"
            )));
        }
        line.push_str(&format!("from=\"{from}\" "));
    }
    line.push_str(&algorithm);
    line.push(' ');
    line.push_str(blob);
    if !comment.is_empty() {
        line.push(' ');
        line.push_str(&comment.join(" "));
    }
    Ok(line)
}

/// The key type an OpenSSH public key blob names (its first field).
fn blob_type(blob: &str) -> Option<String> {
    let raw = base64::engine::general_purpose::STANDARD
        .decode(blob)
        .ok()?;
    let len = u32::from_be_bytes(raw.get(..4)?.try_into().ok()?) as usize;
    let name = raw.get(4..4usize.checked_add(len)?)?;
    String::from_utf8(name.to_vec()).ok()
}

/// One line of /etc/passwd.
#[derive(Debug, Clone, PartialEq)]
struct Account {
    name: String,
    uid: u32,
    gid: u32,
    gecos: String,
    home: PathBuf,
    shell: String,
}

/// The accounts as the system has them.
#[derive(Debug, Default)]
struct Observed {
    accounts: Vec<Account>,
    /// Password field by user.
    shadow: HashMap<String, String>,
    /// Members of [`GROUP`]; `None`: no such group.
    group: Option<Vec<String>>,
}

impl Observed {
    fn read() -> Result<Observed, AccountsError> {
        let read = |p: &str| std::fs::read_to_string(p).map_err(file_err("reading", Path::new(p)));
        Ok(Observed {
            accounts: parse_passwd(&read("/etc/passwd")?),
            shadow: parse_shadow(&read("/etc/shadow")?),
            group: group_members(&read("/etc/group")?, GROUP),
        })
    }

    fn account(&self, name: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.name == name)
    }
}

fn parse_passwd(text: &str) -> Vec<Account> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            let [name, _, uid, gid, gecos, home, shell] = f.as_slice() else {
                return None;
            };
            Some(Account {
                name: name.to_string(),
                uid: uid.parse().ok()?,
                gid: gid.parse().ok()?,
                gecos: gecos.to_string(),
                home: PathBuf::from(home),
                shell: shell.to_string(),
            })
        })
        .collect()
}

fn parse_shadow(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.split(':');
            Some((f.next()?.to_string(), f.next()?.to_string()))
        })
        .collect()
}

fn group_members(text: &str, group: &str) -> Option<Vec<String>> {
    text.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        match f.as_slice() {
            [name, _, _, members] if *name == group => Some(
                members
                    .split(',')
                    .filter(|m| !m.is_empty())
                    .map(str::to_string)
                    .collect(),
            ),
            _ => None,
        }
    })
}

/// One run of a passwd tool.
#[derive(Debug, Clone, PartialEq)]
struct Tool {
    name: &'static str,
    args: Vec<String>,
    /// Fed on standard input (chpasswd's `user:hash` lines: kept off the
    /// command line, where every process could read the hashes).
    stdin: Option<String>,
}

impl Tool {
    fn new(name: &'static str, args: &[&str]) -> Tool {
        Tool {
            name,
            args: args.iter().map(|a| a.to_string()).collect(),
            stdin: None,
        }
    }
}

/// What has to change, in order.
#[derive(Debug, Default, PartialEq)]
struct Plan {
    tools: Vec<Tool>,
    /// authorized_keys files to write (user, content), after the tools ran.
    keys: Vec<(String, String)>,
}

/// The tools to run to get from `seen` to `want`. Removals come first, so a
/// uid a removed user frees can go to a new one.
fn plan(want: &Wanted, seen: &Observed, cli: &str) -> Result<Plan, AccountsError> {
    let mut plan = Plan::default();
    for u in &want.users {
        if let Some(a) = seen.account(&u.name).filter(|a| a.gecos != MARK) {
            return Err(AccountsError::Config {
                path: format!("edit system login user {}", u.name),
                why: format!(
                    "the Linux account {n} (uid {uid}) exists and was not created by xpf; \
                     xpf does not take over accounts it did not create",
                    n = u.name,
                    uid = a.uid
                ),
            });
        }
    }
    if seen.group.is_none() {
        plan.tools.push(Tool::new("groupadd", &["--system", GROUP]));
    }
    for a in seen.accounts.iter().filter(|a| a.gecos == MARK) {
        if !want.users.iter().any(|u| u.name == a.name) {
            plan.tools
                .push(Tool::new("userdel", &["--remove", &a.name]));
        }
    }
    let members = seen.group.clone().unwrap_or_default();
    let mut passwords = String::new();
    for u in &want.users {
        let password_differs = match seen.account(&u.name) {
            None => {
                let mut args = vec![
                    "--create-home".to_string(),
                    "--shell".into(),
                    cli.into(),
                    "--user-group".into(),
                    "--comment".into(),
                    MARK.into(),
                    "--groups".into(),
                    GROUP.into(),
                ];
                if let Some(uid) = u.uid {
                    args.extend(["--uid".to_string(), uid.to_string()]);
                }
                args.push(u.name.clone());
                plan.tools.push(Tool {
                    name: "useradd",
                    args,
                    stdin: None,
                });
                true
            }
            Some(a) => {
                let mut args = Vec::new();
                if a.shell != cli {
                    args.extend(["--shell".to_string(), cli.to_string()]);
                }
                if let Some(uid) = u.uid.filter(|&uid| uid != a.uid) {
                    args.extend(["--uid".to_string(), uid.to_string()]);
                }
                if !members.contains(&u.name) {
                    args.extend(["--append".to_string(), "--groups".into(), GROUP.into()]);
                }
                if !args.is_empty() {
                    args.push(u.name.clone());
                    plan.tools.push(Tool {
                        name: "usermod",
                        args,
                        stdin: None,
                    });
                }
                seen.shadow.get(&u.name) != Some(&u.credentials.password)
            }
        };
        if password_differs {
            passwords.push_str(&format!("{}:{}\n", u.name, u.credentials.password));
        }
        plan.keys
            .push((u.name.clone(), u.credentials.authorized_keys.clone()));
    }
    if let Some(root) = &want.root {
        if seen.shadow.get("root") != Some(&root.password) {
            passwords.push_str(&format!("root:{}\n", root.password));
        }
        plan.keys
            .push(("root".to_string(), root.authorized_keys.clone()));
    }
    if !passwords.is_empty() {
        plan.tools.push(Tool {
            stdin: Some(passwords),
            ..Tool::new("chpasswd", &["--encrypted"])
        });
    }
    Ok(plan)
}

/// Brings the system's accounts to `want`.
fn sync(want: &Wanted, cli: &Path) -> Result<(), AccountsError> {
    let cli_text = cli.to_str().ok_or_else(|| {
        AccountsError::System(format!("the cli path {} is not UTF-8", cli.display()))
    })?;
    list_shell(cli_text)?;
    let plan = plan(want, &Observed::read()?, cli_text)?;
    for tool in &plan.tools {
        run(tool)?;
    }
    if plan.keys.is_empty() {
        return Ok(());
    }
    let now = Observed::read()?;
    for (user, text) in &plan.keys {
        let account = now.account(user).ok_or_else(|| {
            AccountsError::System(format!("user {user} is missing after it was created"))
        })?;
        write_keys(account, text)?;
    }
    Ok(())
}

/// Adds the CLI to /etc/shells: tools that check login shells (and people
/// reading the file) should know it as one.
fn list_shell(cli: &str) -> Result<(), AccountsError> {
    const SHELLS: &str = "/etc/shells";
    let text = std::fs::read_to_string(SHELLS).unwrap_or_default();
    if text.lines().any(|l| l.trim() == cli) {
        return Ok(());
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(SHELLS)
        .map_err(file_err("opening", Path::new(SHELLS)))?;
    let sep = if text.is_empty() || text.ends_with('\n') {
        ""
    } else {
        "\n"
    };
    writeln!(f, "{sep}{cli}").map_err(file_err("writing", Path::new(SHELLS)))?;
    tracing::info!(cli, "added to /etc/shells");
    Ok(())
}

/// Runs one passwd tool; its complaint becomes the error.
fn run(tool: &Tool) -> Result<(), AccountsError> {
    let ran = exec(tool)?;
    if tool.name == "userdel" && ran.code == Some(USERDEL_IN_USE) {
        // Still logged in: the account goes anyway, as on Junos; the session
        // ends when it ends.
        let mut forced = tool.clone();
        forced.args.insert(0, "--force".into());
        tracing::warn!(user = ?tool.args.last(), "removing a user who is still logged in");
        return check(&forced, exec(&forced)?);
    }
    check(tool, ran)
}

/// What a tool run ended with, and what it said.
struct Ran {
    code: Option<i32>,
    success: bool,
    stderr: String,
}

fn exec(tool: &Tool) -> Result<Ran, AccountsError> {
    let failed = |why: String| AccountsError::Tool {
        what: tool.name.to_string(),
        why,
    };
    let path = Path::new(TOOLS).join(tool.name);
    let mut child = Command::new(&path)
        .args(&tool.args)
        .stdin(if tool.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed(format!("running {}: {e}", path.display())))?;
    if let (Some(text), Some(mut input)) = (&tool.stdin, child.stdin.take()) {
        input
            .write_all(text.as_bytes())
            .map_err(|e| failed(format!("writing its input: {e}")))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| failed(e.to_string()))?;
    Ok(Ran {
        code: out.status.code(),
        success: out.status.success(),
        stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
    })
}

fn check(tool: &Tool, ran: Ran) -> Result<(), AccountsError> {
    // The user is the last argument, except for chpasswd (its input).
    let what = match tool.name {
        "chpasswd" => "setting passwords".to_string(),
        _ => format!("{} {}", tool.name, tool.args.last().map_or("", |a| a)),
    };
    if !ran.success {
        return Err(AccountsError::Tool {
            what,
            why: ran.stderr,
        });
    }
    tracing::info!("accounts: {what}");
    Ok(())
}

/// Writes `~/.ssh/authorized_keys` (0600 in a 0700 directory, both the
/// user's) unless it already says `text`.
///
/// The user owns the directories, so nothing in them is followed: a
/// symlink where `.ssh` should be is replaced, and the file is written
/// beside its place and renamed over it.
fn write_keys(account: &Account, text: &str) -> Result<(), AccountsError> {
    let (uid, gid) = (account.uid, account.gid);
    let home = &account.home;
    let err = |what: &'static str, p: &Path, source: std::io::Error| file_err(what, p)(source);
    match std::fs::symlink_metadata(home) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => {
            return Err(AccountsError::System(format!(
                "{}'s home {} is not a directory",
                account.name,
                home.display()
            )))
        }
        Err(_) => {
            std::fs::create_dir_all(home).map_err(|e| err("creating", home, e))?;
            std::os::unix::fs::chown(home, Some(uid), Some(gid))
                .map_err(|e| err("chown", home, e))?;
            std::fs::set_permissions(home, std::fs::Permissions::from_mode(0o700))
                .map_err(|e| err("chmod", home, e))?;
        }
    }
    let dir = home.join(".ssh");
    match std::fs::symlink_metadata(&dir) {
        Ok(m) if m.is_dir() => {}
        Ok(_) => std::fs::remove_file(&dir).map_err(|e| err("removing", &dir, e))?,
        Err(_) => {}
    }
    if !dir.exists() {
        std::fs::create_dir(&dir).map_err(|e| err("creating", &dir, e))?;
    }
    std::os::unix::fs::lchown(&dir, Some(uid), Some(gid)).map_err(|e| err("chown", &dir, e))?;
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))
        .map_err(|e| err("chmod", &dir, e))?;

    let file = dir.join("authorized_keys");
    let current = std::fs::symlink_metadata(&file)
        .ok()
        .filter(|m| m.is_file() && m.uid() == uid && m.gid() == gid && m.mode() & 0o777 == 0o600);
    if current.is_some() && std::fs::read_to_string(&file).is_ok_and(|t| t == text) {
        return Ok(());
    }
    let tmp = dir.join(".authorized_keys.xpfd");
    let _ = std::fs::remove_file(&tmp);
    // create_new: O_EXCL, which never follows a symlink.
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| err("creating", &tmp, e))?;
    f.write_all(text.as_bytes())
        .and_then(|()| f.sync_all())
        .map_err(|e| err("writing", &tmp, e))?;
    std::os::unix::fs::fchown(&f, Some(uid), Some(gid)).map_err(|e| err("chown", &tmp, e))?;
    drop(f);
    std::fs::rename(&tmp, &file).map_err(|e| err("renaming to", &file, e))?;
    tracing::info!(user = %account.name, "accounts: wrote authorized_keys");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // An `ssh-keygen -t ed25519` public key (its private half was not kept).
    const ED: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIApZB+v+LW8u0PJJU58zOzI74pljBQdPymvUGPAN/PWT";

    fn model(text: &str) -> Model {
        let cfg = xpf_config::parse_config(text).expect("parses");
        xpf_store::check_config(&cfg, None).expect("checks")
    }

    fn seen(passwd: &str, shadow: &str, group: &str) -> Observed {
        Observed {
            accounts: parse_passwd(passwd),
            shadow: parse_shadow(shadow),
            group: group_members(group, GROUP),
        }
    }

    const BASE_PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n\
                               daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n";

    #[test]
    fn keys_become_authorized_keys_lines() {
        let key = |kind, text: &str, from: Option<&str>| SshKey {
            kind,
            key: text.to_string(),
            from: from.map(str::to_string),
        };
        assert_eq!(
            key_line(&key(
                SshKeyKind::Ed25519,
                &format!("ssh-ed25519 {ED} a@b c"),
                None
            )),
            Ok(format!("ssh-ed25519 {ED} a@b c"))
        );
        // A bare blob takes its type from the keyword; `from` restricts it.
        assert_eq!(
            key_line(&key(SshKeyKind::Ed25519, ED, Some("10.0.0.0/8,*.lab"))),
            Ok(format!("from=\"10.0.0.0/8,*.lab\" ssh-ed25519 {ED}"))
        );
        for (kind, text, why) in [
            (
                SshKeyKind::Rsa,
                format!("ssh-ed25519 {ED}"),
                "is a ssh-ed25519 key",
            ),
            (SshKeyKind::Ed25519, format!("ssh-ed25519 {ED}x"), "damaged"),
            (
                SshKeyKind::Ed25519,
                "ssh-ed25519 AAAAB3NzaC1yc2E=".into(),
                "damaged",
            ),
            (
                SshKeyKind::Ed25519,
                format!("ssh-ed25519 {ED}\nssh-rsa x"),
                "one line",
            ),
            (
                SshKeyKind::Ed25519,
                "hello".into(),
                "not an OpenSSH public key",
            ),
            (SshKeyKind::Ecdsa, "AAAAE2VjZHNh".into(), "whole key line"),
        ] {
            let BadKey(e) = key_line(&key(kind, &text, None)).unwrap_err();
            assert!(e.contains(why), "{text}: {e}");
        }
        let BadKey(e) = key_line(&key(SshKeyKind::Ed25519, ED, Some("a\" b"))).unwrap_err();
        assert!(e.contains("host pattern"), "{e}");
    }

    #[test]
    fn names_and_hashes_are_checked() {
        assert!(valid_name("alice") && valid_name("_svc.x-1"));
        for bad in ["-oops", "1abc", "a b", "", "a:b", &"x".repeat(33)] {
            assert!(!valid_name(bad), "{bad}");
        }
        let e = wanted(&model(
            "system { login { user root { class super-user; } } }",
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("root-authentication"), "{e}");
        let e = wanted(&model(
            "system { login { user bob { class operator; authentication { encrypted-password \"a:b\"; } } } }",
        ))
        .unwrap_err()
        .to_string();
        assert!(
            e.starts_with("[edit system login user bob authentication]"),
            "{e}"
        );
    }

    #[test]
    fn a_new_user_is_created_marked_with_cli_and_keys() {
        let want = wanted(&model(&format!(
            "system {{ login {{ user alice {{ uid 2001; class super-user; \
             authentication {{ ssh-ed25519 \"ssh-ed25519 {ED} alice@lab\"; }} }} \
             user carol {{ class operator; }} }} }}"
        )))
        .unwrap();
        let p = plan(
            &want,
            &seen(BASE_PASSWD, "root:$6$x:1::::::\n", ""),
            "/usr/bin/cli",
        )
        .unwrap();
        let tools: Vec<String> = p
            .tools
            .iter()
            .map(|t| format!("{} {}", t.name, t.args.join(" ")))
            .collect();
        assert_eq!(
            tools,
            [
                "groupadd --system xpf",
                "useradd --create-home --shell /usr/bin/cli --user-group --comment xpf-managed --groups xpf --uid 2001 alice",
                "useradd --create-home --shell /usr/bin/cli --user-group --comment xpf-managed --groups xpf carol",
                "chpasswd --encrypted",
            ]
        );
        // No password: `*`, which no password matches.
        assert_eq!(p.tools[3].stdin.as_deref(), Some("alice:*\ncarol:*\n"));
        assert_eq!(p.keys[0].0, "alice");
        assert!(p.keys[0]
            .1
            .ends_with(&format!("\nssh-ed25519 {ED} alice@lab\n")));
        assert!(p.keys[1].1.starts_with("# Written by xpfd"));
        // Root is not touched without root-authentication.
        assert!(p.keys.iter().all(|(u, _)| u != "root"));
    }

    #[test]
    fn only_differences_are_changed_and_only_marked_accounts() {
        let passwd = format!(
            "{BASE_PASSWD}alice:x:2001:2001:xpf-managed:/home/alice:/bin/bash\n\
             gone:x:2009:2009:xpf-managed:/home/gone:/usr/bin/cli\n\
             dev:x:1000:1000:Dev,,,:/home/dev:/bin/bash\n"
        );
        let shadow = "alice:*:1::::::\ngone:*:1::::::\nroot:$6$old:1::::::\n";
        let group = "xpf:x:990:gone\n";
        let want = wanted(&model(
            "system { root-authentication { encrypted-password \"$6$new\"; } \
             login { user alice { uid 2005; class read-only; } } }",
        ))
        .unwrap();
        let p = plan(&want, &seen(&passwd, shadow, group), "/usr/bin/cli").unwrap();
        let tools: Vec<String> = p
            .tools
            .iter()
            .map(|t| format!("{} {}", t.name, t.args.join(" ")))
            .collect();
        assert_eq!(
            tools,
            [
                "userdel --remove gone",
                "usermod --shell /usr/bin/cli --uid 2005 --append --groups xpf alice",
                "chpasswd --encrypted",
            ]
        );
        assert_eq!(p.tools[2].stdin.as_deref(), Some("root:$6$new\n"));
        assert_eq!(p.keys.last().map(|k| k.0.as_str()), Some("root"));

        // Nothing differs: no tool runs.
        let passwd =
            format!("{BASE_PASSWD}alice:x:2005:2005:xpf-managed:/home/alice:/usr/bin/cli\n");
        let shadow = "alice:*:1::::::\nroot:$6$new:1::::::\n";
        let p = plan(
            &want,
            &seen(&passwd, shadow, "xpf:x:990:alice\n"),
            "/usr/bin/cli",
        )
        .unwrap();
        assert!(p.tools.is_empty(), "{:?}", p.tools);

        // An account xpf did not create is never taken over.
        let want = wanted(&model(
            "system { login { user dev { class super-user; } } }",
        ))
        .unwrap();
        let e = plan(
            &want,
            &seen(
                &format!("{BASE_PASSWD}dev:x:1000:1000:Dev,,,:/home/dev:/bin/bash\n"),
                "",
                "",
            ),
            "/usr/bin/cli",
        )
        .unwrap_err()
        .to_string();
        assert!(e.contains("was not created by xpf"), "{e}");
    }
}
