//! `details` binary: reads the port and configuration, starts telemetry, serves until SIGTERM.

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    // The port, the service's variables and telemetry's, read together: one report, one exit.
    let (port, config) = chassis::config::load_or_exit(details::Config::load);
    let _telemetry = chassis::telemetry::init(&config.telemetry);
    details::run(chassis::server::bind(port)?, config)?.await
}
