//! v2 on MongoDB: Reviewer1's and Reviewer2's stars are the `rating` of the first and second
//! document of `test.ratings` by `_id` (0 for a missing document or field). The client is made
//! on the first read and reconnects by itself; every call is bounded in time.
//!
//! This build has no SRV lookups (`mongodb+srv://`), keeping the driver smaller: upstream's
//! manifests use a plain `mongodb://mongodb:27017/test` inside the mesh.

use std::fmt;

use mongodb::bson::{Bson, Document, doc};
use mongodb::error::ErrorKind;
use mongodb::options::ClientOptions;
use mongodb::{Client, Collection};
use tokio::sync::OnceCell;

use super::{CONNECT_TIMEOUT, QUERY_TIMEOUT};
use crate::config::MongoSettings;
use crate::error::Error;
use crate::ratings::Ratings;
use crate::secret::{Secret, redact_url, url_password};

/// Upstream's database, collection and field names.
const DATABASE: &str = "test";
const COLLECTION: &str = "ratings";
const FIELD: &str = "rating";
const MAX_POOL_SIZE: u32 = 4;

pub struct MongoRatings {
    url: Secret,
    /// `url` without its password, for logs.
    target: String,
    /// The URL's password, to scrub it from driver errors.
    password: Secret,
    client: OnceCell<Client>,
}

impl MongoRatings {
    pub fn new(settings: &MongoSettings) -> MongoRatings {
        let url = settings.url.clone();
        let target = redact_url(url.expose());
        let password = Secret::new(url_password(url.expose()).unwrap_or_default());
        tracing::info!(database = %target, "ratings v2 reads MongoDB (connecting on first use)");
        MongoRatings {
            url,
            target,
            password,
            client: OnceCell::new(),
        }
    }

    pub async fn read(&self) -> Result<Ratings, Error> {
        let client = self.client().await?;
        let collection: Collection<Document> = client.database(DATABASE).collection(COLLECTION);
        // Server selection fails within CONNECT_TIMEOUT when nothing answers; this bound is for
        // a server that was found but does not finish the query.
        let documents = tokio::time::timeout(CONNECT_TIMEOUT + QUERY_TIMEOUT, async {
            let mut cursor = collection
                .find(doc! {})
                .sort(doc! { "_id": 1 })
                .limit(2)
                .await?;
            let mut documents = Vec::new();
            while cursor.advance().await? {
                documents.push(cursor.deserialize_current()?);
            }
            Ok::<_, mongodb::error::Error>(documents)
        })
        .await
        .map_err(|_| {
            self.load_failed(format!(
                "no answer within {:?}",
                CONNECT_TIMEOUT + QUERY_TIMEOUT
            ))
        })?
        .map_err(|error| self.classify(&error))?;
        ratings_from_documents(&documents).map_err(|cause| self.load_failed(cause))
    }

    /// The client, made on the first call; a failed attempt is retried by the next read.
    async fn client(&self) -> Result<&Client, Error> {
        self.client
            .get_or_try_init(|| async {
                let mut options = ClientOptions::parse(self.url.expose())
                    .await
                    .map_err(|error| self.classify(&error))?;
                options.app_name = Some("ratings".to_owned());
                options.connect_timeout = Some(CONNECT_TIMEOUT);
                options.server_selection_timeout = Some(CONNECT_TIMEOUT);
                options.max_pool_size = Some(MAX_POOL_SIZE);
                Client::with_options(options).map_err(|error| self.classify(&error))
            })
            .await
    }

    /// Upstream's two answers: not reaching the database, or the database failing the query.
    fn classify(&self, error: &mongodb::error::Error) -> Error {
        let cause = self.password.scrub(&error.to_string());
        if is_connection_problem(&error.kind) {
            Error::DatabaseUnreachable {
                database: self.target.clone(),
                cause,
            }
        } else {
            self.load_failed(cause)
        }
    }

    fn load_failed(&self, cause: String) -> Error {
        Error::LoadFailed {
            database: self.target.clone(),
            cause: self.password.scrub(&cause),
        }
    }
}

impl fmt::Debug for MongoRatings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MongoRatings")
            .field("database", &self.target)
            .finish_non_exhaustive()
    }
}

