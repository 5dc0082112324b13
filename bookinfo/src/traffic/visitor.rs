//! Visitors: anonymous ones and signed-in users, each with its own cookie jar, signing in and out
//! through `/login` and `/logout` as istio.io's task scripts do; and which visitor loads which page.

use std::cell::RefCell;
use std::io;
use std::rc::Rc;
use std::time::{Duration, Instant};

use awc::error::{ConnectError, SendRequestError};
use awc::{Client, ClientResponse};

use super::args::{ANONYMOUS, Plan};
use super::page::{self, PageReading};

/// The most of a page read; Bookinfo's are a few kilobytes.
const PAGE_LIMIT: usize = 1 << 20;
/// The password every walkthrough signs in with (productpage takes any).
const PASSWORD: &str = "password";
/// The longest a sign-out at the end may hold up the summary (after Ctrl-C, too).
const SIGN_OUT_WITHIN: Duration = Duration::from_secs(2);
/// productpage's session cookie, which carries the signed-in user.
const SESSION_COOKIE: &str = "session";

/// Why a page could not be loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Failure {
    /// No answer within `--timeout`.
    Timeout,
    /// Nothing listens at the address.
    Refused,
    /// `/login` answered without a session cookie.
    SignIn,
    /// Any other failure to connect, send or read.
    Other,
}

impl Failure {
    /// The name the summary uses.
    pub fn name(self) -> &'static str {
        match self {
            Failure::Timeout => "timeout",
            Failure::Refused => "refused",
            Failure::SignIn => "sign_in",
            Failure::Other => "other",
        }
    }

    fn of(error: &SendRequestError) -> Self {
        match error {
            SendRequestError::Timeout | SendRequestError::Connect(ConnectError::Timeout) => {
                Failure::Timeout
            }
            SendRequestError::Connect(ConnectError::Io(error))
                if error.kind() == io::ErrorKind::ConnectionRefused =>
            {
                Failure::Refused
            }
            _ => Failure::Other,
        }
    }
}

/// How one page load ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The page answered with `status`; `reading` is what a 2xx page showed.
    Answered {
        status: u16,
        reading: Option<PageReading>,
    },
    Failed(Failure),
}

/// One visitor: who they are and the cookies their browser would keep.
#[derive(Debug)]
pub struct Visitor {
    /// `None` for an anonymous visitor.
    user: Option<String>,
    jar: RefCell<CookieJar>,
}

impl Visitor {
    fn new(user: Option<String>) -> Self {
        Self {
            user,
            jar: RefCell::default(),
        }
    }

    /// The name the summary files this visitor's pages under.
    pub fn name(&self) -> &str {
        self.user.as_deref().unwrap_or(ANONYMOUS)
    }

    /// Loads `/productpage`, signing in first if this is a user without a session. Returns the
    /// outcome and how long the page itself took (sign-in excluded).
    pub async fn load_page(&self, client: &Client, base: &str) -> (Outcome, Duration) {
        // Checked in a statement of its own so that the jar is not borrowed across the sign-in.
        let signed_out = !self.jar.borrow().has(SESSION_COOKIE);
        if let (Some(user), true) = (&self.user, signed_out)
            && let Err(failure) = self.sign_in(client, base, user).await
        {
            return (Outcome::Failed(failure), Duration::ZERO);
        }
        let started = Instant::now();
        let outcome = self.fetch_page(client, base).await;
        (outcome, started.elapsed())
    }

    async fn fetch_page(&self, client: &Client, base: &str) -> Outcome {
        let mut request = client.get(format!("{base}/productpage"));
        if let Some(cookies) = self.jar.borrow().header() {
            request = request.insert_header(("cookie", cookies));
        }
        let mut response = match request.send().await {
            Ok(response) => response,
            Err(error) => return Outcome::Failed(Failure::of(&error)),
        };
        self.keep_cookies(&response);
        let status = response.status();
        let body = match response.body().limit(PAGE_LIMIT).await {
            Ok(body) => body,
            Err(awc::error::PayloadError::Io(error)) if error.kind() == io::ErrorKind::TimedOut => {
                return Outcome::Failed(Failure::Timeout);
            }
            Err(_) => return Outcome::Failed(Failure::Other),
        };
        let reading = status
            .is_success()
            .then(|| page::read(&String::from_utf8_lossy(&body)));
        Outcome::Answered {
            status: status.as_u16(),
            reading,
        }
    }

    /// The task scripts' sign-in: a form POST to `/login`, keeping the session cookie it sets.
    async fn sign_in(&self, client: &Client, base: &str, user: &str) -> Result<(), Failure> {
        let response = client
            .post(format!("{base}/login"))
            .send_form(&[("username", user), ("passwd", PASSWORD)])
            .await
            .map_err(|error| Failure::of(&error))?;
        self.keep_cookies(&response);
        if self.jar.borrow().has(SESSION_COOKIE) {
            Ok(())
        } else {
            Err(Failure::SignIn)
        }
    }

    /// `/logout` for a user with a session, which clears the session cookie. Returns whether
    /// there was a session to end.
    pub async fn sign_out(&self, client: &Client, base: &str) -> bool {
        let cookies = match self.jar.borrow().header() {
            Some(cookies) if self.user.is_some() => cookies,
            _ => return false,
        };
        if let Ok(response) = client
            .get(format!("{base}/logout"))
            .insert_header(("cookie", cookies))
            .timeout(SIGN_OUT_WITHIN)
            .send()
            .await
        {
            self.keep_cookies(&response);
        }
        true
    }

    fn keep_cookies<S>(&self, response: &ClientResponse<S>) {
        let mut jar = self.jar.borrow_mut();
        for set_cookie in response.headers().get_all("set-cookie") {
            if let Ok(set_cookie) = set_cookie.to_str() {
                jar.store(set_cookie);
            }
        }
    }
}

