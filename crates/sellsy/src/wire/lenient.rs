//! Field decoders that accept everything the spec allows for a value, and what its own
//! examples show where they disagree with its types:
//!
//! - decimals (money, quantities, rates) as JSON strings or numbers, plain or in scientific
//!   notation, of any precision: more than a `Decimal` holds (28 significant digits) is
//!   rounded half away from zero and the original text kept so the rounding can be reported;
//! - integers of any sign (the spec gives most integers no minimum), also sent as digit
//!   strings;
//! - text that the spec types as a string but shows as a number (`GET /accounting-codes`
//!   example `"code": 411000`) is read as the number's digits;
//! - `null` and an empty string read as absent (spec: a missing field is not `null`, but
//!   neither gives a value).

use rust_decimal::Decimal;
use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A decimal as Sellsy sent it.
#[derive(Debug, Clone, PartialEq)]
pub struct Dec {
    pub value: Decimal,
    /// The text Sellsy sent, when it had more digits than a `Decimal` holds and was rounded.
    pub rounded_from: Option<String>,
}

/// Most significant digits a `Decimal` holds for any value (its 96-bit mantissa holds 28 nines).
const MAX_DIGITS: usize = 28;

/// Parses a decimal written as Sellsy or JSON writes it: `-12.50`, `20`, `1.5e-39`, `3E+2`.
/// Digits beyond what a `Decimal` holds are rounded (half away from zero); a value too large
/// for a `Decimal` (about 7.9e28) is refused.
pub fn parse_decimal(text: &str) -> Result<Dec, String> {
    let t = text.trim();
    let bad = || format!("{text:?} is not a decimal number");
    let (negative, rest) = match t.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], rest[i + 1..].parse::<i64>().map_err(|_| bad())?),
        None => (rest, 0),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, f),
        None => (mantissa, ""),
    };
    if int_part.is_empty() && frac_part.is_empty()
        || !int_part
            .bytes()
            .chain(frac_part.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return Err(bad());
    }
    // value = digits × 10^-scale
    let mut digits: Vec<u8> = int_part
        .bytes()
        .chain(frac_part.bytes())
        .map(|b| b - b'0')
        .collect();
    let mut scale: i64 = (frac_part.len() as i64).saturating_sub(exponent);
    let lead = digits.iter().take_while(|d| **d == 0).count();
    digits.drain(..lead);
    if digits.is_empty() {
        return Ok(Dec {
            value: Decimal::ZERO,
            rounded_from: None,
        });
    }
    if scale < 0 {
        if (digits.len() as i64).saturating_sub(scale) > 40 {
            return Err(format!("{text:?} is too large for an amount"));
        }
        digits.extend(std::iter::repeat_n(0, (-scale) as usize));
        scale = 0;
    }
    let int_digits = (digits.len() as i64 - scale).max(0);
    if int_digits > MAX_DIGITS as i64 {
        return Err(format!("{text:?} is too large for an amount"));
    }
    // Keep at most MAX_DIGITS significant digits and a scale of at most 28.
    let keep_scale = scale.min(28).min(MAX_DIGITS as i64 - int_digits).max(0);
    let mut rounded = false;
    if keep_scale < scale {
        let drop = (scale - keep_scale) as usize;
        let (kept_len, dropped) = if drop >= digits.len() {
            (0, digits.clone())
        } else {
            (digits.len() - drop, digits[digits.len() - drop..].to_vec())
        };
        rounded = dropped.iter().any(|d| *d != 0);
        let up = drop <= digits.len() && dropped.first().is_some_and(|d| *d >= 5);
        digits.truncate(kept_len);
        scale = keep_scale;
        if up {
            // Carry the rounding up through the kept digits.
            let mut i = digits.len();
            loop {
                if i == 0 {
                    digits.insert(0, 1);
                    break;
                }
                i -= 1;
                if digits[i] == 9 {
                    digits[i] = 0;
                } else {
                    digits[i] += 1;
                    break;
                }
            }
        }
        if digits.is_empty() {
            digits.push(0);
        }
    }
    let mut s: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
    if scale > 0 {
        let scale = scale as usize;
        if s.len() <= scale {
            s = format!("{}{s}", "0".repeat(scale - s.len() + 1));
        }
        s.insert(s.len() - scale, '.');
    }
    let mut value = s.parse::<Decimal>().map_err(|e| format!("{text:?}: {e}"))?;
    if negative && !value.is_zero() {
        value.set_sign_negative(true);
    }
    Ok(Dec {
        value,
        rounded_from: rounded.then(|| text.to_string()),
    })
}

