//! `Retry-After` (RFC 9110 §10.2.3): `delay-seconds` or an `HTTP-date`.

use std::time::{Duration, SystemTime};

use reqwest::header::{HeaderMap, RETRY_AFTER};

/// How long the server asked to wait, counted from now; `None` without a readable header.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    retry_after_at(headers, SystemTime::now())
}

/// [`retry_after`] counted from `now`.
pub fn retry_after_at(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    parse_retry_after(headers.get(RETRY_AFTER)?.to_str().ok()?, now)
}

/// One `Retry-After` value. Seconds may carry a fraction (some servers send `1.5`); a negative,
/// infinite or absurdly large number is no answer. Dates are read in the three formats RFC 9110
/// §5.6.7 obliges a recipient to accept (IMF-fixdate, RFC 850, asctime); a date already past
/// means "now".
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<f64>() {
        return if secs >= 0.0 {
            Duration::try_from_secs_f64(secs).ok()
        } else {
            None
        };
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(unix: u64) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_secs(unix)
    }

    #[test]
    fn reads_delay_seconds() {
        let now = SystemTime::now();
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("1.5", now),
            Some(Duration::from_millis(1500))
        );
    }

    #[test]
    fn reads_http_dates_in_the_three_formats() {
        // Sun, 06 Nov 1994 08:49:37 GMT is 784111777 (RFC 9110 §5.6.7's example).
        let now = at(784_111_777 - 120);
        for v in [
            "Sun, 06 Nov 1994 08:49:37 GMT",
            "Sunday, 06-Nov-94 08:49:37 GMT",
            "Sun Nov  6 08:49:37 1994",
        ] {
            assert_eq!(
                parse_retry_after(v, now),
                Some(Duration::from_secs(120)),
                "{v}"
            );
        }
    }

    #[test]
    fn a_past_date_means_now() {
        let now = at(784_111_777 + 5);
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", now),
            Some(Duration::ZERO)
        );
    }

    #[test]
    fn nonsense_is_no_answer() {
        let now = SystemTime::now();
        for v in ["", "soon", "-3", "NaN", "inf", "1e300", "Sun, 06 Nov 1994"] {
            assert_eq!(parse_retry_after(v, now), None, "{v}");
        }
    }

    #[test]
    fn reads_the_header() {
        let now = at(784_111_777 - 7);
        let mut h = HeaderMap::new();
        assert_eq!(retry_after_at(&h, now), None);
        h.insert(
            RETRY_AFTER,
            "Sun, 06 Nov 1994 08:49:37 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after_at(&h, now), Some(Duration::from_secs(7)));
        h.insert(RETRY_AFTER, "12".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(12)));
    }
}
