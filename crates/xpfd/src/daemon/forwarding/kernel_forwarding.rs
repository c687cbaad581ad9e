// SPDX-License-Identifier: Apache-2.0
//! The kernel's own forwarding switch per data interface: the fail-closed
//! half of running a dataplane (issue 6).
//!
//! xpf forwards, never the kernel. Where no xpf dataplane runs on a data
//! interface, IPv4 forwarding is switched off on it, so transit traffic
//! arriving there is dropped by the kernel instead of routed unchecked.
//! The eBPF dataplane needs it on: `bpf_fib_lookup` answers only for an
//! ingress interface with forwarding enabled. That is safe because the XDP
//! program decides every IPv4 frame first and passes to the kernel only
//! what is addressed to the box (its addresses, broadcast, multicast),
//! which the kernel delivers locally rather than forwards. AF_XDP needs no
//! kernel forwarding at all, so it runs with it off, except where it
//! shares the box with the eBPF fallback (`userspace`): the program's
//! route lookups for frames from AF_XDP interfaces need it on there, and
//! the shim, like the program, hands the kernel only traffic for the box.
//!
//! IPv6's per-interface switch (`conf/<if>/forwarding`) does not make the
//! kernel forward (`conf/all/forwarding` gates that, and neither dataplane
//! wants the kernel to forward IPv6, so it is off box-wide whenever xpfd
//! owns forwarding), but `bpf_fib_lookup` answers IPv6 only for an ingress
//! interface with it on: the eBPF dataplane turns it on where it runs.

/// Why a kernel switch under /proc/sys could not be set.
#[derive(Debug, thiserror::Error)]
pub enum SysctlError {
    /// Not a name to put in a /proc/sys path.
    #[error("{0:?} is not an interface name")]
    BadName(String),
    /// Reading or writing the switch.
    #[error("{what} {path}: {source}")]
    Io {
        /// The operation (`writing 0 to`, `reading`).
        what: String,
        /// The switch.
        path: String,
        /// The system's answer.
        #[source]
        source: std::io::Error,
    },
}

impl SysctlError {
    /// An I/O error's `map_err`.
    pub fn io(what: impl Into<String>, path: &str) -> impl FnOnce(std::io::Error) -> SysctlError {
        let (what, path) = (what.into(), path.to_string());
        move |source| SysctlError::Io { what, path, source }
    }
}

/// Whether the kernel may forward IPv4 arriving on `linux_name`.
pub fn set_ipv4(linux_name: &str, on: bool) -> Result<(), SysctlError> {
    checked(linux_name)?;
    write(
        &format!("/proc/sys/net/ipv4/conf/{linux_name}/forwarding"),
        on,
    )
}

/// Whether `bpf_fib_lookup` may route IPv6 arriving on `linux_name` (the
/// interface acts as a router's; the kernel still forwards no IPv6 while
/// `conf/all/forwarding` is off).
pub fn set_ipv6(linux_name: &str, on: bool) -> Result<(), SysctlError> {
    checked(linux_name)?;
    write(
        &format!("/proc/sys/net/ipv6/conf/{linux_name}/forwarding"),
        on,
    )
}

/// Has the kernel ignore router advertisements on the data interfaces
/// (and on interfaces yet to come). With IPv6 forwarding off the kernel
/// acts as a host and would take addresses and default routes from
/// whoever sends an RA on a segment, and the dataplanes route by the
/// kernel's table: a firewall takes no routing orders from its networks.
pub fn ignore_router_advertisements<'a>(
    names: impl IntoIterator<Item = &'a String>,
) -> Result<(), SysctlError> {
    write("/proc/sys/net/ipv6/conf/default/accept_ra", false)?;
    for n in names {
        checked(n)?;
        write(&format!("/proc/sys/net/ipv6/conf/{n}/accept_ra"), false)?;
        write(&format!("/proc/sys/net/ipv6/conf/{n}/autoconf"), false)?;
    }
    Ok(())
}

/// Switches the kernel's IPv6 forwarding off, box-wide.
pub fn ipv6_off() -> Result<(), SysctlError> {
    write("/proc/sys/net/ipv6/conf/all/forwarding", false)
}

/// A name safe to put in a /proc/sys path.
fn checked(linux_name: &str) -> Result<(), SysctlError> {
    if linux_name.contains('/') || linux_name.starts_with('.') {
        return Err(SysctlError::BadName(linux_name.to_string()));
    }
    Ok(())
}

fn write(path: &str, on: bool) -> Result<(), SysctlError> {
    let want = if on { "1" } else { "0" };
    if std::fs::read_to_string(path).is_ok_and(|v| v.trim() == want) {
        return Ok(());
    }
    std::fs::write(path, want).map_err(SysctlError::io(format!("writing {want} to"), path))
}

/// Fails closed on every interface of `names`, logging what could not be
/// switched off (nothing else can be done about it).
pub fn close_all<'a>(names: impl IntoIterator<Item = &'a String>) {
    for n in names {
        if let Err(e) = set_ipv4(n, false) {
            tracing::error!(interface = %n, "cannot stop the kernel forwarding transit traffic: {e}");
        }
        if let Err(e) = set_ipv6(n, false) {
            tracing::warn!(interface = %n, "cannot switch IPv6 router mode off: {e}");
        }
    }
}
