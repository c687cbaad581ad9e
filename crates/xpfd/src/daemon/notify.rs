// SPDX-License-Identifier: Apache-2.0
//! systemd's notify protocol (Type=notify, WatchdogSec=), spoken directly:
//! one datagram to $NOTIFY_SOCKET. Outside systemd these do nothing.

use std::time::Duration;

fn send(state: &str) {
    let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
        return;
    };
    let sock = match std::os::unix::net::UnixDatagram::unbound() {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!("sd_notify: {e}");
            return;
        }
    };
    let bytes = path.as_encoded_bytes();
    let result = if let Some(abstract_name) = bytes.strip_prefix(b"@") {
        use std::os::linux::net::SocketAddrExt;
        std::os::unix::net::SocketAddr::from_abstract_name(abstract_name)
            .and_then(|addr| sock.send_to_addr(state.as_bytes(), &addr))
    } else {
        sock.send_to(state.as_bytes(), &path)
    };
    if let Err(e) = result {
        tracing::warn!("sd_notify {state}: {e}");
    }
}

/// READY=1: the API is being served.
pub fn ready() {
    send("READY=1");
}

/// STOPPING=1.
pub fn stopping() {
    send("STOPPING=1");
}

/// Pets the watchdog at half the interval systemd asked for.
pub async fn watchdog() {
    let Some(usec) = std::env::var("WATCHDOG_USEC")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    else {
        return;
    };
    let mut tick = tokio::time::interval(Duration::from_micros(usec / 2));
    loop {
        tick.tick().await;
        send("WATCHDOG=1");
    }
}
