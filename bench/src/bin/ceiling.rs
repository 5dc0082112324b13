//! The benchmark's ceiling: the least an actix-web server can do per request (a fixed string),
//! so every Bookinfo figure can be read as a share of what this machine allows.

use actix_web::{App, HttpResponse, HttpServer, web};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = std::env::args()
        .nth(1)
        .and_then(|port| port.parse().ok())
        .unwrap_or(9999);
    HttpServer::new(|| {
        App::new().route(
            "/",
            web::get().to(|| async { HttpResponse::Ok().body("ok") }),
        )
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
