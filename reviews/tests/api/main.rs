//! reviews' API tests: the real server on 127.0.0.1, a recording stand-in for ratings.

mod health;
mod helpers;
mod propagation;
mod reviews;
mod routing;
mod timeouts;
