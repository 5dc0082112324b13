//! The benchmark's ceiling: the least an actix-web server can do per request (a fixed string),
//! so every Bookinfo figure can be read as a share of what this machine allows.
//!
//! `ceiling PORT [--pooled] [URL…]`: with URLs, each request first GETs every URL in turn (awc)
//! and then answers the fixed string; over a new connection per call (`Connection: close`, how
//! productpage calls its backends by default), or with `--pooled` over kept-alive ones (how
//! reviews calls ratings). Chained, such servers are a Bookinfo call graph with no work in it.

use std::rc::Rc;

use actix_web::{App, HttpResponse, HttpServer, web};

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

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args
        .next()
        .and_then(|port| port.parse().ok())
        .unwrap_or(9999);
    let mut urls: Vec<String> = args.collect();
    let pooled = urls.first().is_some_and(|arg| arg == "--pooled");
    if pooled {
        urls.remove(0);
    }
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
