//! Shared helpers: a simulator on 127.0.0.1 (free port) and a client pointed at it.

pub mod contract;
pub mod mock;
pub mod specgen;
pub mod world;

use std::time::Duration;

use app::ports::Secret;
use chrono::NaiveDate;
use sellsy::{Pacing, RetryPolicy, SellsyClient, SellsyConfig};
use simulators::sellsy::{Sim, SimConfig};

pub fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A fast configuration: high quotas, short backoffs, short timeouts.
pub fn fast_sim() -> SimConfig {
    SimConfig {
        per_second: 200,
        per_minute: 6000,
        ..SimConfig::default()
    }
}

pub fn client_for(sim: &Sim) -> SellsyConfig {
    let mut cfg = SellsyConfig::new(sim.client_id(), Secret::new(sim.client_secret()))
        .with_base_urls(sim.api_base(), sim.token_url());
    cfg.retry = RetryPolicy {
        max_attempts: 10,
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(400),
    };
    cfg.request_timeout = Duration::from_millis(1500);
    cfg.pacing = Pacing {
        margin: Duration::from_millis(30),
        ..Pacing::default()
    };
    cfg
}

pub fn client(sim: &Sim) -> SellsyClient {
    SellsyClient::new(client_for(sim)).unwrap()
}
