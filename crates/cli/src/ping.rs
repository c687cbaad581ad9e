// SPDX-License-Identifier: Apache-2.0
//! `ping` and `traceroute` with Junos' options, run through the system's
//! own tools (iputils ping, traceroute) and printed in Junos' layout.

use std::sync::OnceLock;

use regex::Regex;

use crate::error::CliError;

/// Requests sent when `count` is not given: the CLI collects the output
/// before printing it, so it cannot run until Ctrl-C as Junos does.
const DEFAULT_COUNT: &str = "5";

/// What `ping <host> [options]` asks for, as iputils ping arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ping {
    /// The arguments, host last.
    pub args: Vec<String>,
    /// `rapid`: one `!` per reply instead of a line.
    pub rapid: bool,
}

/// A Junos interface name as the kernel knows it (`ge-0/0/1.0` is
/// `ge-0-0-1`, `lo0` is `lo`), for `interface` options.
fn linux_interface(junos: &str) -> String {
    let base = junos.strip_suffix(".0").unwrap_or(junos);
    if base == "lo0" {
        return "lo".into();
    }
    base.replace('/', "-").replace(':', "_")
}

/// The value after an option word, or a Junos-worded error.
fn value<'a>(opts: &[&'a str], i: usize, word: &str) -> Result<&'a str, CliError> {
    opts.get(i + 1)
        .copied()
        .ok_or_else(|| CliError::plain(format!("syntax error, expecting <{word}>.")))
}

impl Ping {
    /// Reads `host` and the options after it.
    pub fn parse(host: &str, opts: &[&str]) -> Result<Ping, CliError> {
        let mut args: Vec<String> = Vec::new();
        let mut count = DEFAULT_COUNT.to_string();
        let mut rapid = false;
        let mut i = 0;
        while let Some(&w) = opts.get(i) {
            let flag =
                |a: &[&str], args: &mut Vec<String>| args.extend(a.iter().map(|s| s.to_string()));
            match w {
                "count" => count = value(opts, i, "count")?.to_string(),
                "size" => flag(&["-s", value(opts, i, "size")?], &mut args),
                "source" => flag(&["-I", value(opts, i, "source")?], &mut args),
                "interface" => {
                    let name = linux_interface(value(opts, i, "interface")?);
                    flag(&["-I", &name], &mut args)
                }
                "ttl" => flag(&["-t", value(opts, i, "ttl")?], &mut args),
                "wait" => flag(&["-W", value(opts, i, "wait")?], &mut args),
                "interval" => flag(&["-i", value(opts, i, "interval")?], &mut args),
                "do-not-fragment" => flag(&["-M", "do"], &mut args),
                "inet" => flag(&["-4"], &mut args),
                "inet6" => flag(&["-6"], &mut args),
                "no-resolve" => flag(&["-n"], &mut args),
                "rapid" => rapid = true,
                other => return Err(CliError::plain(format!("syntax error: {other}"))),
            }
            i += if matches!(
                w,
                "count" | "size" | "source" | "interface" | "ttl" | "wait" | "interval"
            ) {
                2
            } else {
                1
            };
        }
        if rapid && !args.iter().any(|a| a == "-i") {
            // Junos' rapid sends the next request as soon as a reply comes.
            args.extend(["-i".into(), "0.01".into()]);
        }
        args.extend(["-c".into(), count, host.to_string()]);
        Ok(Ping { args, rapid })
    }
}

fn re(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| Regex::new(pattern).expect("a fixed pattern"))
}

