//! The pages (askama templates in `templates/`) and what they show, built from the backends' JSON.
//! Everything that comes from a backend or a user is escaped by askama; only the product's own
//! description is marked safe.

use std::fmt;
use std::marker::PhantomData;

use askama::Template;
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;

use crate::config::Config;
use crate::product::Product;

/// The landing page (`/`, `/index.html`): what Bookinfo is and two ways into the product page.
#[derive(Template)]
#[template(path = "index.html")]
pub struct IndexPage {
    pub services: Vec<ServiceRow>,
}

/// One row of the landing page's service table.
pub struct ServiceRow {
    pub name: &'static str,
    pub address: String,
    pub calls: &'static str,
}

impl IndexPage {
    pub fn new(config: &Config) -> IndexPage {
        let row = |name, address: &str, calls| ServiceRow {
            name,
            address: address.to_owned(),
            calls,
        };
        IndexPage {
            services: vec![
                row("details", &config.details_url, ""),
                row("reviews", &config.reviews_url, "ratings"),
                row("ratings", &config.ratings_url, ""),
            ],
        }
    }
}

/// `/productpage`: the book, its details and its reviews, each part on its own when a backend
/// fails.
#[derive(Template)]
#[template(path = "productpage.html")]
pub struct ProductPage<'a> {
    /// The signed-in user, shown escaped.
    pub user: Option<&'a str>,
    pub product: &'a Product,
    /// `None` shows the details error.
    pub details: Option<BookDetails>,
    /// `None` shows the reviews error.
    pub reviews: Option<ReviewList>,
}

/// The details shown in the page's table (upstream leaves out author, year and ISBN-13).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BookDetails {
    pub isbn_10: String,
    pub publisher: String,
    pub pages: String,
    pub kind: String,
    pub language: String,
}

/// Reads details' answer straight into the table: the five shown fields, each whatever JSON value
/// it is ([`display`]), and every other field skipped without being built. A `serde_json::Value`
/// tree of both answers was a fifth of a page's instructions. Not an object: not details.
impl ObjectFields for BookDetails {
    const EXPECTING: &'static str = "details' JSON object";

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
    ) -> Result<bool, A::Error> {
        let slot = match key {
            "ISBN-10" => &mut self.isbn_10,
            "publisher" => &mut self.publisher,
            "pages" => &mut self.pages,
            "type" => &mut self.kind,
            "language" => &mut self.language,
            _ => return Ok(false),
        };
        *slot = display(&map.next_value::<Value>()?);
        Ok(true)
    }
}

/// The reviews and who served them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReviewList {
    pub reviews: Vec<Review>,
    /// The reviews pod's name; the ambient task greps it (`reviews-v.-`).
    pub podname: String,
    /// `None` when reviews reports no cluster (`"null"`).
    pub cluster: Option<String>,
}

/// Reads reviews' answer: `reviews` (an array of objects, or null), `podname`, `clustername`;
/// other fields skipped. Not shaped like that: not reviews.
impl ObjectFields for ReviewList {
    const EXPECTING: &'static str = "reviews' JSON object";

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
    ) -> Result<bool, A::Error> {
        match key {
            "reviews" => {
                self.reviews = map.next_value::<Option<Vec<Review>>>()?.unwrap_or_default()
            }
            "podname" => self.podname = display(&map.next_value::<Value>()?),
            "clustername" => {
                let cluster = display(&map.next_value::<Value>()?);
                self.cluster = (!cluster.is_empty() && cluster != "null").then_some(cluster);
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Review {
    pub reviewer: String,
    pub text: String,
    pub rating: Rating,
}

impl ObjectFields for Review {
    const EXPECTING: &'static str = "a review object";

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
    ) -> Result<bool, A::Error> {
        match key {
            "reviewer" => self.reviewer = display(&map.next_value::<Value>()?),
            "text" => self.text = display(&map.next_value::<Value>()?),
            "rating" => self.rating = Rating::from_json(&map.next_value::<Value>()?),
            _ => return Ok(false),
        }
        Ok(true)
    }
}

/// A view read from a JSON object field by field, so the page builds only what it shows.
trait ObjectFields: Default {
    /// What the visitor says it wanted when the JSON is not an object.
    const EXPECTING: &'static str;

    /// Reads the value of field `key` into `self` if the view wants it; `false` to skip it.
    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
    ) -> Result<bool, A::Error>;
}

struct ObjectVisitor<T>(PhantomData<T>);

impl<'de, T: ObjectFields> Visitor<'de> for ObjectVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
        let mut view = T::default();
        while let Some(key) = map.next_key::<String>()? {
            if !view.read_field(&key, &mut map)? {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(view)
    }
}

macro_rules! deserialize_as_object {
    ($($view:ty),*) => {$(
        impl<'de> Deserialize<'de> for $view {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_map(ObjectVisitor(PhantomData))
            }
        }
    )*};
}