/// The cookies one visitor holds: name and value, as a browser sends them back.
#[derive(Debug, Default)]
struct CookieJar {
    cookies: Vec<(String, String)>,
}

impl CookieJar {
    /// Keeps what one `Set-Cookie` says; an empty value or `Max-Age=0` removes the cookie, as
    /// `/logout` does with the session.
    fn store(&mut self, set_cookie: &str) {
        let mut parts = set_cookie.split(';');
        let Some((name, value)) = parts.next().and_then(|pair| pair.split_once('=')) else {
            return;
        };
        let (name, value) = (name.trim(), value.trim());
        let expired = parts.any(|attribute| {
            attribute
                .trim()
                .to_ascii_lowercase()
                .strip_prefix("max-age=")
                .is_some_and(|age| age.starts_with('0') || age.starts_with('-'))
        });
        self.cookies.retain(|(kept, _)| kept != name);
        if !value.is_empty() && !expired {
            self.cookies.push((name.to_owned(), value.to_owned()));
        }
    }

    fn has(&self, name: &str) -> bool {
        self.cookies.iter().any(|(kept, _)| kept == name)
    }

    /// The `Cookie` header to send, if there is anything to send.
    fn header(&self) -> Option<String> {
        (!self.cookies.is_empty()).then(|| {
            self.cookies
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }
}

/// Every visitor of a run and which of them loads each page: signed-in pages spread evenly
/// through the run at the planned share, taking the users in turn.
#[derive(Debug)]
pub struct Visitors {
    anonymous: Rc<Visitor>,
    users: Vec<Rc<Visitor>>,
    signed_in_per_mille: u64,
}

impl Visitors {
    pub fn new(plan: &Plan) -> Self {
        Self {
            anonymous: Rc::new(Visitor::new(None)),
            users: plan
                .users
                .iter()
                .map(|user| Rc::new(Visitor::new(Some(user.clone()))))
                .collect(),
            signed_in_per_mille: u64::from(plan.signed_in_per_mille),
        }
    }

    /// Who loads page number `page` (from 0). Page `n` is signed in when the running count of
    /// signed-in pages, `⌊n × share⌋`, goes up at it: exact shares without randomness.
    pub fn for_page(&self, page: u64) -> Rc<Visitor> {
        let signed_in_before = page * self.signed_in_per_mille / 1000;
        let signed_in_after = (page + 1) * self.signed_in_per_mille / 1000;
        if self.users.is_empty() || signed_in_after == signed_in_before {
            return Rc::clone(&self.anonymous);
        }
        let turn = signed_in_before % self.users.len() as u64;
        Rc::clone(&self.users[turn as usize])
    }

    /// Every signed-in user, for signing out at the end.
    pub fn users(&self) -> &[Rc<Visitor>] {
        &self.users
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::traffic::args::Pace;

    fn visitors(users: &[&str], per_mille: u32) -> Visitors {
        Visitors::new(&Plan {
            url: "http://localhost:9080".to_owned(),
            pace: Pace::Rate(1),
            duration: None,
            requests: Some(1),
            users: users.iter().map(|user| (*user).to_owned()).collect(),
            signed_in_per_mille: per_mille,
            timeout: Duration::from_secs(1),
        })
    }

    fn pages_by_visitor(visitors: &Visitors, pages: u64) -> BTreeMap<String, u64> {
        let mut counts = BTreeMap::new();
        for page in 0..pages {
            *counts
                .entry(visitors.for_page(page).name().to_owned())
                .or_default() += 1;
        }
        counts
    }

    #[test]
    fn signed_in_pages_take_their_share_exactly_and_the_users_take_turns() {
        let visitors = visitors(&["jason", "alice"], 500);
        let counts = pages_by_visitor(&visitors, 100);
        let expected: BTreeMap<String, u64> = [("alice", 25), ("anonymous", 50), ("jason", 25)]
            .into_iter()
            .map(|(name, count)| (name.to_owned(), count))
            .collect();
        assert_eq!(counts, expected);
        // Spread through the run rather than bunched at either end.
        let first_ten = pages_by_visitor(&visitors, 10);
        assert_eq!(first_ten.get("anonymous"), Some(&5));
    }

    #[test]
    fn a_share_of_one_tenth_and_of_all_and_of_none() {
        assert_eq!(
            pages_by_visitor(&visitors(&["jason"], 100), 1000).get("jason"),
            Some(&100)
        );
        assert_eq!(
            pages_by_visitor(&visitors(&["jason"], 1000), 7).get("jason"),
            Some(&7)
        );
        assert_eq!(
            pages_by_visitor(&visitors(&["jason"], 0), 7).get("anonymous"),
            Some(&7)
        );
        assert_eq!(
            pages_by_visitor(&visitors(&[], 0), 7).get("anonymous"),
            Some(&7)
        );
    }

    #[test]
    fn the_jar_keeps_sends_and_clears_cookies_as_a_browser_would() {
        let mut jar = CookieJar::default();
        assert_eq!(jar.header(), None);
        jar.store("session=abc.def; HttpOnly; Path=/");
        jar.store("theme=dark");
        assert!(jar.has("session"));
        assert_eq!(jar.header().as_deref(), Some("session=abc.def; theme=dark"));
        jar.store("session=xyz; Path=/");
        assert_eq!(jar.header().as_deref(), Some("theme=dark; session=xyz"));
        jar.store("session=; Max-Age=0; Path=/");
        assert!(!jar.has("session"), "logout's cleared cookie is dropped");
        jar.store("theme=dark; max-age=-1");
        assert_eq!(jar.header(), None);
        jar.store("no equals sign");
        assert_eq!(jar.header(), None);
    }
}
