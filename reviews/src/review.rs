//! What reviews knows about a book: the same two reviews for every product, and what each can
//! show about its rating (stars, or that ratings could not say).

use serde_json::Value;

/// One review: who wrote it and what they wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Review {
    /// Also the key of this reviewer's stars in ratings' answer.
    pub reviewer: &'static str,
    pub text: &'static str,
}

/// Every product's reviews, in the order they are shown.
pub const REVIEWS: [Review; 2] = [
    Review {
        reviewer: "Reviewer1",
        text: "An extremely entertaining play by Shakespeare. The slapstick humour is refreshing!",
    },
    Review {
        reviewer: "Reviewer2",
        text: "Absolutely fun and entertaining. The play lacks thematic depth when compared to other \
               plays by Shakespeare.",
    },
];

/// A number of stars out of five.
///
/// Accepted from ratings: JSON integers from 0 to 5. Upstream shows 0 (as "0 stars"), so it is
/// kept. A value outside 0..=5, a fraction (`4.5`, and `5.0` too) or anything not a number is
/// not a rating out of five, so it is reported as unavailable rather than clamped into a
/// plausible-looking one (upstream would pass 7 through, show -1 as unavailable, and answer 500
/// for a string).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stars(u8);

impl Stars {
    pub const MAX: u8 = 5;

    pub fn new(stars: i64) -> Option<Stars> {
        u8::try_from(stars)
            .ok()
            .filter(|stars| *stars <= Self::MAX)
            .map(Stars)
    }

    /// The stars in a JSON value, if it is an acceptable rating.
    pub fn from_json(value: &Value) -> Option<Stars> {
        value.as_i64().and_then(Stars::new)
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// What one review shows about its rating when ratings are on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rating {
    Stars(Stars),
    /// Ratings did not answer, answered something unusable, or had nothing for this reviewer.
    Unavailable,
}

impl Rating {
    /// The shown message when a rating is unavailable, as upstream words it.
    pub const UNAVAILABLE_MESSAGE: &str = "Ratings service is currently unavailable";
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn whole_numbers_from_0_to_5_are_stars() {
        for stars in 0..=5 {
            assert_eq!(Stars::from_json(&json!(stars)).map(Stars::get), Some(stars));
        }
    }

    #[test]
    fn anything_else_is_not_a_rating() {
        for value in [
            json!(-1),
            json!(6),
            json!(i64::MAX),
            json!(u64::MAX),
            json!(4.5),
            json!(5.0),
            json!("5"),
            json!(null),
            json!(true),
            json!([5]),
        ] {
            assert_eq!(Stars::from_json(&value), None, "{value}");
        }
    }
}
