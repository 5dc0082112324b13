//! The Bookinfo reviews service (being written).

use std::net::TcpListener;

use actix_web::dev::Server;

/// Serves reviews on `listener`.
pub fn run(listener: TcpListener) -> std::io::Result<Server> {
    chassis::server::serve(listener, |_cfg| {})
}