deserialize_as_object!(BookDetails, ReviewList, Review);

/// What a review shows for its rating.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Rating {
    /// Filled stars out of five.
    Stars(Stars),
    /// reviews could not reach ratings.
    Unavailable,
    /// No rating (reviews v1), or zero stars, as upstream shows nothing for either.
    #[default]
    Hidden,
}

impl Rating {
    fn from_json(rating: &Value) -> Rating {
        let stars = rating.get("stars").and_then(Value::as_u64).unwrap_or(0);
        if stars > 0 {
            let color = rating.get("color").and_then(Value::as_str).unwrap_or("");
            Rating::Stars(Stars {
                filled: stars.min(u64::from(Stars::OUT_OF)) as u8,
                color: StarColor::parse(color),
            })
        } else if is_truthy(rating.get("error")) {
            Rating::Unavailable
        } else {
            Rating::Hidden
        }
    }
}

/// `filled` stars out of [`Stars::OUT_OF`], in a colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stars {
    pub filled: u8,
    pub color: StarColor,
}

impl Stars {
    pub const OUT_OF: u8 = 5;

    /// One entry per star, left to right: `true` for a filled one.
    pub fn slots(&self) -> impl Iterator<Item = bool> + '_ {
        (0..Self::OUT_OF).map(|slot| slot < self.filled)
    }
}

/// The colours reviews sends (`STAR_COLOR`); anything else is drawn in the page's text colour
/// and never written into the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StarColor {
    Black,
    Red,
    Other,
}

impl StarColor {
    pub fn parse(color: &str) -> StarColor {
        match color.trim().to_ascii_lowercase().as_str() {
            "black" => StarColor::Black,
            "red" => StarColor::Red,
            _ => StarColor::Other,
        }
    }

    /// Our stylesheet's class, plus the class name upstream's page used (`text-red-500`), which
    /// outside checkers look for.
    pub fn css_classes(self) -> &'static str {
        match self {
            StarColor::Black => "stars-black text-black-500",
            StarColor::Red => "stars-red text-red-500",
            StarColor::Other => "stars-plain",
        }
    }
}

/// The escaper of every template (see `askama.toml`): the five characters that matter in HTML,
/// written as upstream's Jinja writes them, so escaped text is the same bytes as upstream's page.
#[derive(Debug, Clone, Copy, Default)]
pub struct UpstreamHtml;

impl askama::filters::Escaper for UpstreamHtml {
    fn write_escaped_str<W: fmt::Write>(&self, mut dest: W, text: &str) -> fmt::Result {
        let mut plain_from = 0;
        for (at, byte) in text.bytes().enumerate() {
            let entity = match byte {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&#34;",
                b'\'' => "&#39;",
                _ => continue,
            };
            dest.write_str(&text[plain_from..at])?;
            dest.write_str(entity)?;
            plain_from = at + 1;
        }
        dest.write_str(&text[plain_from..])
    }
}

