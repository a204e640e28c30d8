//! What one running simulator holds: its settings, data, tokens, quotas, counters and the
//! errors and faults injected into it.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rand::SeedableRng;
use rand::rngs::StdRng;

use super::quota::Quota;
use crate::sellsy::config::{ErrorRule, Faults, SimConfig, SimStats};
use crate::sellsy::data::{Dataset, Kind};

pub(crate) struct Inner {
    pub cfg: SimConfig,
    pub data: Dataset,
    pub tokens: HashMap<String, Instant>,
    pub quota: Quota,
    pub stats: SimStats,
    pub rng: StdRng,
    pub faults: Faults,
    pub rules: Vec<ErrorRule>,
    pub violations: Vec<String>,
    pub scopes: HashSet<String>,
    pub corrupt_pdfs: HashSet<(Kind, u64)>,
    pub base: String,
}

pub(crate) type Shared = Arc<Mutex<Inner>>;

impl Inner {
    pub fn new(cfg: SimConfig, base: String) -> Inner {
        let data = Dataset::generate(&cfg.gen_params());
        Inner {
            quota: Quota::new(&cfg),
            rng: StdRng::seed_from_u64(cfg.seed ^ 0x5eed),
            faults: cfg.faults.clone(),
            scopes: cfg.scopes.iter().cloned().collect(),
            cfg,
            data,
            tokens: HashMap::new(),
            stats: SimStats::default(),
            rules: Vec::new(),
            violations: Vec::new(),
            corrupt_pdfs: HashSet::new(),
            base,
        }
    }
}