fn dec_of(v: Value) -> Result<Option<Dec>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => parse_decimal(&s).map(Some),
        // serde_json prints the shortest text that reads back as the same f64 ("5.5", "1e-39").
        Value::Number(n) => parse_decimal(&n.to_string()).map(Some),
        other => Err(format!("expected a decimal, got {other}")),
    }
}

/// `Option<Dec>` from a string or a number; absent, `null` and `""` are `None`.
pub fn de_dec<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Dec>, D::Error> {
    dec_of(Value::deserialize(d)?).map_err(D::Error::custom)
}

fn int_of(v: &Value) -> Result<Option<i64>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(Some(i))
            } else if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15) {
                Ok(Some(f as i64))
            } else {
                Err(format!("{n} is not an integer Sellsy can mean"))
            }
        }
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => s
            .trim()
            .parse::<i64>()
            .map(Some)
            .map_err(|_| format!("{s:?} is not an integer")),
        other => Err(format!("expected an integer, got {other}")),
    }
}

/// `Option<i64>` from an integer of any sign (or a digit string).
pub fn de_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    int_of(&Value::deserialize(d)?).map_err(D::Error::custom)
}

/// `Option<u64>` for counters that cannot be negative (quota limits and use): a negative or
/// unreadable value reads as unknown rather than failing the answer.
pub fn de_count<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    let v = Value::deserialize(d)?;
    Ok(int_of(&v)
        .ok()
        .flatten()
        .and_then(|i| u64::try_from(i).ok()))
}

/// Text as a string, or a number's digits; `null` and blank text are `None`.
pub fn text_of(v: &Value) -> Result<Option<String>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s.clone())),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::Bool(b) => Ok(Some(b.to_string())),
        other => Err(format!("expected text, got {other}")),
    }
}

pub fn de_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    text_of(&Value::deserialize(d)?).map_err(D::Error::custom)
}

/// A boolean; `null` is `None`.
pub fn de_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match Value::deserialize(d)? {
        Value::Null => Ok(None),
        Value::Bool(b) => Ok(Some(b)),
        Value::String(s) if s == "true" || s == "1" => Ok(Some(true)),
        Value::String(s) if s == "false" || s == "0" => Ok(Some(false)),
        Value::Number(n) if n.as_u64() == Some(1) => Ok(Some(true)),
        Value::Number(n) if n.as_u64() == Some(0) => Ok(Some(false)),
        other => Err(D::Error::custom(format!("expected a boolean, got {other}"))),
    }
}

fn date_of(s: &str) -> Option<chrono::NaiveDate> {
    let s = s.trim();
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        // A date-time where a date is due: its calendar date as written.
        .or_else(|| {
            chrono::DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|t| t.date_naive())
        })
}

/// A date (`YYYY-MM-DD`); a value that is not one fails the field.
pub fn de_date<'de, D: Deserializer<'de>>(d: D) -> Result<Option<chrono::NaiveDate>, D::Error> {
    match text_of(&Value::deserialize(d)?).map_err(D::Error::custom)? {
        None => Ok(None),
        Some(s) => date_of(&s)
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("{s:?} is not a date"))),
    }
}

