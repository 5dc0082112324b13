//! The catalogue (one book, upstream's data verbatim) and the product id accepted from a URL.

use std::fmt;

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Serialize;

/// A book in the catalogue, serialised with upstream's field names and order.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Product {
    pub id: u32,
    pub title: &'static str,
    /// Trusted markup (our own constant), rendered unescaped on the page.
    #[serde(rename = "descriptionHtml")]
    pub description_html: &'static str,
}

/// Upstream's single product; clients compare the API's bytes, so the text is exact.
pub const PRODUCTS: [Product; 1] = [Product {
    id: 0,
    title: "The Comedy of Errors",
    description_html: "<a href=\"https://en.wikipedia.org/wiki/The_Comedy_of_Errors\">Wikipedia \
        Summary</a>: The Comedy of Errors is one of <b>William Shakespeare's</b> early plays. It is \
        his shortest and one of his most farcical comedies, with a major part of the humour coming \
        from slapstick and mistaken identity, in addition to puns and word play.",
}];

/// The product `/productpage` shows (upstream hard-codes id 0).
pub const FEATURED: Product = PRODUCTS[0];

/// Longest id accepted from a URL; real ids are a digit or two.
const MAX_ID_LEN: usize = 32;

/// Characters left as they are when the id goes into a backend URL (RFC 3986 unreserved).
const PATH_SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A product id from a URL, checked before it goes anywhere near a backend URL.
///
/// Accepted: an optional sign and up to 32 ASCII letters, digits or underscores. That covers every
/// id a backend parses (decimal, upstream details' `0x1A`, `1_000`, `-1`) while keeping slashes,
/// dots, query and fragment characters out of the backend URL. The backends decide whether the id
/// names a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductId(String);

impl ProductId {
    pub fn parse(raw: &str) -> Option<ProductId> {
        let digits = raw.strip_prefix(['+', '-']).unwrap_or(raw);
        let acceptable = !digits.is_empty()
            && raw.len() <= MAX_ID_LEN
            && digits
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_');
        acceptable.then(|| ProductId(raw.to_owned()))
    }

    /// The id of a catalogue product.
    pub fn of(product: &Product) -> ProductId {
        ProductId(product.id.to_string())
    }

    /// The id as one percent-encoded URL path segment.
    pub fn path_segment(&self) -> impl fmt::Display + '_ {
        utf8_percent_encode(&self.0, PATH_SEGMENT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_list_is_upstreams_byte_for_byte() {
        let body = crate::json::to_python_json(&PRODUCTS).unwrap();
        assert_eq!(body.len(), 395);
        assert!(body.starts_with(r#"[{"id": 0, "title": "The Comedy of Errors", "descriptionHtml": "<a href=\"https://en.wikipedia.org/wiki/The_Comedy_of_Errors\">Wikipedia Summary</a>: The Comedy"#));
        assert!(body.ends_with(r#"in addition to puns and word play."}]"#));
    }

    #[test]
    fn ids_the_backends_understand_are_accepted() {
        for raw in ["0", "1", "-1", "+7", "0x1A", "1_000", "abc", "A1"] {
            assert!(
                ProductId::parse(raw).is_some(),
                "{raw:?} should be accepted"
            );
        }
    }

    #[test]
    fn ids_that_could_change_the_backend_url_are_refused() {
        let too_long = "9".repeat(33);
        for raw in [
            "",
            "+",
            "-",
            "..",
            "0/../health",
            "0?x=1",
            "0#f",
            "0%2F",
            "1.5",
            "0 1",
            "é",
            "--1",
            &too_long,
        ] {
            assert!(ProductId::parse(raw).is_none(), "{raw:?} should be refused");
        }
    }

    #[test]
    fn sign_is_percent_encoded_in_the_path() {
        assert_eq!(
            ProductId::parse("+7").unwrap().path_segment().to_string(),
            "%2B7"
        );
        assert_eq!(
            ProductId::parse("-1").unwrap().path_segment().to_string(),
            "-1"
        );
        assert_eq!(ProductId::of(&FEATURED).path_segment().to_string(), "0");
    }
}
