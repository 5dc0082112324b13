//! `details` binary: reads the port and configuration, starts telemetry, serves until SIGTERM.

use chassis::config::{ProcessEnv, exit_usage, port_from_args};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port = port_from_args(std::env::args()).unwrap_or_else(|errors| exit_usage(errors));
    let config = details::Config::load(&ProcessEnv).unwrap_or_else(|errors| exit_usage(errors));
    let _telemetry = chassis::telemetry::init("details");
    details::run(chassis::server::bind(port)?, config)?.await
}