/// A JSON value as page text: strings as they are, nothing for null, JSON otherwise.
fn display(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// Python's truthiness, which upstream's template applies to `rating.error`.
fn is_truthy(value: Option<&Value>) -> bool {
    match value {
        None | Some(Value::Null) | Some(Value::Bool(false)) => false,
        Some(Value::String(text)) => !text.is_empty(),
        Some(Value::Number(number)) => number.as_f64() != Some(0.0),
        Some(Value::Array(items)) => !items.is_empty(),
        Some(Value::Object(fields)) => !fields.is_empty(),
        Some(Value::Bool(true)) => true,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    impl BookDetails {
        fn from_json(details: &Value) -> Option<BookDetails> {
            serde_json::from_value(details.clone()).ok()
        }
    }

    impl ReviewList {
        fn from_json(reviews: &Value) -> Option<ReviewList> {
            serde_json::from_value(reviews.clone()).ok()
        }
    }

    #[test]
    fn details_table_takes_its_five_fields() {
        let details = json!({"id": 0, "author": "William Shakespeare", "year": 1595,
            "type": "paperback", "pages": 200, "publisher": "PublisherA", "language": "English",
            "ISBN-10": "1234567890", "ISBN-13": "123-1234567890"});
        assert_eq!(
            BookDetails::from_json(&details),
            Some(BookDetails {
                isbn_10: "1234567890".into(),
                publisher: "PublisherA".into(),
                pages: "200".into(),
                kind: "paperback".into(),
                language: "English".into(),
            })
        );
        assert_eq!(BookDetails::from_json(&json!([1, 2])), None);
    }

    #[test]
    fn ratings_become_stars_errors_or_nothing() {
        let rating = |value| Rating::from_json(&value);
        assert_eq!(
            rating(json!({"stars": 4, "color": "red"})),
            Rating::Stars(Stars {
                filled: 4,
                color: StarColor::Red
            })
        );
        assert_eq!(
            rating(json!({"stars": 9, "color": "black"})),
            Rating::Stars(Stars {
                filled: 5,
                color: StarColor::Black
            })
        );
        assert_eq!(
            rating(json!({"stars": 2, "color": "\"><script>"})),
            Rating::Stars(Stars {
                filled: 2,
                color: StarColor::Other
            })
        );
        assert_eq!(
            rating(json!({"error": "Ratings service is currently unavailable"})),
            Rating::Unavailable
        );
        assert_eq!(rating(json!({"stars": 0, "color": "red"})), Rating::Hidden);
        assert_eq!(rating(json!({"error": ""})), Rating::Hidden);
        assert_eq!(rating(json!(null)), Rating::Hidden);
    }

    #[test]
    fn stars_fill_from_the_left() {
        let stars = Stars {
            filled: 4,
            color: StarColor::Black,
        };
        assert_eq!(
            stars.slots().collect::<Vec<_>>(),
            [true, true, true, true, false]
        );
    }

    #[test]
    fn escaping_matches_upstreams_entities() {
        let mut out = String::new();
        askama::filters::Escaper::write_escaped_str(&UpstreamHtml, &mut out, "<b>x\"&</b> it's é")
            .unwrap();
        assert_eq!(out, "&lt;b&gt;x&#34;&amp;&lt;/b&gt; it&#39;s é");
    }

    #[test]
    fn cluster_null_is_not_shown() {
        let list = |cluster: Value| {
            ReviewList::from_json(&json!({"id": "0", "podname": "p", "clustername": cluster}))
                .unwrap()
                .cluster
        };
        assert_eq!(list(json!("null")), None);
        assert_eq!(list(json!("east")), Some("east".to_owned()));
    }

    #[test]
    fn reviews_are_read_with_their_ratings_and_other_fields_skipped() {
        let list = ReviewList::from_json(&json!({"id": "0", "podname": "reviews-v3-1",
            "clustername": "null", "extra": {"deep": [1, 2]}, "reviews": [
                {"reviewer": "Reviewer1", "text": "Fun", "rating": {"stars": 5, "color": "red"}},
                {"reviewer": "Reviewer2", "text": 7, "rating": {"error": "Ratings service is currently unavailable"}},
                {"reviewer": "Reviewer3", "text": "No stars"}]}))
        .unwrap();
        assert_eq!(list.podname, "reviews-v3-1");
        assert_eq!(list.cluster, None);
        let shown: Vec<_> = list
            .reviews
            .iter()
            .map(|review| {
                (
                    review.reviewer.as_str(),
                    review.text.as_str(),
                    review.rating.clone(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            [
                (
                    "Reviewer1",
                    "Fun",
                    Rating::Stars(Stars {
                        filled: 5,
                        color: StarColor::Red
                    })
                ),
                ("Reviewer2", "7", Rating::Unavailable),
                ("Reviewer3", "No stars", Rating::Hidden),
            ]
        );
    }

    #[test]
    fn answers_not_shaped_like_the_services_are_not_read() {
        assert_eq!(ReviewList::from_json(&json!([1, 2])), None);
        assert_eq!(ReviewList::from_json(&json!({"reviews": "none"})), None);
        assert_eq!(
            ReviewList::from_json(&json!({"reviews": null, "podname": "p"}))
                .map(|list| list.reviews),
            Some(vec![])
        );
        assert_eq!(BookDetails::from_json(&json!("details")), None);
    }
}
