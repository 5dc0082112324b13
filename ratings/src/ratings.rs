//! What ratings answers: a product's stars per reviewer, and the rules a POSTed body must meet.

use std::borrow::Cow;
use std::fmt::Write;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::product_id::ProductId;

/// Stars per reviewer, in the order they were given: `{"Reviewer1":5,"Reviewer2":4}`.
///
/// Always a JSON object whose values are integers (they fit in an `i64`), so reviews can read
/// them; that is stricter than upstream, which stores any JSON at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Ratings(Map<String, Value>);

/// Why a POSTed body is not ratings; the client only ever sees upstream's one message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidRatings {
    #[error("not JSON: {0}")]
    NotJson(String),
    #[error("a JSON {0}, not an object")]
    NotAnObject(&'static str),
    #[error("the rating of {0:?} is not an integer")]
    NotAnInteger(String),
}

impl Ratings {
    /// Reviewer1's and Reviewer2's stars: what every product has until ratings are POSTed for it,
    /// and what the database versions read.
    pub fn reviewers(first: i64, second: i64) -> Ratings {
        let mut stars = Map::new();
        stars.insert("Reviewer1".to_owned(), first.into());
        stars.insert("Reviewer2".to_owned(), second.into());
        Ratings(stars)
    }

    /// Upstream's built-in ratings: 5 stars from Reviewer1, 4 from Reviewer2.
    pub fn builtin() -> Ratings {
        Ratings::reviewers(5, 4)
    }

    /// A POSTed body: a JSON object whose every value is an integer. A key given twice keeps its
    /// first position and its last value, as JavaScript's `JSON.parse` does.
    pub fn from_json(body: &[u8]) -> Result<Ratings, InvalidRatings> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|error| InvalidRatings::NotJson(error.to_string()))?;
        let stars = match value {
            Value::Object(stars) => stars,
            Value::Array(_) => return Err(InvalidRatings::NotAnObject("array")),
            Value::String(_) => return Err(InvalidRatings::NotAnObject("string")),
            Value::Number(_) => return Err(InvalidRatings::NotAnObject("number")),
            Value::Bool(_) => return Err(InvalidRatings::NotAnObject("boolean")),
            Value::Null => return Err(InvalidRatings::NotAnObject("null")),
        };
        if let Some((reviewer, _)) = stars.iter().find(|(_, value)| value.as_i64().is_none()) {
            return Err(InvalidRatings::NotAnInteger(reviewer.clone()));
        }
        Ok(Ratings(stars))
    }

    /// The compact JSON text, as answered and as stored (serde_json's compact form).
    pub fn to_json(&self) -> String {
        let mut text = String::with_capacity(16 * self.0.len() + 2);
        text.push('{');
        for (index, (reviewer, stars)) in self.0.iter().enumerate() {
            if index > 0 {
                text.push(',');
            }
            // A JSON value's Display is its compact JSON, a string's quoted and escaped; writing
            // into a String cannot fail.
            let _ = write!(text, "{}:{stars}", Value::from(reviewer.as_str()));
        }
        text.push('}');
        text
    }
}

/// Ratings as the compact JSON text they are stored and answered as: a GET writes it into the
/// answer as it is, rather than parsing it into [`Ratings`] and writing that out again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingsJson(Cow<'static, str>);

impl RatingsJson {
    /// [`Ratings::builtin`]'s text.
    pub const BUILTIN: RatingsJson = RatingsJson(Cow::Borrowed(r#"{"Reviewer1":5,"Reviewer2":4}"#));

    /// The text of `ratings`.
    pub fn of(ratings: &Ratings) -> RatingsJson {
        RatingsJson(Cow::Owned(ratings.to_json()))
    }

    /// Text written by [`RatingsJson::of`] earlier (the in-memory store's).
    pub fn stored(text: String) -> RatingsJson {
        RatingsJson(Cow::Owned(text))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The body of every successful ratings answer: `{"id":0,"ratings":{...}}`.
pub fn answer_json(id: ProductId, ratings: &RatingsJson) -> String {
    let text = ratings.as_str();
    let mut answer = String::with_capacity(text.len() + 40);
    // Writing into a String cannot fail.
    let _ = write!(answer, r#"{{"id":{id},"ratings":{text}}}"#);
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_ratings_are_upstreams() {
        assert_eq!(
            serde_json::to_string(&Ratings::builtin()).unwrap(),
            r#"{"Reviewer1":5,"Reviewer2":4}"#
        );
    }

    #[test]
    fn accepted_bodies_keep_their_order_and_values() {
        let cases: &[(&str, &str)] = &[
            (
                r#"{"Reviewer2":1,"Reviewer1":2}"#,
                r#"{"Reviewer2":1,"Reviewer1":2}"#,
            ),
            (r#" { "a" : -3 } "#, r#"{"a":-3}"#),
            ("{}", "{}"),
            (r#"{"a":1,"b":2,"a":3}"#, r#"{"a":3,"b":2}"#),
            (
                r#"{"J\u00f6 \"q\"\n\\":9007199254740993,"é\u0001":0}"#,
                r#"{"Jö \"q\"\n\\":9007199254740993,"é\u0001":0}"#,
            ),
        ];
        for (body, stored) in cases {
            let ratings = Ratings::from_json(body.as_bytes()).unwrap();
            assert_eq!(&ratings.to_json(), stored, "{body}");
            assert_eq!(&serde_json::to_string(&ratings).unwrap(), stored, "{body}");
        }
    }

    #[test]
    fn refused_bodies_say_why() {
        let cases: &[(&str, &str)] = &[
            ("", "empty body"),
            ("{", "truncated JSON"),
            ("[1,2]", "an array"),
            (r#""five""#, "a string"),
            ("5", "a number"),
            ("null", "null"),
            (r#"{"Reviewer1":"5"}"#, "a string rating"),
            (r#"{"Reviewer1":4.5}"#, "a fractional rating"),
            (r#"{"Reviewer1":5e0}"#, "an exponent is a float"),
            (r#"{"Reviewer1":null}"#, "a null rating"),
            (r#"{"Reviewer1":{"stars":5}}"#, "a nested object"),
            (r#"{"Reviewer1":18446744073709551615}"#, "past i64"),
        ];
        for (body, why) in cases {
            assert!(
                Ratings::from_json(body.as_bytes()).is_err(),
                "{why}: {body}"
            );
        }
    }

    #[test]
    fn answers_are_compact_json() {
        let ratings = RatingsJson::of(&Ratings::reviewers(0, 3));
        assert_eq!(
            answer_json(ProductId::new(7).unwrap(), &ratings),
            r#"{"id":7,"ratings":{"Reviewer1":0,"Reviewer2":3}}"#
        );
        assert_eq!(
            answer_json(ProductId::new(0).unwrap(), &RatingsJson::BUILTIN),
            r#"{"id":0,"ratings":{"Reviewer1":5,"Reviewer2":4}}"#
        );
    }

    #[test]
    fn the_builtin_text_is_the_builtin_ratings() {
        assert_eq!(RatingsJson::of(&Ratings::builtin()), RatingsJson::BUILTIN);
    }
}
