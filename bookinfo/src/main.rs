//! `bookinfo`: the whole of Bookinfo on loopback in one process, until Ctrl-C.

use std::process::ExitCode;

use bookinfo::cli::{self, Command};

#[actix_web::main]
async fn main() -> ExitCode {
    let options = match cli::parse(std::env::args().skip(1)) {
        Ok(Command::Run(options)) => options,
        Ok(Command::Help) => {
            print!("{}", cli::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(problem) => {
            eprintln!("bookinfo: {problem}\n\n{}", cli::USAGE);
            return ExitCode::from(64);
        }
    };
    let _telemetry = chassis::telemetry::init("bookinfo");
    let bookinfo = match bookinfo::LocalBookinfo::start(&options).await {
        Ok(bookinfo) => bookinfo,
        Err(error) => {
            eprintln!("bookinfo: could not start: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!("{}", bookinfo::summary(&bookinfo));
    match bookinfo.wait().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("bookinfo: {error}");
            ExitCode::FAILURE
        }
    }
}
