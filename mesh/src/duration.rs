//! Durations as Istio YAML writes them (`7s`, `0.5s`, `10ms`, `3m`, `1h30m`) and as Envoy's
//! JSON wants them (`"0.500s"`).

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};

/// A duration read from Istio YAML.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct IstioDuration(pub Duration);

impl IstioDuration {
    /// Parses a Go-style duration: one or more `<number><unit>` with units `h`, `m`, `s`, `ms`,
    /// `us`/`µs` and `ns`, numbers possibly fractional. Istio's own parser accepts the same.
    pub fn parse(text: &str) -> Result<Self, String> {
        let invalid = || format!("invalid duration {text:?} (expected e.g. 7s, 0.5s, 100ms, 3m)");
        let mut rest = text.trim();
        if rest.is_empty() {
            return Err(invalid());
        }
        let mut total = 0f64;
        while !rest.is_empty() {
            let number_end = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .ok_or_else(invalid)?;
            let (number, tail) = rest.split_at(number_end);
            let value: f64 = number.parse().map_err(|_| invalid())?;
            let unit_end = tail
                .find(|c: char| c.is_ascii_digit() || c == '.')
                .unwrap_or(tail.len());
            let (unit, tail) = tail.split_at(unit_end);
            let seconds_per_unit = match unit {
                "h" => 3600.0,
                "m" => 60.0,
                "s" => 1.0,
                "ms" => 1e-3,
                "us" | "µs" => 1e-6,
                "ns" => 1e-9,
                _ => return Err(invalid()),
            };
            total += value * seconds_per_unit;
            rest = tail;
        }
        Duration::try_from_secs_f64(total)
            .map(IstioDuration)
            .map_err(|_| invalid())
    }

    /// Envoy's JSON form: seconds with up to nine decimals and an `s`.
    pub fn envoy(self) -> String {
        envoy_duration(self.0)
    }
}

/// Envoy's (protobuf JSON) form of `duration`: `"7s"`, `"0.500s"`.
pub fn envoy_duration(duration: Duration) -> String {
    let nanos = duration.subsec_nanos();
    if nanos == 0 {
        format!("{}s", duration.as_secs())
    } else {
        let fraction = format!("{nanos:09}");
        format!("{}.{}s", duration.as_secs(), fraction.trim_end_matches('0'))
    }
}

impl<'de> Deserialize<'de> for IstioDuration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct DurationVisitor;
        impl Visitor<'_> for DurationVisitor {
            type Value = IstioDuration;
            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("a duration such as 7s, 0.5s or 100ms")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<IstioDuration, E> {
                IstioDuration::parse(text).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(DurationVisitor)
    }
}

impl Serialize for IstioDuration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.envoy())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_the_forms_istio_docs_use() {
        let cases = [
            ("7s", Duration::from_secs(7)),
            ("0.5s", Duration::from_millis(500)),
            ("100ms", Duration::from_millis(100)),
            ("3m", Duration::from_secs(180)),
            ("1h30m", Duration::from_secs(5400)),
            ("2us", Duration::from_micros(2)),
        ];
        for (text, expected) in cases {
            assert_eq!(IstioDuration::parse(text).unwrap().0, expected, "{text}");
        }
    }

    #[test]
    fn parse_refuses_text_without_a_unit_or_number() {
        for text in ["", "7", "s", "7 seconds", "-1s", "1d"] {
            assert!(IstioDuration::parse(text).is_err(), "{text:?} accepted");
        }
    }

    #[test]
    fn envoy_form_is_seconds_with_trimmed_decimals() {
        assert_eq!(envoy_duration(Duration::from_secs(7)), "7s");
        assert_eq!(envoy_duration(Duration::from_millis(500)), "0.5s");
        assert_eq!(envoy_duration(Duration::from_millis(1250)), "1.25s");
        assert_eq!(envoy_duration(Duration::ZERO), "0s");
    }
}
