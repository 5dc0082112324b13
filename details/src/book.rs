//! A book's details as details answers them, and the built-in record details v1 serves.
//!
//! The JSON is compact with upstream's key order (the field order here) and names, so clients
//! that compare bytes see upstream's bytes.

use serde::Serialize;

use crate::product_id::ProductId;

/// The answer of `GET /details/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BookDetails {
    /// The requested id, echoed whatever the book.
    pub id: ProductId,
    pub author: String,
    /// A number for the built-in book, Google's `publishedDate` text for v2; `null` when Google
    /// has none, as upstream.
    pub year: Option<Published>,
    #[serde(rename = "type")]
    pub binding: Binding,
    /// `null` when Google has no page count, as upstream.
    pub pages: Option<u64>,
    /// `null` when Google has no publisher, as upstream.
    pub publisher: Option<String>,
    pub language: Language,
    #[serde(rename = "ISBN-10")]
    pub isbn_10: String,
    #[serde(rename = "ISBN-13")]
    pub isbn_13: String,
}

/// When the book came out, as precisely as the source says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Published {
    /// The built-in book: a JSON number.
    Year(u16),
    /// Google Books' `publishedDate` (`2002-09-19`, `2002` or `2002-09`): a JSON string.
    Date(String),
}

/// The `type` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Binding {
    Paperback,
    Unknown,
}

/// The `language` field: upstream knows English and nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Language {
    English,
    #[serde(rename = "unknown")]
    Unknown,
}

/// details v1's answer after its id: the built-in record's fields as serde writes them, checked
/// against [`BookDetails::builtin`] by a test. Written once, not serialized per request.
const BUILTIN_AFTER_ID: &str = r#","author":"William Shakespeare","year":1595,"type":"paperback","pages":200,"publisher":"PublisherA","language":"English","ISBN-10":"1234567890","ISBN-13":"123-1234567890"}"#;

/// details v1's answer for `id`: the bytes of `BookDetails::builtin(id)` as JSON, with only the
/// id written per request.
pub fn builtin_json(id: &ProductId) -> Vec<u8> {
    const BEFORE_ID: &str = r#"{"id":"#;
    let digits = id.as_str();
    let mut body = Vec::with_capacity(BEFORE_ID.len() + digits.len() + BUILTIN_AFTER_ID.len());
    body.extend_from_slice(BEFORE_ID.as_bytes());
    body.extend_from_slice(digits.as_bytes());
    body.extend_from_slice(BUILTIN_AFTER_ID.as_bytes());
    body
}

impl BookDetails {
    /// details v1's one book, whatever the id: upstream's record, value for value.
    pub fn builtin(id: ProductId) -> Self {
        Self {
            id,
            author: "William Shakespeare".to_owned(),
            year: Some(Published::Year(1595)),
            binding: Binding::Paperback,
            pages: Some(200),
            publisher: Some("PublisherA".to_owned()),
            language: Language::English,
            isbn_10: "1234567890".to_owned(),
            isbn_13: "123-1234567890".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_book_is_upstreams_bytes() {
        let json = serde_json::to_string(&BookDetails::builtin(ProductId::from(0))).unwrap();
        assert_eq!(
            json,
            r#"{"id":0,"author":"William Shakespeare","year":1595,"type":"paperback","pages":200,"publisher":"PublisherA","language":"English","ISBN-10":"1234567890","ISBN-13":"123-1234567890"}"#
        );
    }

    #[test]
    fn the_written_builtin_answer_is_the_serialized_record_for_any_id() {
        for id in ["0", "-5", "26", "99999999999999999999"] {
            let id = ProductId::parse(id.as_bytes()).unwrap();
            let serialized = serde_json::to_vec(&BookDetails::builtin(id.clone())).unwrap();
            assert_eq!(
                String::from_utf8(builtin_json(&id)).unwrap(),
                String::from_utf8(serialized).unwrap()
            );
        }
    }

    #[test]
    fn missing_optional_values_are_null_and_unknowns_lower_case() {
        let book = BookDetails {
            year: None,
            pages: None,
            publisher: None,
            binding: Binding::Unknown,
            language: Language::Unknown,
            ..BookDetails::builtin(ProductId::from(1))
        };
        let json = serde_json::to_string(&book).unwrap();
        assert_eq!(
            json,
            r#"{"id":1,"author":"William Shakespeare","year":null,"type":"unknown","pages":null,"publisher":null,"language":"unknown","ISBN-10":"1234567890","ISBN-13":"123-1234567890"}"#
        );
    }
}
