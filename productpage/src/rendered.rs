//! The product pages a worker rendered last, kept by what each was made of: the same signed-in
//! user and byte-identical answers from details and reviews make the same page, so it is sent
//! again instead of decoding both answers and rendering it anew (about a sixth of a page's
//! instructions). A page differs from a kept one as soon as any byte of its inputs does.

use std::cell::RefCell;
use std::collections::VecDeque;

use actix_web::web::Bytes;
use serde::de::DeserializeOwned;

use crate::backends::decode_json;

/// Pages kept per worker: enough for the reviews versions a balancer rotates through (v1, v2,
/// v3) and a signed-in user beside them.
const KEPT_PAGES: usize = 4;

/// Largest answer a kept page may be made of. Bookinfo's answers are under 2 kB; a backend that
/// sends megabytes gets its page rendered every time rather than held in memory.
const LARGEST_KEPT_ANSWER: usize = 16 * 1024;

/// One worker's recently rendered product pages (a worker serves one request at a time between
/// awaits, so a `RefCell` is enough; never borrowed across an await).
#[derive(Default)]
pub struct RenderedPages {
    kept: RefCell<VecDeque<RenderedPage>>,
}

struct RenderedPage {
    user: Option<String>,
    details: Option<Bytes>,
    reviews: Option<Bytes>,
    html: Bytes,
}

/// A backend's answer as the page reads it.
pub enum Answer<T> {
    /// Byte for byte an answer a kept page was made of: it decoded then, so it is not decoded
    /// unless the page has to be rendered after all.
    Known(Bytes),
    /// A new answer, decoded.
    Decoded(Bytes, T),
}

impl<T: DeserializeOwned> Answer<T> {
    fn body(&self) -> &Bytes {
        match self {
            Answer::Known(body) | Answer::Decoded(body, _) => body,
        }
    }

    /// The decoded view; a known answer decodes as it did when its page was kept.
    fn into_view(self) -> Option<T> {
        match self {
            Answer::Known(body) => decode_json(&body),
            Answer::Decoded(_, view) => Some(view),
        }
    }
}

/// Which answer of a page.
#[derive(Debug, Clone, Copy)]
pub enum Part {
    Details,
    Reviews,
}

impl RenderedPages {
    /// Reads a backend's 200 body for the page: known if a kept page was made of the same bytes,
    /// otherwise decoded as `T` (`None` when it does not decode: the backend's answer is unusable).
    pub fn read<T: DeserializeOwned>(&self, part: Part, body: &Bytes) -> Option<Answer<T>> {
        let known = self.kept.borrow().iter().any(|page| {
            let input = match part {
                Part::Details => &page.details,
                Part::Reviews => &page.reviews,
            };
            input.as_ref() == Some(body)
        });
        if known {
            Some(Answer::Known(body.clone()))
        } else {
            decode_json(body).map(|view| Answer::Decoded(body.clone(), view))
        }
    }

    /// The page for `user` made of these answers (`None`: that backend was unavailable): a kept
    /// one if the same inputs made it, otherwise `render`ed from the decoded views and kept.
    pub fn page<D: DeserializeOwned, R: DeserializeOwned, E>(
        &self,
        user: Option<&str>,
        details: Option<Answer<D>>,
        reviews: Option<Answer<R>>,
        render: impl FnOnce(Option<D>, Option<R>) -> Result<String, E>,
    ) -> Result<Bytes, E> {
        let details_body = details.as_ref().map(|answer| answer.body().clone());
        let reviews_body = reviews.as_ref().map(|answer| answer.body().clone());
        if let Some(html) = self.find(user, details_body.as_ref(), reviews_body.as_ref()) {
            return Ok(html);
        }
        let html = Bytes::from(render(
            details.and_then(Answer::into_view),
            reviews.and_then(Answer::into_view),
        )?);
        let small =
            |body: &Option<Bytes>| body.as_ref().is_none_or(|b| b.len() <= LARGEST_KEPT_ANSWER);
        if small(&details_body) && small(&reviews_body) {
            let mut kept = self.kept.borrow_mut();
            if kept.len() == KEPT_PAGES {
                kept.pop_front();
            }
            kept.push_back(RenderedPage {
                user: user.map(str::to_owned),
                details: details_body,
                reviews: reviews_body,
                html: html.clone(),
            });
        }
        Ok(html)
    }

