//! Credentials that must never reach a log line or an answer: a wrapper whose `Debug` hides the
//! value, and the scrubbing applied to every database error before it is kept or logged.

use std::fmt;

/// A password (or a URL that may carry one). `Debug` prints `"***"`; only [`Secret::expose`]
/// hands out the value, for the one call that needs it.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `text` with every occurrence of the secret replaced by `***`; a belt to the drivers'
    /// braces, which do not put passwords in their errors either.
    pub fn scrub(&self, text: &str) -> String {
        if self.0.is_empty() {
            text.to_owned()
        } else {
            text.replace(&self.0, "***")
        }
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"***\"")
    }
}

/// A connection URL with the password of its `user:password@` part replaced by `***`, for logs:
/// `mongodb://ratings:***@mongodb:27017/test`.
pub fn redact_url(url: &str) -> String {
    match url_password(url) {
        Some(password) => Secret::new(password).scrub(url),
        None => url.to_owned(),
    }
}

/// The password in a URL's `user:password@` part, if it has one.
pub fn url_password(url: &str) -> Option<&str> {
    let (_, rest) = url.split_once("://")?;
    // The user information ends at the last `@` before the path. A password should hold `@`
    // only percent-encoded, but a raw one must not leak either.
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (user_info, _) = rest[..authority_end].rsplit_once('@')?;
    let (_, password) = user_info.split_once(':')?;
    (!password.is_empty()).then_some(password)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret:?}"), "\"***\"");
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn scrub_replaces_every_occurrence() {
        let secret = Secret::new("pw");
        assert_eq!(secret.scrub("a pw and pw"), "a *** and ***");
        assert_eq!(Secret::default().scrub("as is"), "as is");
    }

    #[test]
    fn urls_lose_only_their_password() {
        let cases = [
            (
                "mongodb://ratings:s3cret@mongodb:27017/test",
                "mongodb://ratings:***@mongodb:27017/test",
            ),
            (
                "mongodb://u:p@ss@h1:1,h2:2/?authSource=admin",
                "mongodb://u:***@h1:1,h2:2/?authSource=admin",
            ),
            ("mongodb://user@mongodb/test", "mongodb://user@mongodb/test"),
            (
                "mongodb://mongodb:27017/test",
                "mongodb://mongodb:27017/test",
            ),
            ("mongodb://u:@h/test", "mongodb://u:@h/test"),
            ("not a url", "not a url"),
        ];
        for (url, redacted) in cases {
            assert_eq!(redact_url(url), redacted, "{url}");
        }
    }
}
