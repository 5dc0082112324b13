//! `/static/…`: the stylesheet and images, compiled into the binary so the image needs nothing
//! but the executable.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::LazyLock;

use actix_web::http::header::{CACHE_CONTROL, ETAG, IF_NONE_MATCH, X_CONTENT_TYPE_OPTIONS};
use actix_web::{HttpRequest, HttpResponse, web};

use super::{get_or_head, read_only};
use crate::error::Error;

/// Browsers reuse an asset for five minutes, then revalidate it with its ETag (a cheap 304), so
/// a new release shows within minutes without fingerprinted file names.
const CACHE_CONTROL_VALUE: &str = "public, max-age=300";

/// One embedded file.
struct Asset {
    path: &'static str,
    content_type: &'static str,
    body: &'static [u8],
    etag: String,
}

static ASSETS: LazyLock<Vec<Asset>> = LazyLock::new(|| {
    let asset = |path, content_type, body: &'static [u8]| {
        let mut hasher = DefaultHasher::new();
        body.hash(&mut hasher);
        Asset {
            path,
            content_type,
            body,
            etag: format!("\"{:016x}\"", hasher.finish()),
        }
    };
    vec![
        asset(
            "css/bookinfo.css",
            "text/css; charset=utf-8",
            include_bytes!("../../static/css/bookinfo.css"),
        ),
        asset(
            "img/izzy.svg",
            "image/svg+xml",
            include_bytes!("../../static/img/izzy.svg"),
        ),
        // Upstream's avatar path, for anything that links it; our own drawing (see izzy.svg).
        asset(
            "img/izzy.png",
            "image/png",
            include_bytes!("../../static/img/izzy.png"),
        ),
        asset(
            "img/favicon.svg",
            "image/svg+xml",
            include_bytes!("../../static/img/favicon.svg"),
        ),
    ]
});

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(read_only("/static/{file:.+}").route(get_or_head().to(asset)));
}

async fn asset(request: HttpRequest, file: web::Path<String>) -> Result<HttpResponse, Error> {
    let asset = ASSETS
        .iter()
        .find(|asset| asset.path == file.as_str())
        .ok_or(Error::NotFound)?;
    let unchanged = request
        .headers()
        .get(IF_NONE_MATCH)
        .and_then(|tags| tags.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == asset.etag));
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((CACHE_CONTROL, CACHE_CONTROL_VALUE))
        .insert_header((ETAG, asset.etag.as_str()))
        .insert_header((X_CONTENT_TYPE_OPTIONS, "nosniff"));
    Ok(if unchanged {
        response.finish()
    } else {
        response.content_type(asset.content_type).body(asset.body)
    })
}
