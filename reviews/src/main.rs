//! `reviews` binary: reads its configuration, starts telemetry, serves until SIGTERM.

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    // The port, the service's variables and telemetry's, read together: one report, one exit.
    let (port, config) = chassis::config::load_or_exit(reviews::Config::load);
    let _telemetry = chassis::telemetry::init(&config.telemetry);
    reviews::run(chassis::server::bind(port)?, config)?.await
}
