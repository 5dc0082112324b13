//! The benchmark's ceiling: the least an actix-web server can do per request (a fixed string),
//! so every Bookinfo figure can be read as a share of what this machine allows.
//!
//! `ceiling PORT [--pooled] [URL…]`: with URLs, each request first GETs every URL in turn (awc)
//! and then answers the fixed string; over a new connection per call (`Connection: close`, how
//! productpage calls its backends by default), or with `--pooled` over kept-alive ones (how
//! reviews calls ratings). Chained, such servers are a Bookinfo call graph with no work in it.

use std::rc::Rc;

use actix_web::{App, HttpResponse, HttpServer, web};
use clap::Parser;

/// Each worker's client and the URLs every request calls first.
struct Calls {
    client: awc::Client,
    urls: Rc<[String]>,
    fresh_connections: bool,
}

async fn answer(calls: web::Data<Calls>) -> HttpResponse {
    for url in calls.urls.iter() {
        let mut request = calls.client.get(url);
        if calls.fresh_connections {
            request = request.force_close();
        }
        let reply = match request.send().await {
            Ok(mut response) => response.body().await.map(|_| ()).map_err(|e| e.to_string()),
            Err(error) => Err(error.to_string()),
        };
        if let Err(error) = reply {
            return HttpResponse::BadGateway().body(format!("{url}: {error}"));
        }
    }
    HttpResponse::Ok().body("ok")
}

/// A server that answers a fixed string, after calling URLS in turn if given.
#[derive(Debug, Parser)]
#[command(name = "ceiling")]
struct Args {
    /// The port on 127.0.0.1
    #[arg(default_value_t = 9999)]
    port: u16,
    /// Call the URLs over kept-alive connections instead of a new one per call
    #[arg(long)]
    pooled: bool,
    /// What every request calls (GET) before it is answered
    #[arg(value_name = "URL")]
    urls: Vec<String>,
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    // A bad argument ends here with exit code 2, naming it; it no longer falls back to 9999.
    let Args { port, pooled, urls } = Args::parse();
    HttpServer::new(move || {
        let calls = Calls {
            client: awc::Client::builder()
                .disable_redirects()
                .no_default_headers()
                .finish(),
            urls: urls.clone().into(),
            fresh_connections: !pooled,
        };
        App::new()
            .app_data(web::Data::new(calls))
            .route("/", web::get().to(answer))
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use clap::CommandFactory;

    use super::*;

    #[test]
    fn reads_the_port_pooling_and_urls_as_the_bench_passes_them() {
        let args = Args::try_parse_from(["ceiling", "8000", "--pooled", "http://a/", "http://b/"])
            .unwrap();
        assert_eq!(
            (args.port, args.pooled, args.urls.as_slice()),
            (
                8000,
                true,
                &["http://a/".to_owned(), "http://b/".to_owned()][..]
            )
        );
        let leaf = Args::try_parse_from(["ceiling", "8001"]).unwrap();
        assert!(!leaf.pooled && leaf.urls.is_empty());
        assert_eq!(Args::try_parse_from(["ceiling"]).unwrap().port, 9999);
    }

    #[test]
    fn a_bad_port_is_an_error_not_9999() {
        Args::command().debug_assert();
        let error = Args::try_parse_from(["ceiling", "http://a/"]).unwrap_err();
        assert_eq!(error.exit_code(), 2);
        let message = error.to_string();
        assert!(message.contains("'http://a/' for '[PORT]'"), "{message}");
    }
}
