//! HTTPRoute filters in the routing model: header modifiers as header edits, RequestRedirect as
//! a redirect, URLRewrite as a rewrite, RequestMirror as a mirror.

use super::model::destination;
use crate::istio::gateway_api::{
    FilterType, HeaderModifier, HttpHeader, HttpRouteFilter, PathModifier, PathModifierType,
};
use crate::istio::{HeaderEdits, HttpRoute, PathRewrite, Redirect, Rewrite};

/// Lays one filter over the rule it belongs to.
pub fn apply(http: &mut HttpRoute, filter: &HttpRouteFilter, namespace: &str) {
    match filter.filter_type {
        FilterType::RequestHeaderModifier => {
            if let Some(modifier) = &filter.request_header_modifier {
                edits(&mut http.headers.request, modifier);
            }
        }
        FilterType::ResponseHeaderModifier => {
            if let Some(modifier) = &filter.response_header_modifier {
                edits(&mut http.headers.response, modifier);
            }
        }
        FilterType::RequestRedirect => {
            if let Some(redirect) = &filter.request_redirect {
                http.redirect = Some(Redirect {
                    scheme: redirect.scheme.clone(),
                    authority: redirect.hostname.clone(),
                    port: redirect.port,
                    path: redirect.path.as_ref().and_then(path_rewrite),
                    status: redirect.status_code.unwrap_or(302),
                });
            }
        }
        FilterType::UrlRewrite => {
            if let Some(rewrite) = &filter.url_rewrite {
                let path = rewrite.path.as_ref().and_then(path_rewrite);
                http.rewrite = Some(Rewrite {
                    authority: rewrite.hostname.clone(),
                    uri: match &path {
                        Some(PathRewrite::Prefix(prefix)) => Some(prefix.clone()),
                        _ => None,
                    },
                    full_path: match path {
                        Some(PathRewrite::Full(full)) => Some(full),
                        _ => None,
                    },
                });
            }
        }
        FilterType::RequestMirror => {
            if let Some(mirror) = &filter.request_mirror {
                http.mirror = Some(destination(&mirror.backend_ref, namespace));
            }
        }
    }
}

fn edits(edits: &mut HeaderEdits, modifier: &HeaderModifier) {
    let pairs = |headers: &[HttpHeader]| {
        headers
            .iter()
            .map(|header| (header.name.clone(), header.value.clone()))
            .collect::<Vec<_>>()
    };
    edits.set.extend(pairs(&modifier.set));
    edits.add.extend(pairs(&modifier.add));
    edits.remove.extend(modifier.remove.iter().cloned());
}

fn path_rewrite(modifier: &PathModifier) -> Option<PathRewrite> {
    let value = modifier.value()?.to_owned();
    Some(match modifier.modifier_type {
        PathModifierType::ReplaceFullPath => PathRewrite::Full(value),
        PathModifierType::ReplacePrefixMatch => PathRewrite::Prefix(value),
    })
}
