//! The `bookinfo` command's arguments.

use crate::Options;

pub const USAGE: &str = "\
usage: bookinfo [--port PORT] [--pooled]

Runs details, ratings, reviews v1/v2/v3 and productpage on 127.0.0.1.
  --port PORT   productpage's port (default 9080)
  --pooled      reuse connections from productpage to its backends
                (default: a fresh connection per call, so reviews versions rotate)
";

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Run(Options),
    Help,
}

/// Parses the arguments after the program name.
pub fn parse<I, S>(args: I) -> Result<Command, String>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut options = Options::default();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_ref() {
            "-h" | "--help" => return Ok(Command::Help),
            "--pooled" => options.pooled_backend_connections = true,
            "--port" => {
                let value = args.next().ok_or("--port needs a value")?;
                options.productpage_port = value
                    .as_ref()
                    .parse()
                    .map_err(|_| format!("--port {:?} is not a port number", value.as_ref()))?;
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Command::Run(options))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_to_port_9080_and_fresh_connections() {
        assert_eq!(parse::<_, &str>([]), Ok(Command::Run(Options::default())));
        assert_eq!(Options::default().productpage_port, 9080);
    }

    #[test]
    fn reads_port_and_pooling() {
        let parsed = parse(["--port", "8000", "--pooled"]);
        assert_eq!(
            parsed,
            Ok(Command::Run(Options {
                productpage_port: 8000,
                pooled_backend_connections: true
            }))
        );
    }

    #[test]
    fn rejects_bad_arguments_with_a_message() {
        assert!(parse(["--port"]).unwrap_err().contains("needs a value"));
        assert!(parse(["--port", "x"]).unwrap_err().contains("not a port"));
        assert!(parse(["--nope"]).unwrap_err().contains("unknown argument"));
    }
}
