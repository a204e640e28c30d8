//! Exponential backoff between the attempts of one request.

use std::time::Duration;

use rand::Rng;

/// `base`, doubled after each failure, at most `cap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
    pub jitter: Jitter,
}

/// How much of a backoff is random.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    /// The exponential delay itself.
    None,
    /// "Equal jitter": half the delay fixed, half random, so clients that failed together do not
    /// retry together (AWS Architecture Blog, "Exponential Backoff And Jitter", 2015).
    Equal,
}

impl Backoff {
    /// The wait before retry number `retry` (0 for the first retry): `base × 2^retry` (the
    /// exponent stops at 16), at most `cap`, then jittered.
    pub fn delay(&self, retry: u32) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << retry.min(16))
            .min(self.cap);
        match self.jitter {
            Jitter::None => exp,
            Jitter::Equal => {
                let half = exp / 2;
                let extra = rand::rng().random_range(0..=half.as_millis() as u64);
                half + Duration::from_millis(extra)
            }
        }
    }

    /// [`Backoff::delay`], but at least the wait the server asked for (`Retry-After`), itself
    /// at most `cap`.
    pub fn delay_at_least(&self, retry: u32, told: Option<Duration>) -> Duration {
        let d = self.delay(retry);
        match told {
            Some(t) => d.max(t.min(self.cap)),
            None => d,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[test]
    fn doubles_up_to_the_cap_without_jitter() {
        let b = Backoff {
            base: 500 * MS,
            cap: 3000 * MS,
            jitter: Jitter::None,
        };
        let got: Vec<_> = (0..5).map(|n| b.delay(n)).collect();
        assert_eq!(got, [500 * MS, 1000 * MS, 2000 * MS, 3000 * MS, 3000 * MS]);
        // A huge retry count neither overflows nor passes the cap.
        assert_eq!(b.delay(u32::MAX), 3000 * MS);
    }

    #[test]
    fn equal_jitter_stays_between_half_and_the_whole_delay() {
        let b = Backoff {
            base: 400 * MS,
            cap: 60_000 * MS,
            jitter: Jitter::Equal,
        };
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let d = b.delay(1);
            assert!((400 * MS..=800 * MS).contains(&d), "{d:?}");
            seen.insert(d);
        }
        assert!(seen.len() > 10, "the delays are not random: {seen:?}");
    }

    #[test]
    fn the_server_wait_is_a_floor_within_the_cap() {
        let b = Backoff {
            base: 10 * MS,
            cap: 5000 * MS,
            jitter: Jitter::None,
        };
        assert_eq!(b.delay_at_least(0, Some(2000 * MS)), 2000 * MS);
        assert_eq!(b.delay_at_least(0, Some(90_000 * MS)), 5000 * MS);
        assert_eq!(b.delay_at_least(3, Some(MS)), 80 * MS);
        assert_eq!(b.delay_at_least(0, None), 10 * MS);
    }
}
