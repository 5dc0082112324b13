//! HTTPRoute matches in the routing model: each match as one VirtualService match block, and
//! the order the Gateway API puts them in.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use crate::istio::gateway_api::{HttpRouteMatch, PathMatchType, ValueMatch, ValueMatchType};
use crate::istio::{MatchRequest, StringMatch};

/// One HTTPRoute match as a match block named by its position (`index`), for the parent's
/// `port` when the parent names one.
pub(super) fn match_request(
    block: &HttpRouteMatch,
    index: usize,
    port: Option<u32>,
) -> MatchRequest {
    let uri = block.path.as_ref().map(|path| {
        let value = path.value.clone().unwrap_or_else(|| "/".to_owned());
        match path.match_type {
            PathMatchType::Exact => StringMatch {
                exact: Some(value),
                ..StringMatch::default()
            },
            PathMatchType::PathPrefix => StringMatch {
                prefix: Some(value),
                ..StringMatch::default()
            },
            PathMatchType::RegularExpression => StringMatch {
                regex: Some(value),
                ..StringMatch::default()
            },
        }
    });
    MatchRequest {
        name: Some(index.to_string()),
        uri,
        headers: value_matches(&block.headers, |name| name.to_ascii_lowercase()),
        query_params: value_matches(&block.query_params, str::to_owned),
        method: block.method.as_ref().map(|method| StringMatch {
            exact: Some(method.clone()),
            ..StringMatch::default()
        }),
        port,
        ..MatchRequest::default()
    }
}

/// Header names are case-insensitive (`normalize` lowercases them), query names are not; the
/// first match of a name wins, as the Gateway API specifies.
fn value_matches(
    matches: &[ValueMatch],
    normalize: impl Fn(&str) -> String,
) -> BTreeMap<String, StringMatch> {
    let mut out = BTreeMap::new();
    for value_match in matches {
        let string_match = match value_match.match_type {
            ValueMatchType::Exact => StringMatch {
                exact: Some(value_match.value.clone()),
                ..StringMatch::default()
            },
            ValueMatchType::RegularExpression => StringMatch {
                regex: Some(value_match.value.clone()),
                ..StringMatch::default()
            },
        };
        out.entry(normalize(&value_match.name))
            .or_insert(string_match);
    }
    out
}

/// The Gateway API's order between matches: an exact path, then the longest prefix (a regular
/// expression after both), then a method, then the most headers, then the most query
/// parameters. Sorting is stable, so ties keep route age and rule order.
pub(super) fn precedence(
    block: &MatchRequest,
) -> (u8, Reverse<usize>, bool, Reverse<usize>, Reverse<usize>) {
    let (kind, length) = match &block.uri {
        Some(StringMatch {
            exact: Some(path), ..
        }) => (0, path.len()),
        Some(StringMatch {
            prefix: Some(prefix),
            ..
        }) => (1, prefix.len()),
        Some(StringMatch {
            regex: Some(regex), ..
        }) => (2, regex.len()),
        _ => (1, 1),
    };
    (
        kind,
        Reverse(length),
        block.method.is_none(),
        Reverse(block.headers.len()),
        Reverse(block.query_params.len()),
    )
}
