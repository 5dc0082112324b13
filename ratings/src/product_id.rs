//! The product id of a ratings request, read the way upstream reads it: JavaScript's `parseInt` of
//! whatever follows the last `/` of the raw request target, query string included.

use std::fmt;

use serde::Serialize;

/// The largest integer a JavaScript number holds exactly (`Number.MAX_SAFE_INTEGER`).
///
/// Upstream's ids are JavaScript numbers; within this range we print every id exactly as upstream
/// does, and beyond it upstream would start rounding, so longer ids are refused instead.
pub const MAX_PRODUCT_ID: i64 = (1 << 53) - 1;

/// A product id in `-MAX_PRODUCT_ID..=MAX_PRODUCT_ID`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ProductId(i64);

impl ProductId {
    /// The id in a request target such as `/ratings/7?x=1`: upstream takes the text after the
    /// last `/` (`7?x=1`) and reads a leading integer from it (`7`). `None` when there is no
    /// number there, or one outside the safe range.
    pub fn from_request_target(target: &str) -> Option<ProductId> {
        let last_segment = target.rsplit('/').next().unwrap_or(target);
        parse_int(last_segment)
    }

    pub fn new(id: i64) -> Option<ProductId> {
        (-MAX_PRODUCT_ID..=MAX_PRODUCT_ID)
            .contains(&id)
            .then_some(ProductId(id))
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for ProductId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// JavaScript's `parseInt(text)` with no radix: leading white space, an optional sign, a `0x`
/// prefix switching to hexadecimal, then as many digits as there are; anything after them is
/// ignored. `None` where JavaScript gives `NaN`, and for results outside the safe range.
fn parse_int(text: &str) -> Option<ProductId> {
    let text = text.trim_start_matches(is_js_white_space);
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (radix, digits) = match unsigned.get(..2) {
        Some("0x" | "0X") => (16, &unsigned[2..]),
        _ => (10, unsigned),
    };
    let mut magnitude: i64 = 0;
    let mut any_digit = false;
    for digit in digits.chars().map_while(|c| c.to_digit(radix)) {
        any_digit = true;
        magnitude = magnitude
            .checked_mul(i64::from(radix))
            .and_then(|m| m.checked_add(i64::from(digit)))
            .filter(|m| *m <= MAX_PRODUCT_ID)?;
    }
    if !any_digit {
        return None;
    }
    // `-0` is a number in JavaScript, and JSON writes it as `0`: the same as ours.
    ProductId::new(if negative { -magnitude } else { magnitude })
}

/// White space as ECMAScript's `StrWhiteSpaceChar` defines it (not quite Rust's definition: it
/// has U+FEFF and lacks U+0085).
fn is_js_white_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(target: &str) -> Option<i64> {
        ProductId::from_request_target(target).map(ProductId::get)
    }

    #[test]
    fn reads_like_javascript_parse_int() {
        let cases: &[(&str, Option<i64>, &str)] = &[
            ("0", Some(0), "plain zero"),
            ("42", Some(42), "plain number"),
            ("007", Some(7), "leading zeros are decimal, not octal"),
            ("12abc", Some(12), "trailing garbage is ignored"),
            ("1.9", Some(1), "the fraction is ignored"),
            ("1e3", Some(1), "no exponent"),
            ("-1", Some(-1), "negative"),
            ("+5", Some(5), "explicit plus"),
            ("-0", Some(0), "minus zero is zero"),
            ("0x1A", Some(26), "hexadecimal prefix"),
            ("-0X1f", Some(-31), "sign before the hexadecimal prefix"),
            (" \t7", Some(7), "leading white space"),
            (
                "\u{feff}8",
                Some(8),
                "byte-order mark counts as white space",
            ),
            ("", None, "nothing"),
            ("abc", None, "no digits"),
            ("-", None, "a sign alone"),
            ("0x", None, "hexadecimal prefix without digits"),
            ("0xg", None, "hexadecimal prefix with a non-hex digit"),
            ("x1", None, "garbage first"),
            ("\u{85}1", None, "NEL is not JavaScript white space"),
            ("%31", None, "percent-encoding is not decoded"),
            (
                "9007199254740991",
                Some(MAX_PRODUCT_ID),
                "the largest safe integer",
            ),
            (
                "-9007199254740991",
                Some(-MAX_PRODUCT_ID),
                "the smallest safe integer",
            ),
            ("9007199254740992", None, "one past the safe range"),
            ("99999999999999999999999", None, "far past i64"),
            (
                "0x20000000000000",
                None,
                "past the safe range in hexadecimal",
            ),
        ];
        for (segment, expected, why) in cases {
            assert_eq!(
                id(&format!("/ratings/{segment}")),
                *expected,
                "{segment:?}: {why}"
            );
        }
    }

    #[test]
    fn takes_the_last_segment_of_the_raw_target() {
        let cases: &[(&str, Option<i64>)] = &[
            ("/ratings/0/7", Some(7)),
            ("/ratings/0?x=1", Some(0)),
            ("/ratings/0?next=/5", Some(5)),
            ("/ratings/0/", None),
            ("/ratings/", None),
        ];
        for (target, expected) in cases {
            assert_eq!(id(target), *expected, "{target}");
        }
    }

    #[test]
    fn serialises_as_a_bare_number() {
        let id = ProductId::new(-3).unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), "-3");
        assert_eq!(ProductId::new(MAX_PRODUCT_ID + 1), None);
    }
}