    fn find(
        &self,
        user: Option<&str>,
        details: Option<&Bytes>,
        reviews: Option<&Bytes>,
    ) -> Option<Bytes> {
        self.kept
            .borrow()
            .iter()
            .find(|page| {
                page.user.as_deref() == user
                    && page.details.as_ref() == details
                    && page.reviews.as_ref() == reviews
            })
            .map(|page| page.html.clone())
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::convert::Infallible;

    use serde_json::Value;

    use super::*;

    const DETAILS: &[u8] = br#"{"id":0,"publisher":"PublisherA"}"#;
    const REVIEWS: &[u8] = br#"{"id":"0","podname":"reviews-v1"}"#;

    /// Renders like the page does, counting renders.
    fn page_of(
        pages: &RenderedPages,
        renders: &Cell<u32>,
        user: Option<&str>,
        details: Option<&'static [u8]>,
        reviews: Option<&'static [u8]>,
    ) -> Bytes {
        let details =
            details.and_then(|body| pages.read::<Value>(Part::Details, &Bytes::from_static(body)));
        let reviews =
            reviews.and_then(|body| pages.read::<Value>(Part::Reviews, &Bytes::from_static(body)));
        pages
            .page(user, details, reviews, |details, reviews| {
                renders.set(renders.get() + 1);
                Ok::<_, Infallible>(format!("{user:?} {details:?} {reviews:?}"))
            })
            .unwrap()
    }

    #[test]
    fn the_same_user_and_answers_get_the_kept_page() {
        let (pages, renders) = (RenderedPages::default(), Cell::new(0));
        let first = page_of(&pages, &renders, None, Some(DETAILS), Some(REVIEWS));
        let again = page_of(&pages, &renders, None, Some(DETAILS), Some(REVIEWS));
        assert_eq!(renders.get(), 1);
        assert_eq!(first, again);
        assert!(std::str::from_utf8(&first).unwrap().contains("PublisherA"));
    }

    #[test]
    fn another_user_or_a_changed_byte_renders_anew() {
        let (pages, renders) = (RenderedPages::default(), Cell::new(0));
        page_of(&pages, &renders, None, Some(DETAILS), Some(REVIEWS));
        let jason = page_of(
            &pages,
            &renders,
            Some("jason"),
            Some(DETAILS),
            Some(REVIEWS),
        );
        assert!(std::str::from_utf8(&jason).unwrap().contains("jason"));
        let changed: &[u8] = br#"{"id":0,"publisher":"PublisherB"}"#;
        let other = page_of(&pages, &renders, None, Some(changed), Some(REVIEWS));
        assert!(std::str::from_utf8(&other).unwrap().contains("PublisherB"));
        let unavailable = page_of(&pages, &renders, None, None, Some(REVIEWS));
        assert!(
            std::str::from_utf8(&unavailable)
                .unwrap()
                .starts_with("None None")
        );
        assert_eq!(renders.get(), 4);
    }

    #[test]
    fn an_answer_that_does_not_decode_is_unusable() {
        let pages = RenderedPages::default();
        let body = Bytes::from_static(b"<html>oops</html>");
        assert!(pages.read::<Value>(Part::Details, &body).is_none());
    }

    #[test]
    fn a_known_answer_is_not_decoded_until_a_page_needs_it() {
        let (pages, renders) = (RenderedPages::default(), Cell::new(0));
        page_of(&pages, &renders, None, Some(DETAILS), Some(REVIEWS));
        let body = Bytes::from_static(DETAILS);
        assert!(matches!(
            pages.read::<Value>(Part::Details, &body),
            Some(Answer::Known(_))
        ));
        // Known as details, not as reviews.
        assert!(matches!(
            pages.read::<Value>(Part::Reviews, &body),
            Some(Answer::Decoded(..))
        ));
    }

    #[test]
    fn the_oldest_page_goes_first_and_large_answers_are_never_kept() {
        let (pages, renders) = (RenderedPages::default(), Cell::new(0));
        let users = ["a", "b", "c", "d", "e"];
        for user in users {
            page_of(&pages, &renders, Some(user), Some(DETAILS), Some(REVIEWS));
        }
        assert_eq!(pages.kept.borrow().len(), KEPT_PAGES);
        page_of(&pages, &renders, Some("e"), Some(DETAILS), Some(REVIEWS));
        assert_eq!(renders.get(), 5, "e's page is kept");
        page_of(&pages, &renders, Some("a"), Some(DETAILS), Some(REVIEWS));
        assert_eq!(renders.get(), 6, "a's page was the first to go");

        let large: &'static [u8] =
            format!(r#"{{"publisher":"{}"}}"#, "x".repeat(LARGEST_KEPT_ANSWER))
                .leak()
                .as_bytes();
        page_of(&pages, &renders, None, Some(large), Some(REVIEWS));
        page_of(&pages, &renders, None, Some(large), Some(REVIEWS));
        assert_eq!(renders.get(), 8);
    }
}
