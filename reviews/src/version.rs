//! Which reviews this is: v1 (no ratings), v2 (black stars) or v3 (red stars). The only place that
//! looks at the Cargo features; everything else goes by `Config::version` and `Config::ratings`,
//! so one process can run all three.

use std::fmt;
use std::str::FromStr;

/// A reviews version, as upstream ships three images of one program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReviewsVersion {
    /// No ratings: the reviews have no `rating` key and ratings is never called.
    V1,
    /// Stars from ratings, black.
    V2,
    /// Stars from ratings, red.
    V3,
}

impl ReviewsVersion {
    pub const ALL: [ReviewsVersion; 3] = [Self::V1, Self::V2, Self::V3];

    /// The version picked by the Cargo features `v1`, `v2` and `v3`. Features add up (as with
    /// `--all-features`), so the highest one enabled wins; with none, v1 (upstream's default,
    /// since `ENABLE_RATINGS` unset is false).
    pub const fn compiled_default() -> ReviewsVersion {
        if cfg!(feature = "v3") {
            Self::V3
        } else if cfg!(feature = "v2") {
            Self::V2
        } else {
            Self::V1
        }
    }

    /// `v1`, `v2` or `v3`, as in `SERVICE_VERSION` and the `version` label.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::V1 => "v1",
            Self::V2 => "v2",
            Self::V3 => "v3",
        }
    }

    /// Whether this version calls ratings unless `ENABLE_RATINGS` says otherwise (the images'
    /// `ENABLE_RATINGS`).
    pub const fn ratings_enabled(self) -> bool {
        !matches!(self, Self::V1)
    }

    /// The star colour unless `STAR_COLOR` says otherwise (the images' `STAR_COLOR`; v1 has
    /// upstream's default, black, for when ratings are switched on there).
    pub const fn star_color(self) -> &'static str {
        match self {
            Self::V1 | Self::V2 => "black",
            Self::V3 => "red",
        }
    }
}

impl fmt::Display for ReviewsVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A version name other than `v1`, `v2` or `v3`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a reviews version; expected v1, v2 or v3")]
pub struct UnknownVersion;

impl FromStr for ReviewsVersion {
    type Err = UnknownVersion;

    /// `v1`, `v2` or `v3`, in any case.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|version| version.as_str().eq_ignore_ascii_case(name.trim()))
            .ok_or(UnknownVersion)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for version in ReviewsVersion::ALL {
            assert_eq!(version.as_str().parse(), Ok(version));
        }
        assert_eq!("V3".parse(), Ok(ReviewsVersion::V3));
        for bad in ["", "v4", "2", "v-faulty"] {
            assert_eq!(
                bad.parse::<ReviewsVersion>(),
                Err(UnknownVersion),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn each_version_has_the_images_defaults() {
        let defaults: Vec<_> = ReviewsVersion::ALL
            .into_iter()
            .map(|version| (version.ratings_enabled(), version.star_color()))
            .collect();
        assert_eq!(defaults, [(false, "black"), (true, "black"), (true, "red")]);
    }

    // One test per feature set CI builds (none, v1, v2, v3, all), each stating its version, so a
    // wrong precedence fails whichever set is being tested.
    #[test]
    #[cfg(not(any(feature = "v2", feature = "v3")))]
    fn without_v2_or_v3_the_compiled_default_is_v1() {
        assert_eq!(ReviewsVersion::compiled_default(), ReviewsVersion::V1);
    }

    #[test]
    #[cfg(all(feature = "v2", not(feature = "v3")))]
    fn with_v2_the_compiled_default_is_v2_even_beside_v1() {
        assert_eq!(ReviewsVersion::compiled_default(), ReviewsVersion::V2);
    }

    #[test]
    #[cfg(feature = "v3")]
    fn with_v3_the_compiled_default_is_v3_whatever_else_is_on() {
        assert_eq!(ReviewsVersion::compiled_default(), ReviewsVersion::V3);
    }
}