/// A date the connector can do without (a due date, a list item's date): a value that is
/// not a date reads as unknown.
pub fn de_date_or_unknown<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<chrono::NaiveDate>, D::Error> {
    Ok(text_of(&Value::deserialize(d)?)
        .ok()
        .flatten()
        .and_then(|s| date_of(&s)))
}

/// A timestamp the connector can do without (`created`): unreadable reads as unknown.
pub fn de_time_or_unknown<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<chrono::DateTime<chrono::FixedOffset>>, D::Error> {
    Ok(text_of(&Value::deserialize(d)?)
        .ok()
        .flatten()
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s.trim()).ok()))
}

/// Decodes an answer, naming the field at fault when it cannot
/// (`taxes[0].rate: "N" is not a decimal number`).
pub fn decode<T: DeserializeOwned>(v: Value) -> Result<T, String> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner().to_string();
        if path.is_empty() || path == "." {
            inner
        } else {
            format!("{path}: {inner}")
        }
    })
}

/// A field that may be absent (not requested, or projected away), `null`, or set.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Presence<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<T> Presence<T> {
    pub fn value(&self) -> Option<&T> {
        match self {
            Presence::Value(v) => Some(v),
            _ => None,
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Presence<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(d)? {
            Some(v) => Presence::Value(v),
            None => Presence::Null,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The value read (normalized) and whether it was rounded.
    fn p(s: &str) -> (String, bool) {
        let d = parse_decimal(s).unwrap();
        (d.value.normalize().to_string(), d.rounded_from.is_some())
    }

    #[test]
    fn decimals_of_any_precision() {
        assert_eq!(parse_decimal("20.00").unwrap().value.to_string(), "20.00");
        assert_eq!(p("-12.5"), ("-12.5".into(), false));
        assert_eq!(p("5.5"), ("5.5".into(), false));
        assert_eq!(p("3E+2"), ("300".into(), false));
        assert_eq!(p(".5"), ("0.5".into(), false));
        assert_eq!(p("7."), ("7".into(), false));
        assert_eq!(p("-0.000"), ("0".into(), false));
        // 38 and 39 decimals (the "Scale exceeds the maximum precision allowed").
        assert_eq!(
            p("20.00000000000000000000000000000000000001"),
            ("20".into(), true)
        );
        assert_eq!(p("1.5e-39"), ("0".into(), true));
        assert_eq!(
            p("1.5e-28"),
            ("0.0000000000000000000000000002".into(), true)
        );
        assert_eq!(p("0.99999999999999999999999999999999"), ("1".into(), true));
        assert_eq!(p("1e27"), ("1000000000000000000000000000".into(), false));
        assert_eq!(p("1e-9223372036854775807"), ("0".into(), true));
        assert!(parse_decimal("1e30").is_err());
        assert!(parse_decimal("1e9223372036854775807").is_err());
        assert!(parse_decimal("abc").is_err());
        assert!(parse_decimal("").is_err());
        assert!(parse_decimal("1.2.3").is_err());
        assert!(parse_decimal("-").is_err());
    }

    #[test]
    fn numbers_strings_and_nulls() {
        assert_eq!(
            dec_of(serde_json::json!(20))
                .unwrap()
                .unwrap()
                .value
                .to_string(),
            "20"
        );
        assert_eq!(
            dec_of(serde_json::json!(5.5))
                .unwrap()
                .unwrap()
                .value
                .to_string(),
            "5.5"
        );
        assert!(dec_of(serde_json::json!(null)).unwrap().is_none());
        assert!(dec_of(serde_json::json!("")).unwrap().is_none());
        assert_eq!(int_of(&serde_json::json!(-12)).unwrap(), Some(-12));
        assert_eq!(int_of(&serde_json::json!("42")).unwrap(), Some(42));
        assert!(int_of(&serde_json::json!(1.5)).is_err());
        assert_eq!(
            text_of(&serde_json::json!(411000)).unwrap().as_deref(),
            Some("411000")
        );
    }
}