/// Errors that mean the database was not reached (or would not let us in), as opposed to a
/// query it refused or answered with something unreadable.
fn is_connection_problem(kind: &ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::ServerSelection { .. }
            | ErrorKind::Io(_)
            | ErrorKind::DnsResolve { .. }
            | ErrorKind::Authentication { .. }
            | ErrorKind::ConnectionPoolCleared { .. }
            | ErrorKind::InvalidArgument { .. }
            | ErrorKind::InvalidTlsConfig { .. }
            | ErrorKind::Shutdown
    )
}

/// Reviewer1's and Reviewer2's stars from the first two documents: an integer `rating`, or a
/// whole-number double (what the mongo shell writes for `5`); 0 where a document or its field is
/// missing or null, as for MySQL. Any other value is a load failure, not a guess.
fn ratings_from_documents(documents: &[Document]) -> Result<Ratings, String> {
    let stars = |row: usize| -> Result<i64, String> {
        match documents.get(row).and_then(|document| document.get(FIELD)) {
            None | Some(Bson::Null) => Ok(0),
            Some(value) => stars_of(value).ok_or_else(|| {
                format!(
                    "document {row} has {FIELD} {value} of type {:?}, not a whole number",
                    value.element_type()
                )
            }),
        }
    };
    Ok(Ratings::reviewers(stars(0)?, stars(1)?))
}

fn stars_of(value: &Bson) -> Option<i64> {
    match value {
        Bson::Int32(stars) => Some(i64::from(*stars)),
        Bson::Int64(stars) => Some(*stars),
        // Whole and within f64's exact integers, so the cast loses nothing.
        Bson::Double(stars) if stars.fract() == 0.0 && stars.abs() <= 2f64.powi(53) => {
            Some(*stars as i64)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_come_from_the_first_two_documents() {
        let cases: &[(Vec<Document>, (i64, i64), &str)] = &[
            (
                vec![doc! { "rating": 5 }, doc! { "rating": 4 }],
                (5, 4),
                "the seed",
            ),
            (
                vec![doc! { "rating": 5.0 }, doc! { "rating": 4_i64 }],
                (5, 4),
                "the shell's doubles and 64-bit integers",
            ),
            (
                vec![
                    doc! { "rating": 1 },
                    doc! { "rating": 2 },
                    doc! { "rating": 3 },
                ],
                (1, 2),
                "only two documents count",
            ),
            (
                vec![doc! { "rating": 3 }],
                (3, 0),
                "a missing second document",
            ),
            (vec![], (0, 0), "an empty collection"),
            (
                vec![doc! { "rating": Bson::Null }, doc! { "rating": 1 }],
                (0, 1),
                "a null rating",
            ),
            (
                vec![doc! { "stars": 5 }, doc! { "rating": 2, "reviewer": "x" }],
                (0, 2),
                "a missing field",
            ),
        ];
        for (documents, (first, second), why) in cases {
            assert_eq!(
                ratings_from_documents(documents),
                Ok(Ratings::reviewers(*first, *second)),
                "{why}"
            );
        }
    }

    #[test]
    fn ratings_that_are_not_whole_numbers_fail_the_load() {
        let cases = [
            (doc! { "rating": "5" }, "a string"),
            (doc! { "rating": 4.5 }, "a fraction"),
            (doc! { "rating": { "stars": 5 } }, "a document"),
        ];
        for (document, why) in cases {
            assert!(ratings_from_documents(&[document]).is_err(), "{why}");
        }
    }

    #[test]
    fn network_failures_are_connection_problems_and_others_load_failures() {
        let refused = mongodb::error::Error::from(std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused,
        ));
        assert!(is_connection_problem(&refused.kind));
        assert!(is_connection_problem(&ErrorKind::Shutdown));
        let custom = mongodb::error::Error::custom("a failed query".to_owned());
        assert!(!is_connection_problem(&custom.kind));
        assert!(!is_connection_problem(&ErrorKind::SessionsNotSupported));
    }

    #[test]
    fn errors_and_debug_never_show_the_password() {
        let store = MongoRatings::new(&MongoSettings {
            url: Secret::new("mongodb://ratings:s3cret@127.0.0.1:1/test"),
        });
        let error = store.classify(&mongodb::error::Error::custom(
            "echoing mongodb://ratings:s3cret@127.0.0.1:1/test".to_owned(),
        ));
        for shown in [
            format!("{error}"),
            format!("{error:?}"),
            format!("{store:?}"),
        ] {
            assert!(!shown.contains("s3cret"), "{shown}");
        }
    }
}
