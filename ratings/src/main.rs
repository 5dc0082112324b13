//! `ratings` binary (being written).

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let port = chassis::config::port_from_args(std::env::args())
        .unwrap_or_else(|e| chassis::config::exit_usage(e));
    let _telemetry = chassis::telemetry::init("ratings");
    ratings::run(chassis::server::bind(port)?)?.await
}
