//! Product ids the way upstream reads them: Ruby's `Integer()` of the last non-empty segment of
//! the percent-decoded path, which takes `0x1A`, `0b1`, `0o7`, `010` (octal), `1_000`, a sign and
//! surrounding white space, and has no size limit.
//!
//! An id is kept as its decimal digits, so it goes back out as a JSON number of any size, digit
//! for digit, as upstream's bignums do.

use std::fmt;

use percent_encoding::percent_decode_str;
use serde::ser::Error as _;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use crate::error::Error;

/// The longest id segment read, in decoded bytes. Far beyond any real id; it bounds the
/// quadratic work of converting a huge hex or octal number to decimal.
pub const MAX_ID_LEN: usize = 1024;

/// A product id: any integer, written in canonical decimal (`-5`, `26`, `99999999999999999999`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProductId {
    decimal: String,
}

impl ProductId {
    /// The id in the last non-empty segment of a request path as received (still
    /// percent-encoded; the query already removed).
    pub fn from_path(raw_path: &str) -> Result<Self, Error> {
        // Decoded before splitting, as WEBrick does: `%2F` separates segments too.
        let decoded: Vec<u8> = percent_decode_str(raw_path).collect();
        let segment = decoded
            .split(|byte| *byte == b'/')
            .rfind(|segment| !segment.is_empty())
            .unwrap_or_default();
        Self::parse(segment)
    }

    /// Reads one id as Ruby's `Integer()` reads a string.
    pub fn parse(text: &[u8]) -> Result<Self, Error> {
        if text.len() > MAX_ID_LEN {
            return Err(Error::ProductIdTooLong(MAX_ID_LEN));
        }
        let text = trim_ruby_space(text);
        let (negative, unsigned) = match text {
            [b'-', rest @ ..] => (true, rest),
            [b'+', rest @ ..] => (false, rest),
            _ => (false, text),
        };
        let (radix, body) = split_radix(unsigned);
        let digits = digit_values(body, radix).ok_or(Error::BadProductId)?;
        let magnitude = to_decimal(&digits, radix);
        let decimal = if negative && magnitude != "0" {
            format!("-{magnitude}")
        } else {
            magnitude
        };
        Ok(Self { decimal })
    }

    /// The id in canonical decimal, as it is written in JSON.
    pub fn as_str(&self) -> &str {
        &self.decimal
    }
}

impl From<i64> for ProductId {
    fn from(id: i64) -> Self {
        Self {
            decimal: id.to_string(),
        }
    }
}

impl fmt::Display for ProductId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.decimal)
    }
}

impl Serialize for ProductId {
    /// A JSON number of whatever size: the digits go out as they are, never through a float.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        RawValue::from_string(self.decimal.clone())
            .map_err(S::Error::custom)?
            .serialize(serializer)
    }
}

