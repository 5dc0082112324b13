//! JSON written the way upstream's Python writes it (`json.dumps` defaults): `", "` between items,
//! `": "` after keys, non-ASCII as `\uXXXX`. Every body of the API goes through here, so clients
//! that compare bytes with upstream see the same bytes. Key order is kept as received
//! (serde_json's `preserve_order`).

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{CharEscape, Formatter, Serializer};

/// `value` as Python's `json.dumps(value)` would print it.
pub fn to_python_json<T: Serialize + ?Sized>(value: &T) -> Result<String, serde_json::Error> {
    let mut out = Vec::with_capacity(256);
    value.serialize(&mut Serializer::with_formatter(&mut out, PythonStyle))?;
    // Everything written is ASCII (non-ASCII is escaped), so this never replaces anything.
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// serde_json's compact formatter with Python's separators and `ensure_ascii`.
#[derive(Debug, Clone, Copy, Default)]
pub struct PythonStyle;

impl Formatter for PythonStyle {
    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        first: bool,
    ) -> io::Result<()> {
        if first {
            Ok(())
        } else {
            writer.write_all(b", ")
        }
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    /// Python escapes everything outside printable ASCII; serde_json already escapes the control
    /// characters, quotes and backslashes, so only DEL and non-ASCII are left to do here.
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut plain_from = 0;
        for (at, character) in fragment.char_indices() {
            if character.is_ascii() && character != '\u{7f}' {
                continue;
            }
            writer.write_all(&fragment.as_bytes()[plain_from..at])?;
            let mut units = [0u16; 2];
            for unit in character.encode_utf16(&mut units) {
                write!(writer, "\\u{unit:04x}")?;
            }
            plain_from = at + character.len_utf8();
        }
        writer.write_all(&fragment.as_bytes()[plain_from..])
    }

    fn write_char_escape<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        escape: CharEscape,
    ) -> io::Result<()> {
        // serde_json's escapes match Python's (`\"`, `\\`, `\n`, `\u001f`...) except that
        // Python leaves `/` alone, which serde_json does too.
        serde_json::ser::CompactFormatter.write_char_escape(writer, escape)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    fn python(raw: &str) -> String {
        to_python_json(&serde_json::from_str::<Value>(raw).unwrap()).unwrap()
    }

    #[test]
    fn separators_have_spaces_and_key_order_is_kept() {
        assert_eq!(
            python(r#"{"id":0,"ratings":{"Reviewer2":4,"Reviewer1":5}}"#),
            r#"{"id": 0, "ratings": {"Reviewer2": 4, "Reviewer1": 5}}"#
        );
        assert_eq!(python(r#"[1,[],{},[2,3]]"#), "[1, [], {}, [2, 3]]");
    }

    #[test]
    fn non_ascii_is_escaped_like_python() {
        assert_eq!(
            to_python_json(&json!("Molière – 🎭\u{7f}")).unwrap(),
            r#""Moli\u00e8re \u2013 \ud83c\udfad\u007f""#
        );
    }

    #[test]
    fn quotes_controls_and_slashes_match_python() {
        assert_eq!(
            to_python_json(&json!("a\"b\\c\n\u{1}/</a>")).unwrap(),
            r#""a\"b\\c\n\u0001/</a>""#
        );
    }

    #[test]
    fn literals_and_numbers_are_unchanged() {
        assert_eq!(
            python(r#"{"a":null,"b":true,"c":1.5,"d":-3}"#),
            r#"{"a": null, "b": true, "c": 1.5, "d": -3}"#
        );
    }
}
