//! The pages (askama templates in `templates/`) and what they show, built from the backends' JSON.
//! Everything that comes from a backend or a user is escaped by askama; only the product's own
//! description is marked safe.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use askama::Template;
use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
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
        *slot = map.next_value::<Shown>()?.0;
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
            "podname" => self.podname = map.next_value::<Shown>()?.0,
            "clustername" => {
                let cluster = map.next_value::<Shown>()?.0;
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
            "reviewer" => self.reviewer = map.next_value::<Shown>()?.0,
            "text" => self.text = map.next_value::<Shown>()?.0,
            "rating" => self.rating = map.next_value()?,
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
        while let Some(FieldName(key)) = map.next_key()? {
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

/// A JSON object's key, borrowed from the answer unless escapes made serde_json unescape it: a
/// `String` per key was an allocation for every field of both answers.
struct FieldName<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for FieldName<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NameVisitor;

        impl<'de> Visitor<'de> for NameVisitor {
            type Value = FieldName<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }

            fn visit_borrowed_str<E>(self, name: &'de str) -> Result<Self::Value, E> {
                Ok(FieldName(Cow::Borrowed(name)))
            }

            fn visit_str<E>(self, name: &str) -> Result<Self::Value, E> {
                Ok(FieldName(Cow::Owned(name.to_owned())))
            }

            fn visit_string<E>(self, name: String) -> Result<Self::Value, E> {
                Ok(FieldName(Cow::Owned(name)))
            }
        }

        deserializer.deserialize_str(NameVisitor)
    }
}

/// A JSON value read as page text, as [`display`] shows it, building a `serde_json::Value` only
/// for arrays and objects: a string is copied once instead of into a `Value` and out again.
struct Shown(String);

/// Views read from any kind of JSON value, each by its visitor.
macro_rules! deserialize_any_with {
    ($($view:ty => $visitor:ident),*) => {$(
        impl<'de> Deserialize<'de> for $view {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_any($visitor)
            }
        }
    )*};
}

deserialize_any_with!(Shown => ShownVisitor, Rating => RatingVisitor);

struct ShownVisitor;

impl<'de> Visitor<'de> for ShownVisitor {
    type Value = Shown;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_str<E>(self, text: &str) -> Result<Shown, E> {
        Ok(Shown(text.to_owned()))
    }

    fn visit_string<E>(self, text: String) -> Result<Shown, E> {
        Ok(Shown(text))
    }

    fn visit_unit<E>(self) -> Result<Shown, E> {
        Ok(Shown(String::new()))
    }

    fn visit_none<E>(self) -> Result<Shown, E> {
        Ok(Shown(String::new()))
    }

    fn visit_bool<E>(self, value: bool) -> Result<Shown, E> {
        Ok(Shown(value.to_string()))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Shown, E> {
        Ok(Shown(value.to_string()))
    }

    fn visit_u64<E>(self, value: u64) -> Result<Shown, E> {
        Ok(Shown(value.to_string()))
    }

    /// As serde_json writes it (`200.0`, not Rust's `200`).
    fn visit_f64<E>(self, value: f64) -> Result<Shown, E> {
        Ok(Shown(display(&Value::from(value))))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, items: A) -> Result<Shown, A::Error> {
        Value::deserialize(SeqAccessDeserializer::new(items)).map(|value| Shown(display(&value)))
    }

    fn visit_map<A: MapAccess<'de>>(self, fields: A) -> Result<Shown, A::Error> {
        Value::deserialize(MapAccessDeserializer::new(fields)).map(|value| Shown(display(&value)))
    }
}

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

/// The fields of a review's `rating` that the page reads (`stars`, `color`, `error`), each kept
/// as whatever JSON it is; a `serde_json::Value` of the whole object was an ordered map, hashed
/// with SipHash, per review.
#[derive(Default)]
struct RatingFields {
    stars: Option<Value>,
    color: Option<Value>,
    error: Option<Value>,
}

impl ObjectFields for RatingFields {
    const EXPECTING: &'static str = "a rating object";

    fn read_field<'de, A: MapAccess<'de>>(
        &mut self,
        key: &str,
        map: &mut A,
    ) -> Result<bool, A::Error> {
        let slot = match key {
            "stars" => &mut self.stars,
            "color" => &mut self.color,
            "error" => &mut self.error,
            _ => return Ok(false),
        };
        *slot = Some(map.next_value()?);
        Ok(true)
    }
}

impl RatingFields {
    fn rating(&self) -> Rating {
        let stars = self.stars.as_ref().and_then(Value::as_u64).unwrap_or(0);
        if stars > 0 {
            let color = self.color.as_ref().and_then(Value::as_str).unwrap_or("");
            Rating::Stars(Stars {
                filled: stars.min(u64::from(Stars::OUT_OF)) as u8,
                color: StarColor::parse(color),
            })
        } else if is_truthy(self.error.as_ref()) {
            Rating::Unavailable
        } else {
            Rating::Hidden
        }
    }
}

/// Any JSON value reads as a rating: an object by its fields, anything else shows nothing.
struct RatingVisitor;

impl<'de> Visitor<'de> for RatingVisitor {
    type Value = Rating;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a rating, or any other JSON value for none")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Rating, A::Error> {
        ObjectVisitor::<RatingFields>(PhantomData)
            .visit_map(map)
            .map(|fields| fields.rating())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<Rating, A::Error> {
        while items.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Rating::Hidden)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Rating, E> {
        Ok(Rating::Hidden)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Rating, E> {
        Ok(Rating::Hidden)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Rating, E> {
        Ok(Rating::Hidden)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Rating, E> {
        Ok(Rating::Hidden)
    }

    fn visit_str<E>(self, _: &str) -> Result<Rating, E> {
        Ok(Rating::Hidden)
    }

    fn visit_none<E>(self) -> Result<Rating, E> {
        Ok(Rating::Hidden)
    }

    fn visit_unit<E>(self) -> Result<Rating, E> {
        Ok(Rating::Hidden)
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
    fn answers_read_from_bytes_show_every_kind_of_value_as_json_writes_it() {
        let answer = br#"{"ISBN-10": 1.5e2, "publisher": null, "pages": [1, "two"],
            "typ\u0065": {"a": true}, "language": false, "author": "skipped"}"#;
        assert_eq!(
            serde_json::from_slice::<BookDetails>(answer).ok(),
            Some(BookDetails {
                isbn_10: "150.0".into(),
                publisher: String::new(),
                pages: r#"[1,"two"]"#.into(),
                kind: r#"{"a":true}"#.into(),
                language: "false".into(),
            })
        );
        let reviews = br#"{"podname": "reviews-v3-x", "clustername": "null",
            "reviews": [{"reviewer": "R\u00e9", "text": "t", "rating": {"stars": 4, "color": "red"}}]}"#;
        let list = serde_json::from_slice::<ReviewList>(reviews).ok();
        let list = list.as_ref();
        assert_eq!(list.map(|list| list.podname.as_str()), Some("reviews-v3-x"));
        assert_eq!(list.and_then(|list| list.cluster.clone()), None);
        assert_eq!(
            list.map(|list| list.reviews[0].reviewer.as_str()),
            Some("Ré")
        );
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
        let rating = |value: Value| serde_json::from_value::<Rating>(value).unwrap();
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
        assert_eq!(rating(json!("5")), Rating::Hidden);
        assert_eq!(rating(json!([{"stars": 5}])), Rating::Hidden);
        assert_eq!(
            rating(json!({"stars": 1, "stars": 3})),
            rating(json!({"stars": 3}))
        );
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
