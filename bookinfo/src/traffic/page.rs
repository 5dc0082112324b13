//! Reading a product page the way a person (or istio.io's task scripts) would: which reviews
//! version answered, and whether reviews or ratings were unavailable. Works on our pages and on
//! upstream's, which mark star colours differently.

/// Which reviews version a page shows, or that it shows none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewsSeen {
    V1,
    V2,
    V3,
    /// "Sorry, product reviews are currently unavailable for this book."
    Unavailable,
}

/// What one page says about its backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageReading {
    pub reviews: ReviewsSeen,
    /// "Ratings service is currently unavailable" on the page.
    pub ratings_unavailable: bool,
}

const REVIEWS_UNAVAILABLE: &str = "Sorry, product reviews are currently unavailable";
const RATINGS_UNAVAILABLE: &str = "Ratings service is currently unavailable";
const SERVED_BY: &str = "Reviews served by:";
/// What marks a filled star on both our page and upstream's (and what the task scripts count).
const FILLED_STAR: &str = "glyphicon glyphicon-star";
/// Red stars: our stylesheet's class, and upstream's `<font color="red">`.
const RED_STARS: [&str; 2] = ["stars-red", "color=\"red\""];
/// How far after "Reviews served by:" the pod name may start (markup between them included).
const POD_NAME_WITHIN: usize = 200;

/// Reads `body`, a product page that answered 2xx.
pub fn read(body: &str) -> PageReading {
    let reviews = if body.contains(REVIEWS_UNAVAILABLE) {
        ReviewsSeen::Unavailable
    } else {
        served_by(body).unwrap_or_else(|| from_stars(body))
    };
    PageReading {
        reviews,
        ratings_unavailable: body.contains(RATINGS_UNAVAILABLE),
    }
}

/// The version in the pod name after "Reviews served by:" (`reviews-v2-7d8f…`), when the page
/// names one of the three.
fn served_by(body: &str) -> Option<ReviewsSeen> {
    let after = &body[body.find(SERVED_BY)? + SERVED_BY.len()..];
    let window = &after[..after
        .char_indices()
        .nth(POD_NAME_WITHIN)
        .map_or(after.len(), |(at, _)| at)];
    let pod = &window[window.find("reviews-v")? + "reviews-v".len()..];
    let digits: String = pod.chars().take_while(char::is_ascii_digit).collect();
    match digits.as_str() {
        "1" => Some(ReviewsSeen::V1),
        "2" => Some(ReviewsSeen::V2),
        "3" => Some(ReviewsSeen::V3),
        _ => None,
    }
}

/// istio.io's rule when no pod is named: no stars is v1, black stars v2, red stars v3.
fn from_stars(body: &str) -> ReviewsSeen {
    if !body.contains(FILLED_STAR) {
        ReviewsSeen::V1
    } else if RED_STARS.iter().any(|red| body.contains(red)) {
        ReviewsSeen::V3
    } else {
        ReviewsSeen::V2
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAR: &str = r#"<svg class="glyphicon glyphicon-star star star-filled"></svg>"#;

    fn page(reviews: &str) -> String {
        format!("<html><body><h1>The Comedy of Errors</h1>{reviews}</body></html>")
    }

    #[test]
    fn the_named_pod_decides_the_version() {
        let cases = [
            ("reviews-v1-local", ReviewsSeen::V1),
            ("reviews-v2-7d8f9c8b5-x2x4q", ReviewsSeen::V2),
            ("reviews-v3-local", ReviewsSeen::V3),
        ];
        for (pod, expected) in cases {
            // Stars that disagree with the pod: the pod wins.
            let body = page(&format!(
                r#"<div class="stars stars-red">{STAR}</div><p>Reviews served by:
      <span class="pod-name">{pod}</span></p>"#
            ));
            assert_eq!(read(&body).reviews, expected, "{pod}");
        }
    }

    #[test]
    fn upstreams_markup_is_read_too() {
        let body = page(&format!(
            r#"<font color="red">{STAR}</font><dt>Reviews served by:</dt><u>reviews-v3-abc-def</u>"#
        ));
        assert_eq!(read(&body).reviews, ReviewsSeen::V3);
    }

    #[test]
    fn without_a_pod_name_the_stars_decide() {
        let cases = [
            (page("<p>no stars</p>"), ReviewsSeen::V1),
            (
                page(&format!(r#"<div class="stars stars-black">{STAR}</div>"#)),
                ReviewsSeen::V2,
            ),
            (
                page(&format!(r#"<div class="stars stars-red">{STAR}</div>"#)),
                ReviewsSeen::V3,
            ),
            (
                page(&format!(r#"<font color="black">{STAR}</font>"#)),
                ReviewsSeen::V2,
            ),
            (
                page(&format!(r#"<font color="red">{STAR}</font>"#)),
                ReviewsSeen::V3,
            ),
            // A pod name that is not one of the three versions says nothing.
            (
                page(&format!(
                    r#"<div class="stars-red">{STAR}</div>Reviews served by: reviews-v9-x"#
                )),
                ReviewsSeen::V3,
            ),
        ];
        for (body, expected) in cases {
            assert_eq!(read(&body).reviews, expected, "{body}");
        }
    }

    #[test]
    fn a_pod_name_far_below_the_label_is_not_taken() {
        let body = page(&format!(
            "Reviews served by: <span></span>{}reviews-v2-x",
            " ".repeat(300)
        ));
        assert_eq!(read(&body).reviews, ReviewsSeen::V1);
    }

    #[test]
    fn unavailable_reviews_and_ratings_are_seen() {
        let reviews_down = page(
            "<h2>Error fetching product reviews</h2>\
             <p>Sorry, product reviews are currently unavailable for this book.</p>",
        );
        assert_eq!(
            read(&reviews_down),
            PageReading {
                reviews: ReviewsSeen::Unavailable,
                ratings_unavailable: false
            }
        );
        let ratings_down = page(
            r#"<p class="rating-unavailable">Ratings service is currently unavailable</p>
            <p>Reviews served by: <span>reviews-v2-local</span></p>"#,
        );
        assert_eq!(
            read(&ratings_down),
            PageReading {
                reviews: ReviewsSeen::V2,
                ratings_unavailable: true
            }
        );
    }
}