/// iputils' output in Junos' (BSD's) layout: `PING h (a): 56 data bytes`,
/// sequence numbers from 0, `N packets received`, `round-trip
/// min/avg/max/stddev`; with `rapid`, one `!` per reply.
pub fn junos_layout(text: &str, rapid: bool) -> String {
    static HEAD: OnceLock<Regex> = OnceLock::new();
    static REPLY: OnceLock<Regex> = OnceLock::new();
    static STATS: OnceLock<Regex> = OnceLock::new();
    static RTT: OnceLock<Regex> = OnceLock::new();
    let head = re(
        &HEAD,
        r"^PING (\S+) \((\S+)\) (\d+)\(\d+\) bytes of data\.$",
    );
    let reply = re(&REPLY, r"^(.*icmp_seq=)(\d+)( .*)$");
    let stats = re(
        &STATS,
        r"^(\d+) packets transmitted, (\d+) received(?:, \+\d+ errors)?, ([\d.]+)% packet loss",
    );
    let rtt = re(&RTT, r"^rtt min/avg/max/mdev = (.*)$");
    let mut out = String::new();
    let mut bangs = String::new();
    for line in text.lines() {
        if let Some(c) = head.captures(line) {
            out.push_str(&format!(
                "PING {} ({}): {} data bytes\n",
                &c[1], &c[2], &c[3]
            ));
        } else if let Some(c) = reply.captures(line) {
            if rapid {
                bangs.push('!');
            } else {
                let seq = c[2].parse::<u64>().map_or(0, |n| n.saturating_sub(1));
                out.push_str(&format!("{}{seq}{}\n", &c[1], &c[3]));
            }
        } else if let Some(c) = stats.captures(line) {
            if rapid {
                let lost = c[1]
                    .parse::<usize>()
                    .unwrap_or(0)
                    .saturating_sub(bangs.len());
                bangs.push_str(&".".repeat(lost));
                out.push_str(&bangs);
                out.push('\n');
            }
            out.push_str(&format!(
                "{} packets transmitted, {} packets received, {}% packet loss\n",
                &c[1], &c[2], &c[3]
            ));
        } else if let Some(c) = rtt.captures(line) {
            out.push_str(&format!("round-trip min/avg/max/stddev = {}\n", &c[1]));
        } else if !rapid || line.starts_with("---") || line.is_empty() {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// `traceroute <host> [options]` as traceroute(8) arguments.
pub fn traceroute_args(host: &str, opts: &[&str]) -> Result<Vec<String>, CliError> {
    let mut args: Vec<String> = Vec::new();
    let mut i = 0;
    while let Some(&w) = opts.get(i) {
        let mut step = 2;
        match w {
            "source" => args.extend(["-s".into(), value(opts, i, "source")?.into()]),
            "interface" => {
                args.extend(["-i".into(), linux_interface(value(opts, i, "interface")?)])
            }
            "ttl" => args.extend(["-m".into(), value(opts, i, "ttl")?.into()]),
            "wait" => args.extend(["-w".into(), value(opts, i, "wait")?.into()]),
            "inet" | "inet6" | "no-resolve" => {
                step = 1;
                args.push(
                    match w {
                        "inet" => "-4",
                        "inet6" => "-6",
                        _ => "-n",
                    }
                    .into(),
                );
            }
            other => return Err(CliError::plain(format!("syntax error: {other}"))),
        }
        i += step;
    }
    args.push(host.to_string());
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    const IPUTILS: &str = "PING 10.99.2.2 (10.99.2.2) 56(84) bytes of data.
64 bytes from 10.99.2.2: icmp_seq=1 ttl=64 time=0.061 ms
64 bytes from 10.99.2.2: icmp_seq=2 ttl=64 time=0.055 ms

--- 10.99.2.2 ping statistics ---
2 packets transmitted, 2 received, 0% packet loss, time 1001ms
rtt min/avg/max/mdev = 0.055/0.058/0.061/0.003 ms
";

    #[test]
    fn options_map_to_iputils() {
        let p = Ping::parse(
            "10.99.2.2",
            &["count", "2", "size", "100", "interface", "ge-0/0/1.0"],
        )
        .expect("parses");
        assert_eq!(
            p.args,
            ["-s", "100", "-I", "ge-0-0-1", "-c", "2", "10.99.2.2"]
        );
        let r = Ping::parse("h", &["rapid"]).expect("parses");
        assert!(r.rapid);
        assert_eq!(r.args, ["-i", "0.01", "-c", "5", "h"]);
        assert!(Ping::parse("h", &["count"]).is_err());
        assert_eq!(
            traceroute_args("h", &["no-resolve", "ttl", "5"]).expect("parses"),
            ["-n", "-m", "5", "h"]
        );
    }

    #[test]
    fn output_is_in_the_junos_layout() {
        assert_eq!(
            junos_layout(IPUTILS, false),
            "PING 10.99.2.2 (10.99.2.2): 56 data bytes
64 bytes from 10.99.2.2: icmp_seq=0 ttl=64 time=0.061 ms
64 bytes from 10.99.2.2: icmp_seq=1 ttl=64 time=0.055 ms

--- 10.99.2.2 ping statistics ---
2 packets transmitted, 2 packets received, 0% packet loss
round-trip min/avg/max/stddev = 0.055/0.058/0.061/0.003 ms
"
        );
        let rapid = junos_layout(IPUTILS, true);
        assert!(
            rapid.starts_with("PING 10.99.2.2 (10.99.2.2): 56 data bytes\n"),
            "{rapid}"
        );
        assert!(rapid.contains("\n!!\n"), "{rapid}");
    }
}