/// Strips what Ruby's `ISSPACE` counts as space (space, `\t`, `\n`, `\v`, `\f`, `\r`) from both
/// ends. Ruby skips it before the sign and after the digits, nowhere else.
fn trim_ruby_space(mut text: &[u8]) -> &[u8] {
    let is_space = |byte: &u8| matches!(byte, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    while let [first, rest @ ..] = text
        && is_space(first)
    {
        text = rest;
    }
    while let [rest @ .., last] = text
        && is_space(last)
    {
        text = rest;
    }
    text
}

/// The radix an unsigned number is written in, and its digits: a `0x`, `0b`, `0o` or `0d` prefix
/// (either case) names it; any other leading `0` followed by more means octal; else decimal.
fn split_radix(text: &[u8]) -> (u32, &[u8]) {
    match text {
        [b'0', b'x' | b'X', rest @ ..] => (16, rest),
        [b'0', b'b' | b'B', rest @ ..] => (2, rest),
        [b'0', b'o' | b'O', rest @ ..] => (8, rest),
        [b'0', b'd' | b'D', rest @ ..] => (10, rest),
        [b'0', _, ..] => (8, text),
        _ => (10, text),
    }
}

/// The value of each digit, most significant first: at least one digit of `radix`, with single
/// underscores allowed only between two digits. `None` for anything else.
fn digit_values(body: &[u8], radix: u32) -> Option<Vec<u8>> {
    let mut digits = Vec::with_capacity(body.len());
    let mut after_underscore = false;
    for &byte in body {
        if byte == b'_' {
            if digits.is_empty() || after_underscore {
                return None;
            }
            after_underscore = true;
        } else {
            let value = char::from(byte).to_digit(radix)?;
            digits.push(u8::try_from(value).ok()?);
            after_underscore = false;
        }
    }
    (!digits.is_empty() && !after_underscore).then_some(digits)
}

/// Digits in `radix` (2 to 16) as a decimal string without leading zeros.
fn to_decimal(digits: &[u8], radix: u32) -> String {
    /// Each limb holds nine decimal digits.
    const LIMB: u64 = 1_000_000_000;
    let mut limbs: Vec<u64> = Vec::new(); // least significant first
    for &digit in digits {
        let mut carry = u64::from(digit);
        for limb in &mut limbs {
            let value = *limb * u64::from(radix) + carry;
            *limb = value % LIMB;
            carry = value / LIMB;
        }
        if carry > 0 {
            limbs.push(carry);
        }
    }
    match limbs.split_last() {
        None => "0".to_owned(),
        Some((most, rest)) => {
            let mut decimal = most.to_string();
            for limb in rest.iter().rev() {
                decimal.push_str(&format!("{limb:09}"));
            }
            decimal
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Option<String> {
        ProductId::parse(text.as_bytes())
            .ok()
            .map(|id| id.to_string())
    }

    #[test]
    fn integer_limits_are_exact() {
        for value in [i64::MIN, i64::MAX, -1, 0, 1] {
            assert_eq!(parsed(&value.to_string()), Some(value.to_string()));
        }
        assert_eq!(parsed(&u64::MAX.to_string()), Some(u64::MAX.to_string()));
        assert_eq!(parsed("0xffffffffffffffff"), Some(u64::MAX.to_string()));
        assert_eq!(parsed("-0x8000000000000000"), Some(i64::MIN.to_string()));
        assert_eq!(
            parsed("0x1_0000_0000_0000_0000"),
            Some("18446744073709551616".to_owned())
        );
    }

    #[test]
    fn every_radix_converts_across_limbs() {
        let big = "123456789012345678901234567890";
        assert_eq!(parsed(big), Some(big.to_owned()));
        assert_eq!(
            parsed("0x18ee90ff6c373e0ee4e3f0ad2"),
            Some(big.to_owned()),
            "hex"
        );
        assert_eq!(
            parsed("0o143564417755415637016711617605322"),
            Some(big.to_owned()),
            "octal"
        );
        assert_eq!(
            parsed("0b1000000000000000000000000000000"),
            Some("1073741824".to_owned())
        );
        assert_eq!(
            parsed("1000000000"),
            Some("1000000000".to_owned()),
            "one limb exactly"
        );
    }

    #[test]
    fn minus_zero_is_zero() {
        assert_eq!(parsed("-0"), Some("0".to_owned()));
        assert_eq!(parsed("-0x0"), Some("0".to_owned()));
    }

    #[test]
    fn ruby_corner_cases() {
        let cases = [
            ("0_10", Some("8"), "underscore after the octal zero"),
            ("00", Some("0"), "leading zeros"),
            ("0", Some("0"), "a lone zero is decimal"),
            ("0 ", Some("0"), "trailing space after a zero"),
            (
                "\u{b}7\u{c}",
                Some("7"),
                "vertical tab and form feed are space",
            ),
            ("08", None, "8 is not octal"),
            ("0x", None, "prefix without digits"),
            ("0x_1", None, "underscore right after the prefix"),
            ("0_", None, "trailing underscore"),
            ("1__0", None, "double underscore"),
            ("_1", None, "leading underscore"),
            ("+-1", None, "two signs"),
            ("- 1", None, "space after the sign"),
            ("1 2", None, "space inside"),
            ("1\0", None, "NUL byte"),
            ("١", None, "non-ASCII digit"),
        ];
        for (text, expected, why) in cases {
            assert_eq!(parsed(text).as_deref(), expected, "{text:?}: {why}");
        }
    }

    #[test]
    fn too_long_id_is_refused_without_converting() {
        let long = "1".repeat(MAX_ID_LEN + 1);
        assert!(matches!(
            ProductId::parse(long.as_bytes()),
            Err(Error::ProductIdTooLong(MAX_ID_LEN))
        ));
        let longest_hex = format!("0x{}", "f".repeat(MAX_ID_LEN - 2));
        assert!(ProductId::parse(longest_hex.as_bytes()).is_ok());
    }

    #[test]
    fn path_gives_its_last_non_empty_segment_decoded() {
        let id = |path: &str| ProductId::from_path(path).ok().map(|id| id.to_string());
        assert_eq!(id("/details/0/7").as_deref(), Some("7"));
        assert_eq!(id("/details/0//").as_deref(), Some("0"));
        assert_eq!(id("/details/1%2F2").as_deref(), Some("2"));
        assert_eq!(id("/details/%201").as_deref(), Some("1"));
        assert_eq!(id("/details/%ff"), None, "not UTF-8, not a number");
        assert_eq!(id("/details"), None);
        assert_eq!(id("/"), None);
    }

    #[test]
    fn serialises_as_a_bare_json_number() {
        let id = ProductId::parse(b"99999999999999999999").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "99999999999999999999");
        assert_eq!(serde_json::to_string(&ProductId::from(-5)).unwrap(), "-5");
    }
}
