//! Hiding credentials that clients put in query strings (`?passwd=…`, `?api_key=…`) wherever a
//! URL reaches a log line, as cookies and `Authorization` never reach one.

use std::borrow::Cow;

/// What replaces a credential's value.
pub const REDACTED: &str = "[redacted]";

/// Parts of a parameter name (compared in lower case) that mark its value as a credential:
/// `passwd`, `password`, `pwd`, `token`, `access_token`, `secret`, `client_secret`, `key`,
/// `api_key`, `apikey`, `auth`, `session`, `credential`, `signature`, …
const CREDENTIAL_NAMES: [&str; 9] = [
    "pass",
    "pwd",
    "token",
    "secret",
    "key",
    "auth",
    "session",
    "credential",
    "signature",
];

/// `text` with the value of every credential-like query parameter in it replaced by
/// [`REDACTED`]. `text` may be a URL, a path with its query, or a message that quotes one: a
/// parameter is a `name=value` after a `?` or `&`, its value ending at `&`, `#`, white space or
/// a quote.
pub fn credentials(text: &str) -> Cow<'_, str> {
    if !text.contains('?') || !text.contains('=') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut in_query = false;
    let mut rest = text;
    while let Some(at) = rest.find(['?', '&']) {
        let (before, after) = rest.split_at(at + 1);
        out.push_str(before);
        in_query |= before.ends_with('?');
        rest = after;
        if !in_query {
            continue;
        }
        let name_end = rest
            .find(|c: char| c == '=' || ends_value(c))
            .unwrap_or(rest.len());
        let (name, after_name) = rest.split_at(name_end);
        let Some(value) = after_name.strip_prefix('=') else {
            continue;
        };
        if is_credential(name) {
            let value_end = value.find(ends_value).unwrap_or(value.len());
            out.push_str(name);
            out.push('=');
            out.push_str(REDACTED);
            rest = &value[value_end..];
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

fn ends_value(c: char) -> bool {
    matches!(c, '&' | '#' | '"' | '\'') || c.is_whitespace()
}

fn is_credential(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    CREDENTIAL_NAMES.iter().any(|part| name.contains(part))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_values_are_hidden_and_the_rest_kept() {
        assert_eq!(
            credentials("/login?username=jason&passwd=SECRET"),
            "/login?username=jason&passwd=[redacted]"
        );
        assert_eq!(
            credentials("/ratings/1?password=a&Token=b&api_key=c&x=1#frag"),
            "/ratings/1?password=[redacted]&Token=[redacted]&api_key=[redacted]&x=1#frag"
        );
        assert_eq!(
            credentials(r#"BadProductId("abc?client_secret=s3") at /p?q=1"#),
            r#"BadProductId("abc?client_secret=[redacted]") at /p?q=1"#
        );
    }

    #[test]
    fn text_without_credentials_is_unchanged() {
        for text in [
            "/productpage",
            "/a?b=c&d",
            "a=b & c",
            "?",
            "/x?secret",
            "/x?&&==",
        ] {
            assert_eq!(credentials(text), text);
        }
    }
}
