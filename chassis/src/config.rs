//! Reading configuration once at start: environment variables through an injectable source, every
//! problem collected and reported together, and the listening port from the first argument.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

/// The port every Bookinfo service listens on unless told otherwise (upstream's 9080).
pub const DEFAULT_PORT: u16 = 9080;

/// Exit code for bad configuration, as `EX_USAGE` in sysexits.h.
pub const EX_USAGE: i32 = 64;

/// Where configuration values come from: the process environment in production, a map in tests.
pub trait EnvSource {
    /// The value of `name`, or `None` when unset.
    fn get(&self, name: &str) -> Option<String>;
}

/// The real process environment.
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessEnv;

impl EnvSource for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok()
    }
}

impl EnvSource for HashMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        HashMap::get(self, name).cloned()
    }
}

impl EnvSource for HashMap<&str, &str> {
    fn get(&self, name: &str) -> Option<String> {
        HashMap::get(self, name).map(|value| (*value).to_owned())
    }
}

/// Every problem found while reading a configuration, so a user fixes them all in one go.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConfigErrors(pub Vec<String>);

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "invalid configuration:")?;
        for problem in &self.0 {
            writeln!(f, "  - {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

/// Reads variables from a source and remembers what was wrong with them.
///
/// ```
/// use std::collections::HashMap;
/// use chassis::config::EnvReader;
///
/// let env = HashMap::from([("FLOOD_FACTOR", "3")]);
/// let mut reader = EnvReader::new(&env);
/// let flood: u32 = reader.parse("FLOOD_FACTOR", 0);
/// let host = reader.string("DETAILS_HOSTNAME", "details");
/// assert_eq!(reader.finish((flood, host)), Ok((3, "details".to_owned())));
/// ```
pub struct EnvReader<'a> {
    source: &'a dyn EnvSource,
    errors: Vec<String>,
}

impl<'a> EnvReader<'a> {
    pub fn new(source: &'a dyn EnvSource) -> Self {
        Self {
            source,
            errors: Vec::new(),
        }
    }

    /// The raw value, if set (an empty value counts as set).
    pub fn optional(&self, name: &str) -> Option<String> {
        self.source.get(name)
    }

    /// The value, or `default` when unset.
    pub fn string(&self, name: &str, default: &str) -> String {
        self.source.get(name).unwrap_or_else(|| default.to_owned())
    }

    /// The value parsed as `T`, or `default` when unset or empty; a value that does not parse is
    /// recorded as a problem and `default` is returned so reading can go on.
    pub fn parse<T>(&mut self, name: &str, default: T) -> T
    where
        T: FromStr,
        T::Err: fmt::Display,
    {
        match self.source.get(name) {
            None => default,
            Some(raw) if raw.trim().is_empty() => default,
            Some(raw) => match raw.trim().parse() {
                Ok(value) => value,
                Err(error) => {
                    self.errors.push(format!("{name}={raw:?}: {error}"));
                    default
                }
            },
        }
    }

    /// A boolean the way upstream's images read theirs: `true` (any case) is true, anything else
    /// that is set is false, unset is `default`.
    pub fn flag(&self, name: &str, default: bool) -> bool {
        match self.source.get(name) {
            Some(raw) => raw.trim().eq_ignore_ascii_case("true"),
            None => default,
        }
    }

    /// Records a problem found by the caller's own checks.
    pub fn problem(&mut self, message: impl Into<String>) {
        self.errors.push(message.into());
    }

    /// `value` if nothing was wrong, otherwise every problem recorded.
    pub fn finish<T>(self, value: T) -> Result<T, ConfigErrors> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(ConfigErrors(self.errors))
        }
    }
}

/// The base URL of a sibling service, as upstream builds it:
/// `http://{host}[.{domain}]:{port}`; an empty domain adds nothing.
pub fn service_base_url(host: &str, domain: &str, port: &str) -> String {
    if domain.is_empty() {
        format!("http://{host}:{port}")
    } else {
        format!("http://{host}.{domain}:{port}")
    }
}

/// The listening port from the first command-line argument (after the program name), or
/// [`DEFAULT_PORT`] when there is none.
pub fn port_from_args<I, S>(args: I) -> Result<u16, ConfigErrors>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    match args.into_iter().nth(1) {
        None => Ok(DEFAULT_PORT),
        Some(raw) => raw.as_ref().parse().map_err(|_| {
            ConfigErrors(vec![format!(
                "port argument {:?} is not a port number (1-65535, or 0 for any)",
                raw.as_ref()
            )])
        }),
    }
}

/// The listening port (the first argument) and the service's configuration (`load` over the
/// process environment), or every problem with either printed at once and exit [`EX_USAGE`]:
/// the one place a service's `main` stops over bad configuration.
pub fn load_or_exit<T>(load: impl FnOnce(&dyn EnvSource) -> Result<T, ConfigErrors>) -> (u16, T) {
    match (port_from_args(std::env::args()), load(&ProcessEnv)) {
        (Ok(port), Ok(config)) => (port, config),
        (port, config) => {
            let mut problems = port.err().unwrap_or_default().0;
            problems.extend(config.err().unwrap_or_default().0);
            exit_usage(ConfigErrors(problems))
        }
    }
}

/// Prints every configuration problem and exits with [`EX_USAGE`]; for `main` only.
pub fn exit_usage(errors: ConfigErrors) -> ! {
    eprintln!("{errors}");
    std::process::exit(EX_USAGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bad_variable_is_reported_at_once() {
        let env = HashMap::from([("A", "x"), ("B", "-1")]);
        let mut reader = EnvReader::new(&env);
        let a: u32 = reader.parse("A", 1);
        let b: u32 = reader.parse("B", 2);
        let errors = reader.finish((a, b)).unwrap_err();
        assert_eq!(errors.0.len(), 2, "{errors}");
        assert!(errors.0[0].starts_with("A=\"x\""));
        assert!(errors.0[1].starts_with("B=\"-1\""));
    }

    #[test]
    fn empty_numeric_value_means_default() {
        let env = HashMap::from([("N", "")]);
        let mut reader = EnvReader::new(&env);
        assert_eq!(reader.parse("N", 7u32), 7);
        assert!(reader.finish(()).is_ok());
    }

    #[test]
    fn flags_follow_upstream_parsing() {
        let env = HashMap::from([("T", "TRUE"), ("F", "yes")]);
        let reader = EnvReader::new(&env);
        assert!(reader.flag("T", false));
        assert!(!reader.flag("F", true), "only 'true' is true");
        assert!(reader.flag("UNSET", true));
    }

    #[test]
    fn base_url_appends_domain_only_when_set() {
        assert_eq!(
            service_base_url("details", "", "9080"),
            "http://details:9080"
        );
        assert_eq!(
            service_base_url("details", "ns.svc", "9080"),
            "http://details.ns.svc:9080"
        );
    }

    #[test]
    fn port_comes_from_first_argument() {
        assert_eq!(port_from_args(["prog"]), Ok(DEFAULT_PORT));
        assert_eq!(port_from_args(["prog", "9081"]), Ok(9081));
        assert!(port_from_args(["prog", "http"]).is_err());
        assert!(port_from_args(["prog", "70000"]).is_err());
    }
}
