//! Who may talk to the SMTP listener, how many at once, for how long, and to how many
//! recipients. The listener sits behind the MTA that receives the domain's mail (and that removes
//! incoming `Authentication-Results` headers carrying our authserv-id, RFC 8601 §5): only that
//! MTA's addresses are let in (default: loopback), so nobody can hand us a message with a header
//! of our authserv-id written by themselves.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use wiring::PeerNet;

/// Name in the greeting and EHLO reply: never the authserv-id, which would tell a forger what
/// to write in a fake `Authentication-Results` header.
pub const GREETING_NAME: &str = "passerelle";

/// The listener's limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Addresses or networks of the MTAs allowed to connect (`[service] smtp_allowed_peers`);
    /// others get a 554 and are closed.
    pub allowed_peers: Vec<PeerNet>,
    /// Sessions open at once, all peers together; more get a 421.
    pub max_connections: usize,
    /// Sessions open at once from one address; more get a 421.
    pub max_per_peer: usize,
    /// Longest session, greeting to close; then a 421 and the connection is closed.
    pub session_deadline: Duration,
    /// Most RCPT commands in one transaction; more get a 452 (RFC 5321 §4.5.3.1.10).
    pub max_recipients: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            allowed_peers: PeerNet::loopback(),
            max_connections: 64,
            max_per_peer: 16,
            // A 40 MB message at 1 Mbit/s takes about 5.5 minutes.
            session_deadline: Duration::from_secs(15 * 60),
            // RFC 5321 §4.5.3.1.8: a server must accept at least 100 recipients.
            max_recipients: 100,
        }
    }
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_peer: HashMap<IpAddr, usize>,
}

/// Counts the open sessions; a [`Slot`] is held for each.
#[derive(Clone, Default)]
pub struct Admission {
    counts: Arc<Mutex<Counts>>,
}

/// One admitted session; dropping it frees its place.
#[derive(Debug)]
pub struct Slot {
    counts: Arc<Mutex<Counts>>,
    peer: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        c.total = c.total.saturating_sub(1);
        if let Some(n) = c.per_peer.get_mut(&self.peer) {
            *n -= 1;
            if *n == 0 {
                c.per_peer.remove(&self.peer);
            }
        }
    }
}

impl Admission {
    /// Lets `peer` in, or says (as a full SMTP reply line) why not.
    pub fn admit(&self, limits: &Limits, peer: IpAddr) -> Result<Slot, String> {
        if !limits.allowed_peers.iter().any(|n| n.contains(peer)) {
            return Err(format!(
                "554 5.7.1 {peer} is not an MTA allowed to deliver here"
            ));
        }
        let mut c = self.counts.lock().unwrap_or_else(|p| p.into_inner());
        if c.total >= limits.max_connections {
            return Err("421 4.7.0 too many connections, try again later".into());
        }
        let mine = c.per_peer.get(&peer).copied().unwrap_or(0);
        if mine >= limits.max_per_peer {
            return Err(format!(
                "421 4.7.0 too many connections from {peer}, try again later"
            ));
        }
        c.total += 1;
        c.per_peer.insert(peer, mine + 1);
        Ok(Slot {
            counts: self.counts.clone(),
            peer,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_are_counted_per_peer_and_in_total_and_freed_on_drop() {
        let a: IpAddr = "127.0.0.1".parse().unwrap();
        let b: IpAddr = "::1".parse().unwrap();
        let limits = Limits {
            max_connections: 2,
            max_per_peer: 1,
            ..Limits::default()
        };
        let adm = Admission::default();
        let first = adm.admit(&limits, a).unwrap();
        assert!(adm.admit(&limits, a).unwrap_err().starts_with("421"));
        let _second = adm.admit(&limits, b).unwrap();
        drop(first);
        let _third = adm.admit(&limits, a).unwrap();
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().unwrap();
        assert!(adm.admit(&limits, mapped).unwrap_err().starts_with("554"));
        let allowed = Limits {
            allowed_peers: vec!["192.0.2.7".parse().unwrap()],
            ..Limits::default()
        };
        assert!(adm.admit(&allowed, mapped).is_ok());
    }
}
