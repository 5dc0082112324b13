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
